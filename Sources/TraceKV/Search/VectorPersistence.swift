import LMDBKit
import VectorIndex

/// Writes HNSW change sets to the store and loads the graph back.
///
/// Node and link-list records have tables of their own; the vector blocks
/// (layout 3, `HNSWVectorBlockRecord`) live in `meta` under
/// `hnsw-vectors/` ‖ block (u32 BE). A block is 48 KiB at 384 dimensions,
/// so LMDB keeps it in overflow pages of its own, which no write moves
/// unless it writes that block: a loaded graph reads its vectors there, in
/// place, and a new process opens without copying them (`load`).
enum VectorPersistence {
  static let blockPrefix = Array("hnsw-vectors/".utf8)

  static func blockKey(_ block: UInt32) -> [UInt8] { blockPrefix + HNSWVectorBlockRecord(block: block, vectors: []).key }

  /// Applies a change set in `transaction`, in the order `HNSWChangeSet` asks.
  static func write(_ changes: HNSWChangeSet, tables: StoreTables, in transaction: LMDBTransaction) throws {
    for slot in changes.freedSlots {
      try transaction.delete(tables.hnswNodes, key: HNSWNodeRecord.key(slot: slot))
      try transaction.deleteAll(tables.hnswLinks, prefix: HNSWNodeRecord.key(slot: slot))
    }
    for node in changes.nodes { try transaction.put(tables.hnswNodes, key: node.key, value: node.encoded()) }
    for block in changes.vectorBlocks { try transaction.put(tables.meta, key: blockKey(block.block), value: block.encoded()) }
    for list in changes.linkLists { try transaction.put(tables.hnswLinks, key: list.key, value: list.encoded()) }
    try transaction.put(tables.meta, key: StoreSchema.MetaKey.hnswHeader, value: changes.header.encoded())
  }

  /// Replaces every record of the graph by `index`'s, one record in memory
  /// at a time (upgrading a million traces' graph rewrites 1.6 GB).
  static func writeAll(_ index: HNSWIndex, tables: StoreTables, in transaction: LMDBTransaction) throws {
    try transaction.clear(tables.hnswNodes)
    try transaction.clear(tables.hnswLinks)
    _ = try transaction.deleteAll(tables.meta, prefix: blockPrefix)
    let slots = index.liveSlots
    for slot in slots {
      let node = index.nodeRecord(slot: slot)!
      try transaction.put(tables.hnswNodes, key: node.key, value: node.encoded(), append: true)
    }
    for block in 0..<UInt32(index.vectorBlockCount) {
      try transaction.put(tables.meta, key: blockKey(block), value: index.vectorBlockRecord(block).encoded())
    }
    for slot in slots {
      for list in index.linkListRecords(slot: slot) {
        try transaction.put(tables.hnswLinks, key: list.key, value: list.encoded(), append: true)
      }
    }
    try transaction.put(tables.meta, key: StoreSchema.MetaKey.hnswHeader, value: index.header.encoded())
  }

  /// Whether the store's graph records are of an older layout (vectors in
  /// the node records): its first write to the graph rewrites them all
  /// (`writeAll`) instead of applying a change set.
  static func holdsOlderLayout(tables: StoreTables, in transaction: LMDBTransaction) throws -> Bool {
    try storedHeader(tables: tables, in: transaction)?.nodesHoldVectors == true
  }

  static func storedHeader(tables: StoreTables, in transaction: LMDBTransaction) throws -> HNSWHeader? {
    try transaction.withValue(tables.meta, key: StoreSchema.MetaKey.hnswHeader) { try HNSWHeader(decoding: $0.copiedBytes) }
  }

  /// The persisted graph, read with one sequential pass over each table (no
  /// rebuild), or nil when the store has none yet. Its vector blocks are
  /// read in place from the map (`LMDBTransaction.unsafePinnedValues`): the
  /// graph is then good for every later snapshot while the map stays at
  /// `transaction.mapStart` and the blocks are re-read once written
  /// (`ChangeLog.catchUp`), which `SearchIndexes` sees to.
  static func load(tables: StoreTables, in transaction: LMDBTransaction) throws -> HNSWIndex? {
    guard let header = try storedHeader(tables: tables, in: transaction) else { return nil }
    do {
      var loader = try HNSWIndex.Loader(header: header)
      // The loader reads each record in place (the whole graph passes through it once).
      try transaction.scan(tables.hnswNodes) { key, value in
        let slot = try HNSWNodeRecord.slot(fromKey: key)
        try unsafe value.withUnsafeBytes { bytes in try unsafe loader.addNode(slot: slot, bytes: bytes) }
        return true
      }
      try unsafe transaction.unsafePinnedValues(tables.meta, prefix: blockPrefix) { key, value, pinned in
        let block = try HNSWVectorBlockRecord.block(fromKey: key.copiedBytes.dropFirst(blockPrefix.count))
        if let pinned = unsafe pinned {
          try unsafe loader.borrowVectorBlock(block, at: pinned, byteCount: value.byteCount)
        } else {
          try unsafe value.withUnsafeBytes { bytes in try loader.addVectorBlock(block, bytes: bytes) }
        }
      }
      try transaction.scan(tables.hnswLinks) { key, value in
        let (slot, level) = try HNSWLinkListRecord.slotAndLevel(fromKey: key)
        try unsafe value.withUnsafeBytes { bytes in try unsafe loader.addLinkList(slot: slot, level: level, bytes: bytes) }
        return true
      }
      return try loader.finish()
    } catch let error as VectorIndexError {
      throw TraceKVError(.corrupted, "the vector index in the store is damaged: \(error)")
    }
  }

  /// Vector block `block` as the store holds it now, or nil when it is missing.
  static func storedVectorBlock(
    _ block: UInt32, header: HNSWHeader, tables: StoreTables, in transaction: LMDBTransaction
  ) throws -> HNSWVectorBlockRecord? {
    try transaction.withValue(tables.meta, key: blockKey(block)) {
      try HNSWVectorBlockRecord(block: block, decoding: $0.copiedBytes, header: header)
    }
  }
}

extension TraceStore {
  /// Replaces the store's vector graph by `index`, all its records in one
  /// transaction: lets the harness time opening a large persisted graph
  /// without embedding its texts. Not part of the product API.
  /// - Throws: ``TraceKVError``, and then nothing is replaced: `.readOnly` for a store open read-only, `.storeFull`
  ///   when the map cannot grow, `.corrupted` for a damaged record or index, `.storage` for any other LMDB failure.
  @_spi(Benchmarks)
  public func replaceVectorIndex(with index: HNSWIndex) throws(TraceKVError) {
    try write { transaction in
      try VectorPersistence.writeAll(index, tables: tables, in: transaction)
      let generation = try SearchIndexes.generation(in: transaction, tables: tables)
      try SearchIndexes.setGeneration(generation + 1, in: transaction, tables: tables)
    }
  }

  /// Loads this process's search state from the file (one sequential pass,
  /// as a search after opening does) and answers one vector query.
  /// - Throws: ``TraceKVError``: `.corrupted` when the persisted graph does not load, `.invalidInput` for a `query` of
  ///   the wrong dimension, with a NaN or infinite component, or all zeros (cosine), `.storage` when LMDB fails.
  @_spi(Benchmarks)
  public func firstVectorQuery(_ query: [Float], k: Int) throws(TraceKVError) -> [UInt32] {
    try read { transaction in
      let state = try search.state(in: transaction, tables: tables)
      return try state.vectors?.search(query, k: k, ef: 64).map(\.label) ?? []
    }
  }
}

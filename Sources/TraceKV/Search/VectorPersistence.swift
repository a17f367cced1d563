import LMDBKit
import VectorIndex

/// Writes HNSW change sets to the store and loads the graph back.
enum VectorPersistence {
  /// Applies a change set in `transaction`, in the order `HNSWChangeSet` asks.
  static func write(_ changes: HNSWChangeSet, tables: StoreTables, in transaction: LMDBTransaction) throws {
    for slot in changes.freedSlots {
      try transaction.delete(tables.hnswNodes, key: HNSWNodeRecord.key(slot: slot))
      try transaction.deleteAll(tables.hnswLinks, prefix: HNSWNodeRecord.key(slot: slot))
    }
    for node in changes.nodes { try transaction.put(tables.hnswNodes, key: node.key, value: node.encoded()) }
    for list in changes.linkLists { try transaction.put(tables.hnswLinks, key: list.key, value: list.encoded()) }
    try transaction.put(tables.meta, key: StoreSchema.MetaKey.hnswHeader, value: changes.header.encoded())
  }

  /// The persisted graph, read with one sequential pass over each table (no
  /// rebuild), or nil when the store has none yet.
  static func load(tables: StoreTables, in transaction: LMDBTransaction) throws -> HNSWIndex? {
    guard
      let header = try transaction.withValue(tables.meta, key: StoreSchema.MetaKey.hnswHeader, {
        try HNSWHeader(decoding: $0.copiedBytes)
      })
    else { return nil }
    do {
      var loader = try HNSWIndex.Loader(header: header)
      // The loader reads each record in place (the whole graph passes through it once).
      try transaction.scan(tables.hnswNodes) { key, value in
        let slot = try HNSWNodeRecord.slot(fromKey: key)
        try unsafe value.withUnsafeBytes { bytes in try unsafe loader.addNode(slot: slot, bytes: bytes) }
        return true
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
}

extension TraceStore {
  /// Replaces the store's vector graph by `index`, all its records in one
  /// transaction: lets the harness time opening a large persisted graph
  /// without embedding its texts. Not part of the product API.
  /// - Throws: ``TraceKVError``, and then nothing is replaced: `.readOnly` for a store open read-only, `.storeFull`
  ///   when the map cannot grow, `.corrupted` for a damaged record or index, `.storage` for any other LMDB failure.
  @_spi(Benchmarks)
  public func replaceVectorIndex(with index: HNSWIndex) throws(TraceKVError) {
    let records = index.allRecords()
    try write { transaction in
      try transaction.clear(tables.hnswNodes)
      try transaction.clear(tables.hnswLinks)
      for node in records.nodes { try transaction.put(tables.hnswNodes, key: node.key, value: node.encoded(), append: true) }
      for list in records.linkLists {
        try transaction.put(tables.hnswLinks, key: list.key, value: list.encoded(), append: true)
      }
      try transaction.put(tables.meta, key: StoreSchema.MetaKey.hnswHeader, value: records.header.encoded())
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

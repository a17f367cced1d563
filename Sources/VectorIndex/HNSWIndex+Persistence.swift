/// Reading the index as records, and rebuilding it from them. See README.md
/// for the layout and `HNSWChangeSet` for incremental writes.
extension HNSWIndex {
  /// The current header record.
  public var header: HNSWHeader { graph.header }

  /// The slots holding a node, ascending.
  public var liveSlots: [UInt32] { (0..<UInt32(graph.slotCount)).filter { graph.isLive($0) } }

  /// The slot of `label`, or nil.
  public func slot(of label: UInt32) -> UInt32? { graph.labelToSlot[label] }

  /// The node record of `slot`, or nil when the slot is free.
  public func nodeRecord(slot: UInt32) -> HNSWNodeRecord? {
    graph.isLive(slot) ? graph.nodeRecord(slot) : nil
  }

  /// Rows in a vector block: the slots of block b are b·rows ..< (b + 1)·rows.
  public var vectorBlockRows: Int { graph.vectorBlockRows }

  /// Vector blocks holding at least one slot below the header's slot count.
  public var vectorBlockCount: Int { graph.vectorBlockCount }

  /// The record of vector block `block` (below `vectorBlockCount`).
  public func vectorBlockRecord(_ block: UInt32) -> HNSWVectorBlockRecord {
    precondition(Int(block) < graph.vectorBlockCount, "HNSW: vector block \(block) out of range")
    return HNSWVectorBlockRecord(block: block, vectors: Array(graph.vectorBlock(block)))
  }

  /// The link-list records of the node in `slot` (live), by level.
  public func linkListRecords(slot: UInt32) -> [HNSWLinkListRecord] {
    (0...graph.level(slot)).map { HNSWLinkListRecord(slot: slot, level: $0, neighbours: graph.neighbours(slot, $0)) }
  }

  /// Every record of the index, as a full write would store it: the header,
  /// the nodes in slot order, the vector blocks in block order, the link
  /// lists in (slot, level) order. (A writer of a large index walks
  /// `liveSlots` with `nodeRecord(slot:)`, `vectorBlockRecord(_:)` and
  /// `linkListRecords(slot:)` instead of holding all of them at once.)
  /// - Complexity: O(n · (d + M)).
  public func allRecords() -> (
    header: HNSWHeader, nodes: [HNSWNodeRecord], vectorBlocks: [HNSWVectorBlockRecord], linkLists: [HNSWLinkListRecord]
  ) {
    let slots = liveSlots
    return (
      graph.header, slots.map { graph.nodeRecord($0) }, (0..<UInt32(vectorBlockCount)).map(vectorBlockRecord),
      slots.flatMap(linkListRecords)
    )
  }

  /// Rebuilds an index from its persisted records in one sequential pass, with
  /// no graph construction: feed the header, every node record, every
  /// vector block (layout 3), then every link-list record (slot order is
  /// fastest but not required), then call `finish()`, which checks that the
  /// records fit together.
  ///
  /// ```swift
  /// var loader = try HNSWIndex.Loader(header: HNSWHeader(decoding: headerBytes))
  /// for (key, value) in nodesCursor { try loader.addNode(slot: HNSWNodeRecord.slot(fromKey: key), bytes: value) }
  /// for (key, value) in blocksCursor { try loader.addVectorBlock(HNSWVectorBlockRecord.block(fromKey: key), bytes: value) }
  /// for (key, value) in linksCursor {
  ///   let (slot, level) = try HNSWLinkListRecord.slotAndLevel(fromKey: key)
  ///   try loader.addLinkList(slot: slot, level: level, bytes: value)
  /// }
  /// let index = try loader.finish()
  /// ```
  /// A store's reader may instead lend the blocks in place
  /// (`borrowVectorBlock`): the vectors are then never copied.
  public struct Loader {
    private let graph: HNSWGraph
    private let expected: HNSWHeader
    /// The vector chunks met so far, by block (layout 3; older layouts
    /// copy each vector from its node into chunks reserved up front).
    private var vectorChunks: [RowChunk<Float>?] = []

    /// Starts a restore for `header`.
    /// - Throws: ``VectorIndexError`` `.corruptRecord` when the header's dimension, m, efConstruction or maxLevel is
    ///   out of range.
    public init(header: HNSWHeader) throws(VectorIndexError) {
      guard header.dimension > 0, header.m >= 2, header.m <= 255, header.efConstruction >= 1,
        header.maxLevel <= HNSWGraph.levelLimit
      else { throw .corruptRecord("header parameters out of range") }
      graph = HNSWGraph(
        dimension: header.dimension, metric: header.metric, m: header.m, efConstruction: header.efConstruction,
        seed: header.seed, rngState: header.randomState)
      graph.reserve(Int(header.slotCount), vectors: header.nodesHoldVectors)
      graph.slotCount = Int(header.slotCount)
      expected = header
      if !header.nodesHoldVectors { vectorChunks = Array(repeating: nil, count: graph.vectorBlockCount) }
    }

    /// Adds the node stored in `slot` from its encoded value.
    /// - Throws: ``VectorIndexError`` `.corruptRecord` when `bytes` is not of the header's layout's length, or the slot
    ///   is out of range or already filled, the level is above the header's, or the label is already placed.
    /// - Complexity: O(d) before layout 3, else O(1).
    public mutating func addNode<Bytes: Collection<UInt8>>(slot: UInt32, bytes: Bytes) throws(VectorIndexError) {
      let contiguous: Result<Void, VectorIndexError>? = bytes.withContiguousStorageIfAvailable { buffer in
        Result { () throws(VectorIndexError) in try addNode(slot: slot, bytes: UnsafeRawBufferPointer(buffer)) }
      }
      if let contiguous { try contiguous.get() } else { try addNode(slot: slot, bytes: Array(bytes)) }
    }

    /// `addNode(slot:bytes:)` for lent bytes (an LMDB value), without copying
    /// them: the non-generic entry point, so a caller in another module does
    /// not run an unspecialized generic per record. Package access: the
    /// public API lends no pointers.
    /// - Throws: ``VectorIndexError`` `.corruptRecord` when `raw` is not of the header's layout's length, or the slot
    ///   is out of range or already filled, the level is above the header's, or the label is already placed.
    package mutating func addNode(slot: UInt32, bytes raw: UnsafeRawBufferPointer) throws(VectorIndexError) {
      let dimension = graph.dimension
      guard raw.count == HNSWNodeRecord.encodedCount(under: expected) else {
        throw .corruptRecord("node \(slot): \(raw.count) bytes, expected \(HNSWNodeRecord.encodedCount(under: expected))")
      }
      let label = UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self))
      let isTombstone = raw[4] & HNSWNodeRecord.tombstoneBit != 0
      guard placeNode(slot: slot, label: label, level: Int(raw[4] & ~HNSWNodeRecord.tombstoneBit), isTombstone: isTombstone)
      else {
        throw .corruptRecord("node \(slot): slot out of range, duplicate, or level too high")
      }
      guard expected.nodesHoldVectors else { return }
      let vector = graph.writableVector(slot)
      #if _endian(little)
        // The stored floats are this machine's: one copy, not d loads.
        UnsafeMutableRawPointer(vector).copyMemory(from: raw.baseAddress! + 5, byteCount: 4 * dimension)
      #else
        for index in 0..<dimension {
          vector[index] = Float(
            bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 5 + 4 * index, as: UInt32.self)))
        }
      #endif
    }

    /// Adds a decoded node record (its vector comes with its block).
    /// - Throws: ``VectorIndexError`` `.corruptRecord` when the header's layout keeps vectors in node records, the slot
    ///   is out of range or already filled, the level is above the header's, or the label is already placed.
    public mutating func addNode(_ record: HNSWNodeRecord) throws(VectorIndexError) {
      guard !expected.nodesHoldVectors else { throw .corruptRecord("node \(record.slot): this layout needs its vector") }
      guard placeNode(slot: record.slot, label: record.label, level: record.level, isTombstone: record.isTombstone) else {
        throw .corruptRecord("node \(record.slot): slot out of range, duplicate, or level too high")
      }
    }

    /// Adds vector block `block` from its encoded value (copied).
    /// - Throws: ``VectorIndexError`` `.corruptRecord` when the layout has no blocks, the block is past the header's
    ///   slots or already added, or `bytes` is not rows · d floats long.
    public mutating func addVectorBlock<Bytes: Collection<UInt8>>(_ block: UInt32, bytes: Bytes) throws(VectorIndexError) {
      try checkVectorBlock(block, byteCount: bytes.count)
      // The stored floats are this machine's on little-endian hardware: one copy.
      let chunk =
        bytes.withContiguousStorageIfAvailable { RowChunk<Float>(copyingBytes: UnsafeRawBufferPointer($0)) }
        ?? Array(bytes).withUnsafeBytes { RowChunk<Float>(copyingBytes: $0) }
      #if !_endian(little)
        for index in 0..<chunk.capacity { chunk.base[index] = Float(bitPattern: UInt32(littleEndian: chunk.base[index].bitPattern)) }
      #endif
      vectorChunks[Int(block)] = chunk
    }

    /// Adds vector block `block` **in place**: the index reads its vectors
    /// at `base` (rows · d little-endian floats, 4-byte aligned), which must
    /// stay readable and unchanged for as long as this index or any version
    /// of it lives; a write to one of them copies the block first. A store
    /// lends a value of its map that no write moves (LMDBKit's pinned values).
    /// - Throws: ``VectorIndexError`` `.corruptRecord` as `addVectorBlock(_:bytes:)` does.
    @unsafe package mutating func borrowVectorBlock(_ block: UInt32, at base: UnsafeRawPointer, byteCount: Int) throws(VectorIndexError) {
      #if _endian(little)
        try checkVectorBlock(block, byteCount: byteCount)
        guard Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 else {
          return try addVectorBlock(block, bytes: UnsafeRawBufferPointer(start: base, count: byteCount))
        }
        vectorChunks[Int(block)] = RowChunk(
          borrowing: base.assumingMemoryBound(to: Float.self), capacity: graph.vectorBlockRows * graph.dimension)
      #else
        try addVectorBlock(block, bytes: UnsafeRawBufferPointer(start: base, count: byteCount))
      #endif
    }

    private func checkVectorBlock(_ block: UInt32, byteCount: Int) throws(VectorIndexError) {
      guard !expected.nodesHoldVectors else { throw .corruptRecord("vector block \(block) in a layout without blocks") }
      guard Int(block) < vectorChunks.count, vectorChunks[Int(block)] == nil else {
        throw .corruptRecord("vector block \(block): past the header's slots, or a duplicate")
      }
      let expectedBytes = 4 * graph.vectorBlockRows * graph.dimension
      guard byteCount == expectedBytes else {
        throw .corruptRecord("vector block \(block): \(byteCount) bytes, expected \(expectedBytes)")
      }
    }

    /// Marks `slot` live with its label and level (a tombstone without
    /// taking the label); false when it does not fit.
    private func placeNode(slot: UInt32, label: UInt32, level: Int, isTombstone: Bool) -> Bool {
      guard Int(slot) < graph.slotCount, !graph.isLive(slot), level <= expected.maxLevel,
        isTombstone || graph.labelToSlot[label] == nil
      else { return false }
      graph.writeNode(slot, label: label, level: level, isTombstone: isTombstone)
      return true
    }

    /// Adds the link list of `slot` on `level` from its encoded value; the
    /// node must have been added.
    /// - Throws: ``VectorIndexError``: `.corruptRecord` when the node of `slot` was not added, `level` is negative or
    ///   above the node's, or the list holds more links than a node of that level keeps, or `bytes` is not a multiple
    ///   of 4 long.
    /// - Complexity: O(M).
    public mutating func addLinkList<Bytes: Collection<UInt8>>(
      slot: UInt32, level: Int, bytes: Bytes
    ) throws(VectorIndexError) {
      let contiguous: Result<Void, VectorIndexError>? = bytes.withContiguousStorageIfAvailable { buffer in
        Result { () throws(VectorIndexError) in
          try addLinkList(slot: slot, level: level, bytes: UnsafeRawBufferPointer(buffer))
        }
      }
      if let contiguous {
        try contiguous.get()
      } else {
        try addLinkList(HNSWLinkListRecord(slot: slot, level: level, decoding: bytes))
      }
    }

    /// `addLinkList(slot:level:bytes:)` for lent bytes, non-generic (see `addNode`).
    /// - Throws: ``VectorIndexError``: `.corruptRecord` when the node of `slot` was not added, `level` is negative or
    ///   above the node's, or the list holds more links than a node of that level keeps, or `raw` is not a multiple of
    ///   4 long.
    package mutating func addLinkList(slot: UInt32, level: Int, bytes raw: UnsafeRawBufferPointer) throws(VectorIndexError) {
      let count = raw.count / 4
      guard raw.count % 4 == 0, graph.isLive(slot), level >= 0, level <= graph.level(slot),
        count <= graph.linkCapacity(level)
      else { throw .corruptRecord("link list \(slot)/\(level) of \(raw.count) bytes does not fit its node") }
      let list = graph.writableLinks(slot, level)
      list[0] = UInt32(count)
      for index in 0..<count {
        list[1 + index] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
      }
    }

    /// Adds a decoded link list; the node must have been added.
    /// - Throws: ``VectorIndexError``: `.corruptRecord` when the node of `slot` was not added, `level` is negative or
    ///   above the node's, or the list holds more links than a node of that level keeps.
    public mutating func addLinkList(_ record: HNSWLinkListRecord) throws(VectorIndexError) {
      guard graph.isLive(record.slot), record.level >= 0, record.level <= graph.level(record.slot),
        record.neighbours.count <= graph.linkCapacity(record.level)
      else { throw .corruptRecord("link list \(record.slot)/\(record.level) does not fit its node") }
      graph.setLinks(record.slot, record.level, record.neighbours)
    }

    /// Checks that the records form the index the header describes and
    /// returns it.
    /// - Throws: `VectorIndexError.corruptRecord` when a node or the vector
    ///   block of a node is missing, a link points at a free slot, or the
    ///   entry point does not match.
    /// - Complexity: O(n · M).
    public consuming func finish() throws(VectorIndexError) -> HNSWIndex {
      guard graph.count == Int(expected.count) else {
        throw .corruptRecord("header counts \(expected.count) nodes, records hold \(graph.count)")
      }
      if !expected.nodesHoldVectors { try installVectorChunks() }
      if graph.metric == .l2 {
        for slot in 0..<UInt32(graph.slotCount) where graph.isLive(slot) { graph.refreshSquaredNorm(slot) }
      }
      if let entry = expected.entryPoint {
        guard graph.isLive(entry), graph.level(entry) == expected.maxLevel else {
          throw .corruptRecord("entry point \(entry) is not a live node of level \(expected.maxLevel)")
        }
        graph.entryPoint = entry
        graph.maxLevel = expected.maxLevel
      } else if graph.count > 0 {
        throw .corruptRecord("nodes but no entry point")
      }
      var free: [UInt32] = []
      var tombstones: [UInt32] = []
      let lists = (0...graph.maxLevel).map { HNSWGraph.LevelLinks(graph, level: $0) }
      for index in stride(from: graph.slotCount - 1, through: 0, by: -1) {
        let slot = UInt32(index)
        guard graph.isLive(slot) else {
          free.append(slot)
          continue
        }
        if graph.isTombstone(slot) { tombstones.append(slot) }
        for level in 0...graph.level(slot) {
          let list = lists[level][slot]
          for index in 0..<Int(list[0]) {
            let neighbour = list[1 + index]
            guard graph.isLive(neighbour), graph.level(neighbour) >= level else {
              throw .corruptRecord("link \(slot)→\(neighbour) on level \(level) points at no node of that level")
            }
          }
        }
      }
      graph.freeSlots = free
      graph.tombstones = tombstones
      graph.recountInLinks()
      graph.changes.reset()
      return HNSWIndex(graph: graph)
    }

    /// Puts the blocks in place, zero-filled ones where no live slot needs one.
    private func installVectorChunks() throws(VectorIndexError) {
      let rows = graph.vectorBlockRows
      for (block, chunk) in vectorChunks.enumerated() {
        if let chunk {
          graph.appendVectorChunk(chunk)
          continue
        }
        let slots = (block * rows)..<min((block + 1) * rows, graph.slotCount)
        if let live = slots.first(where: { graph.isLive(UInt32($0)) }) {
          throw .corruptRecord("node \(live): its vector block \(block) is missing")
        }
        graph.appendVectorChunk(RowChunk(capacity: rows * graph.dimension, repeating: 0))
      }
      graph.reserveVectors()
    }
  }
}

extension HNSWIndex {
  /// The memory the vector blocks were lent from (`Loader.borrowVectorBlock`)
  /// was mapped again `offset` bytes away, holding the same bytes: read them
  /// there from now on. The old addresses are not read. A new version;
  /// others keep the old addresses.
  /// - Complexity: O(slots / rows), no vector copied.
  @unsafe package mutating func rebaseBorrowedVectorBlocks(by offset: Int) {
    makeUnique()
    graph.rebaseBorrowedVectors(by: offset)
  }
}

/// What the store holds now for one slot another writer touched: its node
/// (nil when the slot is free), with its vector in a layout that keeps
/// vectors in node records, and the node's link lists.
public struct HNSWStoredSlot: Sendable {
  public var slot: UInt32
  public var node: (record: HNSWNodeRecord, vector: [Float]?)?
  public var linkLists: [HNSWLinkListRecord]

  public init(slot: UInt32, node: (record: HNSWNodeRecord, vector: [Float]?)?, linkLists: [HNSWLinkListRecord]) {
    self.slot = slot
    self.node = node
    self.linkLists = linkLists
  }
}

extension HNSWIndex {
  /// Catches up with records another writer stored, without reloading:
  /// every slot it touched (node written or freed, link list written) as
  /// the store holds it now, every vector block holding a node it wrote
  /// (layout 3; whole, because the version this index read of a rewritten
  /// block may be gone from the store), and the header it wrote last.
  /// Shares all other memory with the previous version (copy-on-write per
  /// chunk).
  /// - Throws: `VectorIndexError.corruptRecord` when the records do not fit
  ///   this index (another shape, fewer slots, a node or link out of range,
  ///   a written node without its vector), leaving it unchanged; the caller
  ///   then reloads the whole graph.
  /// - Complexity: O(touched slots · M + touched blocks · rows · d).
  public mutating func applyStored(
    header: HNSWHeader, slots: [HNSWStoredSlot], vectorBlocks: [HNSWVectorBlockRecord]
  ) throws(VectorIndexError) {
    guard header.dimension == dimension, header.metric == metric, header.m == m,
      Int(header.slotCount) >= graph.slotCount, header.maxLevel <= HNSWGraph.levelLimit
    else { throw .corruptRecord("the stored header does not continue this index") }
    let rows = graph.vectorBlockRows
    let blocks = Set(vectorBlocks.map(\.block))
    for block in vectorBlocks where block.vectors.count != rows * dimension || Int(block.block) * rows >= Int(header.slotCount) {
      throw .corruptRecord("vector block \(block.block) does not fit the index")
    }
    for stored in slots {
      guard stored.slot < header.slotCount else { throw .corruptRecord("slot \(stored.slot) past the header's count") }
      if let (node, vector) = stored.node {
        guard vector?.count ?? dimension == dimension, vector != nil || blocks.contains(stored.slot / UInt32(rows)),
          node.level <= HNSWGraph.levelLimit
        else {
          throw .corruptRecord("node \(stored.slot) does not fit the index")
        }
        for list in stored.linkLists where list.level > node.level || list.neighbours.count > graph.linkCapacity(list.level) {
          throw .corruptRecord("link list \(list.slot)/\(list.level) does not fit its node")
        }
      }
    }
    // Built on a copy, so a throw leaves this index as it was.
    var next = self
    next.makeUnique()
    let graph = next.graph
    let touched = Set(slots.map(\.slot))
    let oldSlotCount = graph.slotCount
    graph.reserve(Int(header.slotCount))
    graph.slotCount = Int(header.slotCount)
    for index in oldSlotCount..<graph.slotCount where !touched.contains(UInt32(index)) {
      graph.insertFreeSlot(UInt32(index))
    }
    // Free first, then write: a label may have moved between two touched slots.
    for stored in slots where graph.isLive(stored.slot) { graph.releaseSlot(stored.slot) }
    for stored in slots where Int(stored.slot) >= oldSlotCount && stored.node == nil {
      graph.insertFreeSlot(stored.slot)
    }
    for block in vectorBlocks {
      block.vectors.withUnsafeBufferPointer { graph.replaceVectorBlock(block.block, with: $0) }
    }
    for stored in slots {
      guard let (node, vector) = stored.node else { continue }
      graph.removeFreeSlot(stored.slot)
      guard node.isTombstone || graph.labelToSlot[node.label] == nil else {
        throw .corruptRecord("node \(stored.slot): label \(node.label) is already placed")
      }
      graph.writeNode(stored.slot, label: node.label, level: node.level, isTombstone: node.isTombstone)
      if node.isTombstone { graph.insertSorted(stored.slot, into: &graph.tombstones) }
      if let vector {
        vector.withUnsafeBufferPointer { graph.writableVector(stored.slot).update(from: $0.baseAddress!, count: dimension) }
      }
      graph.refreshSquaredNorm(stored.slot)
      for list in stored.linkLists { graph.setLinks(stored.slot, list.level, list.neighbours) }
    }
    if let entry = header.entryPoint {
      guard graph.isLive(entry), graph.level(entry) == header.maxLevel else {
        throw .corruptRecord("entry point \(entry) is not a live node of level \(header.maxLevel)")
      }
      graph.entryPoint = entry
    } else {
      graph.entryPoint = HNSWGraph.noSlot
    }
    graph.maxLevel = header.maxLevel
    graph.rng = SplitMix64(seed: header.randomState)
    graph.changes.reset()
    guard graph.count == Int(header.count) else {
      throw .corruptRecord("header counts \(header.count) nodes, the index holds \(graph.count)")
    }
    self = next
  }
}

extension HNSWGraph {
  /// Takes `slot` off the free list, if it is there.
  func removeFreeSlot(_ slot: UInt32) {
    let position = freeSlotPosition(slot)
    if position < freeSlots.count && freeSlots[position] == slot { freeSlots.remove(at: position) }
  }
}

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

  /// Every record of the index, as a full write would store it: the header,
  /// the nodes in slot order, the link lists in (slot, level) order.
  /// - Complexity: O(n · (d + M)).
  public func allRecords() -> (header: HNSWHeader, nodes: [HNSWNodeRecord], linkLists: [HNSWLinkListRecord]) {
    let slots = liveSlots
    let nodes = slots.map { graph.nodeRecord($0) }
    var lists: [HNSWLinkListRecord] = []
    for slot in slots {
      for level in 0...graph.level(slot) {
        lists.append(HNSWLinkListRecord(slot: slot, level: level, neighbours: graph.neighbours(slot, level)))
      }
    }
    return (graph.header, nodes, lists)
  }

  /// Rebuilds an index from its persisted records in one sequential pass, with
  /// no graph construction: feed the header, every node record, then every
  /// link-list record (slot order is fastest but not required), then call
  /// `finish()`, which checks that the records fit together.
  ///
  /// ```swift
  /// var loader = try HNSWIndex.Loader(header: HNSWHeader(decoding: headerBytes))
  /// for (key, value) in vectorsCursor { try loader.addNode(slot: HNSWNodeRecord.slot(fromKey: key), bytes: value) }
  /// for (key, value) in linksCursor {
  ///   let (slot, level) = try HNSWLinkListRecord.slotAndLevel(fromKey: key)
  ///   try loader.addLinkList(slot: slot, level: level, bytes: value)
  /// }
  /// let index = try loader.finish()
  /// ```
  /// The byte overloads copy straight from the given bytes (an
  /// `UnsafeRawBufferPointer` over a memory-mapped value is read in place).
  public struct Loader {
    private let graph: HNSWGraph
    private let expected: HNSWHeader

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
      graph.reserve(Int(header.slotCount))
      graph.slotCount = Int(header.slotCount)
      expected = header
    }

    /// Adds the node stored in `slot` from its encoded value.
    /// - Throws: ``VectorIndexError`` `.corruptRecord` when `bytes` is not 5 + 4·d long, or the slot is out of range or
    ///   already filled, the level is above the header's, or the label is already placed.
    /// - Complexity: O(d).
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
    /// - Throws: ``VectorIndexError`` `.corruptRecord` when `raw` is not 5 + 4·d long, or the slot is out of range or
    ///   already filled, the level is above the header's, or the label is already placed.
    package mutating func addNode(slot: UInt32, bytes raw: UnsafeRawBufferPointer) throws(VectorIndexError) {
      let dimension = graph.dimension
      guard raw.count == 5 + 4 * dimension else {
        throw .corruptRecord("node \(slot): \(raw.count) bytes, expected \(5 + 4 * dimension)")
      }
      let label = UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self))
      let isTombstone = raw[4] & HNSWNodeRecord.tombstoneBit != 0
      guard placeNode(slot: slot, label: label, level: Int(raw[4] & ~HNSWNodeRecord.tombstoneBit), isTombstone: isTombstone)
      else {
        throw .corruptRecord("node \(slot): slot out of range, duplicate, or level too high")
      }
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
      graph.refreshSquaredNorm(slot)
    }

    /// Adds a decoded node record.
    /// - Throws: ``VectorIndexError``: `.dimensionMismatch` when `record.vector` is not of the header's dimension (the
    ///   byte overloads say `.corruptRecord`), `.corruptRecord` when the slot is out of range or already filled, the
    ///   level is above the header's, or the label is already placed.
    public mutating func addNode(_ record: HNSWNodeRecord) throws(VectorIndexError) {
      guard record.vector.count == graph.dimension else {
        throw .dimensionMismatch(expected: graph.dimension, actual: record.vector.count)
      }
      guard placeNode(slot: record.slot, label: record.label, level: record.level, isTombstone: record.isTombstone) else {
        throw .corruptRecord("node \(record.slot): slot out of range, duplicate, or level too high")
      }
      record.vector.withUnsafeBufferPointer { graph.writableVector(record.slot).update(from: $0.baseAddress!, count: graph.dimension) }
      graph.refreshSquaredNorm(record.slot)
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
    /// - Throws: `VectorIndexError.corruptRecord` when a node is missing, a
    ///   link points at a free slot, or the entry point does not match.
    /// - Complexity: O(n · M).
    public consuming func finish() throws(VectorIndexError) -> HNSWIndex {
      guard graph.count == Int(expected.count) else {
        throw .corruptRecord("header counts \(expected.count) nodes, records hold \(graph.count)")
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
  }
}

/// What the store holds now for one slot another writer touched: its node
/// (nil when the slot is free) and the node's link lists.
public struct HNSWStoredSlot: Sendable {
  public var slot: UInt32
  public var node: HNSWNodeRecord?
  public var linkLists: [HNSWLinkListRecord]

  public init(slot: UInt32, node: HNSWNodeRecord?, linkLists: [HNSWLinkListRecord]) {
    self.slot = slot
    self.node = node
    self.linkLists = linkLists
  }
}

extension HNSWIndex {
  /// Catches up with records another writer stored, without reloading:
  /// every slot it touched (node written or freed, link list written) as
  /// the store holds it now, and the header it wrote last. Shares all other
  /// memory with the previous version (copy-on-write per chunk).
  /// - Throws: `VectorIndexError.corruptRecord` when the records do not fit
  ///   this index (another shape, fewer slots, a node or link out of range),
  ///   leaving it unchanged; the caller then reloads the whole graph.
  /// - Complexity: O(touched slots · (d + M)).
  public mutating func applyStored(header: HNSWHeader, slots: [HNSWStoredSlot]) throws(VectorIndexError) {
    guard header.dimension == dimension, header.metric == metric, header.m == m,
      Int(header.slotCount) >= graph.slotCount, header.maxLevel <= HNSWGraph.levelLimit
    else { throw .corruptRecord("the stored header does not continue this index") }
    for stored in slots {
      guard stored.slot < header.slotCount else { throw .corruptRecord("slot \(stored.slot) past the header's count") }
      if let node = stored.node {
        guard node.vector.count == dimension, node.level <= HNSWGraph.levelLimit else {
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
    for stored in slots {
      guard let node = stored.node else { continue }
      graph.removeFreeSlot(stored.slot)
      guard node.isTombstone || graph.labelToSlot[node.label] == nil else {
        throw .corruptRecord("node \(stored.slot): label \(node.label) is already placed")
      }
      graph.writeNode(stored.slot, label: node.label, level: node.level, isTombstone: node.isTombstone)
      if node.isTombstone { graph.insertSorted(stored.slot, into: &graph.tombstones) }
      node.vector.withUnsafeBufferPointer { graph.writableVector(stored.slot).update(from: $0.baseAddress!, count: dimension) }
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

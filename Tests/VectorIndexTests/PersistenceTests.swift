import Testing

@testable import VectorIndex

/// A stand-in for TraceKV's two LMDB sub-databases and its meta record,
/// applying change sets exactly as HNSWChangeSet documents.
struct RecordStore {
  var header: [UInt8] = []
  var nodes: [[UInt8]: [UInt8]] = [:]
  var vectorBlocks: [UInt32: [UInt8]] = [:]
  var links: [[UInt8]: [UInt8]] = [:]

  mutating func apply(_ changes: HNSWChangeSet) {
    for slot in changes.freedSlots {
      nodes[HNSWNodeRecord.key(slot: slot)] = nil
      let prefix = HNSWNodeRecord.key(slot: slot)
      for key in links.keys where key.starts(with: prefix) { links[key] = nil }
    }
    for node in changes.nodes { nodes[node.key] = node.encoded() }
    for block in changes.vectorBlocks { vectorBlocks[block.block] = block.encoded() }
    for list in changes.linkLists { links[list.key] = list.encoded() }
    header = changes.header.encoded()
  }

  /// Opens the index the way TraceKV does: header, then one pass over each
  /// sub-database in key order.
  func open() throws -> HNSWIndex {
    var loader = try HNSWIndex.Loader(header: HNSWHeader(decoding: header))
    for key in nodes.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
      try loader.addNode(slot: HNSWNodeRecord.slot(fromKey: key), bytes: nodes[key]!)
    }
    for (block, bytes) in vectorBlocks.sorted(by: { $0.key < $1.key }) { try loader.addVectorBlock(block, bytes: bytes) }
    for key in links.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
      let (slot, level) = try HNSWLinkListRecord.slotAndLevel(fromKey: key)
      try loader.addLinkList(slot: slot, level: level, bytes: links[key]!)
    }
    return try loader.finish()
  }
}

@Suite("Persistence: change sets, encodings and restore")
struct PersistenceTests {
  @Test("replaying change sets then reopening gives the same index, results and future", arguments: [VectorMetric.cosine, .l2])
  func changeSetsRoundTrip(metric: VectorMetric) throws {
    let data = Fixtures.clustered(count: 900, dimension: 16, clusters: 8, spread: 0.2, seed: 21)
    let queries = Fixtures.uniform(count: 30, dimension: 16, seed: 22)
    var index = try HNSWIndex(dimension: 16, metric: metric, m: 8, efConstruction: 60, seed: 3)
    var store = RecordStore()
    for (label, vector) in data[..<800].enumerated() { store.apply(try index.insert(vector, label: UInt32(label))) }
    store.apply(try index.delete(labels: stride(from: 0, to: 800, by: 7).map(UInt32.init)))
    store.apply(try index.delete(label: 801 - 800))
    store.apply(try index.update(data[850], label: 2))
    for (offset, vector) in data[800..<840].enumerated() { store.apply(try index.insert(vector, label: UInt32(5000 + offset))) }

    let reopened = try store.open()
    #expect(reopened.checkIntegrity() == [])
    let live = index.allRecords()
    let restored = reopened.allRecords()
    #expect(restored.header == live.header)
    #expect(restored.nodes == live.nodes)
    #expect(restored.vectorBlocks == live.vectorBlocks)
    #expect(restored.linkLists == live.linkLists)
    for query in queries {
      #expect(try reopened.search(query, k: 10, ef: 40) == index.search(query, k: 10, ef: 40))
    }
    // Same random state and same free-slot choice: the next mutations agree.
    var continued = reopened
    for (offset, vector) in data[840...].enumerated() {
      let label = UInt32(9000 + offset)
      #expect(try continued.insert(vector, label: label) == index.insert(vector, label: label))
    }
  }

  @Test("merged change sets (formUnion) persist the same as applying them one by one")
  func mergedChangeSets() throws {
    let data = Fixtures.uniform(count: 300, dimension: 8, seed: 25)
    var index = try HNSWIndex(dimension: 8, metric: .l2, m: 6, efConstruction: 40)
    var oneByOne = RecordStore()
    var merged = RecordStore()
    for (label, vector) in data[..<200].enumerated() {
      let changes = try index.insert(vector, label: UInt32(label))
      oneByOne.apply(changes)
      merged.apply(changes)
    }
    // One "transaction" holding deletes, an update and inserts that reuse slots.
    var batch = try index.delete(labels: [3, 50, 51, 199])
    oneByOne.apply(batch)
    for (offset, vector) in data[200..<210].enumerated() {
      let changes = try index.insert(vector, label: UInt32(1000 + offset))
      oneByOne.apply(changes)
      batch.formUnion(changes)
    }
    let update = try index.update(data[250], label: 7)
    oneByOne.apply(update)
    batch.formUnion(update)
    merged.apply(batch)
    #expect(merged.nodes == oneByOne.nodes)
    #expect(merged.links == oneByOne.links)
    #expect(merged.header == oneByOne.header)
    #expect(try merged.open().allRecords().linkLists == index.allRecords().linkLists)
  }

  @Test("the loader accepts link lists in any order after the nodes")
  func loaderOrder() throws {
    let index = try Fixtures.hnsw(Fixtures.uniform(count: 200, dimension: 6, seed: 26), metric: .cosine)
    let dump = index.allRecords()
    var loader = try HNSWIndex.Loader(header: dump.header)
    for node in dump.nodes.reversed() { try loader.addNode(node) }
    for block in dump.vectorBlocks.reversed() { try loader.addVectorBlock(block.block, bytes: block.encoded()) }
    for list in dump.linkLists.reversed() { try loader.addLinkList(list) }
    #expect(try loader.finish().allRecords().linkLists == dump.linkLists)
  }

  @Test("a full dump (allRecords) encodes and restores")
  func fullDumpRoundTrip() throws {
    let data = Fixtures.uniform(count: 400, dimension: 10, seed: 23)
    let index = try Fixtures.hnsw(data, metric: .innerProduct)
    let dump = index.allRecords()
    var loader = try HNSWIndex.Loader(header: HNSWHeader(decoding: dump.header.encoded()))
    for node in dump.nodes {
      let decoded = try HNSWNodeRecord.decode(slot: node.slot, node.encoded(), under: dump.header)
      #expect(decoded.node == node && decoded.vector == nil)
      try loader.addNode(decoded.node)
    }
    #expect(dump.vectorBlocks.count == 2)  // 400 slots, 256 rows of 10 floats a block
    for block in dump.vectorBlocks {
      let decoded = try HNSWVectorBlockRecord(block: block.block, decoding: block.encoded(), header: dump.header)
      #expect(decoded == block)
      try loader.addVectorBlock(block.block, bytes: block.encoded())
    }
    for list in dump.linkLists { try loader.addLinkList(slot: list.slot, level: list.level, bytes: list.encoded()) }
    let restored = try loader.finish()
    for query in Fixtures.uniform(count: 20, dimension: 10, seed: 24) {
      #expect(try restored.search(query, k: 5) == index.search(query, k: 5))
    }
  }

  @Test("encodings have the documented sizes and key order")
  func layout() throws {
    let node = HNSWNodeRecord(slot: 258, label: 7, level: 2, isTombstone: true)
    #expect(node.key == [0, 0, 1, 2])
    #expect(node.encoded() == [7, 0, 0, 0, 0x82])
    let block = HNSWVectorBlockRecord(block: 258, vectors: [1, -2, 0.5])
    #expect(block.key == [0, 0, 1, 2])
    #expect(block.encoded() == [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0, 0, 0, 0, 0x3F])
    #expect(try HNSWVectorBlockRecord.vector(ofRow: 1, in: block.encoded(), dimension: 1) == [-2])
    // Rows per block: the most (a power of two, at most 256) within 64 KiB.
    #expect([1, 50, 64, 65, 384, 1536, 16384, 20000].map(HNSWGraph.vectorShift(dimension:)).map { 1 << $0 }
      == [256, 256, 256, 128, 32, 8, 1, 1])
    let list = HNSWLinkListRecord(slot: 258, level: 1, neighbours: [1, 2, 3])
    #expect(list.key == [0, 0, 1, 2, 1])
    #expect(list.encoded().count == 12)
    #expect(try HNSWLinkListRecord.slotAndLevel(fromKey: list.key) == (258, 1))
    let header = HNSWHeader(
      dimension: 50, metric: .cosine, m: 16, efConstruction: 200, seed: 1, slotCount: 9, count: 8, entryPoint: 4,
      maxLevel: 3, randomState: 77)
    #expect(header.encoded().count == HNSWHeader.encodedCount)
    #expect(try HNSWHeader(decoding: header.encoded()) == header)
  }

  @Test("corrupt records are refused")
  func corruptRecords() throws {
    var badMagic = HNSWHeader(
      dimension: 2, metric: .l2, m: 4, efConstruction: 8, seed: 1, slotCount: 1, count: 1, entryPoint: 0,
      maxLevel: 0, randomState: 1
    ).encoded()
    badMagic[0] = 0
    #expect(throws: VectorIndexError.self) { try HNSWHeader(decoding: badMagic) }
    #expect(throws: VectorIndexError.self) { try HNSWHeader(decoding: [UInt8](repeating: 0, count: 10)) }

    var index = try HNSWIndex(dimension: 2, metric: .l2, m: 4, efConstruction: 8)
    try index.insert([1, 0], label: 1)
    try index.insert([0, 1], label: 2)
    let dump = index.allRecords()
    var loader = try HNSWIndex.Loader(header: dump.header)
    #expect(throws: VectorIndexError.self) { try loader.addNode(slot: 0, bytes: [1, 2, 3]) }
    try loader.addNode(dump.nodes[0])
    // A node missing from the records is caught at finish.
    #expect(throws: VectorIndexError.self) { try loader.finish() }

    var dangling = try HNSWIndex.Loader(header: dump.header)
    for node in dump.nodes { try dangling.addNode(node) }
    try dangling.addLinkList(HNSWLinkListRecord(slot: 0, level: 0, neighbours: [1]))
    #expect(throws: VectorIndexError.self) {
      try dangling.addLinkList(HNSWLinkListRecord(slot: 0, level: 3, neighbours: [1]))
    }
  }

  /// The records of `index` as a layout-2 store held them: the header says
  /// version 2 and each node record carries its vector.
  private func layout2Records(of index: HNSWIndex) -> (header: [UInt8], nodes: [(UInt32, [UInt8])]) {
    var header = index.header.encoded()
    header[4] = 2
    let dump = index.allRecords()
    let nodes = dump.nodes.map { node in
      let row = Int(node.slot) % index.vectorBlockRows
      let block = dump.vectorBlocks[Int(node.slot) / index.vectorBlockRows]
      let vector = block.vectors[(row * index.dimension)..<((row + 1) * index.dimension)]
      return (node.slot, node.encoded() + HNSWVectorBlockRecord(block: 0, vectors: Array(vector)).encoded())
    }
    return (header, nodes)
  }

  @Test("records of layout 2 (vectors in node records) load, and the index goes on like the original")
  func layout2Loads() throws {
    let data = Fixtures.uniform(count: 330, dimension: 12, seed: 31)
    var index = try Fixtures.hnsw(Array(data[..<300]), metric: .l2)
    _ = try index.delete(label: 17)
    let (header, nodes) = layout2Records(of: index)
    var loader = try HNSWIndex.Loader(header: HNSWHeader(decoding: header))
    for (slot, bytes) in nodes { try loader.addNode(slot: slot, bytes: bytes) }
    // A layout-3 node (no vector) or a block does not fit a layout-2 load.
    #expect(throws: VectorIndexError.self) { try loader.addNode(slot: 0, bytes: [0, 0, 0, 0, 0]) }
    #expect(throws: VectorIndexError.self) { try loader.addVectorBlock(0, bytes: [UInt8](repeating: 0, count: 4 * 256 * 12)) }
    for list in index.allRecords().linkLists { try loader.addLinkList(list) }
    var reopened = try loader.finish()
    #expect(reopened.checkIntegrity() == [])
    #expect(reopened.allRecords().vectorBlocks == index.allRecords().vectorBlocks)
    for (offset, vector) in data[300...].enumerated() {
      #expect(try reopened.insert(vector, label: UInt32(1000 + offset)) == index.insert(vector, label: UInt32(1000 + offset)))
    }
    for query in data.prefix(10) { #expect(try reopened.search(query, k: 5) == index.search(query, k: 5)) }
  }

  @Test("blocks lent in place are read there and never written: a write copies its block first")
  func borrowedBlocks() throws {
    let data = Fixtures.uniform(count: 600, dimension: 384, seed: 32)
    var index = try Fixtures.hnsw(Array(data[..<100]), metric: .cosine)
    let dump = index.allRecords()
    #expect(index.vectorBlockRows == 32 && dump.vectorBlocks.count == 4)
    // The lent memory: each block's bytes, as a store's map would hold them.
    let lent = dump.vectorBlocks.map { $0.encoded() }
    let buffers = lent.map { bytes in
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
      buffer.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: bytes.count))
      return buffer
    }
    defer { for buffer in buffers { buffer.deallocate() } }
    var loader = try HNSWIndex.Loader(header: dump.header)
    for node in dump.nodes { try loader.addNode(node) }
    for (block, buffer) in buffers.enumerated() {
      try unsafe loader.borrowVectorBlock(UInt32(block), at: UnsafeRawPointer(buffer.baseAddress!), byteCount: buffer.count)
    }
    // A block lent twice is refused.
    #expect(throws: VectorIndexError.self) {
      try unsafe loader.borrowVectorBlock(0, at: UnsafeRawPointer(buffers[0].baseAddress!), byteCount: buffers[0].count)
    }
    for list in dump.linkLists { try loader.addLinkList(list) }
    var reopened = try loader.finish()
    #expect(reopened.memoryBytes < index.memoryBytes - 4 * 32 * 384 * 4 + 1)
    for query in data[500...].prefix(20) { #expect(try reopened.search(query, k: 10) == index.search(query, k: 10)) }
    // Writes into every block (updates) and past them (inserts): the lent bytes stay as they were.
    for label in stride(from: UInt32(0), to: 100, by: 9) {
      #expect(try reopened.update(data[Int(label) + 100], label: label) == index.update(data[Int(label) + 100], label: label))
    }
    for (offset, vector) in data[200..<300].enumerated() {
      #expect(try reopened.insert(vector, label: UInt32(500 + offset)) == index.insert(vector, label: UInt32(500 + offset)))
    }
    for (buffer, bytes) in zip(buffers, lent) { #expect(Array(UnsafeRawBufferPointer(buffer)) == bytes) }
    for query in data[500...].prefix(20) { #expect(try reopened.search(query, k: 10) == index.search(query, k: 10)) }
  }
}

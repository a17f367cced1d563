import Testing

@testable import VectorIndex

/// A stand-in for TraceKV's two LMDB sub-databases and its meta record,
/// applying change sets exactly as HNSWChangeSet documents.
struct RecordStore {
  var header: [UInt8] = []
  var nodes: [[UInt8]: [UInt8]] = [:]
  var links: [[UInt8]: [UInt8]] = [:]

  mutating func apply(_ changes: HNSWChangeSet) {
    for slot in changes.freedSlots {
      nodes[HNSWNodeRecord.key(slot: slot)] = nil
      let prefix = HNSWNodeRecord.key(slot: slot)
      for key in links.keys where key.starts(with: prefix) { links[key] = nil }
    }
    for node in changes.nodes { nodes[node.key] = node.encoded() }
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
      let decoded = try HNSWNodeRecord(slot: node.slot, decoding: node.encoded(), dimension: 10)
      #expect(decoded == node)
      try loader.addNode(decoded)
    }
    for list in dump.linkLists { try loader.addLinkList(slot: list.slot, level: list.level, bytes: list.encoded()) }
    let restored = try loader.finish()
    for query in Fixtures.uniform(count: 20, dimension: 10, seed: 24) {
      #expect(try restored.search(query, k: 5) == index.search(query, k: 5))
    }
  }

  @Test("encodings have the documented sizes and key order")
  func layout() throws {
    let node = HNSWNodeRecord(slot: 258, label: 7, level: 2, vector: [1, -2, 0.5])
    #expect(node.key == [0, 0, 1, 2])
    #expect(node.encoded().count == 5 + 4 * 3)
    #expect(node.encoded().prefix(5) == [7, 0, 0, 0, 2])
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
}

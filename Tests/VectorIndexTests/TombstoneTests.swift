import Testing

@testable import VectorIndex

/// Deletes leave tombstones (hnswlib's markDelete): no link changes, no scan
/// of the graph; inserts take them back; a purge clears them when they
/// outnumber the searchable nodes.
@Suite("HNSW tombstones")
struct TombstoneTests {
  @Test("a delete writes one node record (its tombstone) and no link list, at any size")
  func deleteTouchesOneRecord() throws {
    for count in [50, 2_000] {
      let data = Fixtures.uniform(count: count, dimension: 8, seed: 21)
      var index = try Fixtures.hnsw(data, metric: .l2)
      let slot = try #require(index.slot(of: 7))
      let changes = try index.delete(label: 7)
      #expect(changes.nodes.map(\.slot) == [slot])
      #expect(changes.nodes.first?.isTombstone == true)
      #expect(changes.linkLists.isEmpty)
      #expect(changes.freedSlots.isEmpty)
      #expect(!index.contains(label: 7))
      #expect(index.count == count - 1)
      #expect(index.checkIntegrity() == [])
    }
  }

  @Test("tombstones are never returned, and k = count returns every searchable label")
  func tombstonesAreNotResults() throws {
    let data = Fixtures.clustered(count: 400, dimension: 12, clusters: 6, spread: 0.1, seed: 22)
    var index = try Fixtures.hnsw(data, metric: .cosine)
    let doomed = Set(stride(from: 0, to: 400, by: 4).map(UInt32.init))  // 100 of 400: no purge
    try index.delete(labels: doomed.sorted())
    #expect(index.count == 300)
    #expect(index.checkIntegrity() == [])
    for query in data.prefix(20) {
      let hits = try index.search(query, k: 300, ef: 400)
      #expect(hits.count == 300)
      #expect(Set(hits.map(\.label)).isDisjoint(with: doomed))
      // The same under a filter that allows the deleted labels too.
      let filtered = try index.search(query, k: 10, ef: 64, where: { $0 % 2 == 0 })
      #expect(filtered.count == 10 && filtered.allSatisfy { !doomed.contains($0.label) && $0.label % 2 == 0 })
    }
  }

  @Test("an insert takes the lowest tombstone's slot; the deleted label can come back elsewhere")
  func insertReusesTombstones() throws {
    let data = Fixtures.uniform(count: 300, dimension: 10, seed: 23)
    var index = try Fixtures.hnsw(Array(data[..<200]), metric: .l2)
    let slotsBefore = index.header.slotCount
    let slotOf40 = try #require(index.slot(of: 40))
    let slotOf9 = try #require(index.slot(of: 9))
    try index.delete(label: 40)
    try index.delete(label: 9)
    let changes = try index.insert(data[200], label: 9)  // the old label, a new vector
    #expect(index.slot(of: 9) == min(slotOf9, slotOf40))
    #expect(changes.nodes.map(\.slot).contains(min(slotOf9, slotOf40)))
    #expect(changes.freedSlots.isEmpty)
    try index.insert(data[201], label: 500)
    #expect(index.slot(of: 500) == max(slotOf9, slotOf40))
    #expect(index.header.slotCount == slotsBefore)
    #expect(try index.search(data[200], k: 1).first?.label == 9)
    #expect(try index.search(data[201], k: 1).first?.label == 500)
    #expect(index.checkIntegrity() == [])
  }

  @Test("update keeps the label's slot (its own tombstone) and moves it to the new vector")
  func updateReusesItsSlot() throws {
    let data = Fixtures.uniform(count: 160, dimension: 6, seed: 24)
    var index = try Fixtures.hnsw(Array(data[..<150]), metric: .l2)
    for label in UInt32(0)..<10 {
      let slot = index.slot(of: label)
      try index.update(data[150 + Int(label)], label: label)
      #expect(index.slot(of: label) == slot)
      #expect(try index.search(data[150 + Int(label)], k: 1).first?.label == label)
    }
    #expect(index.count == 150)
    #expect(index.checkIntegrity() == [])
  }

  @Test("when tombstones outnumber the searchable nodes they are purged: slots freed, lists repaired")
  func purge() throws {
    let data = Fixtures.clustered(count: 300, dimension: 8, clusters: 5, spread: 0.2, seed: 25)
    var index = try Fixtures.hnsw(data, metric: .cosine)
    // 150 deletes leave 150 tombstones beside 150 nodes: not yet.
    var changes = try index.delete(labels: (0..<150).map(UInt32.init))
    #expect(changes.freedSlots.isEmpty)
    #expect(index.liveSlots.count == 300)
    // One more tips it: all 151 go.
    changes = try index.delete(label: 150)
    #expect(changes.freedSlots.count == 151)
    #expect(!changes.linkLists.isEmpty)
    #expect(index.liveSlots.count == 149)
    #expect(index.count == 149)
    #expect(index.checkIntegrity() == [])
    let hits = try index.search(data[299], k: 149, ef: 200)
    #expect(Set(hits.map(\.label)) == Set((151..<300).map(UInt32.init)))
  }

  @Test("tombstones persist: records carry the mark, a reopened index has them and reuses them alike")
  func persistence() throws {
    let data = Fixtures.uniform(count: 260, dimension: 8, seed: 26)
    var index = try HNSWIndex(dimension: 8, metric: .l2, m: 6, efConstruction: 40, seed: 3)
    var store = RecordStore()
    for (label, vector) in data[..<240].enumerated() { store.apply(try index.insert(vector, label: UInt32(label))) }
    for label in [UInt32(5), 77, 130] { store.apply(try index.delete(label: label)) }
    store.apply(try index.update(data[240], label: 6))

    let node = try #require(index.liveSlots.compactMap { index.nodeRecord(slot: $0) }.first { $0.isTombstone })
    #expect(index.slot(of: node.label) != node.slot)
    let decoded = try HNSWNodeRecord.decode(slot: node.slot, node.encoded(), under: index.header)
    #expect(decoded.node == node)

    var reopened = try store.open()
    #expect(reopened.checkIntegrity() == [])
    #expect(reopened.count == index.count)
    #expect(reopened.allRecords().nodes == index.allRecords().nodes)
    // Both go on the same way: the same slots taken, the same answers.
    for (offset, vector) in data[241...].enumerated() {
      let label = UInt32(1000 + offset)
      try index.insert(vector, label: label)
      try reopened.insert(vector, label: label)
      #expect(reopened.slot(of: label) == index.slot(of: label))
    }
    for query in data.prefix(10) { #expect(try reopened.search(query, k: 5) == index.search(query, k: 5)) }
  }

  @Test("headers of layouts 1 and 2 (vectors in node records) still decode; version 4 does not")
  func olderHeaders() throws {
    let index = try Fixtures.hnsw(Fixtures.uniform(count: 20, dimension: 4, seed: 27), metric: .l2)
    var bytes = index.header.encoded()
    #expect(bytes[4] == 3 && bytes[5] == 0)
    #expect(try !HNSWHeader(decoding: bytes).nodesHoldVectors)
    for version: UInt8 in [1, 2] {
      bytes[4] = version
      var decoded = try HNSWHeader(decoding: bytes)
      #expect(decoded.layoutVersion == UInt16(version) && decoded.nodesHoldVectors)
      decoded.layoutVersion = HNSWHeader.formatVersion
      #expect(decoded == index.header)
    }
    bytes[4] = 4
    #expect(throws: VectorIndexError.self) { try HNSWHeader(decoding: bytes) }
  }

  @Test("tombstones among exact duplicates: every searchable copy stays reachable, through reuse and purge")
  func duplicates() throws {
    let base = Fixtures.uniform(count: 20, dimension: 8, seed: 28)
    let data = (0..<400).map { base[$0 % 20] }  // 20 copies of each vector
    var index = try Fixtures.hnsw(data, metric: .cosine, m: 6, efConstruction: 40)
    try index.delete(labels: stride(from: 0, to: 400, by: 3).map(UInt32.init))
    #expect(index.checkIntegrity() == [])
    for offset in 0..<60 { try index.insert(base[offset % 20], label: UInt32(1000 + offset)) }
    #expect(index.checkIntegrity() == [])
    #expect(try index.search(base[0], k: 100, ef: 200).count == 100)
    try index.delete(labels: (0..<400).map(UInt32.init).filter { $0 % 3 != 0 })
    #expect(index.checkIntegrity() == [])
    #expect(index.count == 60)
    #expect(try index.search(base[1], k: 60, ef: 100).count == 60)
  }
}

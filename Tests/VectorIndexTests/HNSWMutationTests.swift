import Testing

@testable import VectorIndex

@Suite("HNSW inserts, deletes and updates")
struct HNSWMutationTests {
  @Test("integrity holds after inserts and after deletes; deleted labels vanish at once")
  func deletesKeepIntegrityAndRecall() throws {
    let data = Fixtures.clustered(count: 1500, dimension: 24, clusters: 10, spread: 0.2, seed: 11)
    let queries = Fixtures.uniform(count: 60, dimension: 24, seed: 12)
    var index = try Fixtures.hnsw(data, metric: .cosine)
    #expect(index.checkIntegrity() == [])

    // Delete every third label, one at a time and in a batch.
    let doomed = stride(from: 0, to: 1500, by: 3).map(UInt32.init)
    for label in doomed.prefix(50) { try index.delete(label: label) }
    try index.delete(labels: doomed.dropFirst(50))
    #expect(index.count == 1500 - doomed.count)
    #expect(index.checkIntegrity() == [])

    let gone = Set(doomed)
    var flat = try FlatIndex(dimension: 24, metric: .cosine)
    for (label, vector) in data.enumerated() where !gone.contains(UInt32(label)) { try flat.add(vector, label: UInt32(label)) }
    for query in queries {
      #expect(try index.search(query, k: 10, ef: 80).allSatisfy { !gone.contains($0.label) })
    }
    let recall = try Fixtures.recall(
      queries, k: 10, approximate: { try index.search($0, k: 10, ef: 80) }, exact: { try flat.search($0, k: 10) })
    #expect(recall >= 0.95, "recall after deletes \(recall)")
  }

  @Test("freed slots are reused, so delete + insert does not grow the index")
  func slotsAreReused() throws {
    let data = Fixtures.uniform(count: 600, dimension: 12, seed: 13)
    var index = try Fixtures.hnsw(Array(data[..<500]), metric: .l2)
    let slotsBefore = index.header.slotCount
    try index.delete(labels: (0..<100).map(UInt32.init))
    for (offset, vector) in data[500...].enumerated() { try index.insert(vector, label: UInt32(1000 + offset)) }
    #expect(index.header.slotCount == slotsBefore)
    #expect(index.count == 500)
    #expect(index.checkIntegrity() == [])
  }

  @Test("deleting everything empties the index; it can be refilled")
  func deleteAll() throws {
    let data = Fixtures.uniform(count: 80, dimension: 6, seed: 14)
    var index = try Fixtures.hnsw(data, metric: .innerProduct)
    try index.delete(labels: (0..<80).map(UInt32.init))
    #expect(index.isEmpty)
    #expect(index.header.entryPoint == nil)
    #expect(try index.search(data[0], k: 3) == [])
    try index.insert(data[0], label: 7)
    #expect(try index.search(data[0], k: 3).map(\.label) == [7])
    #expect(index.checkIntegrity() == [])
  }

  @Test("update moves a label to its new vector")
  func update() throws {
    let data = Fixtures.uniform(count: 300, dimension: 8, seed: 15)
    var index = try Fixtures.hnsw(data, metric: .l2)
    let target = data[200]
    try index.update(target, label: 5)
    let hits = try index.search(target, k: 2, ef: 40)
    #expect(Set(hits.map(\.label)) == [5, 200])
    #expect(index.vector(label: 5) == target)
    #expect(index.count == 300)
    #expect(index.checkIntegrity() == [])
  }

  @Test("a copy is independent of the original (copy on write)")
  func copyOnWrite() throws {
    let data = Fixtures.uniform(count: 100, dimension: 8, seed: 16)
    let original = try Fixtures.hnsw(data, metric: .cosine)
    var copy = original
    try copy.delete(label: 3)
    #expect(original.contains(label: 3))
    #expect(!copy.contains(label: 3))
    #expect(original.checkIntegrity() == [] && copy.checkIntegrity() == [])
  }
}

@Suite("HNSW versions share memory by chunk")
struct HNSWVersionTests {
  @Test("an old version keeps answering as before while a copy takes thousands of inserts and deletes")
  func oldVersionUnchanged() throws {
    let data = Fixtures.uniform(count: 3_000, dimension: 10, seed: 17)
    let original = try Fixtures.hnsw(Array(data[..<1_000]), metric: .l2)
    let queries = Array(data[2_500...])
    let before = try queries.map { try original.search($0, k: 5, ef: 40) }
    let recordsBefore = original.allRecords()
    var copy = original
    for label in 1_000..<2_500 { try copy.insert(data[label], label: UInt32(label)) }
    try copy.delete(labels: stride(from: 0, to: 1_000, by: 3).map(UInt32.init))
    #expect(try queries.map { try original.search($0, k: 5, ef: 40) } == before)
    let recordsAfter = original.allRecords()
    #expect(recordsAfter.header == recordsBefore.header)
    #expect(recordsAfter.nodes == recordsBefore.nodes)
    #expect(recordsAfter.linkLists == recordsBefore.linkLists)
    #expect(original.checkIntegrity() == [] && copy.checkIntegrity() == [])
    #expect(copy.count == 2_500 - 334)
  }
}

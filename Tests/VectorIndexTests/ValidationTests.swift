import Testing

@testable import VectorIndex

@Suite("Rejected input leaves the index unchanged")
struct ValidationTests {
  static let rejected: [(String, [Float], VectorMetric, VectorIndexError)] = [
    ("too short", [1, 2], .l2, .dimensionMismatch(expected: 3, actual: 2)),
    ("too long", [1, 2, 3, 4], .l2, .dimensionMismatch(expected: 3, actual: 4)),
    ("NaN", [1, .nan, 3], .l2, .nonFiniteComponent(index: 1)),
    ("infinity", [1, 2, -.infinity], .innerProduct, .nonFiniteComponent(index: 2)),
    ("zero under cosine", [0, 0, 0], .cosine, .zeroVector),
  ]

  @Test("each invalid vector is rejected by insert, update, search and the flat index", arguments: 0..<5)
  func rejects(case number: Int) throws {
    let (name, vector, metric, expected) = Self.rejected[number]
    var index = try HNSWIndex(dimension: 3, metric: metric, m: 4, efConstruction: 10)
    try index.insert([0.5, 0.25, 1], label: 1)
    let before = index.allRecords()
    #expect(throws: expected, "\(name)") { try index.insert(vector, label: 2) }
    #expect(throws: expected, "\(name)") { try index.update(vector, label: 1) }
    #expect(throws: expected, "\(name)") { try index.search(vector, k: 1) }
    #expect(throws: expected, "\(name)") { try index.search(vector, k: 1, allowing: LabelSet([1])) }
    var flat = try FlatIndex(dimension: 3, metric: metric)
    #expect(throws: expected, "\(name)") { try flat.add(vector, label: 2) }
    #expect(flat.count == 0)
    let after = index.allRecords()
    #expect(after.header == before.header && after.nodes == before.nodes && after.linkLists == before.linkLists)
  }

  @Test("k of zero (or less) returns no neighbours from either index, never a trap")
  func nonPositiveK() throws {
    var flat = try FlatIndex(dimension: 2, metric: .l2)
    try flat.add([1, 0], label: 1)
    var index = try HNSWIndex(dimension: 2, metric: .l2, m: 4, efConstruction: 10)
    try index.insert([1, 0], label: 1)
    for k in [0, -1] {
      #expect(try flat.search([1, 0], k: k).isEmpty)
      #expect(try index.search([1, 0], k: k).isEmpty)
    }
    #expect(try flat.search([1, 0], k: 1).map(\.label) == [1])
  }

  @Test("a zero vector is fine under inner product and l2")
  func zeroAllowedOutsideCosine() throws {
    var index = try HNSWIndex(dimension: 2, metric: .l2, m: 4, efConstruction: 10)
    try index.insert([0, 0], label: 1)
    #expect(try index.search([0, 0], k: 1).map(\.label) == [1])
  }

  @Test("duplicate and unknown labels are rejected")
  func labels() throws {
    var index = try HNSWIndex(dimension: 2, metric: .l2, m: 4, efConstruction: 10)
    try index.insert([1, 0], label: 1)
    #expect(throws: VectorIndexError.duplicateLabel(1)) { try index.insert([0, 1], label: 1) }
    #expect(throws: VectorIndexError.unknownLabel(9)) { try index.delete(label: 9) }
    #expect(throws: VectorIndexError.unknownLabel(9)) { try index.delete(labels: [1, 9]) }
    #expect(throws: VectorIndexError.unknownLabel(9)) { try index.update([0, 1], label: 9) }
    #expect(index.count == 1)
  }

  @Test("bad parameters are rejected")
  func parameters() {
    #expect(throws: VectorIndexError.self) { try HNSWIndex(dimension: 0, metric: .l2) }
    #expect(throws: VectorIndexError.self) { try HNSWIndex(dimension: 4, metric: .l2, m: 1) }
    #expect(throws: VectorIndexError.self) { try HNSWIndex(dimension: 4, metric: .l2, efConstruction: 0) }
  }
}

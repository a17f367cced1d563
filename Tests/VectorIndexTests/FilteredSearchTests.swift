import TestSupport
import Testing

@testable import VectorIndex

@Suite("Filtered search")
struct FilteredSearchTests {
  /// One index for every selectivity (building it dominates the test's time).
  static let count = 2500
  static let data = Fixtures.clustered(count: count, dimension: 16, clusters: 12, spread: 0.25, seed: 31)
  static let index = try! Fixtures.hnsw(data, metric: .cosine)
  static let flat = try! Fixtures.flat(data, metric: .cosine)

  @Test("recall@10 ≥ 0.95 against the exact filtered top 10", arguments: [0.5, 0.1, 0.01, 0.001])
  func filteredRecall(selectivity: Double) throws {
    let count = Self.count
    let index = Self.index
    let flat = Self.flat
    let queries = Fixtures.uniform(count: 40, dimension: 16, seed: 32)
    var generator = SeededGenerator(seed: 33)
    let allowedCount = max(1, Int(selectivity * Double(count)))
    let allowed = LabelSet((0..<UInt32(count)).shuffled(using: &generator).prefix(allowedCount))

    let bitsetRecall = try Fixtures.recall(
      queries, k: 10, approximate: { try index.search($0, k: 10, ef: 80, allowing: allowed) },
      exact: { try flat.search($0, k: 10, allowing: allowed) })
    #expect(bitsetRecall >= 0.95, "bitset recall \(bitsetRecall) at \(selectivity)")

    // At this size the cost rule scans exactly up to ~80 % selectivity; force
    // the graph path too where it is meant to work (≥ 10 %).
    if selectivity >= 0.1 {
      var graphOnly = index
      graphOnly.exactFilterCostRatio = 0
      let graphRecall = try Fixtures.recall(
        queries, k: 10, approximate: { try graphOnly.search($0, k: 10, ef: 80, allowing: allowed) },
        exact: { try flat.search($0, k: 10, allowing: allowed) })
      #expect(graphRecall >= 0.95, "graph-path recall \(graphRecall) at \(selectivity)")
    }

    let predicateRecall = try Fixtures.recall(
      queries, k: 10, approximate: { try index.search($0, k: 10, ef: 80, where: { allowed.contains($0) }) },
      exact: { try flat.search($0, k: 10, allowing: allowed) })
    #expect(predicateRecall >= 0.95, "predicate recall \(predicateRecall) at \(selectivity)")

    for query in queries.prefix(5) {
      let hits = try index.search(query, k: 10, ef: 80, allowing: allowed)
      #expect(hits.allSatisfy { allowed.contains($0.label) })
      #expect(hits.count == min(10, allowedCount))
    }
  }

  @Test("the graph path is used above the exact threshold and still filters")
  func graphPath() throws {
    let data = Fixtures.uniform(count: 1000, dimension: 8, seed: 34)
    var index = try Fixtures.hnsw(data, metric: .l2)
    index.exactFilterCostRatio = 0
    let evens = LabelSet(stride(from: 0, to: 1000, by: 2).map(UInt32.init))
    let hits = try index.search(data[1], k: 10, ef: 40, allowing: evens)
    #expect(hits.count == 10 && hits.allSatisfy { $0.label % 2 == 0 })
  }

  @Test("LabelSet counts, grows and iterates in order")
  func labelSet() {
    var set = LabelSet()
    for label: UInt32 in [5, 70, 5, 1000] { set.insert(label) }
    #expect(set.count == 3)
    set.remove(70)
    set.remove(71)
    var seen: [UInt32] = []
    set.forEach { seen.append($0) }
    #expect(seen == [5, 1000])
    #expect(set.contains(1000) && !set.contains(70) && !set.contains(5000))
  }
}

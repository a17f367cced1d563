import Testing

@testable import VectorIndex

@Suite("HNSW recall against the exact index")
struct HNSWRecallTests {
  @Test("recall@10 ≥ 0.95 on uniform random data", arguments: [VectorMetric.innerProduct, .cosine, .l2])
  func uniformRecall(metric: VectorMetric) throws {
    let data = Fixtures.uniform(count: 1500, dimension: 16, seed: 1)
    let queries = Fixtures.uniform(count: 100, dimension: 16, seed: 2)
    let index = try Fixtures.hnsw(data, metric: metric)
    let flat = try Fixtures.flat(data, metric: metric)
    let recall = try Fixtures.recall(
      queries, k: 10, approximate: { try index.search($0, k: 10, ef: 80) }, exact: { try flat.search($0, k: 10) })
    #expect(recall >= 0.95, "recall \(recall) under \(metric)")
    #expect(index.checkIntegrity().isEmpty)
  }

  @Test("recall@10 ≥ 0.95 on clustered data (cosine)")
  func clusteredRecall() throws {
    // Queries are held-out points of the same clusters.
    let all = Fixtures.clustered(count: 2100, dimension: 32, clusters: 20, spread: 0.15, seed: 3)
    let data = Array(all[..<2000])
    let queries = Array(all[2000...])
    let index = try Fixtures.hnsw(data, metric: .cosine)
    let flat = try Fixtures.flat(data, metric: .cosine)
    let recall = try Fixtures.recall(
      queries, k: 10, approximate: { try index.search($0, k: 10, ef: 80) }, exact: { try flat.search($0, k: 10) })
    #expect(recall >= 0.95, "recall \(recall)")
  }

  @Test("recall@10 ≥ 0.95 with long vectors (rows scored in place, not gathered)")
  func longVectorRecall() throws {
    let dimension = HNSWGraph.inPlaceScoringDimension + 32
    let all = Fixtures.clustered(count: 630, dimension: dimension, clusters: 10, spread: 0.3, seed: 4)
    let data = Array(all[..<600])
    let index = try Fixtures.hnsw(data, metric: .l2)
    #expect(index.graph.scoresInPlace)
    let flat = try Fixtures.flat(data, metric: .l2)
    let recall = try Fixtures.recall(
      Array(all[600...]), k: 10, approximate: { try index.search($0, k: 10, ef: 80) },
      exact: { try flat.search($0, k: 10) })
    #expect(recall >= 0.95, "recall \(recall)")
  }

  @Test("results are sorted, distances match the metric, and the query's own vector is found first")
  func resultsAreOrderedAndExact() throws {
    let data = Fixtures.uniform(count: 500, dimension: 16, seed: 9)
    let index = try Fixtures.hnsw(data, metric: .l2)
    for label in [0, 17, 499] {
      let hits = try index.search(data[label], k: 5, ef: 50)
      #expect(hits.first?.label == UInt32(label))
      #expect(abs(hits[0].distance) < 1e-4)
      #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.distance <= $1.distance })
      let other = data[Int(hits[1].label)]
      let squared = zip(data[label], other).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
      #expect(abs(hits[1].distance - squared) < 1e-3)
    }
  }

  @Test("the same seed builds the same graph")
  func deterministic() throws {
    let data = Fixtures.uniform(count: 400, dimension: 8, seed: 5)
    let first = try Fixtures.hnsw(data, metric: .cosine)
    let second = try Fixtures.hnsw(data, metric: .cosine)
    #expect(first.allRecords().linkLists == second.allRecords().linkLists)
    #expect(first.header == second.header)
  }
}


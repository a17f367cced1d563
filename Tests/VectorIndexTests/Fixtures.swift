import TestSupport

@testable import VectorIndex

/// Seeded data sets small enough for a debug-build CI run.
enum Fixtures {
  /// `count` vectors uniform in [-1, 1]^dimension, row-major.
  static func uniform(count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) } }
  }

  /// `count` vectors around `clusters` random centres (Gaussian noise of
  /// `spread`): the shape of real embeddings, where the graph has to cross
  /// between dense regions.
  static func clustered(count: Int, dimension: Int, clusters: Int, spread: Float, seed: UInt64) -> [[Float]] {
    var generator = SeededGenerator(seed: seed)
    let centres = (0..<clusters).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) } }
    return (0..<count).map { _ in
      let centre = centres[Int.random(in: 0..<clusters, using: &generator)]
      return centre.map { $0 + spread * gaussian(&generator) }
    }
  }

  static func gaussian(_ generator: inout SeededGenerator) -> Float {
    let u = Float.random(in: Float.ulpOfOne...1, using: &generator)
    let v = Float.random(in: 0...1, using: &generator)
    return (-2 * logf(u)).squareRoot() * cosf(2 * .pi * v)
  }

  /// An HNSW index of `vectors`, labelled 0..<count (or by `labels`).
  static func hnsw(
    _ vectors: [[Float]], metric: VectorMetric, m: Int = 12, efConstruction: Int = 100, labels: [UInt32]? = nil
  ) throws -> HNSWIndex {
    var index = try HNSWIndex(dimension: vectors[0].count, metric: metric, m: m, efConstruction: efConstruction, seed: 42)
    for (position, vector) in vectors.enumerated() {
      try index.insert(vector, label: labels?[position] ?? UInt32(position))
    }
    return index
  }

  /// The exact index of the same vectors.
  static func flat(_ vectors: [[Float]], metric: VectorMetric, labels: [UInt32]? = nil) throws -> FlatIndex {
    var index = try FlatIndex(dimension: vectors[0].count, metric: metric)
    for (position, vector) in vectors.enumerated() {
      try index.add(vector, label: labels?[position] ?? UInt32(position))
    }
    return index
  }

  /// Mean recall@k of `approximate` against `exact` over `queries`.
  static func recall(
    _ queries: [[Float]], k: Int, approximate: ([Float]) throws -> [SearchResult],
    exact: ([Float]) throws -> [SearchResult]
  ) rethrows -> Double {
    var total = 0.0
    for query in queries {
      let truth = Set(try exact(query).prefix(k).map(\.label))
      guard !truth.isEmpty else {
        total += 1
        continue
      }
      let found = Set(try approximate(query).prefix(k).map(\.label))
      total += Double(found.intersection(truth).count) / Double(truth.count)
    }
    return total / Double(queries.count)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

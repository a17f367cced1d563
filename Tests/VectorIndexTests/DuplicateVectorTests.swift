import TestSupport
import Testing

@testable import VectorIndex

/// Copies of one vector used to fill link lists with each other and cut
/// their group off from the graph (20,000 traces of 20 samples answered a
/// limit of 100 with 48 hits). Every node must stay reachable.
@Suite("HNSW with duplicate vectors")
struct DuplicateVectorTests {
  /// `base` distinct vectors, then 10 % exact copies and 10 % near copies
  /// (relative noise `noise`) of random earlier ones, interleaved.
  static func withDuplicates(base: Int, dimension: Int, noise: Float, seed: UInt64) -> [[Float]] {
    var generator = SeededGenerator(seed: seed)
    var vectors = Fixtures.clustered(count: base, dimension: dimension, clusters: 8, spread: 0.3, seed: seed)
    for number in 0..<(base / 4) {
      let original = vectors[Int.random(in: 0..<vectors.count, using: &generator)]
      if number % 2 == 0 {
        vectors.append(original)
      } else {
        vectors.append(original.map { $0 * (1 + noise * Fixtures.gaussian(&generator)) })
      }
    }
    return vectors
  }

  @Test("10 % exact and 10 % near duplicates: every node reachable, limit 100 returns 100", arguments: [1e-4, 1e-2] as [Float])
  func mixedDuplicates(noise: Float) throws {
    let data = Self.withDuplicates(base: 2_000, dimension: 24, noise: noise, seed: 31)
    for metric in [VectorMetric.cosine, .l2] {
      let index = try Fixtures.hnsw(data, metric: metric)
      #expect(index.checkIntegrity() == [], "\(metric)")
      #expect(try index.search(data[7], k: 100, ef: 100).count == 100)
    }
  }

  @Test("20 vectors copied 100 times each: every copy reachable, limit 100 returns 100")
  func manyCopiesOfFewVectors() throws {
    let samples = Fixtures.uniform(count: 20, dimension: 16, seed: 32)
    let data = (0..<2_000).map { samples[$0 % 20] }
    let index = try Fixtures.hnsw(data, metric: .cosine)
    let unreachable = index.checkIntegrity().filter { if case .unreachable = $0 { true } else { false } }
    #expect(unreachable.isEmpty, "\(unreachable.count) of 2000 nodes unreachable")
    #expect(index.checkIntegrity() == [])
    let hits = try index.search(samples[3], k: 100, ef: 100)
    #expect(hits.count == 100)
    // The 100 copies of sample 3 are the 100 nearest: all at distance ~0.
    #expect(Set(hits.map { $0.label % 20 }) == [3])
  }

  /// Reachable is not enough: a search must get there. Next to a group of
  /// copies the heuristic links a new node from one copy only, and a beam
  /// that lands on other copies stops among them (29 of 40 such nodes were
  /// missed by a search for their own vector, at 1,000 copies of each of 20).
  @Test("a new vector next to many copies is found by a search for itself", arguments: [VectorMetric.cosine, .l2])
  func newVectorBesideCopies(metric: VectorMetric) throws {
    let samples = Fixtures.uniform(count: 20, dimension: 32, seed: 34)
    var index = try HNSWIndex(dimension: 32, metric: metric, m: 16, efConstruction: 200, seed: 42)
    for number in 0..<(20 * 400) { _ = try index.insert(samples[number % 20], label: UInt32(number)) }
    var generator = SeededGenerator(seed: 35)
    var missed: [Int] = []
    for probe in 0..<30 {
      // Closest to one sample's copies, and to no other vector.
      let vector = samples[probe % 20].map { $0 + 0.8 * Float.random(in: -1...1, using: &generator) }
      let label = UInt32(100_000 + probe)
      _ = try index.insert(vector, label: label)
      if try !index.search(vector, k: 10, ef: 64).contains(where: { $0.label == label }) { missed.append(probe) }
    }
    #expect(missed.isEmpty, "\(missed.count) of 30 not found: \(missed)")
    #expect(index.checkIntegrity() == [])
  }

  /// Far from every group of copies, neither is assured. A query near a new
  /// vector but far from every group (a new trace's own text, against its
  /// stored search text) lands on the nearest group, whose equal distances
  /// fill the beam, so no neighbour at a larger distance is taken; the new
  /// node is linked from another group's copies, and a wider beam does not
  /// help. Collapsing exact copies into one graph node is the fix this points
  /// to (not built): until then the misses are a known issue, and the test
  /// fails once none is left, so that the expectation can be made plain.
  @Test("a new vector far from many copies is found by a query near it (known issue: not always)")
  func newVectorFarFromCopies() throws {
    let samples = Fixtures.uniform(count: 20, dimension: 32, seed: 34)
    var index = try HNSWIndex(dimension: 32, metric: .cosine, m: 16, efConstruction: 200, seed: 42)
    for number in 0..<(20 * 500) { _ = try index.insert(samples[number % 20], label: UInt32(number)) }
    var generator = SeededGenerator(seed: 35)
    var missedItself: [Int] = []
    var missedNear: [Int] = []
    for probe in 0..<60 {
      let vector = (0..<32).map { _ in Float.random(in: -1...1, using: &generator) }
      let label = UInt32(100_000 + probe)
      _ = try index.insert(vector, label: label)
      // About 0.97 in cosine from the vector.
      let near = vector.map { $0 + 0.15 * Float.random(in: -1...1, using: &generator) }
      if try !index.search(vector, k: 10, ef: 64).contains(where: { $0.label == label }) { missedItself.append(probe) }
      if try !index.search(near, k: 10, ef: 64).contains(where: { $0.label == label }) { missedNear.append(probe) }
    }
    // Seeded: 1 of 60 missed by its own vector, 15 by a query near it.
    withKnownIssue("a query far from every group lands on a plateau of copies") {
      #expect(missedItself.isEmpty, "\(missedItself.count) of 60 not found by their own vector: \(missedItself)")
      #expect(missedNear.isEmpty, "\(missedNear.count) of 60 not found by a query near them: \(missedNear)")
    }
    #expect(index.checkIntegrity() == [])
  }

  @Test("deleting copies keeps the rest reachable")
  func deleteCopies() throws {
    let samples = Fixtures.uniform(count: 10, dimension: 12, seed: 33)
    let data = (0..<600).map { samples[$0 % 10] }
    var index = try Fixtures.hnsw(data, metric: .cosine)
    try index.delete(labels: stride(from: 0, to: 600, by: 7).map(UInt32.init))
    for label in stride(from: 1, to: 600, by: 11) where index.contains(label: UInt32(label)) {
      try index.delete(label: UInt32(label))
    }
    #expect(index.checkIntegrity() == [])
    for (offset, vector) in samples.enumerated() { try index.insert(vector, label: UInt32(1_000 + offset)) }
    #expect(index.checkIntegrity() == [])
  }

  @Test("a deleted copy keeps its slot (no walk around its ring); a deleted vector without copies gives its slot up")
  func tombstonesInRingsAreNotReused() throws {
    let samples = Fixtures.uniform(count: 10, dimension: 12, seed: 35)
    let single = Fixtures.uniform(count: 2, dimension: 12, seed: 36)
    // 30 copies of each sample in slots 0..<300, then one vector without copies in slot 300.
    var index = try Fixtures.hnsw((0..<300).map { samples[$0 % 10] } + [single[0]], metric: .cosine)
    try index.delete(label: 7)  // a copy: slot 7, in its ring
    try index.insert(single[1], label: 1_000)
    #expect(index.slot(of: 1_000) == 301 && index.header.slotCount == 302)
    #expect(index.checkIntegrity() == [])
    #expect(try index.search(samples[7], k: 29, ef: 100).count == 29)  // the 29 copies left
    try index.delete(label: 300)  // slot 300, no copies: the lowest tombstone is still slot 7's
    try index.insert(single[0], label: 1_001)
    #expect(index.slot(of: 1_001) == 302)
    try index.insert(single[1], label: 1_002)
    #expect(index.slot(of: 1_002) == 303)
    #expect(index.checkIntegrity() == [])
  }

  @Test("a deleted vector without copies gives its slot to the next insert")
  func tombstonesWithoutCopiesAreReused() throws {
    let samples = Fixtures.uniform(count: 10, dimension: 12, seed: 35)
    let single = Fixtures.uniform(count: 2, dimension: 12, seed: 36)
    // The vector without copies in slot 0, then 30 copies of each sample.
    var index = try Fixtures.hnsw([single[0]] + (0..<300).map { samples[$0 % 10] }, metric: .cosine)
    try index.delete(label: 0)
    try index.insert(single[1], label: 1_000)
    #expect(index.slot(of: 1_000) == 0 && index.header.slotCount == 301)
    #expect(index.checkIntegrity() == [])
  }

  @Test("newer copies stay reachable when every older copy is deleted and purged", arguments: [VectorMetric.cosine, .l2])
  func newerCopiesSurviveAPurge(metric: VectorMetric) throws {
    let samples = Fixtures.uniform(count: 20, dimension: 8, seed: 28)
    var index = try Fixtures.hnsw((0..<400).map { samples[$0 % 20] }, metric: metric, m: 6, efConstruction: 40)
    // Appended (no tombstone to take yet): three newer copies of each sample.
    for offset in 0..<60 { try index.insert(samples[offset % 20], label: UInt32(1_000 + offset)) }
    // 400 tombstones against 60 searchable nodes: a purge. Without the fix 51 of the 60 were left
    // as islands, linked only among themselves.
    try index.delete(labels: (0..<400).map(UInt32.init))
    #expect(index.header.slotCount == 460 && index.count == 60)
    #expect(index.checkIntegrity() == [])
    #expect(try index.search(samples[1], k: 60, ef: 100).count == 60)
  }

  @Test("tight clusters with M = 3: pruning never drops a node's last layer-0 in-link", arguments: [VectorMetric.cosine, .l2])
  func everyNodeKeepsAnInLink(metric: VectorMetric) throws {
    let data = Fixtures.clustered(count: 3_000, dimension: 8, clusters: 3, spread: 0.02, seed: 34)
    let index = try Fixtures.hnsw(data, metric: metric, m: 3, efConstruction: 20)
    var linked = Set<UInt32>()
    for list in index.allRecords().linkLists where list.level == 0 { linked.formUnion(list.neighbours) }
    let entry = index.header.entryPoint
    let orphans = index.liveSlots.filter { !linked.contains($0) && $0 != entry }
    #expect(orphans == [], "\(orphans.count) nodes without an in-link")
  }
}

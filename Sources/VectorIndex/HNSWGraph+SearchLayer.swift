/// Which nodes may appear in results. Traversal still walks through every
/// node (a filtered-out node can lead to allowed ones); only the result set is
/// restricted. A protocol, so the unfiltered search is specialized and pays
/// nothing for the check.
protocol SlotFilter {
  /// True when the node in `slot` may be a result.
  func allows(_ slot: UInt32) -> Bool
  /// False only for the no-op filter; a filtered search keeps exploring until
  /// it holds ef allowed results.
  var isFiltering: Bool { get }
}

/// Every node is allowed.
struct AllSlots: SlotFilter {
  @inline(__always) func allows(_ slot: UInt32) -> Bool { true }
  var isFiltering: Bool { false }
}

/// Nodes whose label passes a predicate.
struct LabelPredicateFilter: SlotFilter {
  let labels: UnsafePointer<UInt32>
  let predicate: (UInt32) -> Bool
  @inline(__always) func allows(_ slot: UInt32) -> Bool { predicate(labels[Int(slot)]) }
  var isFiltering: Bool { true }
}

/// Nodes whose label is in a `LabelSet`.
struct LabelSetFilter: SlotFilter {
  let labels: UnsafePointer<UInt32>
  let allowed: LabelSet
  @inline(__always) func allows(_ slot: UInt32) -> Bool { allowed.contains(labels[Int(slot)]) }
  var isFiltering: Bool { true }
}

extension HNSWGraph {
  /// Greedy search with ef = 1 on an upper layer: move to the closest
  /// neighbour until no neighbour is closer (the paper's descent phase).
  /// - Complexity: O(steps · M) distance computations.
  func greedyClosest(
    _ query: UnsafePointer<Float>, _ querySquaredNorm: Float, from start: UInt32, distance startDistance: Float,
    level: Int
  ) -> (slot: UInt32, distance: Float) {
    var current = start
    var currentDistance = startDistance
    var moved = true
    while moved {
      moved = false
      let list = links(current, level)
      let count = Int(list[0])
      var index = 1
      while index <= count {
        let neighbour = list[index]
        let d = distance(query, querySquaredNorm, neighbour)
        if d < currentDistance {
          currentDistance = d
          current = neighbour
          moved = true
        }
        index &+= 1
      }
    }
    return (current, currentDistance)
  }

  /// SEARCH-LAYER (Malkov & Yashunin, Algorithm 2): a beam search of width
  /// `ef` on `level` from `start`. On return `results` is a max-heap (by
  /// distance) of at most `ef` allowed nodes. With a filtering `filter`, the
  /// search keeps expanding candidates until it holds `ef` allowed results or
  /// runs out of graph (hnswlib's rule for filtered and deleted nodes).
  ///
  /// The heaps and visited marks come in as `inout` so that the hot loop
  /// touches no class property (no exclusivity checks, no retain/release).
  /// - Complexity: O(visited · M) distance computations; visited grows with
  ///   ef (and with 1/selectivity under a filter).
  func searchLayer<Filter: SlotFilter>(
    _ query: UnsafePointer<Float>, _ querySquaredNorm: Float, from start: UInt32, distance startDistance: Float,
    ef: Int, level: Int, filter: Filter,
    visited: inout VisitedSet, candidates: inout CandidateHeap, results: inout CandidateHeap
  ) {
    visited.reset(slotCount: slotCount)
    candidates.removeAll()
    results.removeAll()
    _ = visited.insert(start)
    candidates.push(-startDistance, start)
    var bound = Float.infinity
    if filter.allows(start) {
      results.push(startDistance, start)
      bound = startDistance
    }
    let filtering = filter.isFiltering
    let vectors = self.vectors
    let squaredNorms = self.squaredNorms
    let dimension = self.dimension
    let dimension32 = Int32(truncatingIfNeeded: dimension)
    let isL2 = metric == .l2

    while !candidates.isEmpty {
      let current = candidates.top
      // Every remaining candidate is farther than the worst result: done,
      // unless a filter still leaves room for allowed results.
      if -current.key > bound && (results.count >= ef || !filtering) { break }
      candidates.pop()
      let list = links(current.slot, level)
      let count = Int(list[0])
      var index = 1
      while index <= count {
        let neighbour = list[index]
        index &+= 1
        guard visited.insert(neighbour) else { continue }
        let dot = BLASKernel.dot(query, vectors + Int(neighbour) &* dimension, dimension32)
        let d = isL2 ? querySquaredNorm + squaredNorms[Int(neighbour)] - 2 * dot : 1 - dot
        guard results.count < ef || d < bound else { continue }
        candidates.push(-d, neighbour)
        if filter.allows(neighbour) {
          results.push(d, neighbour)
          if results.count > ef { results.pop() }
          bound = results.top.key
        }
      }
    }
  }

  /// K-NN-SEARCH (Algorithm 5): greedy descent from the entry point to layer
  /// 1, then a beam of width max(ef, k) on layer 0; the best `k`, closest first.
  /// - Complexity: O(log n) descent plus O(ef · M)-ish on layer 0.
  func searchKNN<Filter: SlotFilter>(
    _ query: UnsafePointer<Float>, _ querySquaredNorm: Float, k: Int, ef: Int, filter: Filter,
    scratch: SearchScratch
  ) -> [SearchResult] {
    guard entryPoint != HNSWGraph.noSlot, k > 0 else { return [] }
    var closest = (slot: entryPoint, distance: distance(query, querySquaredNorm, entryPoint))
    var level = maxLevel
    while level > 0 {
      closest = greedyClosest(query, querySquaredNorm, from: closest.slot, distance: closest.distance, level: level)
      level -= 1
    }
    searchLayer(
      query, querySquaredNorm, from: closest.slot, distance: closest.distance, ef: max(ef, k), level: 0,
      filter: filter, visited: &scratch.visited, candidates: &scratch.candidates, results: &scratch.results)
    while scratch.results.count > k { scratch.results.pop() }
    var hits = [SearchResult](repeating: SearchResult(label: 0, distance: 0), count: scratch.results.count)
    var index = hits.count - 1
    while !scratch.results.isEmpty {
      let worst = scratch.results.pop()
      hits[index] = SearchResult(label: labels[Int(worst.slot)], distance: worst.key)
      index -= 1
    }
    return hits
  }

  /// Drains `results` (a max-heap by distance) into an array sorted closest
  /// first.
  func sortedAscending(_ results: inout CandidateHeap) -> [Candidate] {
    var sorted = [Candidate](repeating: Candidate(key: 0, slot: 0), count: results.count)
    var index = sorted.count - 1
    while !results.isEmpty {
      sorted[index] = results.pop()
      index -= 1
    }
    return sorted
  }
}

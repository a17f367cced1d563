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

/// `Base`'s nodes less the tombstones (deleted nodes that only route).
struct SkippingTombstones<Base: SlotFilter>: SlotFilter {
  let base: Base
  let flags: ChunkedRows<UInt8>
  @inline(__always) func allows(_ slot: UInt32) -> Bool { flags.row(Int(slot)).pointee == 0 && base.allows(slot) }
  var isFiltering: Bool { true }
}

/// Nodes whose label passes a predicate.
struct LabelPredicateFilter: SlotFilter {
  let labels: ChunkedRows<UInt32>
  let predicate: (UInt32) -> Bool
  @inline(__always) func allows(_ slot: UInt32) -> Bool { predicate(labels.row(Int(slot)).pointee) }
  var isFiltering: Bool { true }
}

/// Nodes whose label is in a `LabelSet`.
struct LabelSetFilter: SlotFilter {
  let labels: ChunkedRows<UInt32>
  let allowed: LabelSet
  @inline(__always) func allows(_ slot: UInt32) -> Bool { allowed.contains(labels.row(Int(slot)).pointee) }
  var isFiltering: Bool { true }
}

extension HNSWGraph {
  /// Distances from `query` to the nodes `slots[0..<count]`, written to
  /// `scratch.blockScores`. Two ways, chosen by dimension (`scoresInPlace`):
  /// - short vectors: the rows are prefetched together, copied into the
  ///   gather block and scored by one `sgemv`. Gathering costs a 4·d-byte copy
  ///   per row but replaces `count` BLAS calls (each with its call overhead
  ///   and, at d = 50, OpenBLAS's scalar tail loop) with one;
  /// - long vectors: the copy would cost as much as the dot product, so each
  ///   row is scored where it lies with one `sdot`, after prefetching the
  ///   heads of all rows (the hardware prefetcher streams the rest).
  ///
  /// `vectors` is the caller's `NodeVectors(self)`, taken once per loop.
  @inline(__always)
  func gatherDistances(
    _ query: UnsafePointer<Float>, _ querySquaredNorm: Float, count: Int, scratch: SearchScratch, vectors nodes: NodeVectors
  ) {
    let slots = scratch.blockSlots
    let rows = scratch.block
    let scores = scratch.blockScores
    let vectors = nodes.values
    let dimension = self.dimension
    var row = 0
    if scoresInPlace {
      while row < count {
        prefetchForRead(vectors.row(Int(slots[row])), byteCount: 128)
        row &+= 1
      }
      row = 0
      let dimension32 = Int32(truncatingIfNeeded: dimension)
      while row < count {
        scores[row] = BLASKernel.dot(query, vectors.row(Int(slots[row])), dimension32)
        row &+= 1
      }
    } else {
      let rowBytes = dimension &* MemoryLayout<Float>.stride
      while row < count {
        prefetchForRead(vectors.row(Int(slots[row])), byteCount: rowBytes)
        row &+= 1
      }
      row = 0
      while row < count {
        (rows + row &* dimension).update(from: vectors.row(Int(slots[row])), count: dimension)
        row &+= 1
      }
      BLASKernel.dotRows(rows, count: count, dimension: dimension, with: query, into: scores)
    }
    row = 0
    if metric == .l2 {
      let squaredNorms = nodes.squaredNorms
      while row < count {
        scores[row] = querySquaredNorm + squaredNorms.row(Int(slots[row])).pointee - 2 * scores[row]
        row &+= 1
      }
    } else {
      while row < count {
        scores[row] = 1 - scores[row]
        row &+= 1
      }
    }
  }

  /// Greedy search with ef = 1 on an upper layer: move to the closest
  /// neighbour until no neighbour is closer (the paper's descent phase).
  /// - Complexity: O(steps · M) distance computations.
  func greedyClosest(
    _ query: UnsafePointer<Float>, _ querySquaredNorm: Float, from start: UInt32, distance startDistance: Float,
    level: Int, scratch: SearchScratch
  ) -> (slot: UInt32, distance: Float) {
    var current = start
    var currentDistance = startDistance
    var moved = true
    let links = LevelLinks(self, level: level)
    let vectors = NodeVectors(self)
    while moved {
      moved = false
      let list = links[current]
      let count = Int(list[0])
      guard count > 0 else { break }
      scratch.blockSlots.update(from: list + 1, count: count)
      gatherDistances(query, querySquaredNorm, count: count, scratch: scratch, vectors: vectors)
      var index = 0
      while index < count {
        let d = scratch.blockScores[index]
        if d < currentDistance {
          currentDistance = d
          current = scratch.blockSlots[index]
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
  /// - Complexity: O(visited · M) distance computations; visited grows with
  ///   ef (and with 1/selectivity under a filter).
  func searchLayer<Filter: SlotFilter>(
    _ query: UnsafePointer<Float>, _ querySquaredNorm: Float, from start: UInt32, distance startDistance: Float,
    ef: Int, level: Int, filter: Filter, scratch: SearchScratch
  ) {
    searchLayer(
      query, querySquaredNorm, from: start, distance: startDistance, ef: ef, level: level, filter: filter,
      scratch: scratch, visited: &scratch.visited, candidates: &scratch.candidates, results: &scratch.results)
  }

  /// The body of `searchLayer`. Each expanded node's unvisited neighbours
  /// are scored together by `gatherDistances` (one `sgemv` over their
  /// gathered rows): measured on GloVe-50, this beat one `sdot` per neighbour
  /// clearly (OpenBLAS's per-call overhead and scalar tail at d = 50).
  /// The heaps and visited marks come in as `inout` so that the hot loop
  /// touches no class property (no dynamic exclusivity checks).
  private func searchLayer<Filter: SlotFilter>(
    _ query: UnsafePointer<Float>, _ querySquaredNorm: Float, from start: UInt32, distance startDistance: Float,
    ef: Int, level: Int, filter: Filter, scratch: SearchScratch,
    visited: inout VisitedSet, candidates: inout CandidateHeap, results: inout CandidateHeap
  ) {
    let freshSlots = scratch.blockSlots
    let freshDistances = scratch.blockScores
    let links = LevelLinks(self, level: level)
    let vectors = NodeVectors(self)
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

    while !candidates.isEmpty {
      let current = candidates.top
      // Every remaining candidate is farther than the worst result: done,
      // unless a filter still leaves room for allowed results.
      if -current.key > bound && (results.count >= ef || !filtering) { break }
      candidates.pop()
      // The next node to expand is probably the new top: start loading its
      // link list now, while this one is scored.
      if !candidates.isEmpty { prefetchForRead(links[candidates.top.slot]) }
      let list = links[current.slot]
      let count = Int(list[0])
      var fresh = 0
      var index = 1
      while index <= count {
        let neighbour = list[index]
        index &+= 1
        guard visited.insert(neighbour) else { continue }
        freshSlots[fresh] = neighbour
        fresh &+= 1
      }
      guard fresh > 0 else { continue }
      gatherDistances(query, querySquaredNorm, count: fresh, scratch: scratch, vectors: vectors)
      var position = 0
      while position < fresh {
        let neighbour = freshSlots[position]
        let d = freshDistances[position]
        position &+= 1
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
    guard entryPoint != HNSWGraph.noSlot, k > 0, count > 0 else { return [] }
    var closest = (slot: entryPoint, distance: distance(query, querySquaredNorm, entryPoint))
    var level = maxLevel
    while level > 0 {
      closest = greedyClosest(
        query, querySquaredNorm, from: closest.slot, distance: closest.distance, level: level, scratch: scratch)
      level -= 1
    }
    if tombstones.isEmpty {
      searchLayer(
        query, querySquaredNorm, from: closest.slot, distance: closest.distance, ef: max(ef, k), level: 0,
        filter: filter, scratch: scratch)
    } else {
      searchLayer(
        query, querySquaredNorm, from: closest.slot, distance: closest.distance, ef: max(ef, k), level: 0,
        filter: SkippingTombstones(base: filter, flags: tombstoneFlags), scratch: scratch)
    }
    while scratch.results.count > k { scratch.results.pop() }
    var hits = [SearchResult](repeating: SearchResult(label: 0, distance: 0), count: scratch.results.count)
    var index = hits.count - 1
    while !scratch.results.isEmpty {
      let worst = scratch.results.pop()
      hits[index] = SearchResult(label: label(worst.slot), distance: worst.key)
      index -= 1
    }
    return hits
  }

  /// Drains `results` (a max-heap by distance) into an array sorted closest
  /// first (ties by slot, so the order never depends on heap history). One
  /// sort of the heap's storage is about twice as fast as popping it empty.
  func sortedAscending(_ results: inout CandidateHeap) -> [Candidate] {
    var sorted = Array(UnsafeBufferPointer(start: results.elements, count: results.count))
    results.removeAll()
    sorted.sort { ($0.key, $0.slot) < ($1.key, $1.slot) }
    return sorted
  }
}

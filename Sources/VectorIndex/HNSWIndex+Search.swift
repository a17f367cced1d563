extension HNSWIndex {
  /// The `k` nearest labels to `query`, closest first.
  /// - Parameters:
  ///   - ef: the beam width on layer 0 (at least k is used). Larger raises
  ///     recall and cost; nil uses max(k, 64).
  /// - Throws: `VectorIndexError` for a wrong dimension, a NaN or infinite
  ///   component, or a zero query under cosine.
  /// - Complexity: O(log n) greedy steps plus about O(ef · M) distance
  ///   computations on layer 0; no allocation beyond the result array.
  public func search(_ query: [Float], k: Int, ef: Int? = nil) throws(VectorIndexError) -> [SearchResult] {
    try search(query, k: k, ef: ef, filter: AllSlots())
  }

  /// The `k` nearest labels among `allowed`, closest first. When `allowed`
  /// is a small part of the index (see `exactFilterCostRatio`) the allowed
  /// vectors are scored exactly; otherwise the graph search keeps expanding
  /// until it holds ef allowed results, and falls back to the exact scan when
  /// the graph yields fewer than k. Either way recall holds at any selectivity.
  /// - Throws: ``VectorIndexError``: `.dimensionMismatch` for a query of the wrong length, `.nonFiniteComponent` for a
  ///   NaN or infinite component, `.zeroVector` for a zero query under cosine.
  /// - Complexity: O(|allowed|) for the exact path; O(ef · M / selectivity)
  ///   distance computations for the graph path.
  public func search(
    _ query: [Float], k: Int, ef: Int? = nil, allowing allowed: LabelSet
  ) throws(VectorIndexError) -> [SearchResult] {
    try validate(query, dimension: dimension, metric: metric)
    guard k > 0, !allowed.isEmpty else { return [] }
    let graph = self.graph
    let beam = ef ?? max(k, 64)
    let exactLimit = max(k, Int((exactFilterCostRatio * Double(beam) * Double(graph.count)).squareRoot()))
    return graph.scratchPool.withScratch(slotCount: graph.slotCount) { scratch in
      let squaredNorm = prepare(query, into: scratch.query)
      func exact() -> [SearchResult] {
        graph.exactSearch(scratch.query, squaredNorm, k: k, slots: graph.slots(allowing: allowed), scratch: scratch)
      }
      if allowed.count <= exactLimit { return exact() }
      let hits = graph.searchKNN(
        scratch.query, squaredNorm, k: k, ef: beam,
        filter: LabelSetFilter(labels: graph.labels, allowed: allowed), scratch: scratch)
      return hits.count < k ? exact() : hits
    }
  }

  /// The `k` nearest labels for which `isAllowed` is true, closest first.
  /// The predicate runs during the graph search, so it must be cheap; when
  /// the graph yields fewer than k allowed results every vector is scored
  /// exactly. Prefer `search(_:k:ef:allowing:)` when the allowed set is known.
  /// - Throws: ``VectorIndexError``: `.dimensionMismatch` for a query of the wrong length, `.nonFiniteComponent` for a
  ///   NaN or infinite component, `.zeroVector` for a zero query under cosine.
  /// - Complexity: O(ef · M / selectivity) distance computations, O(n) for the
  ///   exact fallback.
  public func search(
    _ query: [Float], k: Int, ef: Int? = nil, where isAllowed: (UInt32) -> Bool
  ) throws(VectorIndexError) -> [SearchResult] {
    try validate(query, dimension: dimension, metric: metric)
    guard k > 0 else { return [] }
    let graph = self.graph
    return withoutActuallyEscaping(isAllowed) { isAllowed in
      graph.scratchPool.withScratch(slotCount: graph.slotCount) { scratch in
        let squaredNorm = prepare(query, into: scratch.query)
        let hits = graph.searchKNN(
          scratch.query, squaredNorm, k: k, ef: ef ?? max(k, 64),
          filter: LabelPredicateFilter(labels: graph.labels, predicate: isAllowed), scratch: scratch)
        guard hits.count < k else { return hits }
        let slots = (0..<UInt32(graph.slotCount)).filter { graph.isSearchable($0) && isAllowed(graph.label($0)) }
        return graph.exactSearch(scratch.query, squaredNorm, k: k, slots: slots, scratch: scratch)
      }
    }
  }

  func search<Filter: SlotFilter>(
    _ query: [Float], k: Int, ef: Int?, filter: Filter
  ) throws(VectorIndexError) -> [SearchResult] {
    try validate(query, dimension: dimension, metric: metric)
    let graph = self.graph
    return graph.scratchPool.withScratch(slotCount: graph.slotCount) { scratch in
      let squaredNorm = prepare(query, into: scratch.query)
      return graph.searchKNN(scratch.query, squaredNorm, k: k, ef: ef ?? max(k, 64), filter: filter, scratch: scratch)
    }
  }
}

extension HNSWGraph {
  /// Exact top k among `slots` (all live), closest first. Rows are scored
  /// in gathered blocks (one `sgemv` per block, misses overlapped), since the
  /// allowed rows are scattered through the vector array.
  /// - Complexity: O(|slots| · d).
  func exactSearch(
    _ query: UnsafePointer<Float>, _ querySquaredNorm: Float, k: Int, slots: [UInt32], scratch: SearchScratch
  ) -> [SearchResult] {
    scratch.results.removeAll()
    let blockRows = maxM0
    let vectors = NodeVectors(self)
    var start = 0
    while start < slots.count {
      let count = min(blockRows, slots.count - start)
      slots.withUnsafeBufferPointer { scratch.blockSlots.update(from: $0.baseAddress! + start, count: count) }
      gatherDistances(query, querySquaredNorm, count: count, scratch: scratch, vectors: vectors)
      for row in 0..<count {
        let d = scratch.blockScores[row]
        if scratch.results.count < k {
          scratch.results.push(d, scratch.blockSlots[row])
        } else if d < scratch.results.top.key {
          scratch.results.pop()
          scratch.results.push(d, scratch.blockSlots[row])
        }
      }
      start += count
    }
    return sortedAscending(&scratch.results).map { SearchResult(label: label($0.slot), distance: $0.key) }
  }

  /// The live slots whose label is in `allowed`, in label order.
  func slots(allowing allowed: LabelSet) -> [UInt32] {
    var slots: [UInt32] = []
    slots.reserveCapacity(allowed.count)
    allowed.forEach { label in if let slot = labelToSlot[label] { slots.append(slot) } }
    return slots
  }
}

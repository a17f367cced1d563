import Foundation

extension HNSWGraph {
  /// The level of a new node: floor(−ln U · mₗ) with mₗ = 1/ln M and U uniform
  /// on (0, 1], so each layer holds about 1/M of the one below.
  func randomLevel() -> Int {
    let uniform = (Double(rng.next() >> 11) + 1) * 0x1p-53
    let level = Int(-log(uniform) / log(Double(m)))
    return min(level, HNSWGraph.levelLimit)
  }

  /// INSERT (Algorithm 1): draws a level, descends greedily to it, then on
  /// each layer from there down to 0 runs a beam of width efConstruction,
  /// keeps M diverse neighbours (`selectNeighborsHeuristic`), and links both
  /// ways, pruning a neighbour's list when it overflows.
  /// `vector` is already validated (and normalized for cosine).
  /// - Complexity: O(efConstruction · M · log n) distance computations.
  @discardableResult
  func insert(label: UInt32, vector source: UnsafePointer<Float>, level drawnLevel: Int? = nil) -> UInt32 {
    let level = drawnLevel ?? randomLevel()
    let slot = occupySlot(label: label, level: level, vector: source)
    changes.headerChanged = true
    guard entryPoint != HNSWGraph.noSlot else {
      entryPoint = slot
      maxLevel = level
      return slot
    }
    // The graph does not grow again during this insert, so these stay valid.
    let query = UnsafePointer(vector(slot))
    let querySquaredNorm = squaredNorms[Int(slot)]
    var closest = (slot: entryPoint, distance: distance(query, querySquaredNorm, entryPoint))
    var layer = maxLevel
    while layer > level {
      closest = greedyClosest(
        query, querySquaredNorm, from: closest.slot, distance: closest.distance, level: layer, scratch: writeScratch)
      layer -= 1
    }
    let scratch = writeScratch
    layer = min(level, maxLevel)
    while layer >= 0 {
      searchLayer(
        query, querySquaredNorm, from: closest.slot, distance: closest.distance, ef: efConstruction, level: layer,
        filter: AllSlots(), scratch: scratch)
      let found = sortedAscending(&scratch.results)
      let selected = selectNeighborsHeuristic(found, limit: m)
      setLinks(slot, layer, selected)
      for neighbour in selected { connect(neighbour, to: slot, level: layer) }
      closest = (found[0].slot, found[0].key)
      layer -= 1
    }
    if level > maxLevel {
      entryPoint = slot
      maxLevel = level
    }
    return slot
  }

  /// Adds the edge `from → to` on `level`; when `from`'s list is full, keeps
  /// the best diverse set of its old neighbours plus `to`.
  func connect(_ from: UInt32, to: UInt32, level: Int) {
    let list = links(from, level)
    let count = Int(list[0])
    let capacity = linkCapacity(level)
    if count < capacity {
      list[1 + count] = to
      list[0] = UInt32(count + 1)
      changes.linkListWritten(from, level)
      return
    }
    var pool = [Candidate]()
    pool.reserveCapacity(count + 1)
    pool.append(Candidate(key: distance(from, to), slot: to))
    for index in 1...count { pool.append(Candidate(key: distance(from, list[index]), slot: list[index])) }
    pool.sort { $0.key < $1.key }
    setLinks(from, level, selectNeighborsHeuristic(pool, limit: capacity))
  }

  /// SELECT-NEIGHBORS-HEURISTIC (Algorithm 4, without extendCandidates or
  /// keepPrunedConnections, as hnswlib): walking candidates closest first,
  /// keep one only if it is closer to the base than to every one already
  /// kept, so links spread in different directions instead of clustering.
  /// `candidates` are sorted by distance to the base, closest first.
  ///
  /// The kept nodes' vectors are copied into the write scratch's gather
  /// block as they are chosen, so each candidate is compared with all of
  /// them by one `sgemv` instead of one `sdot` per kept node.
  /// - Complexity: O(candidates · limit) distance computations.
  func selectNeighborsHeuristic(_ candidates: [Candidate], limit: Int) -> [UInt32] {
    if candidates.count <= limit { return candidates.map(\.slot) }
    let kept = writeScratch.block
    let scores = writeScratch.blockScores
    let dimension = self.dimension
    let isL2 = metric == .l2
    var selected = [UInt32]()
    selected.reserveCapacity(limit)
    for candidate in candidates {
      if selected.count >= limit { break }
      let vector = UnsafePointer(self.vector(candidate.slot))
      if !selected.isEmpty {
        BLASKernel.dotRows(kept, count: selected.count, dimension: dimension, with: vector, into: scores)
        let squaredNorm = squaredNorms[Int(candidate.slot)]
        var diverse = true
        for (row, other) in selected.enumerated() {
          let d = isL2 ? squaredNorm + squaredNorms[Int(other)] - 2 * scores[row] : 1 - scores[row]
          if d < candidate.key {
            diverse = false
            break
          }
        }
        guard diverse else { continue }
      }
      (kept + selected.count * dimension).update(from: vector, count: dimension)
      selected.append(candidate.slot)
    }
    return selected
  }
}

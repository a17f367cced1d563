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
  ///
  /// When no slot is free but a tombstone is, the new node takes the lowest
  /// one at its level (hnswlib's `replace_deleted`; see `reuseTombstone`),
  /// unless that tombstone is in a ring of exact copies (`isInDuplicateRing`).
  /// - Complexity: O(efConstruction · M · log n) distance computations.
  @discardableResult
  func insert(label: UInt32, vector source: UnsafePointer<Float>, level drawnLevel: Int? = nil) -> UInt32 {
    if freeSlots.isEmpty, drawnLevel == nil, let tombstone = tombstones.last, !isInDuplicateRing(tombstone) {
      reuseTombstone(tombstone, label: label, vector: source)
      return tombstone
    }
    let level = drawnLevel ?? randomLevel()
    let slot = occupySlot(label: label, level: level, vector: source)
    changes.headerChanged = true
    guard entryPoint != HNSWGraph.noSlot else {
      entryPoint = slot
      maxLevel = level
      return slot
    }
    // The new node has no in-link yet, so no search can meet it: no filter.
    link(slot, filter: AllSlots())
    if level > maxLevel {
      entryPoint = slot
      maxLevel = level
    }
    return slot
  }

  /// Puts a new node into the tombstone in `slot`: the tombstone's in-links
  /// now lead to the new node (so it is reachable at once) and its own lists
  /// are chosen again where the new vector lies, keeping any node whose
  /// only in-link they were (`keepingLastInLinks`).
  private func reuseTombstone(_ slot: UInt32, label: UInt32, vector source: UnsafePointer<Float>) {
    reviveTombstone(slot, label: label)
    writableVector(slot).update(from: source, count: dimension)
    refreshSquaredNorm(slot)
    changes.nodeWritten(slot, level: level(slot))
    changes.headerChanged = true
    // Searches may meet the node itself through its old in-links.
    link(slot, filter: ExcludingSlot(excluded: slot))
  }

  /// Whether the node in `slot` is in a ring of exact copies
  /// (`spliceDuplicate`): a layer-0 neighbour coincides with it. Such a
  /// tombstone keeps its slot until a purge: giving it another vector would
  /// first unlink it from the ring, and finding the copy that links to it
  /// means walking around all of them (tens of milliseconds per insert among
  /// 50,000 copies: `perf` of `tracekv-bench live --traces 1000000`).
  /// - Complexity: O(M) distance computations.
  private func isInDuplicateRing(_ slot: UInt32) -> Bool {
    let norm = squaredNorm(slot)
    return neighbours(slot, 0).contains { $0 != slot && coincide(distance(slot, $0), norm) }
  }

  /// Links the node in `slot` (holding its vector; the graph has an entry
  /// point) on each of its layers up to the graph's top: descends greedily
  /// from the entry point, then per layer runs a beam of efConstruction,
  /// keeps M diverse neighbours and links both ways. Links that already
  /// exist (a reused tombstone, a relinked orphan) are not added twice.
  func link<Filter: SlotFilter>(_ slot: UInt32, filter: Filter) {
    let level = self.level(slot)
    // The graph does not grow during this, so these stay valid.
    let query = UnsafePointer(vector(slot))
    let querySquaredNorm = squaredNorm(slot)
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
      defer { layer -= 1 }
      searchLayer(
        query, querySquaredNorm, from: closest.slot, distance: closest.distance, ef: efConstruction, level: layer,
        filter: filter, scratch: scratch)
      let found = sortedAscending(&scratch.results)
      guard !found.isEmpty else { continue }  // nothing else on this layer
      let selected = selectNeighborsHeuristic(found, limit: m)
      if layer == 0 && coincide(found[0].key, squaredNorm(slot)) && !neighbours(selected[0], 0).contains(slot) {
        // A duplicate of an existing node (always selected first) joins that
        // node's ring of copies instead of competing for its link list.
        let next = spliceDuplicate(slot, after: selected[0])
        let others = selected.dropFirst().filter { $0 != next }
        setLinks(slot, layer, keepingLastInLinks([next] + others, of: slot, limit: maxM0))
        for neighbour in others where !neighbours(neighbour, layer).contains(slot) {
          connect(neighbour, to: slot, level: layer)
        }
      } else {
        setLinks(slot, layer, layer == 0 ? keepingLastInLinks(selected, of: slot, limit: maxM0) : selected)
        for neighbour in selected where !neighbours(neighbour, layer).contains(slot) {
          connect(neighbour, to: slot, level: layer)
        }
        for copy in plateauCopies(of: selected, in: found) where !neighbours(copy, layer).contains(slot) {
          connect(copy, to: slot, level: layer)
        }
        if layer == 0 { ensureInLink(slot, from: selected) }
      }
      closest = (found[0].slot, found[0].key)
    }
  }

  /// The nodes of `found` (a beam's results on one layer, closest first)
  /// that coincide with a selected neighbour without being selected
  /// themselves: the other copies of a duplicated vector. The heuristic
  /// keeps one copy per group, so without these a new node next to a group
  /// of copies is linked from that one copy only, and a later search, which
  /// enters the group wherever its beam lands and stops among copies at
  /// equal distance, rarely passes it (29 of 40 such nodes were not found
  /// by a search for their own vector among 20 vectors copied 1,000 times).
  /// Linked from every copy the insert's beam met, the new node is reached
  /// from most copies a search for it meets, as its beam comes the same way
  /// (all 40 in that test; 7–8 of 10 new traces in a store of 20 samples
  /// copied 5,000 times, against 2 of 10 before: not yet every one).
  ///
  /// Copies lie at the same distance from the new node (up to rounding),
  /// so they sit next to their selected copy in `found`, which is sorted by
  /// distance: only those neighbours in the list are compared with it, and
  /// for data without copies this costs no distance computation.
  /// - Complexity: O(|found| · |selected|) integer comparisons, plus one
  ///   distance per candidate at a selected neighbour's distance.
  func plateauCopies(of selected: [UInt32], in found: [Candidate]) -> [UInt32] {
    var copies: [UInt32] = []
    for (position, neighbour) in found.enumerated() where selected.contains(neighbour.slot) {
      let norm = squaredNorm(neighbour.slot)
      func atSameDistance(_ other: Int) -> Bool {
        abs(found[other].key - neighbour.key) <= 1e-5 * max(1, abs(neighbour.key))
      }
      func take(_ other: Int) {
        let candidate = found[other].slot
        if !selected.contains(candidate) && coincide(distance(neighbour.slot, candidate), norm) { copies.append(candidate) }
      }
      var other = position + 1
      while other < found.count && atSameDistance(other) {
        take(other)
        other += 1
      }
      other = position - 1
      while other >= 0 && atSameDistance(other) {
        take(other)
        other -= 1
      }
    }
    return copies
  }

  /// Adds the edge `from → to` on `level`; when `from`'s list is full, keeps
  /// the best diverse set of its old neighbours plus `to`.
  func connect(_ from: UInt32, to: UInt32, level: Int) {
    let list = links(from, level)
    let count = Int(list[0])
    let capacity = linkCapacity(level)
    if count < capacity {
      var grown = neighbours(from, level)
      grown.append(to)
      setLinks(from, level, grown)
      return
    }
    var pool = [Candidate]()
    pool.reserveCapacity(count + 1)
    pool.append(Candidate(key: distance(from, to), slot: to))
    for index in 1...count { pool.append(Candidate(key: distance(from, list[index]), slot: list[index])) }
    pool.sort { $0.key < $1.key }
    let selected = selectNeighborsHeuristic(pool, limit: capacity)
    setLinks(from, level, level == 0 ? keepingLastInLinks(selected, of: from, limit: capacity) : selected)
  }

  /// When every neighbour's heuristic turned the new `slot` away, puts it in
  /// the closest neighbour's list that has an entry linked from elsewhere
  /// too (that entry makes room), so the new node is reachable.
  func ensureInLink(_ slot: UInt32, from neighbours: [UInt32]) {
    guard inLinks(slot) == 0 else { return }
    giveInLink(slot, from: neighbours)
  }

  /// Puts `slot` in the layer-0 list of the first of `neighbours` that has
  /// room, or an entry linked from elsewhere too (in that entry's place).
  func giveInLink(_ slot: UInt32, from neighbours: [UInt32]) {
    for neighbour in neighbours where neighbour != slot {
      var list = self.neighbours(neighbour, 0)
      guard !list.contains(slot) else { return }
      if list.count < maxM0 {
        list.append(slot)
      } else if let evicted = list.lastIndex(where: {
        keepsOutsideInLink($0, remaining: inLinks($0) - 1, apartFrom: neighbour)
      }) {
        list[evicted] = slot
      } else {
        continue
      }
      setLinks(neighbour, 0, list)
      return
    }
  }

  /// `selected`, a new layer-0 list for `slot`, changed so that it drops
  /// no node whose only in-link from outside its own neighbours is `slot`'s
  /// current list (`keepsOutsideInLink`): such a node takes the place of
  /// the farthest selected one that keeps one. The heuristic alone can
  /// orphan a node (hnswlib's graphs have unreachable nodes).
  /// Nodes for which `isLeaving` is true (being deleted) are never kept.
  func keepingLastInLinks(
    _ selected: [UInt32], of slot: UInt32, limit: Int, isLeaving: (UInt32) -> Bool = { _ in false }
  ) -> [UInt32] {
    let current = Set(neighbours(slot, 0))
    let chosen = Set(selected)
    let orphans = current.filter {
      !chosen.contains($0) && !keepsOutsideInLink($0, remaining: inLinks($0) - 1, apartFrom: slot) && !isLeaving($0)
    }.sorted()
    guard !orphans.isEmpty else { return selected }
    var result = selected
    for orphan in orphans {
      if result.count < limit {
        result.append(orphan)
        continue
      }
      // In-links from elsewhere: all of them, less this list's own.
      guard
        let evicted = result.lastIndex(where: { entry in
          !orphans.contains(entry)
            && keepsOutsideInLink(entry, remaining: inLinks(entry) - (current.contains(entry) ? 1 : 0), apartFrom: slot)
        })
      else { break }
      result[evicted] = orphan
    }
    return result
  }

  /// Whether `node`, left with `remaining` layer-0 in-links none of which is
  /// `losing`'s, is still linked from a node that is not one of its own
  /// neighbours linking back: an in-link a search can arrive by from the
  /// rest of the graph.
  ///
  /// An in-link count alone is not enough: two nodes that link only to each
  /// other each have one, and form an island no search reaches (found on
  /// 150 near-identical traces, where OpenBLAS's SSE3 kernels rounded
  /// distances so that two of them ended up as such a pair). Conservative:
  /// with more than two in-links left the node is taken to keep one, so the
  /// check costs a scan of its neighbours' lists only for a weakly linked node.
  /// - Complexity: O(M²) for a node with at most two in-links left, O(1) otherwise.
  func keepsOutsideInLink(_ node: UInt32, remaining: Int, apartFrom losing: UInt32) -> Bool {
    if remaining <= 0 { return false }
    if remaining > 2 { return true }
    let mutual = neighbours(node, 0).count { $0 != losing && neighbours($0, 0).contains(node) }
    return remaining > mutual
  }

  /// SELECT-NEIGHBORS-HEURISTIC (Algorithm 4, without extendCandidates or
  /// keepPrunedConnections, as hnswlib): walking candidates closest first,
  /// keep one only if it is closer to the base than to every one already
  /// kept, so links spread in different directions instead of clustering.
  /// `candidates` are sorted by distance to the base, closest first.
  ///
  /// Duplicates (`coincide`) change two things. A candidate that coincides
  /// with a kept one is dropped: one link reaches a whole group of copies
  /// (their ring, `spliceDuplicate`), so copies cannot fill the list and cut
  /// the group off from the rest of the graph. And a kept node that coincides
  /// with the base prunes nothing else: it lies where the base lies, so the
  /// paper's test would only compare rounding noise (near-duplicates lost
  /// about half their outward links to it, and whole groups became islands).
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
    var keptAtBase = [Bool]()
    keptAtBase.reserveCapacity(limit)
    for candidate in candidates {
      if selected.count >= limit { break }
      let vector = UnsafePointer(self.vector(candidate.slot))
      let squaredNorm = self.squaredNorm(candidate.slot)
      if !selected.isEmpty {
        BLASKernel.dotRows(kept, count: selected.count, dimension: dimension, with: vector, into: scores)
        var diverse = true
        for (row, other) in selected.enumerated() {
          let d = isL2 ? squaredNorm + self.squaredNorm(other) - 2 * scores[row] : 1 - scores[row]
          if coincide(d, squaredNorm) || (!keptAtBase[row] && d < candidate.key) {
            diverse = false
            break
          }
        }
        guard diverse else { continue }
      }
      (kept + selected.count * dimension).update(from: vector, count: dimension)
      selected.append(candidate.slot)
      keptAtBase.append(coincide(candidate.key, squaredNorm))
    }
    return selected
  }

  /// Whether two vectors at distance `d` are the same point up to rounding
  /// (exact or near duplicates): cosine distance at most 1e-4 (an angle under
  /// 0.9°; rounding alone gives up to ~1e-5 at d = 384), or a squared l2
  /// distance at most 1e-4 of the squared norm. Inner product has no such
  /// notion (a vector is not its own nearest neighbour there).
  @inline(__always)
  func coincide(_ d: Float, _ squaredNorm: Float) -> Bool {
    switch metric {
    case .cosine: d <= 1e-4
    case .l2: d <= 1e-4 * squaredNorm
    case .innerProduct: false
    }
  }

  /// Puts the new node `slot`, which coincides with `existing`, into the
  /// ring of duplicates through `existing` on layer 0: `existing` now links
  /// to `slot`, and `slot` links to whichever copy `existing` linked to
  /// before (or to `existing` itself). Every copy thus keeps one in-link
  /// that pruning never removes (a coinciding link sorts first in every
  /// list and is the only one of its group kept), so no copy becomes
  /// unreachable however many there are. Returns the copy `slot` links to.
  func spliceDuplicate(_ slot: UInt32, after existing: UInt32) -> UInt32 {
    var list = neighbours(existing, 0)
    let norm = squaredNorm(existing)
    if let position = list.firstIndex(where: { coincide(distance(existing, $0), norm) }) {
      let next = list[position]
      list[position] = slot
      setLinks(existing, 0, list)
      return next
    }
    connect(existing, to: slot, level: 0)
    return existing
  }
}

extension HNSWGraph {
  /// Deletes the nodes in `doomed` (live, not tombstones) as hnswlib's
  /// `markDelete` does: each becomes a tombstone, out of the label map and
  /// out of every result, but still a node that searches route through, so
  /// no link changes and no node can become unreachable. The next insert
  /// takes a tombstone's slot (`insert`, hnswlib's `replace_deleted`).
  ///
  /// Tombstones that no insert takes are purged (`purgeTombstones`) once
  /// they outnumber the searchable nodes, so they never hold more than
  /// half the graph's memory and search time.
  /// - Complexity: O(doomed · log tombstones), plus, amortized over the
  ///   deletes since the last purge, O(M³) distance computations per delete.
  func delete(_ doomed: [UInt32]) {
    guard !doomed.isEmpty else { return }
    for slot in doomed { markTombstone(slot) }
    changes.headerChanged = true
    if tombstones.count > count { purgeTombstones() }
  }

  /// Removes every tombstone for good: every node that links to one gets its
  /// list rebuilt from its remaining neighbours plus the removed nodes'
  /// neighbours (the 2-hop detour the edge used to provide), pruned by
  /// `selectNeighborsHeuristic`; then the slots are freed for reuse.
  ///
  /// The graph keeps no reverse edges (they would double link memory), so the
  /// nodes pointing at the removed ones are found by one scan of the link
  /// tables, shared by all of them. A walk from the entry point then finds
  /// any node left without a way in, which gets one (`linkFromReached`).
  /// - Complexity: O(n · M) link reads for the scan and the walk, plus
  ///   O(affected · M² · M) distance computations for the repairs and one
  ///   beam per node left without a way in.
  func purgeTombstones() {
    let doomed = tombstones
    guard !doomed.isEmpty else { return }
    var isDoomed = [Bool](repeating: false, count: slotCount)
    var topLevel = 0
    for slot in doomed {
      isDoomed[Int(slot)] = true
      topLevel = max(topLevel, level(slot))
    }
    var orphans: [UInt32] = []
    for layer in 0...topLevel {
      for index in 0..<slotCount {
        let slot = UInt32(index)
        guard !isDoomed[index], rawLevel(index) != HNSWGraph.freeLevel, level(slot) >= layer else { continue }
        let list = links(slot, layer)
        let count = Int(list[0])
        var touches = false
        for position in 1..<(count + 1) where isDoomed[Int(list[position])] {
          touches = true
          break
        }
        guard touches else { continue }
        repairLinks(of: slot, level: layer, isDoomed: isDoomed)
        if links(slot, layer)[0] == 0 { orphans.append(slot) }
      }
    }
    for slot in doomed { releaseSlot(slot) }
    if entryPoint != HNSWGraph.noSlot && isDoomed[Int(entryPoint)] { chooseEntryPoint() }
    changes.headerChanged = true
    // A node whose every neighbour (and their neighbours) went away would be
    // unreachable; link it again as if it were new.
    for slot in Set(orphans) where isLive(slot) && slot != entryPoint { relink(slot) }
    // So would a node whose every in-link came from a removed node: the
    // repairs above choose out-links, and keep one copy of a group of exact
    // copies per list, so newer copies of vectors whose older copies were
    // all deleted were left as an island, linked only among themselves.
    // Link again what the entry point no longer reaches, with one way in
    // from the nodes it does reach, and count as reached what that leads to.
    var reached = reachedFromEntryPoint()
    for index in 0..<slotCount where isLive(UInt32(index)) && !reached[index] {
      let slot = UInt32(index)
      linkFromReached(slot)
      markReached(from: slot, in: &reached)
    }
  }

  /// Gives `slot` a way in from the nodes a layer-0 beam from the entry
  /// point meets, nearest first (`giveInLink`). Relinking it as if it were
  /// new is not enough for an island: its own list keeps the island's nodes
  /// whose only in-link it is, and the beam's nodes may all turn it away.
  private func linkFromReached(_ slot: UInt32) {
    let scratch = writeScratch
    let query = vector(slot)
    let norm = squaredNorm(slot)
    searchLayer(
      query, norm, from: entryPoint, distance: distance(query, norm, entryPoint), ef: efConstruction, level: 0,
      filter: ExcludingSlot(excluded: slot), scratch: scratch)
    giveInLink(slot, from: sortedAscending(&scratch.results).map(\.slot))
  }

  /// By slot, whether a layer-0 walk from the entry point reaches it.
  /// - Complexity: O(n · M).
  func reachedFromEntryPoint() -> [Bool] {
    var reached = [Bool](repeating: false, count: slotCount)
    if entryPoint != HNSWGraph.noSlot { markReached(from: entryPoint, in: &reached) }
    return reached
  }

  /// Marks `start` and every live node a layer-0 walk from it reaches that
  /// is not marked yet.
  private func markReached(from start: UInt32, in reached: inout [Bool]) {
    let lists = LevelLinks(self, level: 0)
    reached[Int(start)] = true
    var stack = [start]
    while let slot = stack.popLast() {
      let list = lists[slot]
      for position in 1..<(Int(list[0]) + 1) {
        let neighbour = list[position]
        guard isLive(neighbour), !reached[Int(neighbour)] else { continue }
        reached[Int(neighbour)] = true
        stack.append(neighbour)
      }
    }
  }

  /// Rebuilds `slot`'s list on `level` without the doomed nodes.
  private func repairLinks(of slot: UInt32, level: Int, isDoomed: [Bool]) {
    var seen: Set<UInt32> = [slot]
    var pool: [Candidate] = []
    func consider(_ candidate: UInt32) {
      guard !isDoomed[Int(candidate)], seen.insert(candidate).inserted else { return }
      pool.append(Candidate(key: distance(slot, candidate), slot: candidate))
    }
    for neighbour in neighbours(slot, level) {
      if isDoomed[Int(neighbour)] {
        for detour in neighbours(neighbour, level) { consider(detour) }
      } else {
        consider(neighbour)
      }
    }
    pool.sort { $0.key < $1.key }
    let selected = selectNeighborsHeuristic(pool, limit: linkCapacity(level))
    setLinks(slot, level, level == 0 ? keepingLastInLinks(selected, of: slot, limit: linkCapacity(0), isLeaving: { isDoomed[Int($0)] }) : selected)
  }

  /// After the entry point is removed: the live node with the highest level
  /// (the lowest slot among equals, for determinism), or none.
  private func chooseEntryPoint() {
    entryPoint = HNSWGraph.noSlot
    maxLevel = 0
    for index in 0..<slotCount where rawLevel(index) != HNSWGraph.freeLevel {
      if entryPoint == HNSWGraph.noSlot || Int(rawLevel(index)) > maxLevel {
        entryPoint = UInt32(index)
        maxLevel = Int(rawLevel(index))
      }
    }
  }

  /// Links an existing node that lost all its neighbours, the way `insert`
  /// links a new one.
  private func relink(_ slot: UInt32) {
    link(slot, filter: ExcludingSlot(excluded: slot))
  }
}

/// Every node but one.
struct ExcludingSlot: SlotFilter {
  let excluded: UInt32
  @inline(__always) func allows(_ slot: UInt32) -> Bool { slot != excluded }
  var isFiltering: Bool { true }
}

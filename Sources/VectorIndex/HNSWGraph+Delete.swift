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
  /// tables, shared by all of them.
  /// - Complexity: O(n · M) link reads for the scan plus
  ///   O(affected · M² · M) distance computations for the repairs.
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

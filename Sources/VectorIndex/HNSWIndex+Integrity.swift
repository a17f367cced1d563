/// One broken invariant found by `HNSWIndex.checkIntegrity()`.
public enum IntegrityViolation: Hashable, Sendable, CustomStringConvertible {
  /// The entry point is missing, free, or not on the top level.
  case badEntryPoint(String)
  /// A link list holds more links than its level allows.
  case overfullLinkList(slot: UInt32, level: Int, count: Int)
  /// A link points at a free slot, a slot past the end, or a node without that level.
  case danglingLink(from: UInt32, to: UInt32, level: Int)
  /// A node links to itself.
  case selfLink(slot: UInt32, level: Int)
  /// A link list names the same neighbour twice.
  case duplicateLink(slot: UInt32, to: UInt32, level: Int)
  /// The label map and the node disagree.
  case labelMismatch(label: UInt32, slot: UInt32)
  /// The free list and the slots disagree.
  case freeListMismatch(slot: UInt32)
  /// The list of tombstones and the nodes' marks disagree.
  case tombstoneListMismatch(slot: UInt32)
  /// A stored vector has a non-finite component, or is not unit length under cosine.
  case badVector(slot: UInt32)
  /// A searchable node cannot be reached from the entry point on layer 0
  /// (searches route through tombstones, so the walk does too).
  case unreachable(slot: UInt32)

  public var description: String {
    switch self {
    case .badEntryPoint(let why): "entry point: \(why)"
    case .overfullLinkList(let slot, let level, let count): "slot \(slot) level \(level): \(count) links, over capacity"
    case .danglingLink(let from, let to, let level): "link \(from)→\(to) on level \(level) points at no node of that level"
    case .selfLink(let slot, let level): "slot \(slot) links to itself on level \(level)"
    case .duplicateLink(let slot, let to, let level): "slot \(slot) links to \(to) twice on level \(level)"
    case .labelMismatch(let label, let slot): "label \(label) and slot \(slot) disagree"
    case .freeListMismatch(let slot): "slot \(slot): free list and slot state disagree"
    case .tombstoneListMismatch(let slot): "slot \(slot): tombstone list and node mark disagree"
    case .badVector(let slot): "slot \(slot): vector not finite or not normalized"
    case .unreachable(let slot): "slot \(slot) is unreachable from the entry point"
    }
  }
}

extension HNSWIndex {
  /// Every broken invariant of the graph, empty when it is sound: entry
  /// point, link capacities and targets, label map, free list, tombstone list,
  /// stored vectors, and reachability of every searchable node on layer 0.
  /// - Complexity: O(n · (d + M)).
  public func checkIntegrity() -> [IntegrityViolation] {
    let graph = self.graph
    var violations: [IntegrityViolation] = []
    var live = 0
    var searchable = 0
    var topLevel = -1
    for index in 0..<graph.slotCount {
      let slot = UInt32(index)
      guard graph.isLive(slot) else { continue }
      live += 1
      let level = graph.level(slot)
      topLevel = max(topLevel, level)
      if !graph.isTombstone(slot) { searchable += 1 }
      if !graph.isTombstone(slot) && graph.labelToSlot[graph.label(slot)] != slot {
        violations.append(.labelMismatch(label: graph.label(slot), slot: slot))
      }
      let vector = UnsafeBufferPointer(start: graph.vector(slot), count: graph.dimension)
      var squaredNorm: Float = 0
      for component in vector { squaredNorm += component * component }
      if !squaredNorm.isFinite || (graph.metric == .cosine && abs(squaredNorm - 1) > 1e-3) {
        violations.append(.badVector(slot: slot))
      }
      for layer in 0...level {
        let neighbours = graph.neighbours(slot, layer)
        if neighbours.count > graph.linkCapacity(layer) {
          violations.append(.overfullLinkList(slot: slot, level: layer, count: neighbours.count))
        }
        var seen: Set<UInt32> = []
        for neighbour in neighbours {
          if neighbour == slot { violations.append(.selfLink(slot: slot, level: layer)) }
          if !graph.isLive(neighbour) || graph.level(neighbour) < layer {
            violations.append(.danglingLink(from: slot, to: neighbour, level: layer))
          }
          if !seen.insert(neighbour).inserted { violations.append(.duplicateLink(slot: slot, to: neighbour, level: layer)) }
        }
      }
    }
    for (label, slot) in graph.labelToSlot.pairs where !graph.isSearchable(slot) || graph.label(slot) != label {
      violations.append(.labelMismatch(label: label, slot: slot))
    }
    if graph.labelToSlot.count != searchable { violations.append(.labelMismatch(label: .max, slot: HNSWGraph.noSlot)) }
    let tombstones = Set(graph.tombstones)
    for index in 0..<graph.slotCount
    where (graph.isLive(UInt32(index)) && graph.isTombstone(UInt32(index))) != tombstones.contains(UInt32(index)) {
      violations.append(.tombstoneListMismatch(slot: UInt32(index)))
    }
    if tombstones.count != graph.tombstones.count || graph.tombstones != graph.tombstones.sorted(by: >) {
      violations.append(.tombstoneListMismatch(slot: HNSWGraph.noSlot))
    }
    let free = Set(graph.freeSlots)
    for index in 0..<graph.slotCount where graph.isLive(UInt32(index)) == free.contains(UInt32(index)) {
      violations.append(.freeListMismatch(slot: UInt32(index)))
    }
    if free.count != graph.freeSlots.count || live + free.count != graph.slotCount {
      violations.append(.freeListMismatch(slot: HNSWGraph.noSlot))
    }
    if live == 0 {
      if graph.entryPoint != HNSWGraph.noSlot { violations.append(.badEntryPoint("set in an empty index")) }
      return violations
    }
    guard graph.entryPoint != HNSWGraph.noSlot, graph.isLive(graph.entryPoint) else {
      violations.append(.badEntryPoint("missing or free"))
      return violations
    }
    if graph.level(graph.entryPoint) != graph.maxLevel || graph.maxLevel != topLevel {
      violations.append(.badEntryPoint("level \(graph.level(graph.entryPoint)), max level \(graph.maxLevel), top \(topLevel)"))
    }
    let reached = graph.reachedFromEntryPoint()
    for index in 0..<graph.slotCount where graph.isSearchable(UInt32(index)) && !reached[index] {
      violations.append(.unreachable(slot: UInt32(index)))
    }
    return violations
  }
}

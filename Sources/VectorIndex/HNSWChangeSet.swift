/// Everything one mutation of an `HNSWIndex` changed, as the records the store
/// must write (see README.md, "Persistence"). Values, not references: the
/// change set stays valid after later mutations.
///
/// Apply in this order, in the same write transaction as the trace:
/// 1. for each slot in `freedSlots`, delete its node record and every link list
///    record of that slot (the key prefix `slot`);
/// 2. put every record in `nodes`, `vectorBlocks` and `linkLists`;
/// 3. put `header`.
/// A slot can be both freed and written (an update reusing its slot); the
/// order above makes that correct.
public struct HNSWChangeSet: Sendable, Equatable {
  /// The index header after the mutation (entry point, max level, counts,
  /// random state). Always present: every mutation advances it.
  public var header: HNSWHeader
  /// Nodes written (new or overwritten), in slot order.
  public var nodes: [HNSWNodeRecord]
  /// Vector blocks written (each whole), in block order.
  public var vectorBlocks: [HNSWVectorBlockRecord]
  /// Link lists written, in (slot, level) order.
  public var linkLists: [HNSWLinkListRecord]
  /// Slots emptied, in slot order.
  public var freedSlots: [UInt32]

  /// Merges a later change set into this one (later values win).
  public mutating func formUnion(_ later: HNSWChangeSet) {
    var nodesBySlot = Dictionary(nodes.map { ($0.slot, $0) }, uniquingKeysWith: { $1 })
    var freed = Set(freedSlots)
    var lists = Dictionary(linkLists.map { (HNSWLinkListRecord.Key($0.slot, $0.level), $0) }, uniquingKeysWith: { $1 })
    for slot in later.freedSlots {
      freed.insert(slot)
      nodesBySlot[slot] = nil
      lists = lists.filter { $0.key.slot != slot }
    }
    for node in later.nodes { nodesBySlot[node.slot] = node }
    var blocks = Dictionary(vectorBlocks.map { ($0.block, $0) }, uniquingKeysWith: { $1 })
    for block in later.vectorBlocks { blocks[block.block] = block }
    vectorBlocks = blocks.values.sorted { $0.block < $1.block }
    for list in later.linkLists { lists[HNSWLinkListRecord.Key(list.slot, list.level)] = list }
    header = later.header
    nodes = nodesBySlot.values.sorted { $0.slot < $1.slot }
    linkLists = lists.values.sorted { ($0.slot, $0.level) < ($1.slot, $1.level) }
    freedSlots = freed.sorted()
  }
}

/// What the running mutation touched, by slot; turned into an
/// `HNSWChangeSet` (with the final values) when the mutation ends.
struct ChangeTracker {
  var nodes: Set<UInt32> = []
  var linkLists: Set<UInt64> = []
  var freed: Set<UInt32> = []
  /// Vector blocks whose rows were written.
  var vectorBlocks: Set<UInt32> = []
  var headerChanged = false

  mutating func vectorWritten(_ block: UInt32) {
    vectorBlocks.insert(block)
  }

  mutating func nodeWritten(_ slot: UInt32, level: Int) {
    nodes.insert(slot)
    for layer in 0...level { linkListWritten(slot, layer) }
  }

  mutating func linkListWritten(_ slot: UInt32, _ level: Int) {
    linkLists.insert(UInt64(slot) << 8 | UInt64(level))
  }

  mutating func slotFreed(_ slot: UInt32) {
    freed.insert(slot)
  }

  mutating func reset() { self = ChangeTracker() }
}

extension HNSWGraph {
  /// The records for what changed since the last `takeChanges()`, with the
  /// graph's current values. Writes to slots freed later in the same mutation
  /// are dropped (the slot's records are deleted instead), as are link lists
  /// above a reused slot's new level.
  func takeChanges() -> HNSWChangeSet {
    defer { changes.reset() }
    let nodes = changes.nodes.filter { isLive($0) }.sorted().map { nodeRecord($0) }
    let blocks = changes.vectorBlocks.sorted().map { HNSWVectorBlockRecord(block: $0, vectors: Array(vectorBlock($0))) }
    let lists = changes.linkLists.sorted().compactMap { key -> HNSWLinkListRecord? in
      let slot = UInt32(key >> 8)
      let layer = Int(key & 0xFF)
      guard isLive(slot), layer <= level(slot) else { return nil }
      return HNSWLinkListRecord(slot: slot, level: layer, neighbours: neighbours(slot, layer))
    }
    return HNSWChangeSet(
      header: header, nodes: nodes, vectorBlocks: blocks, linkLists: lists, freedSlots: changes.freed.sorted())
  }

  /// The persisted form of the node in `slot` (live).
  func nodeRecord(_ slot: UInt32) -> HNSWNodeRecord {
    HNSWNodeRecord(slot: slot, label: label(slot), level: level(slot), isTombstone: isTombstone(slot))
  }

  var header: HNSWHeader {
    HNSWHeader(
      dimension: dimension, metric: metric, m: m, efConstruction: efConstruction, seed: seed,
      slotCount: UInt32(slotCount), count: UInt32(count),
      entryPoint: entryPoint == HNSWGraph.noSlot ? nil : entryPoint, maxLevel: maxLevel, randomState: rng.state)
  }
}

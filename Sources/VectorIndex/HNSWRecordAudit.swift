/// Checks persisted HNSW records one at a time against their header, so that
/// each damaged record is named: what `HNSWIndex.Loader` refuses as a whole,
/// an audit (a store's `verify`) reports record by record. Feed every node
/// record first, then every vector block (layout 3), then every link list.
public struct HNSWRecordAudit: Sendable {
  public let header: HNSWHeader
  /// The sound nodes: slot → (label, level).
  public private(set) var nodes: [UInt32: (label: UInt32, level: Int)] = [:]
  /// The sound nodes that are tombstones (deleted, kept to route searches;
  /// their labels belong to nothing).
  public private(set) var tombstones: Set<UInt32> = []
  private var slotOfLabel: [UInt32: UInt32] = [:]
  /// The sound vector blocks seen (layout 3).
  private var vectorBlocks: Set<UInt32> = []

  public init(header: HNSWHeader) { self.header = header }

  /// Checks one node record (its key and value as stored); nil when sound.
  public mutating func checkNode(key: some Collection<UInt8>, value: some Collection<UInt8>) -> VectorIndexError? {
    do throws(VectorIndexError) {
      let slot = try HNSWNodeRecord.slot(fromKey: key)
      let (node, vector) = try HNSWNodeRecord.decode(slot: slot, value, under: header)
      guard slot < header.slotCount else { throw .corruptRecord("slot \(slot) is past the header's \(header.slotCount)") }
      guard node.level <= header.maxLevel else {
        throw .corruptRecord("node \(slot) has level \(node.level) > \(header.maxLevel)")
      }
      guard vector?.allSatisfy(\.isFinite) ?? true else { throw .corruptRecord("node \(slot) has a non-finite vector") }
      // A tombstone's label may belong to a live node now.
      if !node.isTombstone, let other = slotOfLabel.updateValue(slot, forKey: node.label) {
        throw .corruptRecord("nodes \(other) and \(slot) both hold label \(node.label)")
      }
      nodes[slot] = (node.label, node.level)
      if node.isTombstone { tombstones.insert(slot) }
      return nil
    } catch {
      return error
    }
  }

  /// Checks one vector block (after the nodes): its length, and that every
  /// node it holds has a finite vector; nil when sound.
  public mutating func checkVectorBlock(key: some Collection<UInt8>, value: some Collection<UInt8>) -> VectorIndexError? {
    do throws(VectorIndexError) {
      let block = try HNSWVectorBlockRecord.block(fromKey: key)
      let rows = header.vectorBlockRows
      guard !header.nodesHoldVectors, Int(block) * rows < Int(header.slotCount) else {
        throw .corruptRecord("vector block \(block) holds no slot of the header's \(header.slotCount)")
      }
      guard value.count == 4 * rows * header.dimension else {
        throw .corruptRecord("vector block \(block): \(value.count) bytes, expected \(4 * rows * header.dimension)")
      }
      let bytes = Array(value)
      for row in 0..<rows where nodes[block * UInt32(rows) + UInt32(row)] != nil {
        let vector = try HNSWVectorBlockRecord.vector(ofRow: row, in: bytes, dimension: header.dimension)
        guard vector.allSatisfy(\.isFinite) else {
          throw .corruptRecord("node \(Int(block) * rows + row) has a non-finite vector")
        }
      }
      vectorBlocks.insert(block)
      return nil
    } catch {
      return error
    }
  }

  /// After the vector blocks: the nodes whose block is missing (layout 3).
  public func missingVectorViolations() -> [VectorIndexError] {
    guard !header.nodesHoldVectors else { return [] }
    let rows = UInt32(header.vectorBlockRows)
    return nodes.keys.sorted().filter { !vectorBlocks.contains($0 / rows) }.map {
      .corruptRecord("node \($0): its vector block \($0 / rows) is missing")
    }
  }

  /// After the nodes: whether the header counts as many as were sound.
  public func nodeCountViolation() -> VectorIndexError? {
    nodes.count - tombstones.count == Int(header.count)
      ? nil
      : .corruptRecord("the header counts \(header.count) nodes, the table holds \(nodes.count - tombstones.count)")
  }

  /// Checks one link-list record against the nodes seen; nil when sound.
  /// A list holds at most 2·M links on layer 0 and M above, as the graph builds them.
  public func checkLinkList(key: some Collection<UInt8>, value: some Collection<UInt8>) -> VectorIndexError? {
    do throws(VectorIndexError) {
      let (slot, level) = try HNSWLinkListRecord.slotAndLevel(fromKey: key)
      let list = try HNSWLinkListRecord(slot: slot, level: level, decoding: value)
      guard let node = nodes[slot], level <= node.level else {
        throw .corruptRecord("link list \(slot)/\(level) belongs to no node of that level")
      }
      let capacity = level == 0 ? 2 * header.m : header.m
      guard list.neighbours.count <= capacity else {
        throw .corruptRecord("link list \(slot)/\(level) holds \(list.neighbours.count) links, over \(capacity)")
      }
      for neighbour in list.neighbours {
        guard neighbour != slot, let target = nodes[neighbour], target.level >= level else {
          throw .corruptRecord("link list \(slot)/\(level) links to \(neighbour), no node of that level")
        }
      }
      guard Set(list.neighbours).count == list.neighbours.count else {
        throw .corruptRecord("link list \(slot)/\(level) names a neighbour twice")
      }
      return nil
    } catch {
      return error
    }
  }
}

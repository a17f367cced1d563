import Testing

@testable import VectorIndex

/// `HNSWRecordAudit` names each damaged record that `HNSWIndex.Loader` would
/// refuse as a whole, and finds nothing in the records of a sound index.
@Suite struct RecordAuditTests {
  /// A small sound index and its records as a store holds them.
  private func records() throws -> (HNSWHeader, [HNSWNodeRecord], [HNSWLinkListRecord]) {
    let (header, nodes, _, lists) = try index().allRecords()
    return (header, nodes, lists)
  }

  private func index() throws -> HNSWIndex {
    var index = try HNSWIndex(dimension: 4, metric: .l2, m: 3, efConstruction: 20, seed: 5)
    for (label, vector) in Fixtures.uniform(count: 40, dimension: 4, seed: 9).enumerated() {
      _ = try index.insert(vector, label: UInt32(label))
    }
    return index
  }

  private func audit(
    _ header: HNSWHeader, _ nodes: [HNSWNodeRecord], _ lists: [HNSWLinkListRecord],
    blocks: [HNSWVectorBlockRecord]? = nil
  ) throws -> [VectorIndexError] {
    var audit = HNSWRecordAudit(header: header)
    var found = nodes.compactMap { audit.checkNode(key: $0.key, value: $0.encoded()) }
    if let count = audit.nodeCountViolation() { found.append(count) }
    found += (try blocks ?? index().allRecords().vectorBlocks).compactMap {
      audit.checkVectorBlock(key: $0.key, value: $0.encoded())
    }
    found += audit.missingVectorViolations()
    found += lists.compactMap { audit.checkLinkList(key: $0.key, value: $0.encoded()) }
    return found
  }

  @Test func soundRecordsPass() throws {
    let (header, nodes, lists) = try records()
    #expect(try audit(header, nodes, lists).isEmpty)
    #expect(!lists.isEmpty)
  }

  @Test("vector blocks: a missing one, a short one, a non-finite vector, one past the slots")
  func vectorBlockDamage() throws {
    let (header, nodes, lists) = try records()
    let block = try #require(try index().allRecords().vectorBlocks.first)
    #expect(block.vectors.count == 256 * 4)
    let missing = try audit(header, nodes, lists, blocks: [])
    #expect(missing.count == 40 && "\(missing[0])".contains("node 0: its vector block 0 is missing"), "\(missing)")
    let short = try audit(header, nodes, lists, blocks: [HNSWVectorBlockRecord(block: 0, vectors: Array(block.vectors.dropLast()))])
    #expect(short.first.map { "\($0)".contains("4092 bytes, expected 4096") } == true, "\(short)")
    var infinite = block
    infinite.vectors[4 * 7 + 2] = .infinity
    let nonFinite = try audit(header, nodes, lists, blocks: [infinite])
    #expect(nonFinite.first.map { "\($0)".contains("node 7 has a non-finite vector") } == true, "\(nonFinite)")
    // A free row may hold anything.
    var freeRow = block
    freeRow.vectors[4 * 200] = .nan
    #expect(try audit(header, nodes, lists, blocks: [freeRow]).isEmpty)
    let past = try audit(header, nodes, lists, blocks: [block, HNSWVectorBlockRecord(block: 1, vectors: block.vectors)])
    #expect(past.count == 1 && "\(past[0])".contains("holds no slot"), "\(past)")
  }

  @Test func eachDamageIsNamed() throws {
    let (header, nodes, lists) = try records()
    let list = try #require(lists.first { $0.level == 0 })
    let other = try #require(nodes.first { $0.slot != list.slot })

    // Layer 0 holds at most 2·M = 6 links: 7 is one past.
    let tooMany = HNSWLinkListRecord(slot: list.slot, level: 0, neighbours: (0..<7).map { UInt32($0) }.filter { $0 != list.slot } + [39])
    let overCapacity = try audit(header, nodes, lists.map { $0.slot == list.slot && $0.level == 0 ? tooMany : $0 })
    #expect(overCapacity.count == 1 && "\(overCapacity[0])".contains("over 6"), "\(overCapacity)")

    // A link to a slot that holds no node.
    let dangling = HNSWLinkListRecord(slot: list.slot, level: 0, neighbours: [header.slotCount + 5])
    let danglingFound = try audit(header, nodes, lists.map { $0.slot == list.slot && $0.level == 0 ? dangling : $0 })
    #expect(danglingFound.count == 1 && "\(danglingFound[0])".contains("no node of that level"), "\(danglingFound)")

    // The same neighbour twice.
    let twice = HNSWLinkListRecord(slot: list.slot, level: 0, neighbours: [other.slot, other.slot])
    #expect(try audit(header, nodes, lists.map { $0.slot == list.slot && $0.level == 0 ? twice : $0 }).count == 1)

    // Two nodes holding one label: the second is refused, and the count no longer matches.
    let copy = HNSWNodeRecord(slot: other.slot, label: nodes[0].label == other.label ? nodes[1].label : nodes[0].label, level: other.level)
    let relabelled = try audit(header, nodes.map { $0.slot == other.slot ? copy : $0 }, lists)
    #expect(relabelled.contains { "\($0)".contains("both hold label") }, "\(relabelled)")
    #expect(relabelled.contains { "\($0)".contains("the header counts 40 nodes") }, "\(relabelled)")

    // A node past the header's slots, and one above its top level.
    let past = HNSWNodeRecord(slot: header.slotCount, label: 999, level: 0)
    #expect(try audit(header, nodes + [past], lists).contains { "\($0)".contains("past the header") })
    let high = HNSWNodeRecord(slot: other.slot, label: other.label, level: header.maxLevel + 1)
    #expect(try audit(header, nodes.map { $0.slot == other.slot ? high : $0 }, lists).contains { "\($0)".contains("has level") })
  }
}

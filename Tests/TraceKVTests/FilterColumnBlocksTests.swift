import Foundation
import TestSupport
import Testing

@testable import TraceKV

/// Opening reads the filter columns from packed blocks that every write keeps
/// current; a store without current blocks is read by decoding every trace
/// record, as before, and its next write writes them all.
@Suite struct FilterColumnBlocksTests {
  /// The columns as the fallback builds them: every trace record decoded.
  static func decoded(_ store: TraceStore) throws -> FilterColumns {
    try store.read { transaction in
      var columns = FilterColumns()
      try transaction.scan(store.tables.traces) { key, value in
        columns.set(try Keys.document(in: key), try TraceRecord.decode(value, withAttributes: false))
        return true
      }
      return columns
    }
  }

  static func blocks(_ store: TraceStore) throws -> FilterColumns? {
    try store.read { transaction in
      try FilterColumnBlocks.load(
        generation: try SearchIndexes.generation(in: transaction, tables: store.tables), tables: store.tables,
        in: transaction)
    }
  }

  static func blockKeys(_ store: TraceStore) throws -> Int {
    try store.read { transaction in
      var count = 0
      try transaction.scan(store.tables.meta, prefix: FilterColumnBlocks.keyPrefix) { _, _ in
        count += 1
        return true
      }
      return count
    }
  }

  static func expectSame(_ a: FilterColumns, _ b: FilterColumns) {
    #expect(a.liveCount == b.liveCount)
    for filter in ChangeLogTests.filters + [
      TraceFilter(minConfidence: 0.5), TraceFilter(since: Timestamp(microseconds: 0)),
      TraceFilter(until: Timestamp(microseconds: 1_700_000_000_000_000)),
    ] {
      #expect(ChangeLogTests.members(a.allowed(by: filter)) == ChangeLogTests.members(b.allowed(by: filter)), "\(filter)")
    }
  }

  /// Writes of every kind on the samples: traces with an episode, feedback, a signal, a merge, a delete.
  static func writeSome(_ store: TraceStore) throws {
    let ids = try store.traceIDs()
    for number in 0..<5 { _ = try store.ingest(json: ChangeLogTests.trace(number)) }
    try store.addFeedback(traceID: ids[0], rating: 5)
    try store.signal(traceID: ids[1], status: .failed, reason: "test")
    _ = try store.ingest(json: #"{"trace_id": "live-2", "spans": [{"span_id": "c", "parent_id": "b"}]}"#)
    _ = try store.delete(traceIDs: [ids[2], "live-4"])
  }

  @Test("every write keeps the blocks current: a new instance loads from them what decoding gives")
  func blocksMatchRecords() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    try Self.writeSome(store)
    let blocks = try #require(try Self.blocks(store))
    Self.expectSame(blocks, try Self.decoded(store))
    #expect(try Self.blockKeys(store) == 1)  // 25 documents: one block
    // A new instance (another process) opens from them and searches alike.
    let reopened = try TraceStore(path: store.path)
    let query = SearchQuery(text: "refund", mode: .hybrid, filter: TraceFilter(statuses: [.failed]), limit: 10)
    #expect(try reopened.search(query).hits.map(\.traceID) == store.search(query).hits.map(\.traceID))
  }

  @Test("a store without blocks opens by decoding the records, and its next write writes every block")
  func olderStoreUpgrades() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    try Self.writeSome(store)
    try store.write { transaction in
      _ = try transaction.deleteAll(store.tables.meta, prefix: FilterColumnBlocks.keyPrefix)
      _ = try transaction.delete(store.tables.meta, key: FilterColumnBlocks.stampKey)
    }
    #expect(try Self.blocks(store) == nil)
    let reopened = try TraceStore(path: store.path)
    Self.expectSame(try reopened.read { try reopened.search.state(in: $0, tables: reopened.tables) }.columns, try Self.decoded(store))
    _ = try reopened.ingest(json: ChangeLogTests.trace(9))
    #expect(try Self.blockKeys(store) == 1)
    Self.expectSame(try #require(try Self.blocks(store)), try Self.decoded(store))
  }

  @Test("blocks an older build left behind (its write advanced the generation, not them) are not trusted")
  func staleBlocksAreIgnored() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    try Self.writeSome(store)
    let id = try store.traceIDs()[3]
    // What an older build's signal does: the record and the generation, no block.
    try store.write { transaction in
      let doc = try #require(try store.document(of: id, in: transaction))
      var record = try #require(try store.record(doc, in: transaction))
      record.trace.status = .failed
      try transaction.put(store.tables.traces, key: Keys.docID(doc), value: record.encode())
      let generation = try SearchIndexes.generation(in: transaction, tables: store.tables)
      try SearchIndexes.setGeneration(generation + 1, in: transaction, tables: store.tables)
    }
    #expect(try Self.blocks(store) == nil)
    let reopened = try TraceStore(path: store.path)
    let columns = try reopened.read { try reopened.search.state(in: $0, tables: reopened.tables) }.columns
    Self.expectSame(columns, try Self.decoded(store))
    let doc = try store.read { try #require(try store.document(of: id, in: $0)) }
    #expect(ChangeLogTests.members(columns.allowed(by: TraceFilter(statuses: [.failed])))?.contains(doc) == true)
  }

  @Test("the allowed set equals TraceFilter.matches over every record, for filters on each column and on several")
  func allowedSetMatchesTheFilterOracle() throws {
    var generator = SeededGenerator(seed: 17)
    var columns = FilterColumns()
    var records: [UInt32: TraceRecord] = [:]
    // 9,003 documents: more than two chunks of 4,096, the last one partial (and its last word not a
    // multiple of 8); some removed, some never set.
    for doc in UInt32(0)..<9_003 where doc == 9_002 || Int.random(in: 0..<10, using: &generator) != 0 {
      var trace = Trace(traceID: "t\(doc)")
      trace.status = [TraceStatus.running, .completed, .needsReview, .failed].randomElement(using: &generator)!
      if Bool.random(using: &generator) { trace.feedback = Feedback(rating: Int.random(in: 0...5, using: &generator)) }
      if Int.random(in: 0..<3, using: &generator) == 0 {
        var evaluation = JSONObject()
        evaluation["confidence"] = .number(String(Double.random(in: 0...1, using: &generator)))
        evaluation["error_type"] = .string(ErrorType.allCases.randomElement(using: &generator)!.rawValue)
        trace.aiEvaluation = AIEvaluation(evaluation)
      }
      if Bool.random(using: &generator) { trace.episodeID = "episode-\(Int.random(in: 0..<3, using: &generator))" }
      let record = TraceRecord(trace: trace, spanCount: 0, nextSpanSequence: 0, eventTime: Int64.random(in: 0..<1_000, using: &generator))
      columns.set(doc, record)
      records[doc] = record
    }
    for doc in records.keys.sorted() where doc % 7 == 0 {
      columns.remove(doc)
      records[doc] = nil
    }
    let filters = ChangeLogTests.filters + [
      TraceFilter(minRating: 0), TraceFilter(minRating: -1), TraceFilter(minRating: 6), TraceFilter(minRating: 500),
      TraceFilter(minConfidence: 0.25, maxConfidence: 0.75), TraceFilter(maxConfidence: 0.1),
      TraceFilter(since: Timestamp(microseconds: 300)), TraceFilter(since: Timestamp(microseconds: 200), until: Timestamp(microseconds: 210)),
      TraceFilter(since: Timestamp(microseconds: 500), until: Timestamp(microseconds: 400)),
      TraceFilter(errorTypes: Set(ErrorType.allCases.prefix(3))), TraceFilter(episodeID: "episode-1"),
      TraceFilter(episodeID: "never"),
      TraceFilter(statuses: [.completed], minRating: 3, since: Timestamp(microseconds: 100), episodeID: "episode-2"),
    ]
    for filter in filters {
      let expected = records.filter { filter.matches($0.value.trace, eventTime: $0.value.eventTime) }.keys.sorted()
      #expect(ChangeLogTests.members(columns.allowed(by: filter)) == expected, "\(filter)")
    }
    #expect(columns.allowed(by: TraceFilter()) == nil)
  }

  @Test("a block holds 256 documents at the boundary and refuses bytes of another length or an unknown code")
  func blockEncoding() throws {
    var columns = FilterColumns()
    var record = TraceRecord(
      trace: Trace(traceID: "x"), spanCount: 0, nextSpanSequence: 0, eventTime: -5)
    record.trace.status = .needsReview
    record.trace.feedback = Feedback(rating: 4)
    for doc: UInt32 in [0, 255, 256] { columns.set(doc, record) }
    #expect(columns.blockCount == 2)
    let first = columns.encodedBlock(0)
    #expect(first.count == FilterColumns.blockBytes && FilterColumns.blockBytes == 256 * 19)
    var restored = FilterColumns()
    try restored.setBlock(0, from: first.span.bytes)
    try restored.setBlock(1, from: columns.encodedBlock(1).span.bytes)
    Self.expectSame(restored, columns)
    #expect(restored.liveCount == 3 && restored.contains(256) && !restored.contains(257) && !restored.contains(1))
    #expect(ChangeLogTests.members(restored.allowed(by: TraceFilter(minRating: 4))) == [0, 255, 256])
    #expect(throws: TraceKVError.self) { try restored.setBlock(0, from: Array(first.dropLast()).span.bytes) }
    var badStatus = first
    badStatus[0] = 9
    #expect(throws: TraceKVError.self) { try restored.setBlock(0, from: badStatus.span.bytes) }
  }
}

/// `verify` checks current blocks against the records; `repair` rewrites them.
@Suite struct FilterColumnBlockVerifyTests {
  @Test("a block that disagrees with the records is damage that verify names and repair mends")
  func damagedBlock() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    try FilterColumnBlocksTests.writeSome(store)
    #expect(try store.verify().isEmpty)
    // Document 3's status byte changed to another valid status: searches would filter it wrongly.
    try store.write { transaction in
      var block = try #require(try transaction.value(store.tables.meta, key: FilterColumnBlocks.key(0)))
      block[3 * 19] = block[3 * 19] == 3 ? 1 : 3
      try transaction.put(store.tables.meta, key: FilterColumnBlocks.key(0), value: block)
    }
    let problems = try store.verify()
    #expect(problems.map(\.message) == ["filter column block 0 disagrees with the trace records; `repair` rewrites it"])
    _ = try store.repair()
    #expect(try store.verify().isEmpty)
    FilterColumnBlocksTests.expectSame(try #require(try FilterColumnBlocksTests.blocks(store)), try FilterColumnBlocksTests.decoded(store))
  }
}

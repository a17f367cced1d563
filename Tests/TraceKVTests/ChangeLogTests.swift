import Foundation
import TestSupport
import Testing
import VectorIndex

@testable import TraceKV

/// Another process's writes reach this one through the change log: the
/// state it catches up to must equal a fresh load of the same snapshot.
@Suite struct ChangeLogTests {
  static func state(_ store: TraceStore) throws -> SearchState {
    try store.read { try store.search.state(in: $0, tables: store.tables) }
  }

  static func members(_ set: LabelSet?) -> [UInt32]? {
    guard let set else { return nil }
    var labels: [UInt32] = []
    set.forEach { labels.append($0) }
    return labels
  }

  static let filters: [TraceFilter] = [
    TraceFilter(statuses: [.completed]), TraceFilter(statuses: [.needsReview, .failed]), TraceFilter(minRating: 1),
    TraceFilter(minRating: 4), TraceFilter(errorTypes: [.hallucination]), TraceFilter(episodeID: "live-episode"),
  ]

  /// Whether two states hold the same graph and the same filter columns.
  static func expectSame(_ caught: SearchState, _ fresh: SearchState) {
    #expect(caught.generation == fresh.generation)
    let a = caught.vectors?.allRecords()
    let b = fresh.vectors?.allRecords()
    #expect(a?.header == b?.header)
    #expect(a?.nodes == b?.nodes)
    #expect(a?.vectorBlocks == b?.vectorBlocks)
    #expect(a?.linkLists == b?.linkLists)
    #expect(caught.vectors?.checkIntegrity() == [])
    for filter in filters { #expect(members(caught.columns.allowed(by: filter)) == members(fresh.columns.allowed(by: filter))) }
    #expect(caught.columns.liveCount == fresh.columns.liveCount)
  }

  static func trace(_ number: Int) -> String {
    #"{"trace_id": "live-\#(number)", "attributes": {"tracebrain.episode.id": "live-episode"}, "spans": [{"span_id": "a", "attributes": {"tracebrain.llm.input": [{"role": "user", "content": "refund order \#(number) for the customer"}]}}, {"span_id": "b", "parent_id": "a", "attributes": {"tracebrain.llm.completion": "done \#(number)"}}]}"#
  }

  @Test("a second instance replays the log after traces, feedback, a signal, a merge and a delete")
  func catchUpMatchesReload() throws {
    let temporary = try TemporaryStore.withSamples()
    let writer = temporary.store
    let reader = try TraceStore(path: writer.path)
    let before = try Self.state(reader)
    let ids = try writer.traceIDs()
    for number in 0..<5 { _ = try writer.ingest(json: Self.trace(number)) }
    try writer.addFeedback(traceID: ids[0], rating: 5)
    try writer.signal(traceID: ids[1], status: .failed, reason: "test")
    // Spans added to an existing trace: its vector is updated (delete + insert).
    _ = try writer.ingest(json: #"{"trace_id": "live-2", "spans": [{"span_id": "c", "parent_id": "b", "attributes": {"tracebrain.llm.completion": "more text about a refund"}}]}"#)
    _ = try writer.delete(traceIDs: [ids[2], "live-4"])

    let caught = try writer.read { transaction in
      try ChangeLog.catchUp(
        before, to: try SearchIndexes.generation(in: transaction, tables: writer.tables), tables: writer.tables,
        in: transaction)
    }
    let fresh = try Self.state(try TraceStore(path: writer.path))
    #expect(caught != nil)
    if let caught { Self.expectSame(caught, fresh) }
    #expect(caught?.generation == before.generation + 9)
    // The reader's own path gives the same state.
    Self.expectSame(try Self.state(reader), fresh)
  }

  @Test("vector blocks a reader reads in place are read again whole once rewritten, after their old pages were reused")
  func rewrittenBlocksAreReadAgain() throws {
    let temporary = try TemporaryStore.withSamples()
    let writer = temporary.store
    let reader = try TraceStore(path: writer.path)
    let before = try Self.state(reader)  // the 20 samples: block 0 (32 rows of 384), read in place
    #expect(before.vectors?.vectorBlockRows == 32)
    // 150 writes rewrite block 0 twelve times, then blocks 1–5; the pages
    // the reader's block 0 lay in are freed by the first and reused later.
    for number in 0..<150 { _ = try writer.ingest(json: Self.trace(number)) }
    let caught = try Self.state(reader)
    #expect(caught.generation == before.generation + 150)
    Self.expectSame(caught, try Self.state(try TraceStore(path: writer.path)))
    let query = SearchQuery(text: "weather tool error", mode: .vector, limit: 5)
    #expect(try reader.search(query).hits.map(\.traceID) == writer.search(query).hits.map(\.traceID))
  }

  @Test("a graph read in place follows the map when it moves")
  func movedMapReloads() throws {
    let temporary = try TemporaryStore(initialMapSize: 256 << 10)
    let writer = temporary.store
    for number in 0..<10 { _ = try writer.ingest(json: Self.trace(number)) }
    let reader = try TraceStore(path: writer.path)  // the same environment, so the same map
    let before = try Self.state(reader)
    let filler = String(repeating: "grow the map ", count: 200)
    var number = 10
    let size = writer.environment.mapSize
    while writer.environment.mapSize == size {
      _ = try writer.ingest(json: #"{"trace_id": "grow-\#(number)", "spans": [{"span_id": "s", "attributes": {"tracebrain.llm.completion": "\#(filler) \#(number)"}}]}"#)
      number += 1
    }
    let after = try Self.state(reader)
    // A state not moved with the map would name the old one (and read unmapped memory).
    #expect(after.mapStart == (try reader.read { $0.mapStart }))
    #expect(after.generation > before.generation)
    Self.expectSame(after, try Self.state(try TraceStore(path: writer.path)))
    let query = SearchQuery(text: "refund order 3 for the customer", mode: .vector, limit: 3)
    #expect(try reader.search(query).hits.first?.traceID == "live-3")
  }

  @Test("a generation without an entry (repair, an older build) makes the reader reload, still correct")
  func gapReloads() throws {
    let temporary = try TemporaryStore.withSamples()
    let writer = temporary.store
    let reader = try TraceStore(path: writer.path)
    let before = try Self.state(reader)
    _ = try writer.ingest(json: Self.trace(0))
    _ = try writer.ingest(json: Self.trace(1))
    let generation = try writer.read { try SearchIndexes.generation(in: $0, tables: writer.tables) }
    try writer.write { _ = try $0.delete(writer.tables.meta, key: ChangeLog.key(generation - 1)) }
    let caught = try writer.read { transaction in
      try ChangeLog.catchUp(before, to: generation, tables: writer.tables, in: transaction)
    }
    #expect(caught == nil)
    Self.expectSame(try Self.state(reader), try Self.state(try TraceStore(path: writer.path)))
    #expect(try reader.search(SearchQuery(text: "refund order 1", mode: .vector, limit: 1)).hits.first?.traceID == "live-1")
  }

  @Test("one entry per write, each decoding to what was encoded; the window is 1,024 generations")
  func windowIsBounded() throws {
    #expect(ChangeLog.retained == 1_024)
    let temporary = try TemporaryStore()
    let store = temporary.store
    for number in 0..<3 { _ = try store.ingest(json: Self.trace(number)) }
    let keys = try store.read { transaction in
      var keys: [[UInt8]] = []
      try transaction.scan(store.tables.meta, prefix: ChangeLog.prefix) { key, _ in
        keys.append(key.copiedBytes)
        return true
      }
      return keys
    }
    #expect(keys.count == 3)
    var entry = ChangeLogEntry()
    entry.documents = [0, 5, 4_000_000_000]
    entry.slots = [1, 2, 70_000]
    let decoded = try ChangeLogEntry(decoding: entry.encoded().span.bytes)
    #expect(decoded == entry)
  }

  @Test("a reader 1,024 generations behind replays the log; one 1,025 behind reloads")
  func windowLimit() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let before = try Self.state(store)
    let last = before.generation + ChangeLog.retained + 1
    try store.write { transaction in
      for generation in (before.generation + 1)...last {
        try ChangeLog.write(ChangeLogEntry(), generation: generation, tables: store.tables, in: transaction)
      }
      try SearchIndexes.setGeneration(last, in: transaction, tables: store.tables)
    }
    var atLimit = before
    atLimit.generation += 1
    let (pastLimit, caught) = try store.read { transaction in
      (try ChangeLog.catchUp(before, to: last, tables: store.tables, in: transaction),
       try ChangeLog.catchUp(atLimit, to: last, tables: store.tables, in: transaction))
    }
    #expect(pastLimit == nil)
    #expect(caught?.generation == last)
  }
}

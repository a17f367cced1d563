import Foundation
import TestSupport
import Testing

@testable import TraceKV

/// Filtered searches reuse the allowed set of their filter until the next
/// write, and never a set of another generation.
@Suite struct AllowedSetCacheTests {
  /// Columns of `count` documents, document d rated d % 6 (0: unrated) and
  /// completed when d is even.
  static func columns(count: UInt32, ratingShift: Int = 0) -> FilterColumns {
    var columns = FilterColumns()
    for doc in 0..<count {
      var trace = Trace(traceID: "t\(doc)")
      trace.status = doc % 2 == 0 ? .completed : .running
      let rating = (Int(doc) + ratingShift) % 6
      if rating > 0 { trace.feedback = Feedback(rating: rating) }
      columns.set(doc, TraceRecord(trace: trace, spanCount: 0, nextSpanSequence: 0, eventTime: Int64(doc)))
    }
    return columns
  }

  static func state(_ generation: UInt64, _ columns: FilterColumns) -> SearchState {
    SearchState(generation: generation, vectors: nil, columns: columns, mapStart: 0)
  }

  @Test("each generation is answered from its own columns, past the cache's capacity too")
  func answersMatchTheColumns() {
    let cache = AllowedSetCache()
    let first = Self.state(1, Self.columns(count: 1_000))
    let second = Self.state(2, Self.columns(count: 1_000, ratingShift: 3))
    // More filters than the cache keeps, asked twice over two generations in turn.
    let filters =
      (1...5).map { TraceFilter(minRating: $0) } + (1...5).map { TraceFilter(statuses: [.completed], minRating: $0) }
    #expect(filters.count > AllowedSetCache.capacity)
    for _ in 0..<2 {
      for filter in filters {
        for state in [first, second] {
          let expected = ChangeLogTests.members(state.columns.allowed(by: filter))
          #expect(ChangeLogTests.members(cache.allowed(by: filter, in: state)) == expected, "\(filter) at \(state.generation)")
        }
      }
    }
    // The two generations do disagree, so a set reused across them would be caught.
    let filter = TraceFilter(minRating: 5)
    #expect(ChangeLogTests.members(cache.allowed(by: filter, in: first)) != ChangeLogTests.members(cache.allowed(by: filter, in: second)))
    #expect(cache.allowed(by: TraceFilter(), in: first) == nil)
  }

  @Test("a set brought up to date through the changed documents holds what the filter passes")
  func updatedSetsMatchTheFilterOracle() {
    var generator = SeededGenerator(seed: 41)
    var episodes = ["episode-0", "episode-1", "episode-2"]
    func record(_ doc: UInt32) -> TraceRecord {
      var trace = Trace(traceID: "t\(doc)")
      trace.status = [TraceStatus.running, .completed, .needsReview, .failed].randomElement(using: &generator)!
      if Bool.random(using: &generator) { trace.feedback = Feedback(rating: Int.random(in: 1...5, using: &generator)) }
      if Bool.random(using: &generator) { trace.episodeID = episodes.randomElement(using: &generator) }
      return TraceRecord(
        trace: trace, spanCount: 0, nextSpanSequence: 0, eventTime: Int64.random(in: 0..<1_000, using: &generator))
    }
    var columns = FilterColumns()
    var records: [UInt32: TraceRecord] = [:]
    var count: UInt32 = 5_000
    for doc in 0..<count where Int.random(in: 0..<8, using: &generator) != 0 {
      records[doc] = record(doc)
      columns.set(doc, records[doc]!)
    }
    // At most the cache's capacity, so that every filter is updated rather than built again.
    let filters = [
      TraceFilter(minRating: 4), TraceFilter(statuses: [.completed]), TraceFilter(statuses: [.failed], minRating: 2),
      TraceFilter(episodeID: "episode-1"), TraceFilter(episodeID: "episode-late"),
      TraceFilter(since: Timestamp(microseconds: 200), until: Timestamp(microseconds: 600)),
      TraceFilter(statuses: [.running, .needsReview], minRating: 3, episodeID: "episode-2"),
    ]
    #expect(filters.count <= AllowedSetCache.capacity)
    let cache = AllowedSetCache()
    var state = SearchState(generation: 1, vectors: nil, columns: columns, mapStart: 0)
    func expectOracle(_ round: Int) {
      for filter in filters {
        let expected = records.filter { filter.matches($0.value.trace, eventTime: $0.value.eventTime) }.keys.sorted()
        #expect(ChangeLogTests.members(cache.allowed(by: filter, in: state)) ?? [] == expected, "round \(round): \(filter)")
      }
    }
    expectOracle(0)
    for round in 1...30 {
      if round == 10 { episodes.append("episode-late") }
      var changed = Set<UInt32>()
      for _ in 0..<Int.random(in: 0...40, using: &generator) {
        let doc = UInt32.random(in: 0..<count, using: &generator)
        if Int.random(in: 0..<4, using: &generator) == 0 {
          records[doc] = nil
          columns.remove(doc)
        } else {
          records[doc] = record(doc)
          columns.set(doc, records[doc]!)
        }
        changed.insert(doc)
      }
      if round % 3 == 0 {
        // New documents past the end, some rounds several words of them.
        let added = UInt32.random(in: 1...300, using: &generator)
        for doc in count..<(count + added) {
          records[doc] = record(doc)
          columns.set(doc, records[doc]!)
          changed.insert(doc)
        }
        count += added
      }
      state = SearchState(
        generation: state.generation + 1, vectors: nil, columns: columns, mapStart: 0,
        changedSince: ChangedDocuments(generation: state.generation, documents: changed))
      expectOracle(round)
    }
  }

  @Test("a rating written through another handle reaches this handle's next filtered search")
  func anotherHandlesWriteIsSeen() throws {
    let temporary = try TemporaryStore.withSamples()
    let writer = temporary.store
    let reader = try TraceStore(path: temporary.directory.path("traces.tkv"), options: .init(readOnly: true))
    let id = "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"  // AI rating 3
    let query = SearchQuery(text: "compare populations of Paris and Berlin", filter: TraceFilter(minRating: 4), limit: 20)
    #expect(try !reader.search(query).hits.contains { $0.traceID == id })
    try writer.addFeedback(traceID: id, rating: 5)
    #expect(try reader.search(query).hits.contains { $0.traceID == id })
    try writer.addFeedback(traceID: id, rating: 2)
    #expect(try !reader.search(query).hits.contains { $0.traceID == id })
  }
}

import Foundation
import Testing
@testable import TraceKV

@Suite struct GovernanceTests {
  let sampleID = "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"  // needs_review, AI rating 3

  @Test func feedbackReplacesAndCompletes() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    try store.addFeedback(traceID: sampleID, rating: 2, comment: "meh", tags: ["slow"])
    try store.addFeedback(traceID: sampleID, rating: 5, comment: "great", tags: ["fast", "correct"],
                          metadata: JSONObject(["reviewer": .string("ana")]))
    let trace = try #require(try store.trace(id: sampleID))
    #expect(trace.status == .completed)
    #expect(trace.feedback?.rating == 5 && trace.feedback?.comment == "great")
    #expect(trace.feedback?.tags == ["fast", "correct"])
    #expect(trace.feedback?.metadata["reviewer"] == .string("ana"))
    #expect(trace.rating == 5)  // human rating wins over the AI's 3
    #expect(try store.statistics().tracesWithFeedback == 1)
    #expect(throws: TraceKVError.self) { try store.addFeedback(traceID: sampleID, rating: 6) }
    #expect(throws: TraceKVError.self) { try store.addFeedback(traceID: "missing", rating: 3) }
  }

  @Test func signalSetsStatusPriorityAndKeepsTheReason() throws {
    let temporary = try TemporaryStore.withSamples()
    let id = "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8"
    try temporary.store.signal(traceID: id, priority: 1, reason: "customer escalation")
    var trace = try #require(try temporary.store.trace(id: id))
    #expect(trace.status == .needsReview && trace.priority == 1 && trace.governanceReason == "customer escalation")
    try temporary.store.signal(traceID: id, status: .failed)
    trace = try #require(try temporary.store.trace(id: id))
    #expect(trace.status == .failed && trace.priority == 1 && trace.governanceReason == "customer escalation")
    #expect(throws: TraceKVError.self) { try temporary.store.signal(traceID: id, priority: 9) }
  }

  @Test func attachingAnEvaluationReappliesTheRules() throws {
    let temporary = try TemporaryStore.withSamples()
    let id = "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8"  // running
    try temporary.store.attachEvaluation(traceID: id, JSONObject(["rating": .int(4), "confidence": .double(0.9), "error_type": .string("none")]))
    #expect(try temporary.store.trace(id: id)?.status == .running)
    try temporary.store.attachEvaluation(traceID: id, JSONObject(["rating": .int(2), "confidence": .double(0.5)]))
    let trace = try #require(try temporary.store.trace(id: id))
    #expect(trace.status == .needsReview)
    #expect(trace.aiEvaluation?.rating == 2)
    #expect(throws: TraceKVError.self) {
      try temporary.store.attachEvaluation(traceID: id, JSONObject(["confidence": .double(1.5)]))
    }
  }
}

@Suite struct GroupedChangesTests {
  let reviewID = "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"  // needs_review, AI rating 3
  let runningID = "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8"  // running

  private func generation(_ store: TraceStore) throws -> UInt64 {
    try store.read { try SearchIndexes.generation(in: $0, tables: store.tables) }
  }

  @Test("one transaction for the group; a refused change fails alone and the others are applied")
  func aRefusedChangeFailsAlone() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let before = try generation(store)
    let results = try store.apply([
      .feedback(traceID: reviewID, rating: 5, comment: "good", priority: 2),
      .feedback(traceID: "no-such-trace", rating: 4),
      .feedback(traceID: runningID, rating: 9),
      .signal(traceID: runningID, status: .failed, priority: 0),
      .signal(traceID: runningID, reason: "stuck"),
      .evaluation(traceID: runningID, JSONObject(["rating": .int(2), "confidence": .double(2)])),
      // Sees the signal above: needs_review becomes completed.
      .feedback(traceID: runningID, rating: 1),
    ])
    #expect(results.count == 7)
    let kinds = results.map { result -> TraceKVError.Kind? in
      if case .failure(let error) = result { return error.kind }
      return nil
    }
    #expect(kinds == [nil, .notFound, .invalidInput, .invalidInput, nil, .invalidInput, nil])
    #expect(try generation(store) == before + 1)

    let reviewed = try #require(try store.trace(id: reviewID))
    #expect(reviewed.feedback?.rating == 5 && reviewed.feedback?.comment == "good")
    #expect(reviewed.status == .completed && reviewed.priority == 2)
    let running = try #require(try store.trace(id: runningID))
    #expect(running.governanceReason == "stuck" && running.status == .completed && running.feedback?.rating == 1)
    // The filter columns follow the commit.
    #expect(Set(try store.list(TraceFilter(minRating: 5), limit: 100).traces.map(\.traceID)).contains(reviewID))
    #expect(Set(try store.list(TraceFilter(statuses: [.completed]), limit: 100).traces.map(\.traceID)).contains(runningID))
  }

  @Test("a group whose every change is refused writes nothing")
  func everyChangeRefusedWritesNothing() throws {
    let temporary = try TemporaryStore.withSamples()
    let before = try generation(temporary.store)
    let results = try temporary.store.apply([.feedback(traceID: reviewID, rating: 0), .signal(traceID: reviewID, priority: 6)])
    #expect(results.allSatisfy { (try? $0.get()) == nil })
    #expect(try generation(temporary.store) == before)
    #expect(try temporary.store.trace(id: reviewID)?.feedback == nil)
  }

  @Test("an empty group is no write")
  func emptyGroup() throws {
    let temporary = try TemporaryStore.withSamples()
    let before = try generation(temporary.store)
    #expect(try temporary.store.apply([]).isEmpty)
    #expect(try generation(temporary.store) == before)
  }
}

@Suite struct QueryTests {
  @Test("every filter", arguments: [
    (TraceFilter(statuses: [.needsReview]), 11),
    (TraceFilter(statuses: [.running, .needsReview]), 20),
    (TraceFilter(minRating: 5), 11),
    (TraceFilter(minRating: 4), 12),
    (TraceFilter(errorTypes: [.invalidToolUsage]), 3),
    (TraceFilter(errorTypes: [.logicLoop, .hallucination]), 2),
    (TraceFilter(minConfidence: 0.9), 13),
    (TraceFilter(maxConfidence: 0.7), 5),
    (TraceFilter(minConfidence: 0.7, maxConfidence: 0.7), 3),
    (TraceFilter(since: Timestamp(iso8601: "2025-11-27T00:00:00Z")), 5),
    (TraceFilter(until: Timestamp(iso8601: "2025-11-20T11:00:01Z")), 2),
    (TraceFilter(since: Timestamp(iso8601: "2025-11-22T00:00:00Z"), until: Timestamp(iso8601: "2025-11-23T23:59:59Z")), 4),
    (TraceFilter(episodeID: "ep-demo-group-001"), 2),
    (TraceFilter(statuses: [.running], episodeID: "ep-b2c3d4e5"), 1),
  ])
  func filter(_ filter: TraceFilter, _ expected: Int) throws {
    let temporary = try TemporaryStore.withSamples()
    let page = try temporary.store.list(filter, limit: 100)
    #expect(page.total == expected)
    #expect(page.traces.count == expected)
    // Newest first by event time.
    #expect(page.traces.map(\.eventTime) == page.traces.map(\.eventTime).sorted(by: >))
    // Cross-check against filtering full traces by hand.
    let all = try temporary.store.traceIDs().compactMap { try temporary.store.trace(id: $0) }
    let byHand = all.filter { filter.matches($0, eventTime: $0.eventTime.microseconds) }
    #expect(Set(byHand.map(\.traceID)) == Set(page.traces.map(\.traceID)))
  }

  @Test func pagination() throws {
    let temporary = try TemporaryStore.withSamples()
    let all = try temporary.store.list(limit: 100).traces.map(\.traceID)
    var paged: [String] = []
    for offset in stride(from: 0, to: 20, by: 6) {
      let page = try temporary.store.list(limit: 6, offset: offset)
      #expect(page.total == 20)
      paged += page.traces.map(\.traceID)
    }
    #expect(paged == all)
    #expect(try temporary.store.list(limit: 5, offset: 40).traces.isEmpty)
    #expect(try temporary.store.list(limit: 5, offset: 40).total == 20)
    let none = try temporary.store.list(limit: 0)
    #expect(none.total == 20 && none.traces.isEmpty)
    // The total without a filter is the table's count: it follows a delete.
    #expect(try temporary.store.delete(traceIDs: [all[3]]).deleted == 1)
    let after = try temporary.store.list(limit: 100)
    #expect(after.total == 19 && after.traces.map(\.traceID) == all.filter { $0 != all[3] })
  }

  @Test func statisticsToolsAndEpisodes() throws {
    let temporary = try TemporaryStore.withSamples()
    let stats = try temporary.store.statistics()
    #expect(stats.totalTraces == 20 && stats.totalSpans == 63 && stats.tracesWithFeedback == 0)
    #expect(stats.tracesLast24Hours == 20)
    #expect(abs(stats.averageSpansPerTrace - 3.15) < 1e-9)
    let tools = try temporary.store.toolUsage()
    // 23 tool spans, one without a tool name (sample 3), which TraceBrain does not count (counted in Python).
    #expect(tools.totalToolCalls == 22)
    #expect(tools.tools.first { $0.tool == "get_population" }?.count == 2)
    #expect(tools.tools.first { $0.tool == "web_search" }?.count == 3)
    #expect(tools.tools.map(\.count).reduce(0, +) == 22 && tools.tools.count == 16)
    let episodes = try temporary.store.episodes()
    #expect(episodes.count == 17)
    let group = try #require(episodes.first { $0.episodeID == "ep-demo-group-001" })
    #expect(group.traceCount == 2 && group.minConfidence == 0.7)
    #expect(group.startTime == Timestamp(iso8601: "2025-12-01T09:00:01Z"))
    #expect(try temporary.store.episode("ep-demo-group-001").map(\.traceID) == [
      "9999aaaabbbbccccddddeeeeffff0000", "11112222333344445555666677778888",
    ])
  }

  @Test func deleteByIDAndByAge() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let result = try store.delete(traceIDs: ["a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8", "nope"])
    #expect(result.deleted == 1 && result.unknown == ["nope"])
    #expect(try store.trace(id: "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8") == nil)
    #expect(try store.statistics().totalSpans == 60)
    // Before 2025-11-22: sample_2 (running) and sample_13/14 (needs_review) remain old.
    let removed = try store.delete(olderThan: Timestamp(iso8601: "2025-11-22T00:00:00Z")!, statuses: [.needsReview])
    #expect(removed == 2)
    #expect(try store.list(limit: 100).total == 17)
    #expect(try store.verify().isEmpty)
    // Nothing is older than the earliest instant; the next one up is no overflow either.
    #expect(try store.delete(olderThan: Timestamp(microseconds: .min)) == 0)
    #expect(try store.delete(olderThan: Timestamp(microseconds: .min + 1)) == 0)
    #expect(try store.list(limit: 100).total == 17)
  }

  @Test func exportRoundTripGivesIdenticalTraces() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    try store.addFeedback(traceID: "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8", rating: 4, comment: "ok", tags: ["x"])
    try store.signal(traceID: "b2c3d4e5f6a7b8c9b2c3d4e5f6a7b8c9", status: .failed, priority: 1, reason: "wrong numbers")
    for format in [ExportFormat.jsonl, .json] {
      var text = ""
      let count = try store.export(format: format, to: { text += $0 })
      #expect(count == 20)
      let copy = try TemporaryStore()
      let file = copy.directory.url.appendingPathComponent("export.\(format.rawValue)")
      try text.write(to: file, atomically: true, encoding: .utf8)
      let report = try copy.store.ingest(contentsOf: file, options: .init(strict: true))
      #expect(report.added == 20)
      for id in try store.traceIDs() {
        var original = try #require(try store.trace(id: id))
        var imported = try #require(try copy.store.trace(id: id))
        original.createdAt = imported.createdAt  // the one thing a new store sets itself
        imported.feedback?.createdAt = original.feedback?.createdAt ?? imported.createdAt
        #expect(imported == original, "\(id)")
      }
    }
  }

  @Test func trainingExports() throws {
    let temporary = try TemporaryStore.withSamples()
    var lines: [String] = []
    try temporary.store.export(TraceFilter(episodeID: "ep-7a8b9c0d"), format: .messages, to: { lines.append($0) })
    #expect(lines.count == 1)
    let object = try #require(try json(lines[0]).objectValue)
    #expect(object["trace_id"] == .string("7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"))
    #expect(object["messages"]?.arrayValue?.count == 5)
    lines = []
    try temporary.store.export(format: .turns, limit: 3, to: { lines.append($0) })
    #expect(lines.count == 3)
    #expect(try json(lines[0]).objectValue?["turns"]?.arrayValue?.first?.objectValue?["prompt_for_model"] != nil)
  }
}

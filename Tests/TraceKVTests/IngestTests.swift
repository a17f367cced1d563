import Foundation
import Testing
@testable import TraceKV

@Suite struct IngestTests {
  private func llmSpan(_ id: String, parent: String? = nil, start: String = "2025-01-01T00:00:00Z", extra: String = "") -> String {
    let parentJSON = parent.map { "\"\($0)\"" } ?? "null"
    return #"{"span_id": "\#(id)", "parent_id": \#(parentJSON), "name": "LLM", "start_time": "\#(start)", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.new_content": "[{\"role\": \"user\", \"content\": \"hi \#(id)\"}]", "tracebrain.llm.completion": "done \#(id)"\#(extra)}}"#
  }

  @Test func mergeAppendsNewSpansAndKeepsExistingOnes() throws {
    let temporary = try TemporaryStore()
    let store = temporary.store
    try store.ingest(json: #"""
      {"trace_id": "t1", "attributes": {"system_prompt": "first", "tracebrain.episode.id": "ep1", "color": "red",
        "tracebrain.ai_evaluation": {"rating": 5, "confidence": 0.9, "error_type": "none"}},
       "spans": [\#(llmSpan("a"))]}
      """#)
    let report = try store.ingest(json: #"""
      {"trace_id": "t1", "attributes": {"system_prompt": "second", "tracebrain.episode.id": "ep2", "size": 3, "color": "blue",
        "tracebrain.ai_evaluation": {"rating": 1, "confidence": 0.1, "error_type": "logic_loop"}},
       "spans": [\#(llmSpan("a", extra: #", "tracebrain.llm.thought": "changed""#)), \#(llmSpan("b", parent: "a", start: "2025-01-01T00:00:05Z"))]}
      """#)
    #expect(report.merged == 1 && report.added == 0 && report.spansWritten == 1)
    let trace = try #require(try store.trace(id: "t1"))
    #expect(trace.spans.map(\.spanID) == ["a", "b"])
    #expect(trace.spans[0].thought == nil)  // the existing span was kept as it was
    #expect(trace.systemPrompt == "first")  // set only if missing
    #expect(trace.episodeID == "ep1")
    #expect(trace.aiEvaluation?.rating == 5)  // set only if missing
    #expect(trace.attributes["color"] == .string("blue"))  // shallow merge
    #expect(trace.attributes["size"] == .number("3"))
    #expect(trace.status == .running)
    #expect(try #require(try store.messages(traceID: "t1")).map(\.content) == ["first", "hi a", "done a", "hi b"])
    #expect(try store.verify().isEmpty)
  }

  @Test func needsReviewIsNotLoweredByALaterRunning() throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(json: #"{"trace_id": "t", "attributes": {"tracebrain.trace.status": "needs_review"}, "spans": []}"#)
    try temporary.store.ingest(json: #"{"trace_id": "t", "attributes": {"tracebrain.trace.status": "running"}, "spans": []}"#)
    #expect(try temporary.store.trace(id: "t")?.status == .needsReview)
    try temporary.store.ingest(json: #"{"trace_id": "t", "attributes": {"tracebrain.trace.status": "failed"}, "spans": []}"#)
    #expect(try temporary.store.trace(id: "t")?.status == .failed)
  }

  @Test func mergedErrorSpanSendsTheTraceToReview() throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(json: #"{"trace_id": "t", "spans": [\#(llmSpan("a"))]}"#)
    #expect(try temporary.store.trace(id: "t")?.status == .running)
    try temporary.store.ingest(json: #"{"trace_id": "t", "spans": [{"span_id": "e", "parent_id": "a", "attributes": {"tracebrain.span.type": "tool_execution", "otel.status_code": "ERROR"}}]}"#)
    #expect(try temporary.store.trace(id: "t")?.status == .needsReview)
  }

  @Test("each needs_review rule", arguments: [
    #"{"trace_id": "r1", "spans": [{"span_id": "s", "attributes": {"tracebrain.span.type": "tool_execution", "tracebrain.tool.name": "request_human_intervention"}}]}"#,
    #"{"trace_id": "r2", "spans": [{"span_id": "s", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.tool_code": "request_human_intervention(reason='x')"}}]}"#,
    #"{"trace_id": "r3", "attributes": {"tracebrain.ai_evaluation": {"error_type": "hallucination", "confidence": 0.99}}, "spans": []}"#,
    #"{"trace_id": "r4", "attributes": {"tracebrain.ai_evaluation": {"error_type": "none", "confidence": 0.74}}, "spans": []}"#,
    #"{"trace_id": "r5", "spans": [{"span_id": "s", "attributes": {"otel.status_code": "ERROR"}}]}"#,
  ])
  func needsReviewRule(_ traceJSON: String) throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(json: traceJSON)
    let id = try #require(try json(traceJSON).objectValue?["trace_id"]?.stringValue)
    #expect(try temporary.store.trace(id: id)?.status == .needsReview)
  }

  @Test func notCriticalStaysRunning() throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(json: #"{"trace_id": "x", "attributes": {"tracebrain.ai_evaluation": {"error_type": "whatever", "confidence": 0.75}}, "spans": [{"span_id": "s", "attributes": {"otel.status_code": "OK"}}]}"#)
    let trace = try #require(try temporary.store.trace(id: "x"))
    #expect(trace.status == .running)
    #expect(trace.aiEvaluation?.errorType == .generalFailure)
  }

  @Test("priority clamping", arguments: [("1", 1), ("5", 5), ("0", 3), ("6", 3), ("2.0", 3), ("\"2\"", 3), ("true", 3), ("null", 3), ("-1", 3)])
  func priorityClamping(_ literal: String, _ expected: Int) throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(json: #"{"trace_id": "p", "attributes": {"tracebrain.trace.priority": \#(literal)}, "spans": []}"#)
    #expect(try temporary.store.trace(id: "p")?.priority == expected)
  }

  @Test("timestamps", arguments: [
    ("2025-11-20T10:00:01.000Z", Int64(1_763_632_801_000_000)),
    ("2025-11-20T10:00:01Z", 1_763_632_801_000_000),
    ("2025-11-20T10:00:01", 1_763_632_801_000_000),  // no offset: UTC
    ("2025-11-20T12:00:01+02:00", 1_763_632_801_000_000),
    ("2025-11-20T05:30:01-0430", 1_763_632_801_000_000),
    ("2025-11-20T10:00:01.1234567Z", 1_763_632_801_123_456),
  ])
  func timestampParsing(_ text: String, _ microseconds: Int64) {
    #expect(Timestamp(iso8601: text)?.microseconds == microseconds)
  }

  @Test("unreadable timestamps", arguments: ["2025-11-20 10:00:01Z", "2025-02-30T00:00:00Z", "yesterday", "2025-11-20T10:00:01Zjunk", "2025-11-20T25:00:00Z", ""])
  func unreadableTimestamp(_ text: String) throws {
    #expect(Timestamp(iso8601: text) == nil)
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(json: #"{"trace_id": "t", "spans": [{"span_id": "s", "start_time": "\#(text)"}]}"#)
    #expect(try temporary.store.trace(id: "t")?.spans.first?.startTime == nil)
    #expect(report.warnings.count == 1)
  }

  @Test func timestampFormatRoundTrips() {
    for microseconds: Int64 in [0, 1_763_632_801_123_456, -86_400_000_001, 253_402_300_799_999_999] {
      let text = Timestamp(microseconds: microseconds).text
      #expect(Timestamp(iso8601: text)?.microseconds == microseconds, "\(text)")
    }
  }

  @Test("invalid traces are refused with a clear error", arguments: [
    (#"{"trace_id": "", "spans": []}"#, "trace_id is empty"),
    (#"{"spans": []}"#, "trace_id is missing"),
    (#"{"trace_id": 7, "spans": []}"#, "trace_id must be a string"),
    (#"{"trace_id": "t", "spans": [{"span_id": ""}]}"#, "span_id is empty"),
    (#"{"trace_id": "t", "spans": {}}"#, "spans must be an array"),
    (#"{"trace_id": "t", "attributes": []}"#, "attributes must be an object"),
    (#"[1]"#, "a trace must be a JSON object"),
    (#"{"trace_id": "t""#, "malformed JSON"),
    (#"{"trace_id": NaN}"#, "NaN"),
    (#"{"resourceSpans": {}}"#, "resourceSpans: must be an array"),  // OTLP, read since issue 5
  ])
  func invalidTrace(_ text: String, _ message: String) throws {
    let temporary = try TemporaryStore()
    do {
      try temporary.store.ingest(json: text)
      Issue.record("accepted \(text)")
    } catch {
      #expect(error.kind == .invalidInput)
      #expect(error.message.contains(message), "\(error.message)")
    }
    #expect(try temporary.store.statistics().totalTraces == 0)
  }

  @Test func overlongIDIsRefused() throws {
    let temporary = try TemporaryStore()
    let long = String(repeating: "x", count: Limits.maximumIDBytes + 1)
    #expect(throws: TraceKVError.self) { try temporary.store.ingest(json: #"{"trace_id": "\#(long)"}"#) }
  }

  @Test func badJSONLLineIsReportedAndGoodLinesKept() throws {
    let directory = try TemporaryStore()
    let file = directory.directory.url.appendingPathComponent("in.jsonl")
    let lines = [
      #"{"trace_id": "a", "spans": []}"#, #"{"trace_id": "b", "spans": [}"#, "", #"{"trace_id": "", "spans": []}"#,
      #"{"trace_id": "c", "spans": []}"#,
    ]
    try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    let report = try directory.store.ingest(contentsOf: file)
    #expect(report.added == 2)
    #expect(report.rejected.map(\.line) == [2, 4])
    #expect(report.rejected[0].description.contains("in.jsonl:2"))
    #expect(try directory.store.contains(traceID: "c"))

    let strict = try TemporaryStore()
    #expect(throws: TraceKVError.self) { try strict.store.ingest(contentsOf: file, options: .init(strict: true)) }
    #expect(try strict.store.statistics().totalTraces == 0)  // nothing written
  }

  @Test func arrayAndBatchesAcrossTransactions() throws {
    let temporary = try TemporaryStore()
    let traces = (0..<25).map { index in #"{"trace_id": "t\#(index)", "spans": [\#(llmSpan("s\(index)"))]}"# }
    let file = temporary.directory.url.appendingPathComponent("all.json")
    try ("[" + traces.joined(separator: ",") + "]").write(to: file, atomically: true, encoding: .utf8)
    var progressCalls = 0
    let report = try temporary.store.ingest(contentsOf: file, options: .init(batchSize: 10)) { _ in progressCalls += 1 }
    #expect(report.added == 25)
    #expect(progressCalls >= 3)
    #expect(try temporary.store.statistics().totalSpans == 25)
    #expect(try temporary.store.verify().isEmpty)
  }

  @Test func duplicateSpanIDsKeepTheFirst() throws {
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(json: #"{"trace_id": "d", "spans": [\#(llmSpan("s")), {"span_id": "s", "name": "dup"}]}"#)
    #expect(try temporary.store.trace(id: "d")?.spans.map(\.name) == ["LLM"])
    #expect(report.warnings.count == 1)
  }
}

import Foundation
import TestSupport
import Testing
@testable import TraceKV

/// Each explicit limit of `Limits`, at the edge: the largest accepted value
/// goes in, one more is refused with an `invalidInput` error that names it,
/// and the store is untouched by the refusal.
@Suite struct ReliabilityLimitsTests {
  private func expectRefused(_ store: TraceStore, _ json: String, mentioning words: [String]) throws {
    let before = try store.statistics().totalTraces
    do {
      try store.ingest(json: json)
      Issue.record("accepted input over a limit")
    } catch {
      #expect(error.kind == .invalidInput)
      for word in words { #expect(error.message.contains(word), "\(error.message)") }
    }
    #expect(try store.statistics().totalTraces == before)
  }

  @Test func idLength() throws {
    let temporary = try TemporaryStore(embedder: .none)
    let longest = String(repeating: "é", count: Limits.maximumIDBytes / 2)  // 256 bytes
    try temporary.store.ingest(json: #"{"trace_id": "\#(longest)", "attributes": {"tracebrain.episode.id": "\#(longest)"}, "spans": [{"span_id": "\#(longest)"}]}"#)
    #expect(try temporary.store.contains(traceID: longest))
    let over = longest + "x"
    try expectRefused(temporary.store, #"{"trace_id": "\#(over)", "spans": []}"#, mentioning: ["trace_id", "256"])
    try expectRefused(temporary.store, #"{"trace_id": "t", "spans": [{"span_id": "\#(over)"}]}"#, mentioning: ["span_id", "256"])
    try expectRefused(temporary.store, #"{"trace_id": "t", "attributes": {"tracebrain.episode.id": "\#(over)"}, "spans": []}"#, mentioning: ["episode", "256"])
    try expectRefused(temporary.store, #"{"trace_id": "a\u0000b", "spans": []}"#, mentioning: ["NUL"])
    #expect(try temporary.store.verify() == [])
  }

  @Test func spansPerTrace() throws {
    let temporary = try TemporaryStore(embedder: .none)
    func trace(_ id: String, spans: Int, from first: Int = 0) -> String {
      #"{"trace_id": "\#(id)", "spans": ["# + (first..<(first + spans)).map { #"{"span_id": "s\#($0)"}"# }.joined(separator: ",") + "]}"
    }
    try temporary.store.ingest(json: trace("full", spans: Limits.maximumSpansPerTrace))
    #expect(try temporary.store.statistics().totalSpans == Limits.maximumSpansPerTrace)
    try expectRefused(temporary.store, trace("over", spans: Limits.maximumSpansPerTrace + 1), mentioning: ["100000 spans"])
    // Merging past the limit is refused too, and leaves the trace as it was.
    try expectRefused(temporary.store, trace("full", spans: 1, from: Limits.maximumSpansPerTrace), mentioning: ["100000 spans"])
    #expect(try temporary.store.statistics().totalSpans == Limits.maximumSpansPerTrace)
    #expect(try temporary.store.verify() == [])
  }

  @Test func nesting() throws {
    let temporary = try TemporaryStore(embedder: .none)
    func nested(_ depth: Int) -> String {
      // The trace object and the attributes object count as two levels.
      String(repeating: "[", count: depth - 2) + "1" + String(repeating: "]", count: depth - 2)
    }
    try temporary.store.ingest(json: #"{"trace_id": "deep", "attributes": {"x": \#(nested(Limits.maximumJSONDepth))}, "spans": []}"#)
    #expect(try temporary.store.contains(traceID: "deep"))
    try expectRefused(
      temporary.store, #"{"trace_id": "deeper", "attributes": {"x": \#(nested(Limits.maximumJSONDepth + 1))}, "spans": []}"#,
      mentioning: ["nesting deeper than 128"])
  }

  @Test func attributeBytes() throws {
    let temporary = try TemporaryStore(embedder: .none)
    let fits = String(repeating: "a", count: Limits.maximumAttributeBytes - 9)  // {"k":"…"} and a separator
    try temporary.store.ingest(json: #"{"trace_id": "big", "spans": [{"span_id": "s", "attributes": {"k": "\#(fits)"}}]}"#)
    #expect(try temporary.store.trace(id: "big")?.spans.first?.attributes["k"]?.stringValue?.utf8.count == fits.utf8.count)
    try expectRefused(
      temporary.store, #"{"trace_id": "bigger", "spans": [{"span_id": "s", "attributes": {"k": "\#(fits)a"}}]}"#,
      mentioning: ["spans[0].attributes larger than"])
    try expectRefused(
      temporary.store, #"{"trace_id": "bigger", "attributes": {"k": "\#(fits)a"}, "spans": []}"#,
      mentioning: ["attributes larger than"])
    #expect(try temporary.store.verify() == [])
  }

  @Test func documentBytes() throws {
    let temporary = try TemporaryStore(embedder: .none)
    let huge = #"{"trace_id": "huge", "spans": [{"span_id": "s", "attributes": {"k": ""# + String(repeating: "a", count: Limits.maximumDocumentBytes) + #""}}]}"#
    let file = temporary.directory.url.appendingPathComponent("huge.jsonl")
    try (#"{"trace_id": "small", "spans": []}"# + "\n" + huge + "\n").write(to: file, atomically: true, encoding: .utf8)
    let report = try temporary.store.ingest(contentsOf: file)
    #expect(report.added == 1)
    #expect(report.rejected.count == 1 && report.rejected.first?.line == 2)
    #expect(report.rejected.first?.message.contains("longer than \(Limits.maximumDocumentBytes) bytes") == true)
    // One trace as a .json file, and through ingest(json:).
    try expectRefused(temporary.store, huge, mentioning: ["longer than"])
    #expect(try temporary.store.statistics().totalTraces == 1)
  }
}

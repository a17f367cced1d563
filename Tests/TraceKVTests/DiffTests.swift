import Foundation
import Testing

@testable import TraceKV

/// `TraceStore.diff`: steps aligned by sequence alignment, with expectations
/// worked out by hand for each pair of runs.
@Suite struct DiffTests {
  /// A trace of steps: `("llm", model)` or `("tool", name, arguments, error)`, one second apart.
  static func trace(_ id: String, _ steps: [(kind: String, name: String, arguments: String?, error: Bool)])
    -> Trace
  {
    let spans = steps.enumerated().map { index, step in
      var attributes = JSONObject()
      if step.kind == "llm" {
        attributes[SpanKey.type] = .string("llm_inference")
        attributes[SpanKey.model] = .string(step.name)
        attributes[SpanKey.usage] = .object(
          JSONObject(["prompt_tokens": .int(100 + index), "completion_tokens": .int(10)]))
      } else {
        attributes[SpanKey.type] = .string("tool_execution")
        attributes[SpanKey.toolName] = .string(step.name)
        if let arguments = step.arguments { attributes[SpanKey.toolInput] = .string(arguments) }
      }
      if step.error { attributes[SpanKey.statusCode] = .string("ERROR") }
      let start = Int64(index) * 1_000_000
      return Span(
        spanID: "\(id)-\(index)", parentID: nil, name: step.kind, startTime: Timestamp(microseconds: start),
        endTime: Timestamp(microseconds: start + 500_000), attributes: attributes)
    }
    return Trace(traceID: id, spans: spans)
  }

  static func llm(_ model: String = "m") -> (kind: String, name: String, arguments: String?, error: Bool) {
    ("llm", model, nil, false)
  }

  static func tool(_ name: String, _ arguments: String? = nil, error: Bool = false)
    -> (kind: String, name: String, arguments: String?, error: Bool)
  {
    ("tool", name, arguments, error)
  }

  static func shape(_ diff: RunDiff) -> [String] {
    diff.alignment.map {
      "\($0.change.rawValue) \($0.a.map(String.init) ?? "-") \($0.b.map(String.init) ?? "-")"
    }
  }

  @Test func alignsByContentNotByIndex() throws {
    // A: llm, search{q:1}, llm, fetch, llm      B: llm, search{q:2}, llm, llm
    // By hand: the fetch of A has no counterpart; everything else pairs, the
    // searches with other arguments (keys reordered do not count as different).
    let a = Self.trace(
      "a",
      [
        Self.llm(), Self.tool("search", #"{"q": 1, "lang": "en"}"#), Self.llm(), Self.tool("fetch"),
        Self.llm(),
      ])
    let b = Self.trace(
      "b", [Self.llm(), Self.tool("search", #"{"lang":"en","q":2}"#), Self.llm(), Self.llm()])
    let diff = try RunDiff(a, b)
    #expect(Self.shape(diff) == ["same 0 0", "changed 1 1", "same 2 2", "removed 3 -", "same 4 3"])
    #expect(diff.alignment[1].differences == [.arguments])
    #expect(diff.firstDivergence == 1)
    #expect(diff.toolChanges.map(\.change) == [.changed, .removed])

    // Same arguments in another key order and spacing: the same step.
    let c = Self.trace(
      "c",
      [
        Self.llm(), Self.tool("search", #"{ "lang" : "en", "q" : 1 }"#), Self.llm(), Self.tool("fetch"),
        Self.llm(),
      ])
    let same = try RunDiff(a, c)
    #expect(same.firstDivergence == nil)
    #expect(same.alignment.allSatisfy { $0.change == .same })

    // Index-wise comparison would call every step after the first changed; the alignment keeps the tail.
    let inserted = Self.trace(
      "d",
      [
        Self.llm(), Self.tool("login"), Self.llm(), Self.tool("search", #"{"q":1,"lang":"en"}"#), Self.llm(),
        Self.tool("fetch"), Self.llm(),
      ])
    let shifted = try RunDiff(a, inserted)
    #expect(
      Self.shape(shifted) == [
        "same 0 0", "added - 1", "added - 2", "same 1 3", "same 2 4", "same 3 5", "same 4 6",
      ])
    #expect(shifted.firstDivergence == 1)
  }

  @Test func differentToolsNeverPairButModelsDo() throws {
    // A tool replaced by another is one removed and one added (removed first);
    // an LLM call to another model pairs, as changed.
    let a = Self.trace("a", [Self.llm("m1"), Self.tool("x"), Self.llm("m1")])
    let b = Self.trace("b", [Self.llm("m2"), Self.tool("y", error: true), Self.llm("m1")])
    let diff = try RunDiff(a, b)
    #expect(Self.shape(diff) == ["changed 0 0", "removed 1 -", "added - 1", "same 2 2"])
    #expect(diff.alignment[0].differences == [.model])
    #expect(diff.b.errors == 1 && diff.a.errors == 0)
    #expect(diff.toolChanges.map(\.change) == [.removed, .added])
  }

  @Test func errorsAndEmptyRuns() throws {
    let a = Self.trace("a", [Self.llm(), Self.tool("x", "1", error: true)])
    let b = Self.trace("b", [Self.llm(), Self.tool("x", "1")])
    let diff = try RunDiff(a, b)
    #expect(Self.shape(diff) == ["same 0 0", "changed 1 1"])
    #expect(diff.alignment[1].differences == [.error])
    #expect(diff.toolChanges.isEmpty)  // same tool, same arguments: not a tool change, an error change

    let empty = Self.trace("e", [])
    #expect(Self.shape(try RunDiff(empty, empty)).isEmpty)
    #expect(Self.shape(try RunDiff(a, empty)) == ["removed 0 -", "removed 1 -"])
    #expect(Self.shape(try RunDiff(empty, b)) == ["added - 0", "added - 1"])
  }

  @Test func alignmentCellsAtTheLimitAndOnePast() throws {
    let side = 4_096
    #expect(Limits.maximumDiffAlignmentCells == side * side)
    let steps = Array(repeating: Self.tool("t"), count: side)
    let a = Self.trace("a", steps)
    let atLimit = try RunDiff(a, Self.trace("b", steps))
    #expect(atLimit.alignment.count == side && atLimit.firstDivergence == nil)
    #expect {
      _ = try RunDiff(a, Self.trace("c", steps + [Self.tool("t")]))
    } throws: { error in
      (error as? TraceKVError)?.kind == .invalidInput
        && (error as? TraceKVError)?.message.contains("16777216") == true
    }
  }

  /// Samples 11 and 12 (two attempts at one booking): the booking failed
  /// without the traveler's name, then succeeded with it.
  @Test func episodeAttemptsFromTheSamples() throws {
    let temporary = try TemporaryStore()
    for name in ["sample_11_episode_group_attempt_1.json", "sample_12_episode_group_attempt_2.json"] {
      try temporary.store.ingest(contentsOf: Paths.samples.appendingPathComponent(name))
    }
    let diff = try #require(
      try temporary.store.diff("11112222333344445555666677778888", "9999aaaabbbbccccddddeeeeffff0000"))
    #expect(Self.shape(diff) == ["same 0 0", "changed 1 1", "same 2 2"])
    #expect(diff.alignment[1].differences == [.arguments, .error])
    #expect(diff.firstDivergence == 1)
    #expect(diff.a.steps[1].errorDescription == "Booking failed due to missing traveler name")
    // Tokens: A 82+96 in, 44+20 out; B 90+108 in, 52+17 out.
    #expect(diff.a.tokens.inputTokens == 178 && diff.a.tokens.outputTokens == 64)
    #expect(diff.b.tokens.inputTokens == 198 && diff.b.tokens.outputTokens == 69)
    // A runs 09:00:01.000–09:00:03.800, B 09:05:01.000–09:05:04.000.
    #expect(diff.a.durationMilliseconds == 2800 && diff.b.durationMilliseconds == 3000)
    #expect(diff.a.llmMilliseconds == 1900 && diff.b.llmMilliseconds == 2000)
    #expect(diff.b.finalAnswer == "Your flight is booked. Confirmation number: ABC-12345.")
    #expect(diff.a.finalAnswer != diff.b.finalAnswer)

    let json = try #require(diff.json.objectValue)
    #expect(json["delta"]?.objectValue?["input_tokens"] == .int(20))
    #expect(json["delta"]?.objectValue?["duration_ms"] == .int(200))
    #expect(json["first_divergence"]?.objectValue?["position"] == .int(1))
    #expect(json["tool_changes"]?.arrayValue?.count == 1)
    #expect(json["errors"]?.arrayValue?.count == 1)

    #expect(try temporary.store.diff("11112222333344445555666677778888", "no-such-trace") == nil)
  }

  /// The same conversation recorded by pydantic-ai (tool spans) and by the
  /// openai-v2 instrumentation in span_only mode (no tool spans: its tool
  /// calls are the ones the model asked for): the same steps.
  @Test func acrossInstrumentations() throws {
    let temporary = try TemporaryStore()
    for scenario in ["pydantic-ai", "openai-v2-span-only"] {
      let base = OTLPCaptureTests.folder.appendingPathComponent(scenario)
      let expected = try JSONParser.parse(
        Array(Data(contentsOf: base.appendingPathComponent("expected.json"))))
      for sent in (expected.objectValue?["requests"]?.arrayValue ?? []).compactMap(\.stringValue) {
        let body = Array(try Data(contentsOf: base.appendingPathComponent(sent)))
        _ = try temporary.store.ingestOTLP(body, signal: .traces, encoding: .protobuf, source: sent)
      }
    }
    let ids = try temporary.store.traceIDs()
    #expect(ids.count == 2)
    let traces = try ids.map { try #require(try temporary.store.trace(id: $0)) }
    let pydantic = try #require(traces.first { $0.spans.contains(where: \.isTool) })
    let openai = try #require(traces.first { !$0.spans.contains(where: \.isTool) })
    let diff = try #require(try temporary.store.diff(pydantic.traceID, openai.traceID))
    let kinds = diff.b.steps.map { "\($0.kind.rawValue) \($0.kind == .tool ? $0.name ?? "-" : "")" }
    #expect(kinds == ["llm ", "tool get_weather", "llm ", "tool convert_units", "llm "])
    #expect(diff.b.steps.filter { $0.kind == .tool }.allSatisfy { $0.requested })
    #expect(diff.b.steps[1].arguments == #"{"city":"Paris"}"#)
    #expect(
      diff.firstDivergence == nil,
      "\(Self.shape(diff)) \(diff.a.steps.map(\.summary)) \(diff.b.steps.map(\.summary))")
    #expect(
      diff.a.tokens
        == diff.b.tokens.with(cached: diff.a.tokens.cachedTokens, reasoning: diff.a.tokens.reasoningTokens))
  }

  /// A TraceBrain sample against an OTLP capture: LLM calls pair as another
  /// model; the tools differ. Both alignments of equal score have 2 changed
  /// LLM pairs, 1 removed and 3 added steps.
  @Test func acrossSources() throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(
      contentsOf: Paths.samples.appendingPathComponent("sample_1_simple_success.json"))
    let body = Array(
      try Data(contentsOf: OTLPCaptureTests.folder.appendingPathComponent("pydantic-ai/001.traces.pb")))
    _ = try temporary.store.ingestOTLP(body, signal: .traces, encoding: .protobuf, source: "pydantic")
    let other = try #require(
      try temporary.store.traceIDs().first { $0 != "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8" })
    let diff = try #require(try temporary.store.diff("a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8", other))
    let changes = diff.alignment.map(\.change)
    #expect(changes.filter { $0 == .changed }.count == 2)
    #expect(changes.filter { $0 == .removed }.count == 1)
    #expect(changes.filter { $0 == .added }.count == 3)
    #expect(diff.alignment.filter { $0.change == .changed }.allSatisfy { $0.differences == [.model] })
    #expect(diff.firstDivergence == 0)
  }
}

extension TokenUsage {
  fileprivate func with(cached: Int, reasoning: Int) -> TokenUsage {
    TokenUsage(
      inputTokens: inputTokens, outputTokens: outputTokens, cachedTokens: cached, reasoningTokens: reasoning)
  }
}

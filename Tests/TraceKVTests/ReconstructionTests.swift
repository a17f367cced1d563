import Foundation
import Testing
@testable import TraceKV

/// Reconstruction against the fixtures: every sample and edge trace against
/// the independent Python oracle's output (Oracle/generate.py), and five
/// samples against values written out by hand from docs/trace-format.md §2.
@Suite struct ReconstructionTests {
  struct Expected {
    let traceID: String
    let status: String
    let priority: Int
    let messages: [ChatMessage]
    let turns: [JSONValue]

    init(_ url: URL) throws {
      let object = try #require(try JSONParser.parse(Data(contentsOf: url)).objectValue)
      traceID = try #require(object["trace_id"]?.stringValue)
      status = try #require(object["status"]?.stringValue)
      priority = try #require(object["priority"]?.intValue)
      messages = try #require(object["messages"]?.arrayValue).map { item in
        let message = try #require(item.objectValue)
        return ChatMessage(role: try #require(message["role"]?.stringValue), content: try #require(message["content"]?.stringValue))
      }
      turns = try #require(object["turns"]?.arrayValue)
    }
  }

  static let cases: [String] = {
    let samples = (try? Paths.sampleFiles()) ?? []
    let edges = (try? FileManager.default.contentsOfDirectory(at: Paths.edgeTraces, includingPropertiesForKeys: nil)) ?? []
    return samples.map { "sample:" + $0.lastPathComponent } + edges.map { "edge:" + $0.lastPathComponent }.sorted()
  }()

  @Test("matches the oracle", arguments: cases)
  func matchesOracle(_ name: String) throws {
    let isEdge = name.hasPrefix("edge:")
    let file = String(name.drop { $0 != ":" }.dropFirst())
    let source = (isEdge ? Paths.edgeTraces : Paths.samples).appendingPathComponent(file)
    let stem = (file as NSString).deletingPathExtension
    let expected = try Expected(Paths.expected.appendingPathComponent((isEdge ? "edge_" : "") + stem + ".json"))

    let temporary = try TemporaryStore()
    try temporary.store.ingest(contentsOf: source, options: .init(strict: true))
    let trace = try #require(try temporary.store.trace(id: expected.traceID))
    #expect(trace.status.rawValue == expected.status)
    #expect(trace.priority == expected.priority)
    #expect(try temporary.store.messages(traceID: expected.traceID) == expected.messages)
    let turns = try #require(try temporary.store.turns(traceID: expected.traceID)).map(\.json)
    #expect(turns == expected.turns)
  }

  @Test func ingestStatusesOfTheSamples() throws {
    let temporary = try TemporaryStore.withSamples()
    let page = try temporary.store.list(limit: 100)
    #expect(page.total == 20)
    #expect(page.traces.filter { $0.status == .needsReview }.count == 11)
    #expect(page.traces.filter { $0.status == .running }.count == 9)
  }

  // MARK: Written out by hand

  private func store(_ file: String) throws -> TemporaryStore {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(contentsOf: Paths.samples.appendingPathComponent(file), options: .init(strict: true))
    return temporary
  }

  @Test func parallelCallsFollowTheSecondToolSpan() throws {
    // The final LLM span's parent is the Berlin tool span, whose parent is the
    // first LLM span; the null-content tool_calls message is dropped.
    let temporary = try store("sample_7_parallel_calls.json")
    let id = "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"
    let completion =
      "Thought: To compare the populations, I need to get the data for both cities. I can do this in parallel.\n"
      + #"{"tool_calls": [{"name": "get_population", "arguments": {"city": "Paris"}}, {"name": "get_population", "arguments": {"city": "Berlin"}}]}"#
    #expect(
      try temporary.store.messages(traceID: id) == [
        ChatMessage(role: "system", content: "You are an assistant that answers comparison questions by gathering data for each item."),
        ChatMessage(role: "user", content: "Compare the populations of Paris and Berlin."),
        ChatMessage(role: "assistant", content: completion),
        ChatMessage(role: "tool", content: "2.1 million"),
        ChatMessage(role: "tool", content: "3.6 million"),
      ])
    let turns = try #require(try temporary.store.turns(traceID: id))
    #expect(turns.count == 2)
    #expect(turns[0].toolOutput == "2.1 million")  // the first tool child in list order
    #expect(turns[0].promptForModel.count == 2)
    #expect(turns[1].toolOutput == nil)
    #expect(turns[1].modelCompletion?.hasPrefix("Based on the data, Berlin") == true)
  }

  @Test func reviewerRoleIsKept() throws {
    let temporary = try store("sample_19_multi_agent_interaction.json")
    let messages = try #require(try temporary.store.messages(traceID: "f9e8d7c6b5a4f9e8d7c6b5a4f9e8d7c6"))
    #expect(messages.map(\.role) == ["system", "user", "assistant", "reviewer"])
    #expect(messages[3].content == "Review: Please add type hints for better stability.")
    #expect(try temporary.store.trace(id: "f9e8d7c6b5a4f9e8d7c6b5a4f9e8d7c6")?.status == .running)
  }

  @Test func singleSpanTraceHasOneTurnAndNoCompletionMessage() throws {
    let temporary = try store("sample_6_no_tool_call.json")
    let id = "f6a7b8c9d0e1f2a3f6a7b8c9d0e1f2a3"
    let messages = try #require(try temporary.store.messages(traceID: id))
    #expect(messages.map(\.role) == ["system", "user"])
    let turns = try #require(try temporary.store.turns(traceID: id))
    #expect(turns.count == 1)
    #expect(turns[0].promptForModel == messages)
    #expect(turns[0].toolCode == nil)
  }

  @Test func helpRequestSendsTheTraceToReview() throws {
    // sample_13 calls request_human_intervention; its status is needs_review, priority 5.
    let temporary = try store("sample_13_governance_status.json")
    let trace = try #require(try temporary.store.trace(id: "b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7"))
    #expect(trace.spans.contains { $0.toolName == "request_human_intervention" })
    #expect(trace.status == .needsReview)
    #expect(trace.priority == 5)
  }

  @Test func failedStatusWithACriticalErrorBecomesNeedsReview() throws {
    let temporary = try store("sample_14_failed_status.json")
    let trace = try #require(try temporary.store.trace(id: "c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8"))
    #expect(trace.aiEvaluation?.errorType == .invalidToolUsage)
    #expect(trace.status == .needsReview)
    #expect(trace.priority == 2)
  }

  @Test func toolErrorTraceKeepsTheToolOutputInTheNextDelta() throws {
    let temporary = try store("sample_3_tool_error.json")
    let id = "c3d4e5f6a7b8c9d0c3d4e5f6a7b8c9d0"
    let turns = try #require(try temporary.store.turns(traceID: id))
    let messages = try #require(try temporary.store.messages(traceID: id))
    #expect(turns.count == 2)
    #expect(messages.first?.role == "system")
    #expect(turns[1].promptForModel == messages)
    #expect(try temporary.store.trace(id: id)?.status == .needsReview)
  }

  @Test func parentCycleStops() throws {
    let a = #"{"span_id": "a", "parent_id": "b", "start_time": "2025-01-01T00:00:01Z", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.new_content": "{\"role\": \"user\", \"content\": \"A\"}", "tracebrain.llm.completion": "ca"}}"#
    let b = #"{"span_id": "b", "parent_id": "a", "start_time": "2025-01-01T00:00:02Z", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.new_content": "{\"role\": \"user\", \"content\": \"B\"}"}}"#
    let temporary = try TemporaryStore()
    try temporary.store.ingest(json: #"{"trace_id": "cyc", "spans": [\#(a), \#(b)]}"#)
    #expect(
      try temporary.store.messages(traceID: "cyc") == [
        ChatMessage(role: "user", content: "A"), ChatMessage(role: "assistant", content: "ca"),
        ChatMessage(role: "user", content: "B"),
      ])
    #expect(try #require(try temporary.store.spanTree(traceID: "cyc")).count == 1)
  }

  /// A transcript shows what the JSON holds: the call a tool message
  /// answers, the calls an assistant asks for, the reasoning.
  @Test func transcriptShowsToolCallsAndTheCallAnswered() {
    let asks = ChatMessage(
      role: "assistant", content: "",
      toolCalls: [.init(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)], reasoning: "need data")
    #expect(asks.transcript() == "[assistant]\n  reasoning: need data\n  → get_weather({\"city\":\"Paris\"})  [call_1]")
    let answer = ChatMessage(role: "tool", content: "18°C, clear", toolCallID: "call_1")
    #expect(answer.transcript() == "[tool call_1] 18°C, clear")
    #expect(ChatMessage(role: "user", content: "abcdef").transcript { String($0.prefix(3)) } == "[user] abc")
  }

  /// One rule for every read: a trace the store does not hold is nil; a
  /// write that names it throws `notFound`.
  @Test func unknownTraceReadsAsNil() throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(json: #"{"trace_id": "known", "spans": [{"span_id": "s1"}]}"#)
    #expect(try temporary.store.trace(id: "nope") == nil)
    #expect(try temporary.store.messages(traceID: "nope") == nil)
    #expect(try temporary.store.turns(traceID: "nope") == nil)
    #expect(try temporary.store.spanTree(traceID: "nope") == nil)
    #expect(try temporary.store.prompt(traceID: "nope", spanID: "s1") == nil)
    #expect(try temporary.store.prompt(traceID: "known", spanID: "nope") == nil)
    #expect(try temporary.store.messages(traceID: "known") == [])
    do {
      try temporary.store.addFeedback(traceID: "nope", rating: 5)
      Issue.record("expected notFound")
    } catch {
      #expect(error.kind == .notFound)
    }
  }
}

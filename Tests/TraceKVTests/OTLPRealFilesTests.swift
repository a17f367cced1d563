import Foundation
import TestSupport
import Testing

@testable import TraceKV

/// The 13 OTLP files other projects wrote (`OTLPData/real`, sources and
/// licences in its SOURCES.md), each rebuilt as the agent saw it. Every
/// expectation below was written by reading the file, not by running TraceKV.
@Suite struct OTLPRealFilesTests {
  /// What one trace of a file must give.
  struct Expected: Sendable, CustomStringConvertible {
    var traceID: String
    var messages: [ChatMessage] = []
    /// Per turn: prompt length, completion, tool code.
    var turns: [TurnShape] = []
    var episode: String? = nil
    var llmCalls = 0
    var toolCallsRequested: [String] = []
    var toolExecutions = 0
    var inputTokens = 0
    var outputTokens = 0
    var cachedTokens = 0
    var reasoningTokens = 0
    var failed = false
    var description: String { traceID }
  }

  struct TurnShape: Equatable, Sendable {
    var prompt: Int
    var completion: String?
    var toolCode: String?
    var toolOutput: String? = nil
  }

  static func user(_ text: String) -> ChatMessage { ChatMessage(role: "user", content: text) }
  static func system(_ text: String) -> ChatMessage { ChatMessage(role: "system", content: text) }
  static func calling(_ calls: (String?, String, String)...) -> ChatMessage { saying("", calls) }
  static func saying(_ text: String, _ calls: [(String?, String, String)]) -> ChatMessage {
    ChatMessage(
      role: "assistant", content: text,
      toolCalls: calls.map { ChatMessage.ToolCall(id: $0.0, name: $0.1, arguments: $0.2) })
  }
  static func tool(_ id: String, _ text: String) -> ChatMessage {
    ChatMessage(role: "tool", content: text, toolCallID: id)
  }

  // The support-agent prompt of 04, 05 and 06 (three instrumentations of one call).
  static let support = [
    system("You are a support agent. Use the tools you are given."), user("Where is order A-1187?"),
  ]
  // The weather conversation of 07, 08 and 09.
  static let paris = [
    user("Weather in Paris?"),
    saying(
      "Absolutely! Let me check the weather for you.", [("1234", "get_weather", #"{"location":"Paris"}"#)]),
    tool("1234", "rainy, 57°F"),
  ]
  static let parisReply = "The weather in Paris is currently rainy with a temperature of 57°F."
  static let sunny = #"{"city":"Paris","forecast":"sunny","temp_c":21}"#
  static let helmTable =
    "NAME       \tNAMESPACE\tREVISION\tUPDATED                                  \tSTATUS  \tCHART            \tAPP VERSION\nkagent     \tkagent   \t5       \t2026-04-30 15:14:13.141794486 +0200 +0200\tdeployed\tkagent-0.9.0     \t           \nkagent-crds\tkagent   \t1       \t2026-04-30 14:51:26.764317537 +0200 +0200\tdeployed\tkagent-crds-0.9.0\t           \n"
  static let helmReply =
    "There are two Helm releases currently deployed:\n\n1. Release Name: kagent\n   - Namespace: kagent\n   - Revision: 5\n   - Status: deployed\n   - Chart: kagent version 0.9.0\n\n2. Release Name: kagent-crds\n   - Namespace: kagent\n   - Revision: 1\n   - Status: deployed\n   - Chart: kagent-crds version 0.9.0\n\nIf you need detailed information about any of these releases or further assistance, please let me know!"

  /// The kagent run of 02 and 03: ADK `call_llm` → `generate_content` → OpenLLMetry `openai.chat`,
  /// one LLM call described three times, twice over.
  static let kagent = Expected(
    traceID: "dd547580319ab0312cee07f1def50dad",
    messages: [
      system("<the 7,705-character Helm system prompt>"), user("list all helm releases\n"),
      calling(("call_w0eKlvnaE7S9GQJeSSs0gn05", "helm_list_releases", "{}")),
      tool("call_w0eKlvnaE7S9GQJeSSs0gn05", helmTable),
    ],
    turns: [
      TurnShape(
        prompt: 2, completion: nil, toolCode: "helm_list_releases({})",
        toolOutput:
          #"{"content": [{"type": "text", "text": "NAME       \tNAMESPACE\tREVISION\tUPDATED                                  \tSTATUS  \tCHART            \tAPP VERSION\nkagent     \tkagent   \t5       \t2026-04-30 15:14:13.141794486 +0200 +0200\tdeployed\tkagent-0.9.0     \t           \nkagent-crds\tkagent   \t1       \t2026-04-30 14:51:26.764317537 +0200 +0200\tdeployed\tkagent-crds-0.9.0\t           \n"}], "isError": false}"#
      ),
      TurnShape(prompt: 4, completion: helmReply, toolCode: nil),
    ],
    episode: "ctx-eff35888-55ab-4eb0-b90d-7b21f711f91f", llmCalls: 2,
    toolCallsRequested: ["helm_list_releases"],
    toolExecutions: 1, inputTokens: 2256 + 2392, outputTokens: 13 + 116)

  static let files: [String: [Expected]] = [
    "01_otelproto_trace.json": [Expected(traceID: "5b8efff798038103d269b633813fc60c")],
    "02_kagent_tempo_export_asis.json": [kagent],
    "03_kagent_tempo_export_wrapped.json": [kagent],
    "04_interlingua_openinference_in.json": [
      Expected(
        traceID: "9ed94f9bdc36b397e11c51f77d49e01a", messages: support,
        turns: [TurnShape(prompt: 2, completion: nil, toolCode: #"lookup_order({"order_id": "A-1187"})"#)],
        llmCalls: 1, toolCallsRequested: ["lookup_order"], inputTokens: 412, outputTokens: 27,
        cachedTokens: 256,
        reasoningTokens: 8)
    ],
    "05_interlingua_openllmetry_in.json": [
      Expected(
        traceID: "77d66be22a4ffc8149309684b3a319f7", messages: support,
        turns: [TurnShape(prompt: 2, completion: nil, toolCode: #"lookup_order({"order_id":"A-1187"})"#)],
        llmCalls: 1, toolCallsRequested: ["lookup_order"], inputTokens: 412, outputTokens: 27,
        cachedTokens: 256,
        reasoningTokens: 8)
    ],
    "06_interlingua_openllmetry-legacy_in.json": [
      Expected(
        traceID: "5b8efff798038103d269b633813fc60c", messages: support,
        turns: [TurnShape(prompt: 2, completion: nil, toolCode: #"lookup_order({"order_id": "A-1187"})"#)],
        llmCalls: 1, toolCallsRequested: ["lookup_order"], inputTokens: 412, outputTokens: 27)
    ],
    "07_oi-genai_otel_genai_tool_calls_wrapped.json": [
      Expected(
        traceID: "0af7651916cd43dd8448eb211c80319c", messages: paris,
        turns: [TurnShape(prompt: 3, completion: parisReply, toolCode: nil)], llmCalls: 1, inputTokens: 97,
        outputTokens: 52),
      Expected(traceID: "1bf7651916cd43dd8448eb211c80319d", toolExecutions: 1),
    ],
    "08_oi-genai_openinference_tool_calls_wrapped.json": [
      Expected(
        traceID: "2cf7651916cd43dd8448eb211c80319e", messages: paris,
        turns: [TurnShape(prompt: 3, completion: parisReply, toolCode: nil)], llmCalls: 1, inputTokens: 97,
        outputTokens: 52)
    ],
    "09_oi-genai_otel_genai_deprecated_wrapped.json": [
      Expected(
        traceID: "3df7651916cd43dd8448eb211c80319f", messages: paris,
        turns: [TurnShape(prompt: 3, completion: parisReply, toolCode: nil)], llmCalls: 1, inputTokens: 97,
        outputTokens: 52)
    ],
    "10_agentevals_hand_strands_span_events.json": [
      Expected(
        traceID: "f4cf2a05ed08d95e68042022f5395afe",
        messages: [
          user("What is the weather in Paris?"), calling(("tooluse_1", "get_weather", #"{"city":"Paris"}"#)),
          tool("tooluse_1", sunny),
        ],
        turns: [
          TurnShape(
            prompt: 1, completion: nil, toolCode: #"get_weather({"city":"Paris"})"#, toolOutput: sunny),
          TurnShape(prompt: 3, completion: "It is sunny and 21C in Paris.", toolCode: nil),
        ],
        llmCalls: 2, toolCallsRequested: ["get_weather"], toolExecutions: 1, inputTokens: 40 + 80,
        outputTokens: 9 + 11)
    ],
    "11_agentevals_hand_util_genai_openai_tool_loop.json": [
      Expected(
        traceID: "461bd02aa7271d9685c3552485eccc79",
        // The second prompt leaves out the system instructions: not a strict continuation.
        messages: [
          user("What is the weather in Paris?"), calling(("call_1", "get_weather", #"{"city":"Paris"}"#)),
          tool("call_1", sunny),
        ],
        turns: [
          TurnShape(prompt: 2, completion: nil, toolCode: #"get_weather({"city":"Paris"})"#),
          TurnShape(prompt: 3, completion: "It is sunny and 21C in Paris.", toolCode: nil),
        ],
        llmCalls: 2, toolCallsRequested: ["get_weather"], inputTokens: 40 + 80, outputTokens: 9 + 11)
    ],
    "12_agentevals_hand_failed_inference_then_retry.json": [
      Expected(
        traceID: "5ab773270538439f7c736912a6280df7", messages: [user("Summarize the release notes.")],
        turns: [
          TurnShape(prompt: 1, completion: nil, toolCode: nil),
          TurnShape(prompt: 1, completion: "Three bug fixes and one new flag.", toolCode: nil),
        ],
        llmCalls: 2, inputTokens: 300, outputTokens: 40, failed: true)
    ],
    "13_agentevals_hand_three_trace_conversation.json": [
      Expected(
        traceID: "38461a0164862aa3615b130f6144ee35", messages: [user("Hi, my name is Ada.")],
        turns: [TurnShape(prompt: 1, completion: "Nice to meet you, Ada!", toolCode: nil)],
        episode: "conv-ada-1",
        llmCalls: 1, inputTokens: 10, outputTokens: 6),
      Expected(
        traceID: "c19e995f47264a6ae830814dc1ce7d8b", messages: [user("What is the weather in Rome?")],
        turns: [TurnShape(prompt: 1, completion: "It is cloudy and 17C in Rome.", toolCode: nil)],
        episode: "conv-ada-1", llmCalls: 1, inputTokens: 30, outputTokens: 9),
      Expected(
        traceID: "2cd29dc58c6d40d6cfdb36a73d57bd42", messages: [user("Thanks, bye!")],
        turns: [TurnShape(prompt: 1, completion: "Goodbye, Ada!", toolCode: nil)], episode: "conv-ada-1",
        llmCalls: 1, inputTokens: 50, outputTokens: 4),
    ],
  ]

  static let real = OTLP.data.appendingPathComponent("real")

  @Test func everyFileHasExpectations() throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: Self.real.path).filter {
      $0.hasSuffix(".json")
    }
    #expect(Set(names) == Set(Self.files.keys))
    #expect(names.count == 13)
  }

  @Test(arguments: files.keys.sorted())
  func rebuildsAsJSON(_ name: String) throws {
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(
      contentsOf: Self.real.appendingPathComponent(name), options: .init(strict: true))
    #expect(report.rejected.isEmpty)
    try Self.check(temporary.store, Self.files[name]!)
  }

  /// Compares a store with what a file must give.
  static func check(_ store: TraceStore, _ expected: [Expected]) throws {
    for trace in expected {
      let stored = try #require(try store.trace(id: trace.traceID), "\(trace)")
      var messages = try rebuilt(store.messages(traceID: trace.traceID))
      // The Helm system prompt is checked by its opening and length, not spelled out.
      if let first = messages.first, first.content.hasPrefix("# Helm AI Agent System Prompt") {
        #expect(first.content.count == 7705)
        messages[0].content = "<the 7,705-character Helm system prompt>"
      }
      #expect(messages == trace.messages, "\(trace)")
      let turns = try rebuilt(store.turns(traceID: trace.traceID)).map {
        TurnShape(
          prompt: $0.promptForModel.count, completion: $0.modelCompletion, toolCode: $0.toolCode,
          toolOutput: $0.toolOutput)
      }
      let expectedTurns = trace.turns.enumerated().map { index, shape in
        // Tool output is checked only where the expectation names it.
        var shape = shape
        if shape.toolOutput == nil, index < turns.count { shape.toolOutput = turns[index].toolOutput }
        return shape
      }
      #expect(turns == expectedTurns, "\(trace)")
      #expect(stored.episodeID == trace.episode, "\(trace)")
      let summary = try #require(try store.callSummary(traceID: trace.traceID))
      #expect(summary.llmCalls == trace.llmCalls, "\(trace)")
      #expect(summary.toolCallsRequested == trace.toolCallsRequested, "\(trace)")
      #expect(summary.toolExecutions == trace.toolExecutions, "\(trace)")
      let tokens: [Int] = [
        summary.inputTokens, summary.outputTokens, summary.cachedTokens, summary.reasoningTokens,
      ]
      let expectedTokens: [Int] = [
        trace.inputTokens, trace.outputTokens, trace.cachedTokens, trace.reasoningTokens,
      ]
      #expect(tokens == expectedTokens, "\(trace)")
      #expect(stored.spans.contains { $0.isError } == trace.failed, "\(trace)")
      #expect((stored.status == .needsReview) == trace.failed, "\(trace)")
    }
  }

  /// 03's five `exception` events sit on spans whose status is UNSET
  /// (cancelled asyncio tasks): kept as events, not failures.
  @Test func exceptionEventsOnUnsetSpansAreKeptButDoNotFail() throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(
      contentsOf: Self.real.appendingPathComponent("03_kagent_tempo_export_wrapped.json"),
      options: .init(strict: true))
    let trace = try #require(try temporary.store.trace(id: Self.kagent.traceID))
    let withException = trace.spans.filter { span in
      span.attributes["otel.events"]?.arrayValue?.contains {
        $0.objectValue?["name"] == JSONValue.string("exception")
      } == true
    }
    #expect(withException.count == 5)
    #expect(!withException.contains { $0.isError })
  }

  /// 02 uses the pre-1.0 names and the report says so; 01 has upper-case hex ids.
  @Test func olderNamesAndUpperCaseIDs() throws {
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(
      contentsOf: Self.real.appendingPathComponent("02_kagent_tempo_export_asis.json"),
      options: .init(strict: true))
    #expect(report.warnings.contains { $0.contains("batches was read as resourceSpans") })
    #expect(report.warnings.contains { $0.contains("instrumentationLibrarySpans was read as scopeSpans") })
    try temporary.store.ingest(
      contentsOf: Self.real.appendingPathComponent("01_otelproto_trace.json"), options: .init(strict: true))
    let trace = try #require(try temporary.store.trace(id: "5b8efff798038103d269b633813fc60c"))
    #expect(trace.spans.map(\.spanID) == ["eee19b7ec3c1b174"])
    #expect(trace.spans[0].parentID == "eee19b7ec3c1b173")
  }

  /// Search finds the text of OpenLLMetry's and OpenInference's messages.
  @Test func searchFindsTheConversationText() throws {
    let temporary = try TemporaryStore()
    for name in ["04_interlingua_openinference_in.json", "06_interlingua_openllmetry-legacy_in.json"] {
      try temporary.store.ingest(
        contentsOf: Self.real.appendingPathComponent(name), options: .init(strict: true))
    }
    let hits = try temporary.store.search(SearchQuery(text: "order A-1187", mode: .lexical, limit: 5)).hits
    #expect(
      Set(hits.map(\.traceID)) == ["9ed94f9bdc36b397e11c51f77d49e01a", "5b8efff798038103d269b633813fc60c"])
  }

  /// OpenInference's `input.value` (the whole request) is kept as sent.
  @Test func inputValueIsKept() throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(
      contentsOf: Self.real.appendingPathComponent("04_interlingua_openinference_in.json"),
      options: .init(strict: true))
    let trace = try #require(try temporary.store.trace(id: "9ed94f9bdc36b397e11c51f77d49e01a"))
    let value = try #require(trace.spans[0].attributes["input.value"]?.stringValue)
    #expect(value.hasPrefix(#"{"messages": [{"role": "system", "content": "You are a support agent."#))
  }
}

/// A rebuilt list as an array: these reads return an array, or (with the typed-error API)
/// nil for an unknown trace; the tests ask only for traces they stored.
func rebuilt<T>(_ list: [T]) -> [T] { list }
func rebuilt<T>(_ list: [T]?) -> [T] { list ?? [] }

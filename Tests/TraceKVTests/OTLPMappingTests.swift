import Foundation
import Testing

@testable import TraceKV

/// Each attribute family maps to the TraceBrain keys that reconstruction,
/// governance, search and statistics read; originals are kept.
@Suite struct OTLPMappingTests {
  private func mapped(_ span: String, resource: [String] = []) throws -> OTLPMapping.Mapped {
    let decoded = try OTLPDecoder.decode(try json(OTLP.request([span], resource: resource)))
    #expect(decoded.problems.isEmpty)
    var spans = [OTLPMapping.map(try #require(decoded.spans.first))]
    LLMCallResolver.resolve(&spans)
    return spans[0]
  }

  @Test(
    "span type",
    arguments: [
      ("gen_ai.operation.name", "chat", "llm_inference"),
      ("gen_ai.operation.name", "text_completion", "llm_inference"),
      ("gen_ai.operation.name", "generate_content", "llm_inference"),
      ("gen_ai.operation.name", "execute_tool", "tool_execution"),
      ("gen_ai.operation.name", "invoke_agent", "invoke_agent"),
      ("gen_ai.operation.name", "create_agent", "create_agent"),
      ("gen_ai.operation.name", "embeddings", "embeddings"),
      ("openinference.span.kind", "LLM", "llm_inference"),
      ("openinference.span.kind", "TOOL", "tool_execution"),
      ("openinference.span.kind", "AGENT", "agent"),
      ("openinference.span.kind", "CHAIN", "chain"),
      ("openinference.span.kind", "RETRIEVER", "retriever"),
      ("openinference.span.kind", "EMBEDDING", "embedding"),
      ("openinference.span.kind", "RERANKER", "reranker"),
      ("openinference.span.kind", "GUARDRAIL", "guardrail"),
      ("openinference.span.kind", "EVALUATOR", "evaluator"),
    ])
  func spanType(_ key: String, _ value: String, _ expected: String) throws {
    let span = try mapped(OTLP.span("0000000000000001", attributes: [OTLP.string(key, value)])).span
    #expect(span.attributes["tracebrain.span.type"] == .string(expected))
    #expect(span.attributes[key] == .string(value))  // the original is kept
  }

  @Test func traceBrainAttributesWin() throws {
    let span = try mapped(
      OTLP.span(
        "0000000000000001",
        attributes: [
          OTLP.string("tracebrain.span.type", "tool_execution"), OTLP.string("gen_ai.operation.name", "chat"),
          OTLP.string("tracebrain.tool.name", "mine"), OTLP.string("gen_ai.tool.name", "theirs"),
        ])
    ).span
    #expect(span.isTool && span.toolName == "mine")
  }

  @Test func genAIChatSpan() throws {
    let input = #"[{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]"#
    let output =
      #"[{"role": "assistant", "parts": [{"type": "reasoning", "content": "I need the tool."}, {"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}], "finish_reason": "tool_call"}]"#
    let result = try mapped(
      OTLP.span(
        "0000000000000001", name: "chat gpt-4o",
        attributes: [
          OTLP.string("gen_ai.operation.name", "chat"), OTLP.string("gen_ai.request.model", "gpt-4o"),
          OTLP.string("gen_ai.response.model", "gpt-4o-2024-08-06"),
          OTLP.int("gen_ai.usage.input_tokens", 31), OTLP.int("gen_ai.usage.output_tokens", 9),
          OTLP.string("gen_ai.system_instructions", #"[{"type": "text", "content": "Be brief."}]"#),
          OTLP.string("gen_ai.input.messages", input), OTLP.string("gen_ai.output.messages", output),
          OTLP.string("gen_ai.conversation.id", "conv-1"), OTLP.string("gen_ai.agent.name", "planner"),
        ], extra: #", "kind": 3"#))
    let span = result.span
    #expect(span.isLLM)
    #expect(span.attributes["tracebrain.llm.model"] == .string("gpt-4o-2024-08-06"))
    #expect(
      span.attributes["tracebrain.usage"]
        == (try json(#"{"prompt_tokens": 31, "completion_tokens": 9, "total_tokens": 40}"#)))
    #expect(span.toolCode == #"get_weather({"city":"Paris"})"#)
    #expect(span.thought == "I need the tool.")
    #expect(span.finalAnswer == nil)
    // A reply that only calls a tool has no text: no completion, the call is in the reply message.
    #expect(span.completion == nil)
    #expect(
      span.attributes["tracekv.llm.reply"]
        == .string(
          #"[{"role":"assistant","content":"","tool_calls":[{"id":"c1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"}],"reasoning":"I need the tool."}]"#
        ))
    #expect(
      result.prompt == [
        ChatMessage(role: "system", content: "Be brief."),
        ChatMessage(role: "user", content: "Weather in Paris?"),
      ])
    // The cumulative prompt is replaced by the delta; the reply and everything else stay.
    #expect(
      span.attributes["gen_ai.input.messages"] == nil && span.attributes["gen_ai.system_instructions"] == nil)
    #expect(span.attributes["gen_ai.output.messages"] == .string(output))
    #expect(span.attributes["otel.span_kind"] == .string("CLIENT"))
    #expect(span.attributes["tracekv.agent.name"] == .string("planner"))
    #expect(result.episodeID == "conv-1" && result.agentName == "planner")
  }

  @Test func structuredGenAIMessagesAndOlderTokenNames() throws {
    // Messages as a structured AnyValue rather than JSON text.
    let message =
      #"{"kvlistValue": {"values": [{"key": "role", "value": {"stringValue": "user"}}, {"key": "parts", "value": {"arrayValue": {"values": [{"kvlistValue": {"values": [{"key": "type", "value": {"stringValue": "text"}}, {"key": "content", "value": {"stringValue": "hello"}}]}}]}}}]}}"#
    let result = try mapped(
      OTLP.span(
        "0000000000000001",
        attributes: [
          OTLP.string("gen_ai.operation.name", "text_completion"),
          #"{"key": "gen_ai.input.messages", "value": {"arrayValue": {"values": [\#(message)]}}}"#,
          OTLP.int("gen_ai.usage.prompt_tokens", 5), OTLP.int("gen_ai.usage.completion_tokens", 2),
        ]))
    #expect(result.prompt == [ChatMessage(role: "user", content: "hello")])
    #expect(
      result.span.attributes["tracebrain.usage"]
        == (try json(#"{"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}"#)))
  }

  @Test func genAIToolSpan() throws {
    let span = try mapped(
      OTLP.span(
        "0000000000000001",
        attributes: [
          OTLP.string("gen_ai.operation.name", "execute_tool"),
          OTLP.string("gen_ai.tool.name", "get_weather"),
          OTLP.string("gen_ai.tool.call.arguments", #"{"city": "Paris"}"#),
          OTLP.string("gen_ai.tool.call.result", "rain"),
        ])
    ).span
    #expect(span.isTool && span.toolName == "get_weather" && span.toolOutput == "rain")
    #expect(span.attributes["tracebrain.tool.input"] == .string(#"{"city": "Paris"}"#))
  }

  @Test func openInferenceLLMSpan() throws {
    let result = try mapped(
      OTLP.span(
        "0000000000000001",
        attributes: [
          OTLP.string("openinference.span.kind", "LLM"), OTLP.string("llm.model_name", "claude-sonnet"),
          OTLP.string("llm.input_messages.0.message.role", "system"),
          OTLP.string("llm.input_messages.0.message.content", "Be kind."),
          OTLP.string("llm.input_messages.1.message.role", "user"),
          OTLP.string("llm.input_messages.1.message.content", "Hi"),
          OTLP.string("llm.input_messages.10.message.role", "user"),
          OTLP.string("llm.input_messages.10.message.content", "tenth"),
          OTLP.string("llm.input_messages.2.message.role", "assistant"),
          OTLP.string("llm.input_messages.2.message.tool_calls.0.tool_call.function.name", "lookup"),
          OTLP.string("llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments", #"{"q": 1}"#),
          OTLP.string("llm.output_messages.0.message.role", "assistant"),
          OTLP.string("llm.output_messages.0.message.content", "Hello!"),
          OTLP.int("llm.token_count.prompt", 12), OTLP.int("llm.token_count.completion", 3),
          OTLP.int("llm.token_count.total", 15),
          OTLP.string("input.value", #"{"messages": "…"}"#), OTLP.string("output.value", "Hello!"),
          OTLP.string("session.id", "sess-9"),
        ]))
    #expect(
      result.prompt == [
        ChatMessage(role: "system", content: "Be kind."), ChatMessage(role: "user", content: "Hi"),
        ChatMessage(
          role: "assistant", content: "",
          toolCalls: [ChatMessage.ToolCall(id: nil, name: "lookup", arguments: #"{"q": 1}"#)]),
        ChatMessage(role: "user", content: "tenth"),
      ])
    let span = result.span
    #expect(span.isLLM && span.completion == "Hello!" && span.finalAnswer == "Hello!")
    #expect(span.attributes["tracebrain.llm.model"] == .string("claude-sonnet"))
    #expect(
      span.attributes["tracebrain.usage"]
        == (try json(#"{"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}"#)))
    // The prompt is a delta; `input.value` (the whole request as sent) is kept.
    #expect(span.attributes.keys.filter { $0.hasPrefix("llm.input_messages.") }.isEmpty)
    #expect(span.attributes["input.value"] == .string(#"{"messages": "…"}"#))
    #expect(span.attributes["llm.output_messages.0.message.content"] == .string("Hello!"))
    #expect(result.episodeID == "sess-9")
  }

  @Test func openInferenceToolAndAgentSpans() throws {
    let tool = try mapped(
      OTLP.span(
        "0000000000000001",
        attributes: [
          OTLP.string("openinference.span.kind", "TOOL"), OTLP.string("tool.name", "search"),
          OTLP.string("input.value", "query"), OTLP.string("output.value", "3 results"),
        ])
    ).span
    #expect(tool.isTool && tool.toolName == "search" && tool.toolOutput == "3 results")
    #expect(tool.attributes["tracebrain.tool.input"] == .string("query"))
    #expect(tool.attributes["input.value"] == .string("query"))  // kept: not a cumulative prompt
    let agent = try mapped(
      OTLP.span(
        "0000000000000002",
        attributes: [
          OTLP.string("openinference.span.kind", "AGENT"), OTLP.string("agent.name", "router"),
        ]), resource: [OTLP.string("session.id", "from-resource")])
    #expect(agent.agentName == "router" && agent.episodeID == "from-resource")
  }

  @Test func openLLMetryIndexedPrompts() throws {
    let result = try mapped(
      OTLP.span(
        "0000000000000001",
        attributes: [
          OTLP.string("gen_ai.operation.name", "chat"),
          OTLP.string("gen_ai.prompt.0.role", "user"), OTLP.string("gen_ai.prompt.0.content", "2+2?"),
          OTLP.string("gen_ai.completion.0.role", "assistant"),
          OTLP.string("gen_ai.completion.0.content", "4"),
          OTLP.string("gen_ai.completion.0.finish_reason", "stop"),
        ]))
    #expect(result.prompt == [ChatMessage(role: "user", content: "2+2?")])
    #expect(result.span.completion == "4")
  }

  @Test func promptAndCompletionEventsOfOlderConventions() throws {
    let prompt = #"[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]"#
    let completion = #"[{"role": "assistant", "content": "hello"}]"#
    let events =
      #", "events": [{"name": "gen_ai.content.prompt", "attributes": [\#(OTLP.string("gen_ai.prompt", prompt))]}, {"name": "gen_ai.content.completion", "attributes": [\#(OTLP.string("gen_ai.completion", completion))]}]"#
    let result = try mapped(
      OTLP.span("0000000000000001", attributes: [OTLP.string("gen_ai.operation.name", "chat")], extra: events)
    )
    #expect(
      result.prompt == [
        ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "hi"),
      ])
    #expect(result.span.completion == "hello")
    // The prompt event is replaced by the delta; the completion event stays.
    let kept = result.span.attributes["otel.events"]?.arrayValue?.compactMap { $0.objectValue?["name"] }
    #expect(kept == [.string("gen_ai.content.completion")])
  }

  @Test(
    "errors: status ERROR only; an exception event or error.type on an UNSET span is no failure; OK wins",
    arguments: [
      (#", "status": {"code": 2, "message": "rate limited"}"#, [String](), "ERROR", "rate limited"),
      (
        #", "status": {"code": "STATUS_CODE_ERROR"}, "events": [{"name": "exception", "attributes": [{"key": "exception.type", "value": {"stringValue": "TimeoutError"}}, {"key": "exception.message", "value": {"stringValue": "took too long"}}]}]"#,
        [], "ERROR", "TimeoutError: took too long"
      ),
      (
        #", "events": [{"name": "exception", "attributes": [{"key": "exception.message", "value": {"stringValue": "bad"}}]}]"#,
        [], "UNSET", nil
      ),
      ("", [OTLP.string("error.type", "timeout")], "UNSET", nil),
      (#", "status": {"code": 2}"#, [OTLP.string("error.type", "timeout")], "ERROR", "timeout"),
      (#", "status": {"code": 1}, "events": [{"name": "exception"}]"#, [], "OK", nil),
    ] as [(String, [String], String, String?)])
  func errors(_ extra: String, _ attributes: [String], _ code: String, _ description: String?) throws {
    let span = try mapped(OTLP.span("0000000000000001", attributes: attributes, extra: extra)).span
    #expect(span.attributes["otel.status_code"] == (code == "UNSET" ? nil : .string(code)))
    #expect(span.errorDescription == description)
    #expect(span.isError == (code == "ERROR"))
  }

  @Test func envelopeFieldsAreKept() throws {
    let span = try mapped(
      OTLP.span(
        "0000000000000001", attributes: [OTLP.string("custom", "x")],
        extra:
          #", "traceState": "a=b", "events": [{"name": "retry", "timeUnixNano": "1763800000000000000", "attributes": [{"key": "n", "value": {"intValue": 2}}]}], "links": [{"traceId": "\#(OTLP.trace)", "spanId": "00000000000000AA"}]"#
      )
    ).span
    #expect(span.attributes["custom"] == .string("x"))
    #expect(span.attributes["otel.trace_state"] == .string("a=b"))
    #expect(span.attributes["otel.scope.name"] == .string("test"))
    #expect(
      span.attributes["otel.events"]
        == (try json(#"[{"name": "retry", "time": "2025-11-22T08:26:40.000000Z", "attributes": {"n": 2}}]"#)))
    #expect(
      span.attributes["otel.links"]
        == (try json(#"[{"trace_id": "\#(OTLP.trace)", "span_id": "00000000000000aa", "attributes": {}}]"#)))
  }
}

/// Tool spans that are siblings of their LLM call are linked to it for turns.
@Suite struct OTLPToolCallLinkerTests {
  private func span(_ id: String, parent: String?, start: Int64, _ attributes: JSONObject) -> Span {
    Span(
      spanID: id, parentID: parent, name: id, startTime: Timestamp(microseconds: start), endTime: nil,
      attributes: attributes)
  }

  @Test func byCallIDElseByTheLatestEarlierSibling() throws {
    let reply = #"[{"role": "assistant", "content": "", "tool_calls": [{"id": "call_9", "name": "f", "arguments": ""}]}]"#
    let spans = ToolCallLinker.linked([
      span("agent", parent: nil, start: 0, JSONObject()),
      span(
        "llm1", parent: "agent", start: 1,
        JSONObject([
          "tracebrain.span.type": .string("llm_inference"), "tracekv.llm.reply": .string(reply),
        ])),
      span("llm2", parent: "agent", start: 3, JSONObject(["tracebrain.span.type": .string("llm_inference")])),
      // Ran after llm2 started, but its call id names llm1.
      span(
        "tool1", parent: "agent", start: 4,
        JSONObject([
          "tracebrain.span.type": .string("tool_execution"), "gen_ai.tool.call.id": .string("call_9"),
        ])),
      span(
        "tool2", parent: "agent", start: 5, JSONObject(["tracebrain.span.type": .string("tool_execution")])),
      span(
        "tool0", parent: "agent", start: 0, JSONObject(["tracebrain.span.type": .string("tool_execution")])),
      span(
        "child", parent: "llm2", start: 6, JSONObject(["tracebrain.span.type": .string("tool_execution")])),
    ])
    #expect(
      spans.map { $0.attributes["tracekv.tool.llm_span_id"]?.stringValue } == [
        nil, nil, nil, "llm1", "llm2", nil, nil,
      ])
  }
}

/// Maps a decoded OTLP span to a TraceKV `Span` carrying TraceBrain attribute
/// keys, so governance, reconstruction, search and statistics read it like
/// any TraceBrain span. Every original attribute is kept under its own key,
/// except an LLM span's prompt, which `DeltaEncoder` stores as a delta.
///
/// | OpenTelemetry | TraceKV |
/// |---|---|
/// | `tracebrain.span.type`, else `gen_ai.operation.name` (`chat`, `text_completion`, `generate_content` → `llm_inference`; `execute_tool` → `tool_execution`; others kept as written), else `openinference.span.kind` (`LLM` → `llm_inference`, `TOOL` → `tool_execution`, others lower-cased) | `tracebrain.span.type` |
/// | `gen_ai.response.model`, `gen_ai.request.model`, `llm.model_name` | `tracebrain.llm.model` |
/// | `gen_ai.usage.input_tokens` / `prompt_tokens`, `llm.token_count.prompt`; `…output_tokens` / `completion_tokens`, `llm.token_count.completion`; `llm.token_count.total` | `tracebrain.usage` `{prompt_tokens, completion_tokens, total_tokens}` |
/// | input messages (`OTLPMessages`: GenAI, OpenInference, OpenLLMetry, `gen_ai.content.prompt` events) | `tracebrain.llm.new_content` (delta) and the trace's `system_prompt` |
/// | first output message | `tracebrain.llm.completion`; its tool calls `tracebrain.llm.tool_code`; its reasoning `tracebrain.llm.thought`; its text, when it calls no tool, `tracebrain.llm.final_answer` |
/// | `gen_ai.tool.name`, `tool.name` | `tracebrain.tool.name` |
/// | `gen_ai.tool.call.arguments`, else a tool span's `input.value` | `tracebrain.tool.input` |
/// | `gen_ai.tool.call.result`, else a tool span's `output.value` | `tracebrain.tool.output` |
/// | `status.code` ERROR, an `exception` event, or `error.type` (unless status OK) | `otel.status_code` `ERROR`, `otel.status_description` |
/// | `gen_ai.agent.name`, `agent.name` | `tracekv.agent.name` (span and trace) |
/// | `gen_ai.conversation.id`, `session.id` (span, else resource) | the trace's `tracebrain.episode.id` |
/// | kind, events, links, trace state, scope | `otel.span_kind`, `otel.events`, `otel.links`, `otel.trace_state`, `otel.scope.*` |
/// | resource attributes | trace attribute `otel.resource` |
///
/// `tracebrain.*` attributes a producer already set win over derived ones.
enum OTLPMapping {
  /// A mapped span and what the trace-level assembly needs from it.
  struct Mapped {
    var span: Span
    /// The whole prompt of an LLM span that records one (and no TraceBrain delta of its own).
    var prompt: [ChatMessage]?
    var episodeID: String?
    var agentName: String?
  }

  static let agentNameKey = "tracekv.agent.name"

  static func map(_ otlp: OTLPSpan) -> Mapped {
    let original = otlp.attributes
    let type = spanType(original)
    let isLLM = type == "llm_inference"
    let isTool = type == "tool_execution"
    // A producer that already wrote a TraceBrain delta did the work itself.
    var prompt: [ChatMessage]?
    var events = otlp.events
    if isLLM && original[SpanKey.newContent] == nil {
      prompt = OTLPMessages.prompt(in: original)
      // Older conventions: the prompt is an event, cumulative like the
      // attribute, so the event is not kept once the prompt is read from it.
      if prompt == nil, let index = events.firstIndex(where: { $0.name == OTLPMessages.promptEventName }),
        let fromEvent = OTLPMessages.prompt(in: events[index].attributes)
      {
        prompt = fromEvent
        events.remove(at: index)
      }
    }

    var attributes = JSONObject()
    for (key, value) in original where !(prompt != nil && OTLPMessages.isPromptKey(key)) {
      attributes[key] = value
    }
    func derive(_ key: String, _ value: JSONValue?) {
      guard let value, attributes[key] == nil else { return }
      attributes[key] = value
    }
    derive(SpanKey.type, type.map(JSONValue.string))
    derive(SpanKey.model, first(original, "gen_ai.response.model", "gen_ai.request.model", "llm.model_name"))
    derive(SpanKey.usage, usage(original))
    let output =
      OTLPMessages.output(in: original)
      ?? otlp.events.first { $0.name == OTLPMessages.completionEventName }.flatMap {
        OTLPMessages.output(in: $0.attributes)
      }
    if isLLM, let output {
      let toolCode = OTLPMessages.toolCode(of: output)
      derive(SpanKey.completion, .string(OTLPMessages.renderReply(output).content))
      derive(SpanKey.toolCode, toolCode.map(JSONValue.string))
      derive(SpanKey.thought, OTLPMessages.thought(of: output).map(JSONValue.string))
      if toolCode == nil { derive(SpanKey.finalAnswer, OTLPMessages.text(of: output).map(JSONValue.string)) }
    } else if isLLM {
      derive(SpanKey.completion, original["output.value"])
    }
    derive(SpanKey.toolName, first(original, "gen_ai.tool.name", "tool.name"))
    derive(
      SpanKey.toolInput, original["gen_ai.tool.call.arguments"] ?? (isTool ? original["input.value"] : nil))
    derive(
      SpanKey.toolOutput, original["gen_ai.tool.call.result"] ?? (isTool ? original["output.value"] : nil))
    let agentName = first(original, "gen_ai.agent.name", "agent.name")?.stringValue
    derive(agentNameKey, agentName.map(JSONValue.string))
    setStatus(otlp, &attributes)
    setEnvelope(otlp, events: events, &attributes)

    let episode =
      first(original, "gen_ai.conversation.id", "session.id")
      ?? first(otlp.resource, "gen_ai.conversation.id", "session.id")
    return Mapped(
      span: Span(
        spanID: otlp.spanID, parentID: otlp.parentSpanID, name: otlp.name, startTime: otlp.startTime,
        endTime: otlp.endTime, attributes: attributes),
      prompt: prompt, episodeID: episode.map(\.text), agentName: agentName)
  }

  /// The TraceBrain span type, from the attribute families in order of precedence.
  static func spanType(_ attributes: JSONObject) -> String? {
    if case .string(let type)? = attributes[SpanKey.type] { return type }
    if case .string(let operation)? = attributes["gen_ai.operation.name"] {
      switch operation {
      case "chat", "text_completion", "generate_content": return "llm_inference"
      case "execute_tool": return "tool_execution"
      default: return operation
      }
    }
    if case .string(let kind)? = attributes["openinference.span.kind"] {
      switch kind.uppercased() {
      case "LLM": return "llm_inference"
      case "TOOL": return "tool_execution"
      default: return kind.lowercased()
      }
    }
    return nil
  }

  /// Token usage in TraceBrain's shape; nil when the span reports none.
  static func usage(_ attributes: JSONObject) -> JSONValue? {
    let prompt = first(
      attributes, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")
    let completion = first(
      attributes, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion"
    )
    var total = first(attributes, "llm.token_count.total", "gen_ai.usage.total_tokens")
    if total == nil, let input = prompt?.intValue, let output = completion?.intValue {
      total = .int(input + output)
    }
    guard prompt != nil || completion != nil || total != nil else { return nil }
    var usage = JSONObject()
    usage["prompt_tokens"] = prompt
    usage["completion_tokens"] = completion
    usage["total_tokens"] = total
    return .object(usage)
  }

  /// `otel.status_code`/`otel.status_description`: what governance reads as a system error.
  private static func setStatus(_ otlp: OTLPSpan, _ attributes: inout JSONObject) {
    let exception = otlp.events.first { $0.name == "exception" }
    let exceptionText = exception.map { event in
      [event.attributes["exception.type"]?.text, event.attributes["exception.message"]?.text]
        .compactMap { $0 }.joined(separator: ": ")
    }
    let errorType = otlp.attributes["error.type"]?.text
    let failed =
      otlp.status.code == .error || (otlp.status.code == .unset && (exception != nil || errorType != nil))
    if failed {
      attributes[SpanKey.statusCode] = .string("ERROR")
      let description = [otlp.status.message, exceptionText ?? "", errorType ?? ""].first { !$0.isEmpty }
      if let description { attributes[SpanKey.statusDescription] = .string(description) }
    } else if otlp.status.code == .ok {
      attributes[SpanKey.statusCode] = .string("OK")
      if !otlp.status.message.isEmpty { attributes[SpanKey.statusDescription] = .string(otlp.status.message) }
    }
  }

  /// The OTLP fields that have no TraceBrain counterpart, kept under `otel.*`.
  private static func setEnvelope(_ otlp: OTLPSpan, events: [OTLPEvent], _ attributes: inout JSONObject) {
    if otlp.kind != .unspecified { attributes["otel.span_kind"] = .string(otlp.kind.shortName) }
    if let state = otlp.traceState { attributes["otel.trace_state"] = .string(state) }
    if !otlp.scope.name.isEmpty { attributes["otel.scope.name"] = .string(otlp.scope.name) }
    if !otlp.scope.version.isEmpty { attributes["otel.scope.version"] = .string(otlp.scope.version) }
    if !otlp.scope.attributes.isEmpty { attributes["otel.scope.attributes"] = .object(otlp.scope.attributes) }
    if !events.isEmpty {
      attributes["otel.events"] = .array(
        events.map { event in
          var object = JSONObject()
          object["name"] = .string(event.name)
          object["time"] = event.time.map { .string($0.text) } ?? .null
          object["attributes"] = .object(event.attributes)
          return .object(object)
        })
    }
    if !otlp.links.isEmpty {
      attributes["otel.links"] = .array(
        otlp.links.map { link in
          var object = JSONObject()
          object["trace_id"] = .string(link.traceID)
          object["span_id"] = .string(link.spanID)
          if let state = link.traceState { object["trace_state"] = .string(state) }
          object["attributes"] = .object(link.attributes)
          return .object(object)
        })
    }
  }

  private static func first(_ attributes: JSONObject, _ keys: String...) -> JSONValue? {
    for key in keys { if let value = attributes[key], !value.isNull { return value } }
    return nil
  }
}

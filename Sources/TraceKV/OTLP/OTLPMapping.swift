/// Maps a decoded OTLP span to a TraceKV `Span` carrying TraceBrain attribute
/// keys, so governance, reconstruction, search and statistics read it like
/// any TraceBrain span. Every original attribute is kept under its own key,
/// except an LLM call's prompt, which `DeltaEncoder` stores as a delta.
///
/// | OpenTelemetry | TraceKV |
/// |---|---|
/// | `tracebrain.span.type`, else `gen_ai.operation.name` (`chat`, `text_completion`, `completion`, `generate_content` → `llm_inference`; `execute_tool` → `tool_execution`; others kept as written), else `openinference.span.kind` (`LLM`, `TOOL`, others lower-cased), else `llm.request.type` (`chat`, `completion`: OpenLLMetry), else `traceloop.span.kind` (`tool`; others kept), else a Google ADK `gcp.vertex.agent.llm_request` with contents | `tracebrain.span.type` |
/// | an LLM span around another LLM span of the same call (ADK `call_llm` → `generate_content` → OpenLLMetry `openai.chat`) | `llm_call_wrapper`: one call is one `llm_inference` span, the innermost that recorded a prompt (`LLMCallResolver`) |
/// | `gen_ai.response.model`, `gen_ai.request.model`, `llm.model_name` | `tracebrain.llm.model` |
/// | per-call tokens (`OTLPUsage`) of `llm_inference` spans only | `tracebrain.usage` `{prompt_tokens, completion_tokens, total_tokens, cached_tokens, reasoning_tokens}` |
/// | input messages (`OTLPMessages`) | `tracebrain.llm.new_content` (delta) and the trace's `system_prompt` |
/// | the reply | `tracekv.llm.reply` (the message with its tool calls), its text `tracebrain.llm.completion`, its calls `tracebrain.llm.tool_code`, its reasoning `tracebrain.llm.thought`, its text when it calls no tool `tracebrain.llm.final_answer` |
/// | `gen_ai.tool.name`, `tool.name` | `tracebrain.tool.name` |
/// | `gen_ai.tool.call.arguments`, ADK `gcp.vertex.agent.tool_call_args`, a tool span's `input.value` / `traceloop.entity.input` | `tracebrain.tool.input` |
/// | `gen_ai.tool.call.result`, ADK `gcp.vertex.agent.tool_response`, a tool span's `output.value` / `traceloop.entity.output` | `tracebrain.tool.output` |
/// | `status.code` ERROR (only: an `exception` event on an UNSET span, e.g. a cancelled task, is not a failure) | `otel.status_code` `ERROR`, `otel.status_description` |
/// | `gen_ai.agent.name`, `agent.name` | `tracekv.agent.name` (span and trace) |
/// | `gen_ai.conversation.id`, `session.id`, `gcp.vertex.agent.session_id` (span, else resource) | the trace's `tracebrain.episode.id` |
/// | kind, events, links, trace state, scope | `otel.span_kind`, `otel.events`, `otel.links`, `otel.trace_state`, `otel.scope.*` |
/// | resource attributes | trace attribute `otel.resource` |
///
/// `tracebrain.*` attributes a producer already set win over derived ones.
enum OTLPMapping {
  /// A mapped span and what the trace-level assembly needs from it.
  struct Mapped {
    var span: Span
    /// The span type as derived (nil: none).
    var type: String?
    /// The whole prompt of an LLM span that records one (and no TraceBrain delta of its own).
    var prompt: [ChatMessage]?
    var reply: ChatMessage?
    var usage: JSONValue?
    var episodeID: String?
    var agentName: String?
    /// An agent span (`invoke_agent`, pydantic-ai's agent run) whose messages
    /// serve its one LLM call when that call recorded none.
    var isAgent: Bool

    var isLLM: Bool { type == "llm_inference" }
  }

  static let agentNameKey = "tracekv.agent.name"
  static let wrapperType = "llm_call_wrapper"

  static func map(_ otlp: OTLPSpan) -> Mapped {
    let original = otlp.attributes
    let type = spanType(original)
    let isTool = type == "tool_execution"
    var prompt: [ChatMessage]?
    var reply: ChatMessage?
    if original[SpanKey.newContent] == nil {
      prompt = OTLPMessages.prompt(in: original)
      reply = OTLPMessages.reply(in: original)
      let fromEvents = messages(inEvents: otlp.events)
      prompt = prompt ?? fromEvents.prompt
      reply = reply ?? fromEvents.reply
    }
    let isAgent = type == "invoke_agent" || original["pydantic_ai.all_messages"] != nil
    if isAgent, let all = MessageNormalizer.normalize(list: original["pydantic_ai.all_messages"]) {
      // pydantic-ai: the whole run, its last assistant message the final reply.
      var messages = all
      if messages.last?.role == "assistant" { reply = reply ?? messages.removeLast() }
      prompt = prompt ?? messages
    }

    var attributes = original
    func derive(_ key: String, _ value: JSONValue?) {
      guard let value, attributes[key] == nil else { return }
      attributes[key] = value
    }
    derive(SpanKey.toolName, first(original, "gen_ai.tool.name", "tool.name"))
    derive(
      SpanKey.toolInput,
      first(original, "gen_ai.tool.call.arguments", "gcp.vertex.agent.tool_call_args")
        ?? (isTool ? first(original, "input.value", "traceloop.entity.input") : nil))
    derive(
      SpanKey.toolOutput,
      first(original, "gen_ai.tool.call.result", "gcp.vertex.agent.tool_response")
        ?? (isTool ? first(original, "output.value", "traceloop.entity.output") : nil))
    let agentName = first(original, "gen_ai.agent.name", "agent.name")?.stringValue
    derive(agentNameKey, agentName.map(JSONValue.string))
    setStatus(otlp, &attributes)
    setEnvelope(otlp, &attributes)

    let episode =
      first(original, "gen_ai.conversation.id", "session.id", "gcp.vertex.agent.session_id")
      ?? first(otlp.resource, "gen_ai.conversation.id", "session.id")
    return Mapped(
      span: Span(
        spanID: otlp.spanID, parentID: otlp.parentSpanID, name: otlp.name, startTime: otlp.startTime,
        endTime: otlp.endTime, attributes: attributes),
      type: type, prompt: prompt, reply: reply, usage: OTLPUsage.perCall(original),
      episodeID: episode.map(\.text),
      agentName: agentName, isAgent: isAgent)
  }

  /// Writes the derived keys of a span once `LLMCallResolver` has decided what it is.
  static func finish(_ mapped: inout Mapped) {
    var attributes = mapped.span.attributes
    func derive(_ key: String, _ value: JSONValue?) {
      guard let value, attributes[key] == nil else { return }
      attributes[key] = value
    }
    derive(SpanKey.type, mapped.type.map(JSONValue.string))
    if mapped.isLLM {
      if mapped.prompt != nil { stripPrompt(&attributes) }
      derive(
        SpanKey.model, first(attributes, "gen_ai.response.model", "gen_ai.request.model", "llm.model_name"))
      derive(SpanKey.usage, mapped.usage)
      if let reply = mapped.reply {
        setReply(reply, &attributes)
      } else {
        derive(SpanKey.completion, attributes["output.value"])
      }
    }
    mapped.span.attributes = attributes
  }

  /// The reply's keys: the message, its text, its calls as tool code, its reasoning.
  static func setReply(_ reply: ChatMessage, _ attributes: inout JSONObject) {
    func derive(_ key: String, _ value: JSONValue?) {
      guard let value, attributes[key] == nil else { return }
      attributes[key] = value
    }
    let toolCode = OTLPMessages.toolCode(of: reply)
    derive(SpanKey.reply, .string(Reconstruction<Span>.encode([reply])))
    if !reply.content.isEmpty { derive(SpanKey.completion, .string(reply.content)) }
    derive(SpanKey.toolCode, toolCode.map(JSONValue.string))
    derive(SpanKey.thought, reply.reasoning.map(JSONValue.string))
    if toolCode == nil && !reply.content.isEmpty { derive(SpanKey.finalAnswer, .string(reply.content)) }
  }

  /// The prompt and reply that events (or log records joined as events) carry.
  static func messages(inEvents events: [OTLPEvent]) -> (prompt: [ChatMessage]?, reply: ChatMessage?) {
    var prompt: [ChatMessage]?
    var reply: ChatMessage?
    for event in events {
      switch event.name {
      case OTLPMessages.promptEventName: prompt = prompt ?? OTLPMessages.prompt(in: event.attributes)
      case OTLPMessages.completionEventName: reply = reply ?? OTLPMessages.reply(in: event.attributes)
      case OTLPMessages.operationDetailsName:
        prompt = prompt ?? OTLPMessages.prompt(in: event.attributes)
        reply = reply ?? OTLPMessages.reply(in: event.attributes)
      default: break
      }
    }
    if prompt == nil {
      let messages = events.compactMap(OTLPMessages.eventMessage)
      if !messages.isEmpty {
        prompt = MessageNormalizer.linkToolResults(messages.flatMap(MessageNormalizer.normalize))
      }
    }
    if reply == nil, let choice = events.first(where: { $0.name == OTLPMessages.choiceEventName }) {
      reply = OTLPMessages.choice(choice)
    }
    return (prompt, reply)
  }

  /// An event back from `otel.events`.
  static func event(fromJSON value: JSONValue) -> OTLPEvent? {
    guard let object = value.objectValue, let name = object["name"]?.stringValue else { return nil }
    return OTLPEvent(
      name: name, time: object["time"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
      attributes: object["attributes"]?.objectValue ?? JSONObject())
  }

  /// An event as `otel.events` keeps it.
  static func eventJSON(_ event: OTLPEvent) -> JSONValue {
    var object = JSONObject()
    object["name"] = .string(event.name)
    object["time"] = event.time.map { .string($0.text) } ?? .null
    object["attributes"] = .object(event.attributes)
    return .object(object)
  }

  /// Removes what the delta holds: the prompt attributes, and the prompt in
  /// the events that carried it (`gen_ai.content.prompt` events entirely).
  static func stripPrompt(_ attributes: inout JSONObject) {
    for key in attributes.keys where OTLPMessages.isPromptKey(key) { attributes[key] = nil }
    guard let events = attributes["otel.events"]?.arrayValue else { return }
    let kept = events.compactMap { event -> JSONValue? in
      guard var object = event.objectValue, let name = object["name"]?.stringValue else { return event }
      // Per-message events stay: their records may come over several requests,
      // and a late one is placed among them by time (`applyLateLogs`).
      if name == OTLPMessages.promptEventName { return nil }
      if name == OTLPMessages.operationDetailsName, var eventAttributes = object["attributes"]?.objectValue {
        for key in eventAttributes.keys where OTLPMessages.isPromptKey(key) { eventAttributes[key] = nil }
        object["attributes"] = .object(eventAttributes)
      }
      return .object(object)
    }
    attributes["otel.events"] = kept.isEmpty ? nil : .array(kept)
  }

  /// The TraceBrain span type, from the attribute families in order of precedence.
  static func spanType(_ attributes: JSONObject) -> String? {
    if case .string(let type)? = attributes[SpanKey.type] { return type }
    if case .string(let operation)? = attributes["gen_ai.operation.name"] {
      switch operation {
      case "chat", "text_completion", "completion", "generate_content": return "llm_inference"
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
    if case .string(let request)? = attributes["llm.request.type"], ["chat", "completion"].contains(request) {
      return "llm_inference"
    }
    if case .string(let kind)? = attributes["traceloop.span.kind"] {
      return kind == "tool" ? "tool_execution" : kind
    }
    if let request = OTLPMessages.jsonObject(attributes["gcp.vertex.agent.llm_request"]),
      request["contents"]?.arrayValue?.isEmpty == false
    {
      return "llm_inference"
    }
    return nil
  }

  /// `otel.status_code`/`otel.status_description`. OpenTelemetry's span status
  /// is the authority: an `exception` event or `error.type` on a span whose
  /// status is UNSET (a cancelled task, a handled error) is not a failure.
  private static func setStatus(_ otlp: OTLPSpan, _ attributes: inout JSONObject) {
    switch otlp.status.code {
    case .error:
      attributes[SpanKey.statusCode] = .string("ERROR")
      let exception = otlp.events.first { $0.name == "exception" }.map { event in
        [event.attributes["exception.type"]?.text, event.attributes["exception.message"]?.text]
          .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
      }
      let description = [otlp.status.message, exception ?? "", otlp.attributes["error.type"]?.text ?? ""]
        .first { !$0.isEmpty }
      if let description { attributes[SpanKey.statusDescription] = .string(description) }
    case .ok:
      attributes[SpanKey.statusCode] = .string("OK")
      if !otlp.status.message.isEmpty { attributes[SpanKey.statusDescription] = .string(otlp.status.message) }
    case .unset: break
    }
  }

  /// The OTLP fields that have no TraceBrain counterpart, kept under `otel.*`.
  private static func setEnvelope(_ otlp: OTLPSpan, _ attributes: inout JSONObject) {
    if otlp.kind != .unspecified { attributes["otel.span_kind"] = .string(otlp.kind.shortName) }
    if let state = otlp.traceState { attributes["otel.trace_state"] = .string(state) }
    if !otlp.scope.name.isEmpty { attributes["otel.scope.name"] = .string(otlp.scope.name) }
    if !otlp.scope.version.isEmpty { attributes["otel.scope.version"] = .string(otlp.scope.version) }
    if !otlp.scope.attributes.isEmpty { attributes["otel.scope.attributes"] = .object(otlp.scope.attributes) }
    if !otlp.events.isEmpty { attributes["otel.events"] = .array(otlp.events.map(eventJSON)) }
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

  static func first(_ attributes: JSONObject, _ keys: String...) -> JSONValue? {
    for key in keys { if let value = attributes[key], !value.isNull { return value } }
    return nil
  }
}

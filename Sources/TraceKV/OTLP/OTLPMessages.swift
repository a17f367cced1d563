/// Where each instrumentation family puts an LLM call's messages, read into
/// normalized `ChatMessage`s (`MessageNormalizer`).
///
/// Prompt sources, first found wins:
/// 1. GenAI semantic conventions: `gen_ai.system_instructions` + `gen_ai.input.messages`
///    (a JSON string or a structured `AnyValue`; also the attributes of the
///    `gen_ai.client.inference.operation.details` event or log record);
/// 2. OpenInference: `llm.input_messages.N.message.{role, content, contents…, tool_calls…, tool_call_id}`;
/// 3. OpenLLMetry: `gen_ai.prompt.N.{role, content, tool_calls.K.*, tool_call_id}`;
/// 4. older GenAI: `gen_ai.prompt` as a JSON list (an attribute, or a `gen_ai.content.prompt` event);
/// 5. Google ADK: `gcp.vertex.agent.llm_request` (`config.system_instruction` + `contents`).
///
/// Reply sources (the first output message): `gen_ai.output.messages`,
/// `llm.output_messages.0.message`, `gen_ai.completion.0`, `gen_ai.completion`
/// (a JSON list, or the deprecated single object), `gcp.vertex.agent.llm_response`.
enum OTLPMessages {
  /// Attribute keys that hold a prompt. An LLM span's prompt is cumulative (it
  /// repeats the whole conversation), so once it is delta-encoded these keys
  /// are not stored: that is what makes storage linear.
  static func isPromptKey(_ key: String) -> Bool {
    promptKeys.contains(key) || key.hasPrefix("llm.input_messages.") || key.hasPrefix("gen_ai.prompt.")
  }
  private static let promptKeys: Set<String> = [
    "gen_ai.input.messages", "gen_ai.system_instructions", "gen_ai.prompt", "gcp.vertex.agent.llm_request",
  ]

  /// Semantic conventions up to 1.27 recorded the messages as span events
  /// (`gen_ai.content.prompt` with `gen_ai.prompt`, `gen_ai.content.completion`
  /// with `gen_ai.completion`); later ones as one event (or log record)
  /// carrying the attributes `gen_ai.input.messages` and `gen_ai.output.messages`.
  static let promptEventName = "gen_ai.content.prompt"
  static let completionEventName = "gen_ai.content.completion"
  static let operationDetailsName = "gen_ai.client.inference.operation.details"

  /// Per-message events (semantic conventions 1.28–1.36, as span events or
  /// log records): each carries one prompt message in its body; `gen_ai.choice`
  /// carries the reply (`{index, finish_reason, message}`).
  static let messageEventRoles = [
    "gen_ai.system.message": "system", "gen_ai.user.message": "user", "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
  ]
  static let choiceEventName = "gen_ai.choice"

  /// The message a per-message event carries, as a recorded message object.
  static func eventMessage(_ event: OTLPEvent) -> JSONValue? {
    guard let role = messageEventRoles[event.name] else { return nil }
    var message = eventBody(event)
    if message["role"]?.stringValue?.isEmpty != false { message["role"] = .string(role) }
    if role == "tool", message["tool_call_id"] == nil, let id = message["id"] {
      message["tool_call_id"] = id
      message["id"] = nil
    }
    return .object(message)
  }

  /// The reply a `gen_ai.choice` event carries.
  static func choice(_ event: OTLPEvent) -> ChatMessage? {
    let body = eventBody(event)
    var message = body["message"]?.objectValue ?? body
    message["index"] = nil
    message["finish_reason"] = nil
    // OpenLLMetry's event mode puts the calls beside the message, not in it.
    if message["tool_calls"] == nil, let calls = body["tool_calls"] { message["tool_calls"] = calls }
    if message["role"]?.stringValue?.isEmpty != false { message["role"] = .string("assistant") }
    return MessageNormalizer.normalize(.object(message)).first
  }

  /// A log record's body (`log.body`), else the event's own attributes (span events).
  private static func eventBody(_ event: OTLPEvent) -> JSONObject {
    if let body = event.attributes[OTLPLogRecord.bodyKey] {
      if let object = jsonObject(body) { return object }
      return JSONObject(["content": body])
    }
    var attributes = event.attributes
    for key in attributes.keys where key.hasPrefix("gen_ai.") || key == "event.name" { attributes[key] = nil }
    return attributes
  }

  /// The whole prompt an LLM span was sent, system instructions first; nil when
  /// the span records none.
  static func prompt(in attributes: JSONObject) -> [ChatMessage]? {
    if let input = MessageNormalizer.normalize(list: attributes["gen_ai.input.messages"]) {
      return systemInstructions(attributes["gen_ai.system_instructions"]) + input
    }
    if let messages = unflatten(attributes, prefix: "llm.input_messages.") {
      return messages.flatMap { MessageNormalizer.normalize($0.objectValue?["message"] ?? .null) }
    }
    if let messages = unflatten(attributes, prefix: "gen_ai.prompt.") {
      return messages.flatMap(MessageNormalizer.normalize)
    }
    if let messages = MessageNormalizer.normalize(list: attributes["gen_ai.prompt"]) { return messages }
    if let request = jsonObject(attributes["gcp.vertex.agent.llm_request"]),
      let contents = request["contents"]?.arrayValue, !contents.isEmpty
    {
      let config = request["config"]?.objectValue
      return systemInstructions(config?["system_instruction"]) + contents.flatMap(MessageNormalizer.normalize)
    }
    return nil
  }

  /// The model's reply (the first output message); nil when none is recorded.
  static func reply(in attributes: JSONObject) -> ChatMessage? {
    func first(_ messages: [ChatMessage]?) -> ChatMessage? {
      messages?.first { $0.role == "assistant" } ?? messages?.first
    }
    if let messages = MessageNormalizer.normalize(list: attributes["gen_ai.output.messages"]) {
      return first(messages)
    }
    if let messages = unflatten(attributes, prefix: "llm.output_messages.") {
      return first(
        messages.prefix(1).flatMap { MessageNormalizer.normalize($0.objectValue?["message"] ?? .null) })
    }
    if let messages = unflatten(attributes, prefix: "gen_ai.completion.") {
      return first(messages.prefix(1).flatMap(MessageNormalizer.normalize))
    }
    if let messages = MessageNormalizer.normalize(list: attributes["gen_ai.completion"]) {
      return first(messages)
    }
    if let object = jsonObject(attributes["gen_ai.completion"]) {
      var message = object
      if message["role"] == nil { message["role"] = .string("assistant") }
      return first(MessageNormalizer.normalize(.object(message)))
    }
    if let response = jsonObject(attributes["gcp.vertex.agent.llm_response"]),
      let content = response["content"]
    {
      return first(MessageNormalizer.normalize(content))
    }
    return nil
  }

  /// `gen_ai.system_instructions` (a list of parts, or a text) as one system message.
  private static func systemInstructions(_ value: JSONValue?) -> [ChatMessage] {
    let message: JSONValue
    if let parts = MessageNormalizer.jsonList(value) {
      message = .object(JSONObject(["role": .string("system"), "parts": .array(parts)]))
    } else if case .string(let text)? = value, !text.isEmpty {
      message = .object(JSONObject(["role": .string("system"), "content": .string(text)]))
    } else {
      return []
    }
    return MessageNormalizer.normalize(message)
  }

  /// An object given as a structured value or as JSON text.
  static func jsonObject(_ value: JSONValue?) -> JSONObject? {
    switch value {
    case .object(let object)?: return object
    case .string(let text)?: return (try? JSONParser.parse(text))?.objectValue
    default: return nil
    }
  }

  /// The tool calls of a reply as TraceBrain writes `tool_code`: `name(arguments)`, one per line.
  static func toolCode(of reply: ChatMessage) -> String? {
    guard let calls = reply.toolCalls, !calls.isEmpty else { return nil }
    return calls.map { "\($0.name)(\($0.arguments))" }.joined(separator: "\n")
  }

  /// Rebuilds the list that dotted keys flatten (`prefix` + `0.message.role` …):
  /// nested objects, with all-integer keys turned into arrays in index order.
  /// Nil when no key has the prefix.
  static func unflatten(_ attributes: JSONObject, prefix: String) -> [JSONValue]? {
    var root = JSONObject()
    var found = false
    for (key, value) in attributes where key.hasPrefix(prefix) {
      let path = key.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false).map(
        String.init)
      guard let first = path.first, Int(first) != nil else { continue }
      set(&root, path[...], value)
      found = true
    }
    guard found, case .array(let items) = arrays(.object(root)) else { return nil }
    return items
  }

  private static func set(_ object: inout JSONObject, _ path: ArraySlice<String>, _ value: JSONValue) {
    guard let key = path.first else { return }
    if path.count == 1 {
      object[key] = value
      return
    }
    var child = object[key]?.objectValue ?? JSONObject()
    set(&child, path.dropFirst(), value)
    object[key] = .object(child)
  }

  private static func arrays(_ value: JSONValue) -> JSONValue {
    guard case .object(let object) = value else { return value }
    let indexed = object.keys.compactMap { key in Int(key).map { ($0, key) } }
    if !object.isEmpty, indexed.count == object.count {
      return .array(indexed.sorted { $0.0 < $1.0 }.map { arrays(object[$0.1]!) })
    }
    var converted = JSONObject()
    for (key, member) in object { converted[key] = arrays(member) }
    return .object(converted)
  }
}

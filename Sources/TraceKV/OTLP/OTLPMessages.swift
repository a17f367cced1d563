/// Chat messages as OpenTelemetry instrumentations record them, read from a
/// span's attributes and rendered as TraceKV `ChatMessage`s.
///
/// Sources, first found wins:
/// - GenAI semantic conventions: `gen_ai.system_instructions` + `gen_ai.input.messages`
///   and `gen_ai.output.messages` (`[{role, parts: [{type, content | name, arguments, …}]}]`),
///   as a JSON string or as a structured `AnyValue`;
/// - OpenInference: `llm.input_messages.N.message.{role, content, contents…, tool_calls…}`
///   and `llm.output_messages.N…`, flattened into dotted keys;
/// - OpenLLMetry (older GenAI): `gen_ai.prompt.N.{role, content}`, `gen_ai.completion.N…`,
///   or `gen_ai.prompt` holding a JSON list of `{role, content}`; semantic
///   conventions up to 1.27 put that list in `gen_ai.content.prompt` and
///   `gen_ai.content.completion` span events.
///
/// Rendering (the rule that makes rebuilt prompts comparable byte for byte):
/// a message that is plain text (only `content: "…"`, or only `parts` with one
/// `{type: "text", content: "…"}`) renders as that text; any other message
/// renders as the compact JSON of its members other than `role`, so tool calls
/// and multi-part content are kept, and the content is never empty (empty
/// content would be dropped by TraceBrain's normalization).
enum OTLPMessages {
  /// Attribute keys that hold a prompt. An LLM span's prompt is cumulative (it
  /// repeats the whole conversation), so once it is delta-encoded these keys
  /// are not stored: that is what makes storage linear.
  static func isPromptKey(_ key: String) -> Bool {
    promptKeys.contains(key) || key.hasPrefix("llm.input_messages.") || key.hasPrefix("gen_ai.prompt.")
  }
  private static let promptKeys: Set<String> = [
    "gen_ai.input.messages", "gen_ai.system_instructions", "gen_ai.prompt", "input.value",
  ]

  /// The whole prompt an LLM span was sent, system instructions first; nil when
  /// the span records none, or records one this reader cannot render whole (a
  /// message that is not an object): then the span keeps its prompt attributes
  /// as they were, since a delta would lose part of them.
  static func prompt(in attributes: JSONObject) -> [ChatMessage]? {
    if let input = jsonList(attributes["gen_ai.input.messages"]) {
      var messages: [JSONValue] = []
      if let instructions = jsonList(attributes["gen_ai.system_instructions"]), !instructions.isEmpty {
        messages.append(.object(JSONObject(["role": .string("system"), "parts": .array(instructions)])))
      }
      return renderAll(messages + input)
    }
    if let messages = unflatten(attributes, prefix: "llm.input_messages.") {
      return renderAll(messages.map { $0.objectValue?["message"] ?? .null })
    }
    if let messages = unflatten(attributes, prefix: "gen_ai.prompt.") { return renderAll(messages) }
    if let messages = jsonList(attributes["gen_ai.prompt"]) { return renderAll(messages) }
    return nil
  }

  private static func renderAll(_ messages: [JSONValue]) -> [ChatMessage]? {
    let objects = messages.compactMap(\.objectValue)
    return objects.count == messages.count ? objects.map(render) : nil
  }

  /// The first output message (the model's reply), as recorded; nil when none.
  static func output(in attributes: JSONObject) -> JSONObject? {
    if let messages = jsonList(attributes["gen_ai.output.messages"]) { return messages.first?.objectValue }
    if let messages = unflatten(attributes, prefix: "llm.output_messages.") {
      return messages.first?.objectValue?["message"]?.objectValue
    }
    if let messages = unflatten(attributes, prefix: "gen_ai.completion.") {
      return messages.first?.objectValue
    }
    if let messages = jsonList(attributes["gen_ai.completion"]) { return messages.first?.objectValue }
    return nil
  }

  /// Semantic conventions up to 1.27 recorded the messages as span events
  /// (`gen_ai.content.prompt` with `gen_ai.prompt`, `gen_ai.content.completion`
  /// with `gen_ai.completion`, each a JSON list of `{role, content}`).
  static let promptEventName = "gen_ai.content.prompt"
  static let completionEventName = "gen_ai.content.completion"

  /// A recorded message as a `ChatMessage` (see the rendering rule above).
  static func render(_ message: JSONObject) -> ChatMessage {
    var rest = message
    rest["role"] = nil
    let role = message["role"]?.stringValue ?? ""
    return ChatMessage(
      role: role.isEmpty ? "unknown" : role, content: plainText(rest) ?? JSONWriter.compact(.object(rest)))
  }

  /// The model's reply as the next prompt repeats it: output-only members
  /// (`finish_reason`) are not part of the conversation.
  static func renderReply(_ output: JSONObject) -> ChatMessage {
    var message = output
    message["finish_reason"] = nil
    return render(message)
  }

  private static func plainText(_ members: JSONObject) -> String? {
    guard members.count == 1 else { return nil }
    if case .string(let text)? = members["content"], !text.isEmpty { return text }
    if case .array(let parts)? = members["parts"], parts.count == 1, case .object(let part) = parts[0],
      part.count == 2,
      part["type"] == .string("text"), case .string(let text)? = part["content"], !text.isEmpty
    {
      return text
    }
    return nil
  }

  /// A tool call of a reply.
  struct ToolCall {
    var id: String?
    var name: JSONValue?
    var arguments: JSONValue?
  }

  /// The tool calls of a reply: GenAI `tool_call` parts, OpenInference
  /// `tool_calls[].tool_call.{id, function}`, OpenLLMetry `tool_calls[]`.
  static func toolCalls(of output: JSONObject) -> [ToolCall] {
    var calls: [ToolCall] = []
    for part in output["parts"]?.arrayValue ?? [] {
      guard let part = part.objectValue, part["type"] == .string("tool_call") else { continue }
      calls.append(ToolCall(id: part["id"]?.stringValue, name: part["name"], arguments: part["arguments"]))
    }
    for item in output["tool_calls"]?.arrayValue ?? [] {
      guard let item = item.objectValue else { continue }
      let call = item["tool_call"]?.objectValue ?? item
      let function = call["function"]?.objectValue ?? call
      calls.append(
        ToolCall(id: call["id"]?.stringValue, name: function["name"], arguments: function["arguments"]))
    }
    return calls
  }

  /// The tool calls of a reply as TraceBrain writes `tool_code`: `name(arguments)`, one per line.
  static func toolCode(of output: JSONObject) -> String? {
    let calls = toolCalls(of: output).map { call in
      let arguments: String
      switch call.arguments {
      case nil, .null?: arguments = ""
      case .string(let text)?: arguments = text
      case let value?: arguments = JSONWriter.compact(value)
      }
      return "\(call.name?.text ?? "")(\(arguments))"
    }
    return calls.isEmpty ? nil : calls.joined(separator: "\n")
  }

  /// The reasoning parts of a GenAI reply.
  static func thought(of output: JSONObject) -> String? {
    let texts = (output["parts"]?.arrayValue ?? []).compactMap { part -> String? in
      guard let part = part.objectValue, part["type"] == .string("reasoning") else { return nil }
      return part["content"]?.text
    }
    return texts.isEmpty ? nil : texts.joined(separator: "\n")
  }

  /// The text of a reply (GenAI text parts, or `content`).
  static func text(of output: JSONObject) -> String? {
    if let parts = output["parts"]?.arrayValue {
      let texts = parts.compactMap { part -> String? in
        guard let part = part.objectValue, part["type"] == .string("text") else { return nil }
        return part["content"]?.text
      }
      return texts.isEmpty ? nil : texts.joined()
    }
    if case .string(let text)? = output["content"], !text.isEmpty { return text }
    return nil
  }

  /// A list given as a structured array or as JSON text (GenAI allows both).
  private static func jsonList(_ value: JSONValue?) -> [JSONValue]? {
    switch value {
    case .array(let items)?: return items
    case .string(let text)?: return (try? JSONParser.parse(text))?.arrayValue
    default: return nil
    }
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

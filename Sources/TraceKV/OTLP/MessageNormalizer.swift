/// Turns one chat message, as any instrumentation records it, into TraceKV's
/// normalized `ChatMessage`s: a role, a text, tool calls (id, name, arguments
/// as JSON text), the id of the call a tool message answers, and reasoning.
///
/// Shapes read (members of one message object):
/// - GenAI parts model: `parts: [{type: text|tool_call|tool_call_response|reasoning|blob|uri|file, …}]`;
/// - Gemini / Google ADK parts: `parts: [{text} | {function_call: {id, name, args}} | {function_response: {id, name, response}}]`,
///   role `model` read as `assistant`;
/// - OpenAI chat: `content` (a string or `[{type: "text", text}]`), `tool_calls: [{id, function: {name, arguments}}]`, `tool_call_id`;
/// - OpenInference (unflattened): `contents: [{message_content: {type, text}}]`, `tool_calls: [{tool_call: {id, function}}]`;
/// - OpenLLMetry: `tool_calls: [{id, name, arguments}]`;
/// - the deprecated GenAI completion object: `{text, finish_reason}`.
///
/// A `tool_call_response` (or `function_response`) part is a tool message
/// whatever role carries it: each becomes its own `tool` message, before the
/// rest of its carrier. Parts that are not text, calls or reasoning (blobs,
/// URIs, files, images) are kept in the text as their compact JSON, so nothing
/// the model saw is lost. A message left with no text, call, reasoning or call
/// id is dropped (reconstruction drops such messages too).
enum MessageNormalizer {
  static func normalize(_ value: JSONValue) -> [ChatMessage] {
    guard case .object(let message) = value else { return [] }
    var role = message["role"]?.stringValue ?? ""
    if role == "model" { role = "assistant" }
    if role.isEmpty { role = "unknown" }
    var texts: [String] = []
    var calls: [ChatMessage.ToolCall] = []
    var reasoning: [String] = []
    var results: [ChatMessage] = []

    for part in message["parts"]?.arrayValue ?? [] {
      guard case .object(let part) = part else {
        if case .string(let text) = part { texts.append(text) }
        continue
      }
      switch part["type"]?.stringValue {
      case "text"?: texts.append(part["content"]?.text ?? part["text"]?.text ?? "")
      case "tool_call"?: calls.append(call(id: part["id"], name: part["name"], arguments: part["arguments"]))
      case "tool_call_response"?:
        results.append(toolResult(id: part["id"], response: part["response"] ?? part["result"]))
      case "reasoning"?, "thinking"?: reasoning.append(part["content"]?.text ?? part["text"]?.text ?? "")
      case nil:
        if let function = part["function_call"]?.objectValue {
          calls.append(call(id: function["id"], name: function["name"], arguments: function["args"]))
        } else if let function = part["function_response"]?.objectValue {
          results.append(toolResult(id: function["id"], response: function["response"]))
        } else if case .string(let text)? = part["text"] {
          if part["thought"] == .bool(true) { reasoning.append(text) } else { texts.append(text) }
        } else {
          texts.append(JSONWriter.compact(.object(part)))
        }
      default: texts.append(JSONWriter.compact(.object(part)))
      }
    }
    switch message["content"] {
    case .string(let text)?: texts.append(text)
    case .array(let items)?: texts += items.compactMap(contentText)
    case nil, .null?: break
    case let other?: texts.append(JSONWriter.compact(other))
    }
    // OpenInference may write the same text as `content` and as `contents`: one is enough.
    if texts.isEmpty {
      for item in message["contents"]?.arrayValue ?? [] {
        if let text = contentText(item.objectValue?["message_content"] ?? item) { texts.append(text) }
      }
    }
    if case .string(let text)? = message["text"] { texts.append(text) }
    for item in message["tool_calls"]?.arrayValue ?? [] {
      guard let item = item.objectValue else { continue }
      let call = item["tool_call"]?.objectValue ?? item
      let function = call["function"]?.objectValue ?? call
      calls.append(Self.call(id: call["id"], name: function["name"], arguments: function["arguments"]))
    }
    for key in ["reasoning", "reasoning_content"] {
      if case .string(let text)? = message[key], !text.isEmpty { reasoning.append(text) }
    }

    let toolCallID = message["tool_call_id"]?.stringValue
    let main = ChatMessage(
      role: role, content: texts.joined(), toolCalls: calls.isEmpty ? nil : calls, toolCallID: toolCallID,
      reasoning: reasoning.isEmpty ? nil : reasoning.joined(separator: "\n"))
    // A tool message whose only content was its response parts is those results.
    if !results.isEmpty && role == "tool" && main.content.isEmpty && calls.isEmpty { return results }
    return (results + [main]).filter { !$0.isBlank }
  }

  /// Gives a tool message that names no call the id of the call it answers:
  /// the next unanswered call of the assistant message before it, in order
  /// (chat APIs require tool results to follow their calls so). Instrumentations
  /// that drop the id (OpenLLMetry's event mode) are thereby read as the model saw them.
  static func linkToolResults(_ messages: [ChatMessage]) -> [ChatMessage] {
    var open: [String] = []
    return messages.map { message in
      var message = message
      if let calls = message.toolCalls, !calls.isEmpty { open = calls.compactMap(\.id) }
      if message.role == "tool" {
        if let id = message.toolCallID {
          open.removeAll { $0 == id }
        } else if !open.isEmpty {
          message.toolCallID = open.removeFirst()
        }
      }
      return message
    }
  }

  /// The messages of a list (a JSON array or JSON text holding one); nil when
  /// an item is not a message object: such a prompt is kept as sent, since a
  /// delta would lose part of it.
  static func normalize(list value: JSONValue?) -> [ChatMessage]? {
    guard let items = jsonList(value), items.allSatisfy({ $0.objectValue != nil }) else { return nil }
    return items.flatMap(normalize)
  }

  /// A list given as a structured array or as JSON text (GenAI allows both).
  static func jsonList(_ value: JSONValue?) -> [JSONValue]? {
    switch value {
    case .array(let items)?: return items
    case .string(let text)?: return (try? JSONParser.parse(text))?.arrayValue
    default: return nil
    }
  }

  /// The text of one item of an OpenAI `content` list or OpenInference `contents`.
  private static func contentText(_ item: JSONValue) -> String? {
    switch item {
    case .string(let text): return text
    case .object(let part):
      if part["type"] == .string("text") || part["type"] == nil,
        case .string(let text)? = part["text"] ?? part["content"]
      {
        return text
      }
      return JSONWriter.compact(item)
    default: return nil
    }
  }

  private static func call(id: JSONValue?, name: JSONValue?, arguments: JSONValue?) -> ChatMessage.ToolCall {
    ChatMessage.ToolCall(id: id?.stringValue, name: name?.text ?? "", arguments: jsonText(arguments))
  }

  private static func toolResult(id: JSONValue?, response: JSONValue?) -> ChatMessage {
    ChatMessage(role: "tool", content: jsonText(response), toolCallID: id?.stringValue)
  }

  /// A string as it is, any other value as its compact JSON, nothing as "".
  static func jsonText(_ value: JSONValue?) -> String {
    switch value {
    case nil, .null?: ""
    case .string(let text)?: text
    case let other?: JSONWriter.compact(other)
    }
  }
}

extension ChatMessage {
  /// No text, no tool call, no reasoning and no call id: nothing to keep.
  var isBlank: Bool {
    content.isEmpty && (toolCalls ?? []).isEmpty && (reasoning ?? "").isEmpty && toolCallID == nil
  }
}

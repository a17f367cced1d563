/// A run as one conversation for chat fine-tuning (OpenAI's format): the
/// messages of its last step's context followed by that step's answer, with
/// the tool calls the model made and the tool messages that answer them.
///
/// Built from the same path reconstruction walks (docs/trace-format.md §2),
/// with what the reference drops kept: assistant `tool_calls` recorded in
/// `new_content`, and `tool_call_id`. Where a producer recorded a tool call
/// only as a tool span, the call is made from the span (`tracebrain.tool.name`
/// and `.input`). Then the conversation is made to follow OpenAI's rules
/// (`conformed`): roles system/user/assistant/tool, every tool call answered
/// by a tool message, no tool message without its call, no empty assistant turn.
struct ChatConversation {
  var messages: [ChatMessage]

  /// Characters OpenAI allows in a function name; others become `_`.
  static let maximumToolNameLength = 64

  /// The conversation of a run, or nil when it has no assistant turn.
  init?(systemPrompt: String?, spans: [SpanView]) {
    let reconstruction = Reconstruction(systemPrompt: systemPrompt, spans: spans)
    guard let target = reconstruction.target else { return nil }
    let path = reconstruction.path(to: target)
    var raw: [ChatMessage] = []
    if path.first?.hasFullPrompt != true, let systemPrompt, !systemPrompt.isEmpty {
      raw.append(ChatMessage(role: "system", content: systemPrompt))
    }
    // The tool spans each step caused, in list order.
    var tools: [String: [SpanView]] = [:]
    for span in spans where span.type == .toolExecution {
      if let caller = span.toolCaller ?? span.parentID { tools[caller, default: []].append(span) }
    }
    var previous: SpanView?
    for span in path {
      let new = Self.messages(span.newContent)
      if let previous {
        // A step that opens with an assistant message recorded the previous
        // step's reply itself, tool calls included.
        if previous.reply != nil {
          raw += previous.replyMessages
        } else if new.first?.role != "assistant" {
          raw += Self.reply(of: previous, tools: tools[previous.spanID] ?? [], answered: false)
        }
      }
      raw += new
      previous = span
    }
    raw += previous.map { Self.reply(of: $0, tools: tools[$0.spanID] ?? [], answered: true) } ?? []
    let conformed = Self.conformed(raw)
    guard conformed.contains(where: { $0.role == "assistant" }) else { return nil }
    messages = conformed
  }

  /// `new_content` with tool calls and their ids kept (TraceBrain's
  /// reference drops them; producers record them all the same).
  static func messages(_ newContent: String?) -> [ChatMessage] {
    Reconstruction<SpanView>.normalize(newContent, extended: true)
  }

  /// What a step answered: its recorded reply (OTLP), else its completion
  /// (else final answer) with the tool calls of the tool spans it caused.
  /// `answered`: the step is the last, so no later step carries the tool
  /// outputs; they come from its tool spans (`tools`, in list order).
  private static func reply(of span: SpanView, tools: [SpanView], answered: Bool) -> [ChatMessage] {
    if span.reply != nil {
      let reply = span.replyMessages
      guard answered else { return reply }
      let outputs = tools
      var answers: [ChatMessage] = []
      for (index, call) in reply.flatMap({ $0.toolCalls ?? [] }).enumerated() where index < outputs.count {
        answers.append(
          ChatMessage(role: "tool", content: outputs[index].toolOutput ?? "", toolCallID: call.id))
      }
      return reply + answers
    }
    let text = span.completion.nonEmpty ?? span.finalAnswer.nonEmpty ?? ""
    let calls = tools.map { tool in
      ChatMessage.ToolCall(
        id: "call_" + tool.spanID, name: tool.toolName ?? "tool", arguments: argumentsObject(tool.toolInput))
    }
    guard !text.isEmpty || !calls.isEmpty else { return [] }
    var messages = [ChatMessage(role: "assistant", content: text, toolCalls: calls.isEmpty ? nil : calls)]
    if answered {
      for (tool, call) in zip(tools, calls) {
        messages.append(ChatMessage(role: "tool", content: tool.toolOutput ?? "", toolCallID: call.id))
      }
    }
    return messages
  }

  /// A tool input or call arguments as the JSON text of an object, which
  /// OpenAI requires: itself when it is one, `{}` when empty (an
  /// instrumentation that did not capture content), else `{"input": <the
  /// text>}` (TraceBrain producers often write Python's `{'key': 'value'}`).
  static func argumentsObject(_ input: String?) -> String {
    guard let input, !input.isEmpty else { return "{}" }
    if case .object? = try? JSONParser.parse(input) { return input }
    return JSONWriter.compact(.object(JSONObject(["input": .string(input)])))
  }

  /// The messages made to follow OpenAI's chat rules (see the type's summary).
  static func conformed(_ raw: [ChatMessage]) -> [ChatMessage] {
    var out: [ChatMessage] = []
    var pending: [String] = []  // unanswered call ids of `openCall`
    var openCall: Int?  // index in `out` of the assistant message whose calls are pending
    var generated = 0
    var usedIDs = Set<String>()

    func closePending() {
      guard let index = openCall else { return }
      if !pending.isEmpty {
        out[index].toolCalls = out[index].toolCalls?.filter { !pending.contains($0.id ?? "") }
        if out[index].toolCalls?.isEmpty == true { out[index].toolCalls = nil }
        if out[index].toolCalls == nil && out[index].content.isEmpty { out.remove(at: index) }
      }
      pending = []
      openCall = nil
    }

    for var message in raw {
      message.reasoning = nil
      switch message.role {
      case "tool":
        guard !pending.isEmpty else { continue }  // answers no call: dropped
        let id = message.toolCallID.flatMap { pending.contains($0) ? $0 : nil } ?? pending[0]
        message.toolCallID = id
        pending.removeAll { $0 == id }
        out.append(message)
        continue
      case "assistant":
        closePending()
        var calls = message.toolCalls ?? []
        for index in calls.indices {
          var id = calls[index].id ?? ""
          while id.isEmpty || usedIDs.contains(id) {
            generated += 1
            id = "call_\(generated)"
          }
          usedIDs.insert(id)
          calls[index].id = id
          calls[index].name = toolName(calls[index].name)
          calls[index].arguments = argumentsObject(calls[index].arguments)
        }
        message.toolCalls = calls.isEmpty ? nil : calls
        guard !message.content.isEmpty || message.toolCalls != nil else { continue }  // empty turn
        out.append(message)
        if !calls.isEmpty {
          pending = calls.map { $0.id! }
          openCall = out.count - 1
        }
        continue
      case "system", "user":
        message.toolCalls = nil
        message.toolCallID = nil
      default:
        // Other speakers (a reviewer agent) speak as users, named.
        message = ChatMessage(role: "user", content: "[\(message.role)] " + message.content)
      }
      closePending()
      guard !message.content.isEmpty else { continue }
      out.append(message)
    }
    closePending()
    // Nothing after the last assistant turn but its tool answers.
    while let last = out.last, last.role == "user" || last.role == "system" { out.removeLast() }
    return out
  }

  /// A function name as OpenAI accepts it: `[A-Za-z0-9_-]`, 1 to 64 characters.
  static func toolName(_ name: String) -> String {
    let allowed = name.unicodeScalars.map { scalar -> Character in
      scalar.isASCII
        && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
        ? Character(scalar) : "_"
    }
    let cut = String(allowed.prefix(maximumToolNameLength))
    return cut.isEmpty ? "tool" : cut
  }
}

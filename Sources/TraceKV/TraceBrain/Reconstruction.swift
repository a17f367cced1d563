/// One chat message of a rebuilt context. TraceBrain messages are a role and
/// a text; messages ingested from OpenTelemetry may also carry the tool calls
/// the model asked for, the id of the call a tool message answers, and the
/// model's reasoning (`OTLPMessages` maps every instrumentation into this).
public struct ChatMessage: Sendable, Hashable, Codable {
  public var role: String
  public var content: String
  /// Tool calls the message asks for; nil when none.
  public var toolCalls: [ToolCall]?
  /// The tool call this message answers (role `tool`).
  public var toolCallID: String?
  /// The model's reasoning, when the instrumentation recorded it.
  public var reasoning: String?

  public init(
    role: String, content: String, toolCalls: [ToolCall]? = nil, toolCallID: String? = nil, reasoning: String? = nil
  ) {
    self.role = role
    self.content = content
    self.toolCalls = toolCalls
    self.toolCallID = toolCallID
    self.reasoning = reasoning
  }

  /// A call of a tool: its id (when recorded), name and arguments as JSON text.
  public struct ToolCall: Sendable, Hashable, Codable {
    public var id: String?
    public var name: String
    public var arguments: String

    public init(id: String?, name: String, arguments: String) {
      self.id = id
      self.name = name
      self.arguments = arguments
    }
  }

  enum CodingKeys: String, CodingKey {
    case role, content, reasoning
    case toolCalls = "tool_calls"
    case toolCallID = "tool_call_id"
  }

  /// The message as a reader (or a model) reads a transcript: the role (with
  /// the call a tool message answers), the text, then one line per tool call
  /// asked for. `shorten` cuts each text (the CLI's and MCP's clip).
  public func transcript(shorten: (String) -> String = { $0 }) -> String {
    let text = shorten(content)
    var lines = ["[\(role)\(toolCallID.map { " \($0)" } ?? "")]" + (text.isEmpty ? "" : " " + text)]
    if let reasoning, !reasoning.isEmpty { lines.append("  reasoning: \(shorten(reasoning))") }
    for call in toolCalls ?? [] {
      lines.append("  → \(call.name)(\(shorten(call.arguments)))\(call.id.map { "  [\($0)]" } ?? "")")
    }
    return lines.joined(separator: "\n")
  }
}

/// One LLM step of a trajectory: what the model saw and what it did.
public struct Turn: Sendable, Hashable {
  /// The full context up to and including this step's new messages.
  public var promptForModel: [ChatMessage]
  public var modelCompletion: String?
  public var thought: String?
  public var toolCode: String?
  /// The output of the first tool call this step caused (list order).
  public var toolOutput: String?
}

/// What reconstruction reads of a span; both the full `Span` and the stored
/// `SpanView` provide it.
protocol ReconstructableSpan {
  var spanID: String { get }
  var parentID: String? { get }
  var startTime: Timestamp? { get }
  var type: SpanType { get }
  var newContent: String? { get }
  var completion: String? { get }
  var thought: String? { get }
  var toolCode: String? { get }
  var toolOutput: String? { get }
  /// `tracekv.llm.context_from` (OTLP ingest): where the context continues.
  var contextFrom: String? { get }
  /// `tracekv.llm.full_prompt` (OTLP ingest): the delta is the whole prompt.
  var hasFullPrompt: Bool { get }
  /// `tracekv.tool.llm_span_id` (OTLP ingest): the LLM span a tool span served.
  var toolCaller: String? { get }
  /// `tracekv.llm.reply` (OTLP ingest): the reply as a message with its tool calls.
  var reply: String? { get }
}

extension Span: ReconstructableSpan {
  var newContent: String? { text(SpanKey.newContent) }
  var contextFrom: String? { attributes[SpanKey.contextFrom]?.stringValue }
  var hasFullPrompt: Bool { attributes[SpanKey.fullPrompt] == .bool(true) }
  var toolCaller: String? { attributes[SpanKey.toolCaller]?.stringValue }
  var reply: String? { attributes[SpanKey.reply]?.stringValue }
}

extension ReconstructableSpan {
  /// Whether OTLP ingest encoded the span: its messages may carry tool calls.
  var isOTLPEncoded: Bool { contextFrom != nil || hasFullPrompt || reply != nil }

  /// The span's own new messages.
  var newMessages: [ChatMessage] {
    Reconstruction<Self>.normalize(newContent, extended: isOTLPEncoded)
  }

  /// What reconstruction appends after this span when a later step follows
  /// it: the recorded reply message (OTLP), else the completion as an
  /// assistant message when non-empty (docs/trace-format.md §2).
  var replyMessages: [ChatMessage] {
    if let reply { return Reconstruction<Self>.normalize(reply, extended: true) }
    guard let completion, !completion.isEmpty else { return [] }
    return [ChatMessage(role: "assistant", content: completion)]
  }
}

extension SpanView: ReconstructableSpan {}

/// Rebuilds a trajectory from delta-encoded spans, exactly as TraceBrain's
/// reference does (docs/trace-format.md §2), plus a guard against parent cycles.
struct Reconstruction<S: ReconstructableSpan> {
  let systemPrompt: String?
  let spans: [S]

  /// The LLM span with the latest start time; no time sorts first and, on a
  /// tie, the first in list order wins.
  var target: S? {
    var best: S?
    for span in spans where span.type == .llmInference {
      guard let current = best else { best = span; continue }
      if (span.startTime?.microseconds ?? .min) > (current.startTime?.microseconds ?? .min) { best = span }
    }
    return best
  }

  /// The LLM spans from the root to `target`, walking parents through spans of
  /// any type; stops at an unknown parent or a cycle.
  ///
  /// Spans converted from OTLP carry their context explicitly (`DeltaEncoder`):
  /// the walk follows `tracekv.llm.context_from` instead of the parent, and
  /// stops at "" or at a span whose delta is its whole prompt. Spans without
  /// those attributes (every TraceBrain trace) walk exactly as the reference.
  /// - Complexity: O(n) in the span count.
  ///
  /// `throughFullPrompts` (turns): a span whose delta is its whole prompt
  /// still names the step before it in `context_from`, when there was one, so
  /// the earlier steps stay in the turns although its prompt starts afresh.
  func path(to target: S, throughFullPrompts: Bool = false) -> [S] {
    var byID: [String: Int] = [:]
    for (index, span) in spans.enumerated() where byID[span.spanID] == nil { byID[span.spanID] = index }
    var path: [S] = []
    var visited = Set<String>()
    var current: S? = target
    while let span = current, visited.insert(span.spanID).inserted {
      if span.type == .llmInference { path.append(span) }
      if (span.hasFullPrompt && !throughFullPrompts) || span.contextFrom == "" { break }
      if span.hasFullPrompt && span.contextFrom == nil { break }
      current = (span.contextFrom ?? span.parentID).flatMap { byID[$0] }.map { spans[$0] }
    }
    return path.reversed()
  }

  func messages() -> [ChatMessage] {
    guard let target else { return systemMessages }
    return prompt(of: target)
  }

  /// The messages an LLM span was sent: the context along its path, then its
  /// own new content.
  func prompt(of target: S) -> [ChatMessage] {
    let path = path(to: target)
    var messages = leadingMessages(path)
    for (position, span) in path.enumerated() {
      messages += span.newMessages
      if position < path.count - 1 { messages += span.replyMessages }
    }
    return messages
  }

  func turns() -> [Turn] {
    guard let target else { return [] }
    let path = path(to: target, throughFullPrompts: true)
    var firstToolOutput: [String: String?] = [:]
    for span in spans where span.type == .toolExecution {
      if let parent = span.toolCaller ?? span.parentID, firstToolOutput[parent] == nil {
        firstToolOutput[parent] = .some(span.toolOutput)
      }
    }
    var messages = leadingMessages(path)
    var turns: [Turn] = []
    for (position, span) in path.enumerated() {
      // A whole prompt (OTLP, not a continuation) starts the context afresh.
      if span.hasFullPrompt { messages = [] }
      messages += span.newMessages
      turns.append(
        Turn(
          promptForModel: messages, modelCompletion: span.completion, thought: span.thought,
          toolCode: span.toolCode, toolOutput: firstToolOutput[span.spanID] ?? nil))
      if position < path.count - 1 { messages += span.replyMessages }
    }
    return turns
  }

  /// The system prompt opens a path, unless the path starts at a span whose
  /// delta is its whole prompt (it holds its own system messages, if any).
  private func leadingMessages(_ path: [S]) -> [ChatMessage] {
    path.first?.hasFullPrompt == true ? [] : systemMessages
  }

  private var systemMessages: [ChatMessage] {
    guard let systemPrompt, !systemPrompt.isEmpty else { return [] }
    return [ChatMessage(role: "system", content: systemPrompt)]
  }

  /// `new_content` is a JSON string holding a message or a list of them; keep
  /// the items with a non-empty role and content, as strings. A string that is
  /// not JSON gives nothing.
  ///
  /// `extended` (spans OTLP ingest encoded, and the training exports):
  /// `tool_calls` (`[{id, name, arguments}]`), `tool_call_id` and `reasoning`
  /// are read too, and a message with tool calls is kept with empty content. TraceBrain's reference drops
  /// those members, so plain TraceBrain spans never read them.
  static func normalize(_ newContent: String?, extended: Bool = false) -> [ChatMessage] {
    guard let newContent, let parsed = try? JSONParser.parse(newContent) else { return [] }
    let items: [JSONValue]
    switch parsed {
    case .array(let list): items = list
    case .object: items = [parsed]
    default: return []
    }
    return items.compactMap { item in
      guard case .object(let message) = item, case .string(let role)? = message["role"], !role.isEmpty else {
        return nil
      }
      let content = message["content"] ?? .null
      guard extended else { return isEmpty(content) ? nil : ChatMessage(role: role, content: content.text) }
      let calls = (message["tool_calls"]?.arrayValue ?? []).compactMap { call -> ChatMessage.ToolCall? in
        // TraceKV writes {id, name, arguments}; producers also write OpenAI's
        // {id, function: {name, arguments}} and arguments as an object.
        guard let call = call.objectValue else { return nil }
        let function = call["function"]?.objectValue ?? call
        guard let name = function["name"]?.stringValue else { return nil }
        let arguments = function["arguments"].flatMap { $0.isNull ? nil : $0.text } ?? ""
        return ChatMessage.ToolCall(id: call["id"]?.stringValue, name: name, arguments: arguments)
      }
      let normalized = ChatMessage(
        role: role, content: isEmpty(content) ? "" : content.text, toolCalls: calls.isEmpty ? nil : calls,
        toolCallID: message["tool_call_id"]?.stringValue, reasoning: message["reasoning"]?.stringValue)
      return normalized.isBlank ? nil : normalized
    }
  }

  /// `new_content` (and `tracekv.llm.reply`) as TraceKV writes it for OTLP
  /// spans: the inverse of `normalize(_:extended: true)`.
  static func encode(_ messages: some Sequence<ChatMessage>) -> String {
    JSONWriter.compact(.array(messages.map(\.json)))
  }

  /// "Non-empty" content: not null, not an empty string, list or object
  /// (`0` and `false` are content).
  private static func isEmpty(_ value: JSONValue) -> Bool {
    switch value {
    case .null: true
    case .string(let text): text.isEmpty
    case .array(let items): items.isEmpty
    case .object(let members): members.isEmpty
    case .bool, .number: false
    }
  }
}

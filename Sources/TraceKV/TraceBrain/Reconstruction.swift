/// One chat message of a rebuilt context.
public struct ChatMessage: Sendable, Hashable, Codable {
  public var role: String
  public var content: String

  public init(role: String, content: String) {
    self.role = role
    self.content = content
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
}

extension Span: ReconstructableSpan {
  var newContent: String? { text(SpanKey.newContent) }
  var contextFrom: String? { attributes[SpanKey.contextFrom]?.stringValue }
  var hasFullPrompt: Bool { attributes[SpanKey.fullPrompt] == .bool(true) }
  var toolCaller: String? { attributes[SpanKey.toolCaller]?.stringValue }
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
  func path(to target: S) -> [S] {
    var byID: [String: Int] = [:]
    for (index, span) in spans.enumerated() where byID[span.spanID] == nil { byID[span.spanID] = index }
    var path: [S] = []
    var visited = Set<String>()
    var current: S? = target
    while let span = current, visited.insert(span.spanID).inserted {
      if span.type == .llmInference { path.append(span) }
      if span.hasFullPrompt || span.contextFrom == "" { break }
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
      messages += Self.normalize(span.newContent)
      if position < path.count - 1, let completion = span.completion, !completion.isEmpty {
        messages.append(ChatMessage(role: "assistant", content: completion))
      }
    }
    return messages
  }

  func turns() -> [Turn] {
    guard let target else { return [] }
    let path = path(to: target)
    var firstToolOutput: [String: String?] = [:]
    for span in spans where span.type == .toolExecution {
      if let parent = span.toolCaller ?? span.parentID, firstToolOutput[parent] == nil {
        firstToolOutput[parent] = .some(span.toolOutput)
      }
    }
    var messages = leadingMessages(path)
    var turns: [Turn] = []
    for (position, span) in path.enumerated() {
      messages += Self.normalize(span.newContent)
      turns.append(
        Turn(
          promptForModel: messages, modelCompletion: span.completion, thought: span.thought,
          toolCode: span.toolCode, toolOutput: firstToolOutput[span.spanID] ?? nil))
      if position < path.count - 1, let completion = span.completion, !completion.isEmpty {
        messages.append(ChatMessage(role: "assistant", content: completion))
      }
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
  static func normalize(_ newContent: String?) -> [ChatMessage] {
    guard let newContent, let parsed = try? JSONParser.parse(newContent) else { return [] }
    let items: [JSONValue]
    switch parsed {
    case .array(let list): items = list
    case .object: items = [parsed]
    default: return []
    }
    return items.compactMap { item in
      guard case .object(let message) = item, case .string(let role)? = message["role"], !role.isEmpty,
        let content = message["content"], !isEmpty(content)
      else { return nil }
      return ChatMessage(role: role, content: content.text)
    }
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

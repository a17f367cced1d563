import Foundation

/// The tokens one LLM call reports (`tracebrain.usage`). Cached tokens are
/// part of the input tokens and reasoning tokens part of the output tokens,
/// as OpenAI, Gemini and the GenAI semantic conventions count them.
public struct TokenUsage: Sendable, Hashable {
  public var inputTokens = 0
  public var outputTokens = 0
  public var cachedTokens = 0
  public var reasoningTokens = 0

  public init(inputTokens: Int = 0, outputTokens: Int = 0, cachedTokens: Int = 0, reasoningTokens: Int = 0) {
    self.inputTokens = inputTokens
    self.outputTokens = outputTokens
    self.cachedTokens = cachedTokens
    self.reasoningTokens = reasoningTokens
  }

  /// The usage an LLM span reports; zero for any other span. Only
  /// `llm_inference` spans carry `tracebrain.usage` (OTLP ingest writes it per
  /// call, never on agent spans or call wrappers), so a sum never counts a
  /// token twice.
  init(_ span: Span) {
    guard span.isLLM, let usage = span.attributes[SpanKey.usage]?.objectValue else { return }
    // A negative count (a producer's bug) counts as none.
    func tokens(_ key: String) -> Int { max(0, usage[key]?.intValue ?? 0) }
    inputTokens = tokens("prompt_tokens")
    outputTokens = tokens("completion_tokens")
    cachedTokens = tokens("cached_tokens")
    reasoningTokens = tokens("reasoning_tokens")
  }

  static func += (lhs: inout TokenUsage, rhs: TokenUsage) {
    lhs.inputTokens += rhs.inputTokens
    lhs.outputTokens += rhs.outputTokens
    lhs.cachedTokens += rhs.cachedTokens
    lhs.reasoningTokens += rhs.reasoningTokens
  }
}

/// One step of a run as usage and diff count it: an LLM call or a tool call.
public struct RunStep: Sendable, Hashable {
  public enum Kind: String, Sendable, Hashable {
    case llm
    case tool
  }

  public var kind: Kind
  /// The span; nil for a tool call known only from the model's request.
  public var spanID: String?
  /// An LLM call's model; a tool call's tool name.
  public var name: String?
  /// A tool call's arguments: compact JSON with sorted keys when they parse,
  /// else the text as recorded.
  public var arguments: String?
  public var tokens: TokenUsage
  /// End minus start, in milliseconds; nil without both times or when the end comes first.
  public var latencyMilliseconds: Double?
  /// Whether the producer marked the span an error (`otel.status_code` ERROR).
  public var isError: Bool
  public var errorDescription: String?
  public var startTime: Timestamp?
  /// The agent that ran it: the span's `tracekv.agent.name`, else its nearest
  /// ancestor's, else the trace's.
  public var agent: String?
  /// A tool call the model asked for, in a run that recorded no tool executions.
  public var requested: Bool

  /// `llm gpt-4o-mini`, `tool get_weather {"city":"Paris"}`, plus ` ERROR`.
  public var summary: String {
    var text = "\(kind.rawValue) \(name ?? "-")"
    if let arguments, !arguments.isEmpty { text += " " + arguments }
    if isError { text += " ERROR" }
    return text
  }
}

extension Span {
  /// The span's duration in milliseconds; nil without both times or when the end comes first.
  var latencyMilliseconds: Double? {
    guard let start = startTime, let end = endTime, end >= start else { return nil }
    return Double(end.microseconds - start.microseconds) / 1000
  }
}

/// The steps of a trace, in time order.
enum RunSteps {
  /// The LLM calls and tool executions the trace recorded.
  static func executed(_ trace: Trace) -> [RunStep] {
    let spans = trace.spansInTimeOrder
    let agents = agentNames(spans, traceAgent: trace.attributes[OTLPMapping.agentNameKey]?.stringValue)
    return spans.compactMap { span in
      guard span.isLLM || span.isTool else { return nil }
      return RunStep(
        kind: span.isLLM ? .llm : .tool, spanID: span.spanID,
        name: span.isLLM ? span.text(SpanKey.model) : span.toolName,
        arguments: span.isTool ? span.text(SpanKey.toolInput).map(canonicalArguments) : nil,
        tokens: TokenUsage(span), latencyMilliseconds: span.latencyMilliseconds, isError: span.isError,
        errorDescription: span.isError ? span.errorDescription : nil, startTime: span.startTime,
        agent: agents[span.spanID], requested: false)
    }
  }

  /// The steps a diff aligns: the executed steps; in a run that recorded no
  /// tool execution (some instrumentations record only the model's calls),
  /// the tool calls each LLM call asked for, after it.
  static func forDiff(_ trace: Trace) -> [RunStep] {
    let steps = executed(trace)
    guard !steps.contains(where: { $0.kind == .tool }) else { return steps }
    let replies = Dictionary(
      trace.spans.filter(\.isLLM).map { ($0.spanID, $0.replyMessages) },
      uniquingKeysWith: { first, _ in first })
    return steps.flatMap { step -> [RunStep] in
      let calls = (step.spanID.flatMap { replies[$0] } ?? []).flatMap { $0.toolCalls ?? [] }
      return [step]
        + calls.map { call in
          RunStep(
            kind: .tool, spanID: nil, name: call.name, arguments: canonicalArguments(call.arguments),
            tokens: TokenUsage(), latencyMilliseconds: nil, isError: false, errorDescription: nil,
            startTime: step.startTime, agent: step.agent, requested: true)
        }
    }
  }

  /// Arguments compared by meaning: JSON re-written compact with sorted
  /// keys, so `{"b":1, "a":2}` equals `{"a":2,"b":1}`; other text trimmed.
  static func canonicalArguments(_ text: String) -> String {
    guard let value = try? JSONParser.parse(text) else {
      return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return JSONWriter.compact(sortedKeys(value))
  }

  private static func sortedKeys(_ value: JSONValue) -> JSONValue {
    switch value {
    case .array(let items): return .array(items.map(sortedKeys))
    case .object(let object):
      var sorted = JSONObject()
      for (key, member) in object.sorted(by: { $0.key < $1.key }) { sorted[key] = sortedKeys(member) }
      return .object(sorted)
    default: return value
    }
  }

  /// Each step's agent: its own `tracekv.agent.name`, else its nearest
  /// ancestor's (a parent cycle stops the walk), else the trace's; absent when none.
  private static func agentNames(_ spans: [Span], traceAgent: String?) -> [String: String] {
    let byID = Dictionary(spans.map { ($0.spanID, $0) }, uniquingKeysWith: { first, _ in first })
    var names: [String: String] = [:]
    for span in spans where span.isLLM || span.isTool {
      var current: Span? = span
      var seen: Set<String> = []
      var name: String?
      while let node = current, seen.insert(node.spanID).inserted {
        if let own = node.attributes[OTLPMapping.agentNameKey]?.stringValue {
          name = own
          break
        }
        current = node.parentID.flatMap { byID[$0] }
      }
      names[span.spanID] = name ?? traceAgent
    }
    return names
  }
}

/// The attribute keys of TraceBrain spans (docs/trace-format.md §1).
enum SpanKey {
  static let type = "tracebrain.span.type"
  static let newContent = "tracebrain.llm.new_content"
  static let completion = "tracebrain.llm.completion"
  static let thought = "tracebrain.llm.thought"
  static let toolCode = "tracebrain.llm.tool_code"
  static let finalAnswer = "tracebrain.llm.final_answer"
  static let model = "tracebrain.llm.model"
  static let usage = "tracebrain.usage"
  static let toolName = "tracebrain.tool.name"
  static let toolInput = "tracebrain.tool.input"
  static let toolOutput = "tracebrain.tool.output"
  static let statusCode = "otel.status_code"
  static let statusDescription = "otel.status_description"
  /// TraceKV extension (OTLP ingest, see `DeltaEncoder`): the LLM span whose
  /// context this one continues; "" when it starts a conversation. When set,
  /// reconstruction follows it instead of `parent_id`.
  static let contextFrom = "tracekv.llm.context_from"
  /// TraceKV extension: `true` when `new_content` holds the whole prompt,
  /// system messages included; reconstruction starts afresh at this span.
  static let fullPrompt = "tracekv.llm.full_prompt"
  /// TraceKV extension (OTLP ingest, see `ToolCallLinker`): the LLM span whose
  /// tool call this tool span ran, when that is not its parent; turns read it
  /// in place of `parent_id`.
  static let toolCaller = "tracekv.tool.llm_span_id"
  /// TraceKV extension (OTLP ingest): the model's reply as one message in
  /// `new_content`'s shape (with its tool calls), which reconstruction
  /// appends after this span in place of the plain-text completion.
  static let reply = "tracekv.llm.reply"
}

/// What a span did.
public enum SpanType: Sendable, Hashable {
  case llmInference
  case toolExecution
  /// Any other value of `tracebrain.span.type` (or none), kept as written.
  case other(String?)

  init(_ value: String?) {
    switch value {
    case "llm_inference": self = .llmInference
    case "tool_execution": self = .toolExecution
    default: self = .other(value)
    }
  }
}

/// One step of a trace: an LLM call, a tool call, or anything else a producer
/// recorded. Attributes are kept exactly as received.
public struct Span: Sendable, Hashable {
  public var spanID: String
  /// The span that caused this one; nil for a root.
  public var parentID: String?
  public var name: String
  public var startTime: Timestamp?
  public var endTime: Timestamp?
  public var attributes: JSONObject

  public init(
    spanID: String, parentID: String?, name: String, startTime: Timestamp?, endTime: Timestamp?,
    attributes: JSONObject
  ) {
    self.spanID = spanID
    self.parentID = parentID
    self.name = name
    self.startTime = startTime
    self.endTime = endTime
    self.attributes = attributes
  }

  public var type: SpanType { SpanType(attributes[SpanKey.type]?.stringValue) }
  public var isLLM: Bool { type == .llmInference }
  public var isTool: Bool { type == .toolExecution }

  /// A string attribute, or a non-string one rendered as text; nil when absent or null.
  public func text(_ key: String) -> String? {
    guard let value = attributes[key], !value.isNull else { return nil }
    return value.text
  }

  public var completion: String? { text(SpanKey.completion) }
  public var thought: String? { text(SpanKey.thought) }
  public var toolCode: String? { text(SpanKey.toolCode) }
  public var finalAnswer: String? { text(SpanKey.finalAnswer) }
  public var toolName: String? { text(SpanKey.toolName) }
  public var toolOutput: String? { text(SpanKey.toolOutput) }
  /// Whether the producer marked a system error (`otel.status_code == "ERROR"`).
  public var isError: Bool { attributes[SpanKey.statusCode]?.stringValue == "ERROR" }
  public var errorDescription: String? { text(SpanKey.statusDescription) }
}

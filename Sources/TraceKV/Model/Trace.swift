/// The trace-level attribute keys TraceKV gives meaning to (docs/trace-format.md §1).
enum TraceKey {
  static let systemPrompt = "system_prompt"
  static let episodeID = "tracebrain.episode.id"
  static let status = "tracebrain.trace.status"
  static let priority = "tracebrain.trace.priority"
  static let aiEvaluation = "tracebrain.ai_evaluation"
  static let feedback = "tracebrain.feedback"
  static let governanceReason = "tracebrain.governance.reason"
  /// Keys lifted into typed fields of `Trace`, so not kept in `attributes`.
  static let lifted: Set<String> = [systemPrompt, episodeID, status, priority, aiEvaluation, feedback, governanceReason]
}

/// A person's judgement of a trace.
public struct Feedback: Sendable, Hashable {
  /// 1 (bad) to 5 (good).
  public var rating: Int
  public var comment: String?
  public var tags: [String]
  public var metadata: JSONObject
  public var createdAt: Timestamp

  public init(rating: Int, comment: String? = nil, tags: [String] = [], metadata: JSONObject = JSONObject(),
              createdAt: Timestamp = .now) {
    self.rating = rating
    self.comment = comment
    self.tags = tags
    self.metadata = metadata
    self.createdAt = createdAt
  }
}

/// An AI judge's evaluation, kept as the producer wrote it, with typed views.
public struct AIEvaluation: Sendable, Hashable {
  public var object: JSONObject

  public init(_ object: JSONObject) { self.object = object }

  public var rating: Int? { object["rating"]?.intValue }
  public var confidence: Double? { object["confidence"]?.doubleValue }
  public var feedback: String? { object["feedback"]?.stringValue }
  public var errorType: ErrorType? { object["error_type"]?.stringValue.map(ErrorType.init(producerValue:)) }
}

/// An agent's execution trace with its governance state.
public struct Trace: Sendable, Hashable {
  public var traceID: String
  /// Trace attributes other than the ones lifted into the fields below.
  public var attributes: JSONObject
  /// Spans in the order they were received.
  public var spans: [Span]
  public var systemPrompt: String?
  public var episodeID: String?
  public var status: TraceStatus
  public var priority: Int
  public var aiEvaluation: AIEvaluation?
  public var feedback: Feedback?
  /// Why the last governance signal was raised.
  public var governanceReason: String?
  /// When this store first received the trace.
  public var createdAt: Timestamp

  public init(
    traceID: String, attributes: JSONObject = JSONObject(), spans: [Span] = [], systemPrompt: String? = nil,
    episodeID: String? = nil, status: TraceStatus = .running, priority: Int = Priority.default,
    aiEvaluation: AIEvaluation? = nil, feedback: Feedback? = nil, governanceReason: String? = nil,
    createdAt: Timestamp = .now
  ) {
    self.traceID = traceID
    self.attributes = attributes
    self.spans = spans
    self.systemPrompt = systemPrompt
    self.episodeID = episodeID
    self.status = status
    self.priority = priority
    self.aiEvaluation = aiEvaluation
    self.feedback = feedback
    self.governanceReason = governanceReason
    self.createdAt = createdAt
  }

  /// The human rating, else the AI evaluation's (docs/trace-format.md §4).
  public var rating: Int? { feedback?.rating ?? aiEvaluation?.rating }

  /// The earliest start of a root span, else the ingest time (docs/trace-format.md §5);
  /// see `eventTime(_:fallback:)` for a trace without a root span.
  public var eventTime: Timestamp {
    Timestamp(microseconds: Self.eventTime(spans.map { ($0.parentID, $0.startTime) }, fallback: createdAt))
  }

  /// The earliest start of a root span (docs/trace-format.md §5). A trace whose
  /// every span names a parent (a parent cycle, or parents still to come)
  /// has no root: its earliest span start stands in, so its event time is
  /// still when it ran. `fallback` (the ingest time) only without any start.
  static func eventTime(_ spans: [(parentID: String?, start: Timestamp?)], fallback: Timestamp) -> Int64 {
    let hasRoot = spans.contains { $0.parentID == nil }
    let starts = spans.lazy.filter { !hasRoot || $0.parentID == nil }.compactMap(\.start)
    return starts.min()?.microseconds ?? fallback.microseconds
  }

  /// The spans ordered by start time (no time first; ties keep list order).
  public var spansInTimeOrder: [Span] {
    spans.enumerated().sorted { lhs, rhs in
      let left = lhs.element.startTime?.microseconds ?? .min
      let right = rhs.element.startTime?.microseconds ?? .min
      return left != right ? left < right : lhs.offset < rhs.offset
    }.map(\.element)
  }
}

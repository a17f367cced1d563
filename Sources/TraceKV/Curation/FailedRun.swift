/// Why a run counts as failed: TraceBrain's definition (docs/trace-format.md §5).
public enum FailureReason: String, Sendable, CaseIterable {
  /// A human rated it below 3.
  case humanRating = "human_rating"
  /// Its status is `failed` or `needs_review`.
  case status
  /// The AI evaluation names one of the seven critical error types.
  case errorType = "error_type"
  /// The AI evaluation's confidence is below 0.75.
  case confidence
}

extension Trace {
  /// Every reason the run counts as failed (empty: it did not fail). The
  /// thresholds are TraceBrain's: a human rating below 3, a confidence below 0.75.
  public var failureReasons: [FailureReason] {
    var reasons: [FailureReason] = []
    if let rating = feedback?.rating, rating < 3 { reasons.append(.humanRating) }
    if status == .failed || status == .needsReview { reasons.append(.status) }
    if aiEvaluation?.errorType?.isCritical == true { reasons.append(.errorType) }
    if let confidence = aiEvaluation?.confidence, confidence < 0.75 { reasons.append(.confidence) }
    return reasons
  }
}

/// A failed run and the evidence the curriculum reads from it.
public struct FailedRun: Sendable, Hashable {
  public var traceID: String
  public var eventTime: Timestamp
  public var status: TraceStatus
  /// The human rating, else the AI evaluation's.
  public var rating: Int?
  public var reasons: [FailureReason]
  /// The AI-evaluated error type when it is one of the critical seven; nil
  /// when the evaluation says `none`, `general_failure` or is missing.
  public var errorType: ErrorType?
  /// The tool of the first span marked `ERROR`, else the last tool the run
  /// called; nil when it called none.
  public var failingTool: String?
  /// What went wrong in the run's words: the first error span's description,
  /// else the output of the tool it marked, else the human comment, else the
  /// AI evaluation's feedback.
  public var errorMessage: String?
  /// The task: the first user message of the run.
  public var task: String?
  /// The run's last answer (final answer, else last completion).
  public var finalAnswer: String?
  public var episodeID: String?
  public var priority: Int
}

extension FailedRun {
  /// The evidence of a failed trace read from its record and span views
  /// (list order, as received), or nil when the trace did not fail.
  init?(trace: Trace, eventTime: Int64, spans: [SpanView]) {
    let reasons = trace.failureReasons
    guard !reasons.isEmpty else { return nil }
    let tools = spans.filter { $0.type == .toolExecution }
    let erroring = spans.first { $0.isError }
    let failingTool = tools.first { $0.isError }?.toolName ?? tools.last?.toolName
    var message = erroring?.errorDescription
    if message == nil || message!.isEmpty, let erroring { message = erroring.toolOutput }
    if message == nil || message!.isEmpty { message = trace.feedback?.comment }
    if message == nil || message!.isEmpty { message = trace.aiEvaluation?.feedback }
    let llm = spans.filter { $0.type == .llmInference }
    let task = spans.lazy.compactMap { span in
      Reconstruction<SpanView>.normalize(span.newContent).first { $0.role == "user" }?.content
    }.first
    let answer = llm.reversed().lazy.compactMap { $0.finalAnswer.nonEmpty ?? $0.completion.nonEmpty }.first
    self.init(
      traceID: trace.traceID, eventTime: Timestamp(microseconds: eventTime), status: trace.status,
      rating: trace.rating, reasons: reasons,
      errorType: trace.aiEvaluation?.errorType.flatMap { $0.isCritical ? $0 : nil },
      failingTool: failingTool.nonEmpty, errorMessage: message.nonEmpty, task: task, finalAnswer: answer,
      episodeID: trace.episodeID, priority: trace.priority)
  }
}

extension String? {
  /// The string when it is present and not empty.
  var nonEmpty: String? {
    guard let self, !self.isEmpty else { return nil }
    return self
  }
}

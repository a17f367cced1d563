/// TraceBrain's governance rules (docs/trace-format.md §3).
enum Governance {
  static let helpToolName = "request_human_intervention"
  static let confidenceThreshold = 0.75

  /// Whether any needs_review rule holds for this trace.
  static func needsReview(_ trace: Trace) -> Bool {
    asksForHelp(trace.spans) || evaluationNeedsReview(trace.aiEvaluation) || trace.spans.contains(where: \.isError)
  }

  /// Rule 1: a help request, as a tool span or inside an LLM span's tool code.
  static func asksForHelp(_ spans: [Span]) -> Bool {
    spans.contains { span in
      (span.isTool && span.toolName == helpToolName) || (span.isLLM && (span.toolCode?.contains(helpToolName) ?? false))
    }
  }

  /// Rule 2: a critical error type, or a confidence below 0.75.
  static func evaluationNeedsReview(_ evaluation: AIEvaluation?) -> Bool {
    guard let evaluation else { return false }
    if evaluation.errorType?.isCritical == true { return true }
    if let confidence = evaluation.confidence, confidence < confidenceThreshold { return true }
    return false
  }
}

/// The governance status of a trace (docs/trace-format.md §1).
public enum TraceStatus: String, Sendable, CaseIterable, Codable {
  case running
  case completed
  case needsReview = "needs_review"
  case failed
}

/// What an AI evaluation says went wrong (docs/trace-format.md §1). Unknown values
/// count as `generalFailure`.
public enum ErrorType: String, Sendable, CaseIterable {
  case logicLoop = "logic_loop"
  case hallucination
  case invalidToolUsage = "invalid_tool_usage"
  case toolExecutionError = "tool_execution_error"
  case formatError = "format_error"
  case misinterpretation
  case contextOverflow = "context_overflow"
  case none
  case generalFailure = "general_failure"

  /// Reads a producer's value; anything unknown is `generalFailure`.
  public init(producerValue: String) {
    self = ErrorType(rawValue: producerValue.lowercased()) ?? .generalFailure
  }

  /// The seven types that send a trace to review.
  public var isCritical: Bool { self != .none && self != .generalFailure }
}

/// A priority from 1 (critical) to 5 (trivial).
public enum Priority {
  public static let `default` = 3

  /// Out-of-range or non-integer input (a string, a bool, `2.0`) becomes the
  /// default (docs/trace-format.md §1).
  public static func clamped(_ value: JSONValue?) -> Int {
    guard case .number(let literal)? = value, let number = Int(literal), (1...5).contains(number) else {
      return Priority.default
    }
    return number
  }
}

/// A training task in TraceBrain's curriculum JSONL: `{id, role: "user",
/// content, metadata: {difficulty, focus, reasoning}}` (docs/trace-format.md §5).
public struct CurriculumTask: Sendable, Hashable {
  public var id: String
  /// The prompt to train on.
  public var content: String
  /// `high`, `medium` or `low` (TraceBrain's priority words).
  public var difficulty: String
  /// The error type the task trains against (`general_failure` when unnamed).
  public var focus: String
  /// Why the task exists: the cluster's evidence.
  public var reasoning: String

  /// The JSONL line's object.
  public var json: JSONValue {
    .object(
      JSONObject([
        "id": .string(id), "role": .string("user"), "content": .string(content),
        "metadata": .object(
          JSONObject([
            "difficulty": .string(difficulty), "focus": .string(focus), "reasoning": .string(reasoning),
          ])),
      ]))
  }
}

/// Writes one remediation task from a cluster's own evidence: its
/// representative task, other tasks that failed the same way, the failing
/// tool and its error, and the lesson for its error type.
enum RemediationTask {
  /// Characters of a quoted task or error kept in a task's text.
  static let quoteLimit = 300

  static func make(
    runs: [FailedRun], representative: FailedRun, errorType: ErrorType?, tool: String?, examples: [String]
  ) -> CurriculumTask {
    var lines: [String] = []
    let kind = errorType.map { "\($0.rawValue) failure" } ?? "unclassified failure"
    lines.append(
      "Remediation exercise: \(kind), seen in \(runs.count) failed run\(runs.count == 1 ? "" : "s")"
        + (tool.map { " involving the tool `\($0)`" } ?? "") + ".")
    if let task = representative.task { lines.append("Task: \"\(quote(task))\"") }
    let others = examples.filter { $0 != representative.task }
    if !others.isEmpty {
      lines.append(
        "Tasks that failed the same way: " + others.map { "\"\(quote($0))\"" }.joined(separator: "; ") + ".")
    }
    if let error = commonError(runs, errorType: errorType) {
      lines.append("What went wrong before: \"\(quote(error))\"")
    }
    lines.append("Solve the task again. " + lesson(errorType))

    let reasonCounts = FailureReason.allCases.compactMap { reason -> String? in
      let count = runs.filter { $0.reasons.contains(reason) }.count
      return count == 0 ? nil : "\(reason.rawValue) ×\(count)"
    }
    let ids = runs.prefix(10).map(\.traceID).joined(separator: ", ") + (runs.count > 10 ? ", …" : "")
    let reasoning =
      "\(runs.count) failed run\(runs.count == 1 ? "" : "s") (failed by \(reasonCounts.joined(separator: ", "))) "
      + "with error type \(errorType?.rawValue ?? "unnamed") and failing tool \(tool ?? "none"); "
      + "representative \(representative.traceID); runs: \(ids)."
    return CurriculumTask(
      id: "curriculum-" + fingerprint(runs.map(\.traceID).sorted()), content: lines.joined(separator: "\n"),
      difficulty: difficulty(runs, errorType: errorType), focus: (errorType ?? .generalFailure).rawValue,
      reasoning: reasoning)
  }

  /// The error message most runs share (ties: the first seen), among the
  /// runs that have the cluster's error type when it has one.
  static func commonError(_ runs: [FailedRun], errorType: ErrorType?) -> String? {
    let named = runs.filter { errorType != nil && $0.errorType == errorType }
    var counts: [String: Int] = [:]
    var order: [String] = []
    for message in (named.isEmpty ? runs : named).compactMap(\.errorMessage) {
      if counts[message] == nil { order.append(message) }
      counts[message, default: 0] += 1
    }
    return order.max { counts[$0, default: 0] < counts[$1, default: 0] }  // max(by:) keeps the first of a tie
  }

  /// `high` for a recurring (3 or more runs) or severe (status failed, or
  /// priority 1–2) failure; `low` for a single run without a named error
  /// type; `medium` otherwise.
  static func difficulty(_ runs: [FailedRun], errorType: ErrorType?) -> String {
    if runs.count >= 3 || runs.contains(where: { $0.status == .failed || $0.priority <= 2 }) { return "high" }
    if runs.count == 1 && errorType == nil { return "low" }
    return "medium"
  }

  /// What the exercise asks for, by error type.
  static func lesson(_ errorType: ErrorType?) -> String {
    switch errorType {
    case .logicLoop?:
      "Notice when a step repeats without progress and change strategy, or stop and explain, instead of calling the same tool again."
    case .hallucination?:
      "State only facts that a tool returned or the user gave; call a tool for anything else, and say so when no tool can answer."
    case .invalidToolUsage?:
      "Call each tool with exactly the parameters it requires; ask the user for a required value that is missing instead of guessing it."
    case .toolExecutionError?:
      "When a tool fails, read its error: retry with backoff only when the error is transient, otherwise tell the user what failed and why."
    case .formatError?:
      "Answer in exactly the format asked for, and check that structured output (such as JSON) is valid before giving it."
    case .misinterpretation?:
      "Read each tool output carefully and report its values exactly, with the units and the entities they belong to."
    case .contextOverflow?:
      "Solve it in as few steps as possible, keeping only the information the task needs."
    case .none?, .generalFailure?, nil:
      "Find where the earlier attempts went wrong and complete the task, checking each step's result before the next."
    }
  }

  static func quote(_ text: String) -> String {
    let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return line.count <= quoteLimit ? line : String(line.prefix(quoteLimit - 1)) + "…"
  }

  /// 16 hex digits of FNV-1a over the texts, each ended by a 0 byte: a stable
  /// id for the same set of runs.
  static func fingerprint(_ texts: [String]) -> String {
    let hex = String(fnv1a64(texts.flatMap { Array($0.utf8) + [0] }), radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}

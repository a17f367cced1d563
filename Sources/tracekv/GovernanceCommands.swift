import ArgumentParser
import TraceKV

struct FeedbackCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "feedback", abstract: "Record human feedback (replaces earlier feedback; status becomes completed).")

  @OptionGroup var target: TraceTarget

  @Option(help: "1 (bad) to 5 (good).")
  var rating: Int

  @Option(help: "A comment.")
  var comment: String?

  @Option(help: "A tag; repeatable.")
  var tag: [String] = []

  @Option(help: "Metadata as a JSON object.")
  var metadata: String?

  func validate() throws {
    guard (1...5).contains(rating) else { throw ValidationError("--rating must be from 1 to 5") }
  }

  func run() throws {
    let traceID = target.traceID
    let object = try metadata.map { try Console.jsonObject($0, "--metadata") } ?? JSONObject()
    try target.storeOptions.open().addFeedback(traceID: traceID, rating: rating, comment: comment, tags: tag, metadata: object)
    print("feedback recorded for \(traceID): \(rating)/5, status completed")
  }
}

struct SignalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "signal", abstract: "Raise a governance signal: set status (default needs_review), priority, reason.")

  @OptionGroup var target: TraceTarget

  @Option(help: "running, completed, needs_review or failed.")
  var status = "needs_review"

  @Option(help: "1 (critical) to 5 (trivial).")
  var priority: Int?

  @Option(help: "Why.")
  var reason: String?

  func validate() throws {
    _ = try parseStatus(status)
    if let priority, !(1...5).contains(priority) { throw ValidationError("--priority must be from 1 to 5") }
  }

  func run() throws {
    let traceID = target.traceID
    try target.storeOptions.open().signal(traceID: traceID, status: try parseStatus(status), priority: priority, reason: reason)
    print("signal recorded for \(traceID): status \(status)")
  }
}

struct EvaluateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate", abstract: "Attach an AI evaluation (JSON object); the needs_review rules are re-applied.")

  @OptionGroup var target: TraceTarget

  @Argument(help: #"The evaluation, e.g. '{"rating": 4, "confidence": 0.9, "error_type": "none"}'."#)
  var evaluation: String

  func run() throws {
    let traceID = target.traceID
    let object = try Console.jsonObject(evaluation, "the evaluation")
    let store = try target.storeOptions.open()
    try store.attachEvaluation(traceID: traceID, object)
    let status = try store.trace(id: traceID)?.status.rawValue ?? "?"
    print("evaluation attached to \(traceID); status \(status)")
  }
}

import TraceKV

/// The CLI's JSON shapes of traces and summaries.
enum TraceJSON {
  /// The trace in TraceBrain shape, with its governance state also at top level.
  static func detailed(_ trace: Trace) -> JSONObject {
    var object = trace.traceBrainJSON
    object["status"] = .string(trace.status.rawValue)
    object["priority"] = .int(trace.priority)
    object["episode_id"] = Console.text(trace.episodeID)
    object["feedback"] = trace.feedback.map { .object($0.json) } ?? .null
    object["ai_evaluation"] = trace.aiEvaluation.map { .object($0.object) } ?? .null
    return object
  }

  static func span(_ span: Span) -> JSONObject { span.traceBrainJSON }

  static func summary(_ summary: TraceSummary) -> JSONValue {
    .object(
      JSONObject([
        "trace_id": .string(summary.traceID), "status": .string(summary.status.rawValue),
        "priority": .int(summary.priority), "episode_id": Console.text(summary.episodeID),
        "rating": Console.int(summary.rating), "created_at": .string(summary.createdAt.text),
        "span_count": .int(summary.spanCount),
      ]))
  }
}

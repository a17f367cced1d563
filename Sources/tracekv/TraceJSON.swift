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

  /// A trace's summary: `list` and `episode` print these fields as a table
  /// row and as JSON. The event time is when the run happened (its first
  /// span); the ingest time when the store first received it.
  static func summaryFields(_ summary: TraceSummary) -> [Field] {
    [
      Field("trace_id", "trace id", summary.traceID), Field("status", "status", summary.status.rawValue),
      Field("priority", "prio", summary.priority), Field("rating", "rating", summary.rating),
      Field("span_count", "spans", summary.spanCount), Field("episode_id", "episode", summary.episodeID),
      Field("event_time", "event time", summary.eventTime.text),
      Field("ingested_at", "ingested at", summary.createdAt.text),
    ]
  }

  /// The headers of `summaryFields`, for a table with no rows.
  static let summaryHeaders = ["trace id", "status", "prio", "rating", "spans", "episode", "event time", "ingested at"]
}

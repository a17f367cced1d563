import Foundation
import TraceKV

/// The JSON shapes of TraceBrain 0.2.3's REST API (its pydantic models in
/// `tracebrain/api/v1/schemas/api_models.py`), built from TraceKV's types.
/// The MCP tools answer with the same shapes.
enum TraceBrainShapes {
  /// `TraceOut`: governance state in `attributes`, the system prompt copied
  /// into every span's attributes, as TraceBrain's `trace_to_out` does.
  static func trace(_ trace: Trace) -> JSONValue {
    var attributes = JSONObject()
    if let prompt = trace.systemPrompt { attributes["system_prompt"] = .string(prompt) }
    if let episode = trace.episodeID { attributes["tracebrain.episode.id"] = .string(episode) }
    attributes["tracebrain.trace.status"] = .string(trace.status.rawValue)
    attributes["tracebrain.trace.priority"] = .int(trace.priority)
    if let evaluation = trace.aiEvaluation { attributes["tracebrain.ai_evaluation"] = .object(evaluation.object) }
    let spans: [JSONValue] = trace.spans.map { span in
      var object = span.traceBrainJSON
      if let prompt = trace.systemPrompt, var spanAttributes = object["attributes"]?.objectValue {
        spanAttributes["system_prompt"] = .string(prompt)
        object["attributes"] = .object(spanAttributes)
      }
      return .object(object)
    }
    return .object(
      JSONObject([
        "trace_id": .string(trace.traceID), "attributes": .object(attributes),
        "created_at": .string(trace.createdAt.text),
        "feedbacks": .array(trace.feedback.map { [feedback($0)] } ?? []), "spans": .array(spans),
      ]))
  }

  /// `FeedbackOut`: {rating, comment, tags, timestamp, metadata}.
  static func feedback(_ feedback: Feedback) -> JSONValue {
    .object(
      JSONObject([
        "rating": .int(feedback.rating), "comment": feedback.comment.map(JSONValue.string) ?? .null,
        "tags": .array(feedback.tags.map(JSONValue.string)), "timestamp": .string(feedback.createdAt.text),
        "metadata": .object(feedback.metadata),
      ]))
  }

  /// `ExperienceSearchOut`, plus the reconstructed conversation an agent can reuse (`messages`).
  static func experience(_ hit: SearchHit, createdAt: Timestamp?) -> JSONValue {
    var object = JSONObject()
    object["trace_id"] = .string(hit.traceID)
    object["score"] = .double(hit.score)
    object["rating"] = hit.rating.map(JSONValue.int) ?? .null
    object["feedback"] = hit.feedback.map(feedback) ?? .null
    object["created_at"] = createdAt.map { .string($0.text) } ?? .null
    object["status"] = .string(hit.status.rawValue)
    if let messages = hit.messages { object["messages"] = .array(messages.map(\.json)) }
    return .object(object)
  }

  /// `TraceIngestResponse` and `FeedbackResponse` (same three fields).
  static func acknowledgement(_ traceID: String, _ message: String) -> JSONValue {
    .object(JSONObject(["success": .bool(true), "trace_id": .string(traceID), "message": .string(message)]))
  }

  /// `TraceSummaryOut` of an episode: OK unless a span is an error, as TraceBrain decides it.
  static func episodeTraceSummary(_ trace: Trace) -> JSONValue {
    let starts = trace.spans.compactMap(\.startTime)
    let ends = trace.spans.compactMap(\.endTime)
    var duration = 0.0
    if let first = starts.min(), let last = ends.max() {
      duration = (Double(last.microseconds - first.microseconds) / 1000 * 100).rounded() / 100
    }
    let failed = trace.spans.contains { span in
      span.name.lowercased().contains("error") || span.attributes["tracebrain.span.type"]?.stringValue == "tool_error"
    }
    return .object(
      JSONObject([
        "trace_id": .string(trace.traceID), "status": .string(failed ? "ERROR" : "OK"), "duration_ms": .double(duration),
        "span_count": .int(trace.spans.count), "created_at": .string(trace.createdAt.text),
      ]))
  }

  /// `AIEvaluationOut`, derived as TraceBrain's `build_ai_evaluation` does:
  /// auto_verified above 0.8 confidence, else pending_review.
  static func evaluation(from body: JSONObject) -> JSONObject {
    let confidence = body["confidence"]?.doubleValue ?? 0
    var object = JSONObject()
    object["rating"] = body["rating"] ?? .null
    object["feedback"] = body["feedback"] ?? .null
    object["confidence"] = .double(confidence)
    object["error_type"] = body["error_type"] ?? .string("none")
    object["status"] = .string(confidence > 0.8 ? "auto_verified" : "pending_review")
    object["priority"] = body["priority"] ?? .null
    object["timestamp"] = .string(Timestamp.now.text)
    return object
  }
}

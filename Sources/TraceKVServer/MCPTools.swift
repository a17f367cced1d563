import Foundation
import MCP
import TraceKV

/// The MCP tools, named as TraceBrain's agent tools are, answering with
/// text an LLM can read and the same data as structured content.
struct MCPTools: Sendable {
  let store: TraceStore
  /// Commits one governance change: grouped with the others waiting in the server's writer under `serve`
  /// (one commit for all), alone under `tracekv mcp`.
  let change: @Sendable (TraceChange) async throws -> Void

  static let definitions: [Tool] = [
    Tool(
      name: "search_past_experiences",
      description:
        "Find past runs of similar tasks that went well (rated at least min_rating), with their conversations, to reuse what worked.",
      inputSchema: schema(
        [
          "task_description": ["type": "string", "description": "The task at hand, in plain words."],
          "min_rating": integer(in: ParameterBounds.rating, default: 4),
          "limit": integer(in: ParameterBounds.experienceLimit, default: 3),
        ], required: ["task_description"]),
      annotations: .init(readOnlyHint: true)),
    Tool(
      name: "search_similar_traces",
      description:
        "Hybrid (meaning + exact keyword) search over stored traces; keywords match error codes, tool names or ids exactly.",
      inputSchema: schema(
        [
          "query": ["type": "string"], "keywords": ["type": "string"],
          "min_rating": integer(in: ParameterBounds.rating),
          "limit": integer(in: ParameterBounds.experienceLimit, default: 3),
        ], required: ["query"]),
      annotations: .init(readOnlyHint: true)),
    Tool(
      name: "get_trace",
      description: "One trace: its conversation (messages), its model turns (turns), or its span tree (tree).",
      inputSchema: schema(
        [
          "trace_id": ["type": "string"],
          "view": ["type": "string", "enum": ["messages", "turns", "tree"], "default": "messages"],
        ], required: ["trace_id"]),
      annotations: .init(readOnlyHint: true)),
    Tool(
      name: "list_traces",
      description: "Newest traces first, filtered by status, rating, error type or episode.",
      inputSchema: schema(
        [
          "status": ["type": "string", "enum": ["running", "completed", "needs_review", "failed"]],
          "min_rating": integer(in: ParameterBounds.rating), "error_type": ["type": "string"],
          "episode_id": ["type": "string"], "limit": integer(in: ParameterBounds.listLimit, default: 20),
          "offset": integer(in: ParameterBounds.offset, default: 0),
        ], required: []),
      annotations: .init(readOnlyHint: true)),
    Tool(
      name: "request_human_intervention",
      description: "Flag a trace for human review (status needs_review), saying why.",
      inputSchema: schema(
        ["trace_id": ["type": "string"], "reason": ["type": "string"]], required: ["trace_id", "reason"])),
    Tool(
      name: "add_feedback",
      description: "Rate a trace from 1 to 5, with an optional comment; a rated trace is completed.",
      inputSchema: schema(
        [
          "trace_id": ["type": "string"], "rating": integer(in: ParameterBounds.rating),
          "comment": ["type": "string"],
        ], required: ["trace_id", "rating"])),
    curriculumDefinition,
  ] + usageDefinitions

  static func schema(_ properties: [String: Value], required: [String]) -> Value {
    .object(["type": "object", "properties": .object(properties), "required": .array(required.map(Value.string))])
  }

  /// An integer argument's schema, from the bounds the tool enforces.
  static func integer(in bounds: ClosedRange<Int>, default value: Int? = nil) -> Value {
    var schema: [String: Value] = ["type": "integer", "minimum": .int(bounds.lowerBound), "maximum": .int(bounds.upperBound)]
    if let value { schema["default"] = .int(value) }
    return .object(schema)
  }

  /// Answers one tool call; a bad argument or an unknown trace is a tool error the model can read.
  func call(_ name: String, _ arguments: [String: Value]) async -> CallTool.Result {
    do {
      let (text, structured) = try await run(name, Arguments(values: arguments))
      return CallTool.Result(
        content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: Optional(MCPValues.value(structured)),
        isError: false)
    } catch {
      let message = (error as? ToolArgumentError)?.message ?? ServerErrors.storeError(error).message
      return CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
    }
  }

  /// The two search tools' answer: hybrid experience search, as text and as structured content.
  private func experiences(intent: String, keywords: String?, minRating: Int?, limit: Int) async throws
    -> (String, JSONValue)
  {
    let results = try await HTTPReplies.offload { [store] in
      try ExperienceSearch.run(store, intent: intent, keywords: keywords, minRating: minRating, limit: limit)
    }
    return (MCPText.experiences(results), .object(JSONObject(["total": .int(results.count), "results": .array(results)])))
  }

  private func run(_ name: String, _ arguments: Arguments) async throws -> (String, JSONValue) {
    if let answer = try await runUsageTool(name, arguments) { return answer }
    switch name {
    case "search_past_experiences":
      return try await experiences(
        intent: try arguments.requiredString("task_description"), keywords: nil,
        minRating: try arguments.int("min_rating", in: ParameterBounds.rating) ?? 4,
        limit: try arguments.int("limit", in: ParameterBounds.experienceLimit) ?? 3)
    case "search_similar_traces":
      return try await experiences(
        intent: try arguments.requiredString("query"), keywords: arguments.string("keywords"),
        minRating: try arguments.int("min_rating", in: ParameterBounds.rating),
        limit: try arguments.int("limit", in: ParameterBounds.experienceLimit) ?? 3)
    case "get_trace":
      let traceID = try arguments.requiredString("trace_id")
      let view = arguments.string("view") ?? "messages"
      guard ["messages", "turns", "tree"].contains(view) else {
        throw ToolArgumentError("view must be messages, turns or tree, not '\(view)'")
      }
      return try await HTTPReplies.offload { [store] in try TraceViews.render(store, traceID: traceID, view: view) }
    case "list_traces":
      let filter = try arguments.traceFilter()
      let limit = try arguments.int("limit", in: ParameterBounds.listLimit) ?? 20
      let offset = try arguments.int("offset", in: ParameterBounds.offset) ?? 0
      let page = try await HTTPReplies.offload { [store, filter] in try store.list(filter, limit: limit, offset: offset) }
      return (MCPText.list(page), TraceViews.listJSON(page))
    case "request_human_intervention":
      let traceID = try arguments.requiredString("trace_id")
      let reason = try arguments.requiredString("reason")
      try await change(.signal(traceID: traceID, reason: reason))
      return (
        "Trace \(traceID) is flagged for human review: \(reason)",
        TraceBrainShapes.acknowledgement(traceID, "Trace flagged for review")
      )
    case "add_feedback":
      let traceID = try arguments.requiredString("trace_id")
      guard let rating = try arguments.int("rating", in: ParameterBounds.rating) else { throw ToolArgumentError("rating is required") }
      let comment = arguments.string("comment")
      try await change(.feedback(traceID: traceID, rating: rating, comment: comment))
      return ("Feedback recorded on trace \(traceID): rating \(rating).", TraceBrainShapes.acknowledgement(traceID, "Feedback added successfully"))
    case "failure_curriculum":
      return try await failureCurriculum(arguments)
    default:
      throw ToolArgumentError("unknown tool '\(name)'")
    }
  }
}

/// A tool argument that is missing or out of range.
struct ToolArgumentError: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

/// Typed access to a tool call's arguments.
struct Arguments {
  let values: [String: Value]

  func string(_ name: String) -> String? {
    guard let text = values[name]?.stringValue, !text.isEmpty else { return nil }
    return text
  }

  func requiredString(_ name: String) throws -> String {
    guard let text = string(name) else { throw ToolArgumentError("\(name) is required (a non-empty string)") }
    return text
  }

  /// The list filters a tool takes (`status`, `min_rating`, `error_type`,
  /// `episode_id`), each optional; what a tool's schema leaves out is absent.
  func traceFilter() throws -> TraceFilter {
    var filter = TraceFilter()
    if let status = string("status") {
      guard let value = TraceStatus(rawValue: status) else {
        throw ToolArgumentError("status must be running, completed, needs_review or failed")
      }
      filter.statuses = [value]
    }
    filter.minRating = try int("min_rating", in: ParameterBounds.rating)
    if let errorType = string("error_type") { filter.errorTypes = [ErrorType(producerValue: errorType)] }
    filter.episodeID = string("episode_id")
    return filter
  }

  func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
    guard let value = values[name], !value.isNull else { return nil }
    let number = value.intValue ?? value.doubleValue.flatMap { $0 == $0.rounded() ? Int(exactly: $0) : nil }
    guard let number, range.contains(number) else {
      throw ToolArgumentError("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
    }
    return number
  }
}

import MCP
import TraceKV

/// A trace as `get_trace` shows it, and list pages, as text and as JSON.
enum TraceViews {
  static func render(_ store: TraceStore, traceID: String, view: String) throws -> (String, JSONValue) {
    guard let trace = try store.trace(id: traceID) else {
      throw TraceKVError(.notFound, "no trace with id '\(traceID)' in the store")
    }
    var header = "Trace \(traceID): \(trace.status.rawValue)"
    if let rating = trace.rating { header += ", rated \(rating)" }
    header += ", \(trace.spans.count) spans, created \(trace.createdAt.text)"
    var object = JSONObject(["trace_id": .string(traceID), "status": .string(trace.status.rawValue)])
    object["rating"] = trace.rating.map(JSONValue.int) ?? .null
    switch view {
    case "turns":
      let turns = try store.turns(traceID: traceID) ?? []
      object["turns"] = .array(turns.map(\.json))
      let lines = turns.enumerated().map { index, turn in
        var line = "Turn \(index + 1): \(turn.promptForModel.count) messages in"
        if let thought = turn.thought { line += "\n  thought: \(MCPText.clip(thought))" }
        if let code = turn.toolCode { line += "\n  tool call: \(MCPText.clip(code))" }
        if let output = turn.toolOutput { line += "\n  tool output: \(MCPText.clip(output))" }
        if let completion = turn.modelCompletion { line += "\n  completion: \(MCPText.clip(completion))" }
        return line
      }
      return (([header] + lines).joined(separator: "\n"), .object(object))
    case "tree":
      let roots = try store.spanTree(traceID: traceID) ?? []
      object["spans"] = .array(roots.map(node))
      var lines = [header]
      func draw(_ node: SpanNode, depth: Int) {
        var line = String(repeating: "  ", count: depth) + "- \(node.span.name) [\(node.span.spanID)]"
        if node.span.isError { line += " ERROR" }
        lines.append(line)
        for child in node.children { draw(child, depth: depth + 1) }
      }
      for root in roots { draw(root, depth: 0) }
      return (lines.joined(separator: "\n"), .object(object))
    default:
      let messages = try store.messages(traceID: traceID) ?? []
      object["messages"] = .array(messages.map(\.json))
      let lines = messages.map { $0.transcript { MCPText.clip($0) } }
      return (([header] + lines).joined(separator: "\n"), .object(object))
    }
  }

  private static func node(_ node: SpanNode) -> JSONValue {
    var object = node.span.traceBrainJSON
    object["children"] = .array(node.children.map(Self.node))
    return .object(object)
  }

  static func listJSON(_ page: TracePage) -> JSONValue {
    let traces: [JSONValue] = page.traces.map { summary in
      .object(
        JSONObject([
          "trace_id": .string(summary.traceID), "status": .string(summary.status.rawValue),
          "priority": .int(summary.priority), "episode_id": summary.episodeID.map(JSONValue.string) ?? .null,
          "rating": summary.rating.map(JSONValue.int) ?? .null, "created_at": .string(summary.createdAt.text),
          "span_count": .int(summary.spanCount),
        ]))
    }
    return .object(JSONObject(["total": .int(page.total), "traces": .array(traces)]))
  }
}

/// Tool results as text an LLM reads well.
enum MCPText {
  /// At most `limit` characters, on one line.
  static func clip(_ text: String, limit: Int = 400) -> String {
    let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return flat.count <= limit ? flat : String(flat.prefix(limit)) + "…"
  }

  static func experiences(_ results: [JSONValue]) -> String {
    guard !results.isEmpty else { return "No matching past traces." }
    var lines = ["\(results.count) matching past trace\(results.count == 1 ? "" : "s"), best first:"]
    for (index, result) in results.enumerated() {
      guard let object = result.objectValue else { continue }
      let rating = object["rating"]?.intValue.map { "rated \($0)" } ?? "unrated"
      lines.append("\(index + 1). trace \(object["trace_id"]?.stringValue ?? "?") (\(rating))")
      for message in object["messages"]?.arrayValue ?? [] {
        guard let message = message.objectValue else { continue }
        lines.append("   \(message["role"]?.stringValue ?? "?"): \(clip(message["content"]?.stringValue ?? ""))")
      }
    }
    return lines.joined(separator: "\n")
  }

  static func list(_ page: TracePage) -> String {
    guard !page.traces.isEmpty else { return "No traces match (\(page.total) in all)." }
    var lines = ["\(page.traces.count) of \(page.total) traces, newest first:"]
    for summary in page.traces {
      let rating = summary.rating.map { ", rated \($0)" } ?? ""
      lines.append("- \(summary.traceID): \(summary.status.rawValue)\(rating), \(summary.spanCount) spans, \(summary.createdAt.text)")
    }
    return lines.joined(separator: "\n")
  }
}

/// TraceKV's JSON values as MCP's.
enum MCPValues {
  static func value(_ json: JSONValue) -> Value {
    switch json {
    case .null: return .null
    case .bool(let flag): return .bool(flag)
    case .string(let text): return .string(text)
    case .number(let literal):
      if let integer = Int(literal) { return .int(integer) }
      return .double(Double(literal) ?? 0)
    case .array(let items): return .array(items.map(value))
    case .object(let object):
      var members: [String: Value] = [:]
      for (key, member) in object { members[key] = value(member) }
      return .object(members)
    }
  }
}

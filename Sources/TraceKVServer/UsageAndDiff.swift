import Hummingbird
import MCP
import TraceKV

/// `GET /api/v1/usage` and `GET /api/v1/diff`, and the MCP tools
/// `usage_summary` and `diff_runs`: the store's usage report and run diff,
/// in the JSON `tracekv usage --json` and `tracekv diff --json` print.
/// The server prices calls with the built-in table only: a request never names a file.
enum UsageAndDiff {
  static func usage(_ store: TraceStore, _ filter: TraceFilter, by grouping: UsageGrouping?) async throws
    -> UsageReport
  {
    // Without its resource folder the server still counts tokens; every cost is then null.
    try await HTTPReplies.offload {
      try store.usage(filter, by: grouping, prices: (try? PriceTable.builtIn()) ?? PriceTable())
    }
  }

  static func grouping(_ text: String?) throws(ToolArgumentError) -> UsageGrouping? {
    guard let text else { return nil }
    guard let grouping = UsageGrouping(rawValue: text) else {
      throw ToolArgumentError("by must be one of model, tool, agent, episode, day, not '\(text)'")
    }
    return grouping
  }

  /// The runs, or a not-found naming the missing one.
  static func diff(_ store: TraceStore, _ first: String, _ second: String) async throws -> RunDiff {
    let result = try await HTTPReplies.offload { () throws -> (RunDiff?, Bool) in
      (try store.diff(first, second), try store.contains(traceID: first))
    }
    guard let diff = result.0 else {
      throw TraceKVError(.notFound, "no trace with id '\(result.1 ? second : first)' in the store")
    }
    return diff
  }

  /// A few lines an LLM can read.
  static func text(_ report: UsageReport) -> String {
    func line(_ name: String, _ figures: UsageFigures) -> String {
      let cost = figures.cost.map { "$\($0)" } ?? "no price (\(figures.unpricedCalls) calls unpriced)"
      let latency = figures.latency.map { ", LLM p50/p95/p99 \($0.p50)/\($0.p95)/\($0.p99) ms" } ?? ""
      return "\(name): \(figures.llmCalls) LLM calls, \(figures.tokens.inputTokens) input / "
        + "\(figures.tokens.outputTokens) output / \(figures.tokens.cachedTokens) cached / "
        + "\(figures.tokens.reasoningTokens) reasoning tokens, cost \(cost)\(latency), "
        + "\(figures.toolCalls) tool calls, \(figures.errors) errors"
    }
    return ([line("total", report.total)] + report.groups.map { line($0.key ?? "(none)", $0.figures) })
      .joined(separator: "\n")
  }

  static func text(_ diff: RunDiff) -> String {
    var lines = [
      "A \(diff.a.traceID): \(diff.a.status.rawValue), \(diff.a.steps.count) steps, \(diff.a.errors) errors",
      "B \(diff.b.traceID): \(diff.b.status.rawValue), \(diff.b.steps.count) steps, \(diff.b.errors) errors",
    ]
    if let position = diff.firstDivergence {
      let entry = diff.alignment[position]
      let left = entry.a.map { diff.a.steps[$0].summary } ?? "nothing"
      let right = entry.b.map { diff.b.steps[$0].summary } ?? "nothing"
      lines.append(
        "First divergence at step \(position): A \(MCPText.clip(left, limit: 200)); B \(MCPText.clip(right, limit: 200))"
      )
    } else {
      lines.append("The runs take the same steps.")
    }
    for entry in diff.toolChanges {
      let step = entry.a.map { diff.a.steps[$0] } ?? entry.b.map { diff.b.steps[$0] }
      let change = entry.change == .changed ? "called with other arguments" : entry.change.rawValue
      lines.append("- tool \(step?.name ?? "?") \(change)")
    }
    lines.append(
      "Tokens B-A: input \(diff.b.tokens.inputTokens - diff.a.tokens.inputTokens), "
        + "output \(diff.b.tokens.outputTokens - diff.a.tokens.outputTokens)")
    return lines.joined(separator: "\n")
  }
}

extension TraceBrainRoutes {
  /// `GET /api/v1/usage?by=&status=&…&episode_id=`.
  func usage(_ request: Request) async throws -> Response {
    let parameters = QueryParameters(request)
    var filter = try parameters.traceFilter()
    filter.episodeID = parameters.string("episode_id")
    let grouping: UsageGrouping?
    do { grouping = try UsageAndDiff.grouping(parameters.string("by")) } catch {
      throw Refused(.unprocessableContent, error.message)
    }
    return HTTPReplies.json(.ok, try await UsageAndDiff.usage(store, filter, by: grouping).json)
  }

  /// `GET /api/v1/diff?a=&b=`.
  func diff(_ request: Request) async throws -> Response {
    let parameters = QueryParameters(request)
    guard let first = parameters.string("a"), let second = parameters.string("b") else {
      throw Refused(.unprocessableContent, "give the two trace ids as a and b")
    }
    return HTTPReplies.json(.ok, try await UsageAndDiff.diff(store, first, second).json)
  }
}

extension MCPTools {
  static let usageDefinitions: [Tool] = [
    Tool(
      name: "usage_summary",
      description:
        "LLM calls, tokens (input, output, cached, reasoning), cost in USD (null where a model has no price), latency percentiles and errors of stored runs, in total and grouped.",
      inputSchema: .object([
        "type": "object",
        "properties": .object([
          "by": ["type": "string", "enum": ["model", "tool", "agent", "episode", "day"]],
          "status": ["type": "string", "enum": ["running", "completed", "needs_review", "failed"]],
          "min_rating": integer(in: ParameterBounds.rating), "episode_id": ["type": "string"],
        ]),
        "required": [],
      ]),
      annotations: .init(readOnlyHint: true)),
    Tool(
      name: "diff_runs",
      description:
        "Two runs of one task side by side: steps aligned, the first divergence, tool calls added, removed or with other arguments, errors, outcome, token and latency deltas.",
      inputSchema: .object([
        "type": "object",
        "properties": .object(["trace_a": ["type": "string"], "trace_b": ["type": "string"]]),
        "required": ["trace_a", "trace_b"],
      ]),
      annotations: .init(readOnlyHint: true)),
  ]

  /// `usage_summary` and `diff_runs`; nil for another tool.
  func runUsageTool(_ name: String, _ arguments: Arguments) async throws -> (String, JSONValue)? {
    switch name {
    case "usage_summary":
      let filter = try arguments.traceFilter()
      let report = try await UsageAndDiff.usage(
        store, filter, by: try UsageAndDiff.grouping(arguments.string("by")))
      return (UsageAndDiff.text(report), report.json)
    case "diff_runs":
      let diff = try await UsageAndDiff.diff(
        store, try arguments.requiredString("trace_a"), try arguments.requiredString("trace_b"))
      return (UsageAndDiff.text(diff), diff.json)
    default:
      return nil
    }
  }
}

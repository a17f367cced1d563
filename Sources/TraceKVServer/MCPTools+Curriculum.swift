import MCP
import TraceKV

/// The `failure_curriculum` tool: the store's failed runs, clustered, each
/// cluster with the remediation task written from its evidence.
extension MCPTools {
  static let curriculumDefinition = Tool(
    name: "failure_curriculum",
    description:
      "Group the failed runs (human rating below 3, status failed or needs_review, a critical error type, or confidence below 0.75) by error type, failing tool and similarity, with one remediation task per group.",
    inputSchema: .object([
      "type": "object",
      "properties": .object([
        "error_type": ["type": "string"], "episode_id": ["type": "string"],
        "min_cluster": integer(in: 1...Limits.maximumCurriculumRuns, default: 1),
        "limit": integer(in: ParameterBounds.experienceLimit, default: 10),
      ]),
      "required": [],
    ]),
    annotations: .init(readOnlyHint: true))

  func failureCurriculum(_ arguments: Arguments) async throws -> (String, JSONValue) {
    let filter = try arguments.traceFilter()
    var options = CurriculumOptions()
    options.minClusterSize = try arguments.int("min_cluster", in: 1...Limits.maximumCurriculumRuns) ?? 1
    let limit = try arguments.int("limit", in: ParameterBounds.experienceLimit) ?? 10
    var curriculum = try await HTTPReplies.offload { [store, filter, options] in
      try store.curriculum(filter, options: options)
    }
    curriculum.clusters = Array(curriculum.clusters.prefix(limit))
    return (Self.curriculumText(curriculum), curriculum.json)
  }

  static func curriculumText(_ curriculum: Curriculum) -> String {
    guard !curriculum.clusters.isEmpty else {
      return "No failure clusters (\(curriculum.failedRuns) failed runs)."
    }
    var lines = ["\(curriculum.failedRuns) failed runs; the \(curriculum.clusters.count) largest clusters:"]
    for (index, cluster) in curriculum.clusters.enumerated() {
      lines.append(
        "\(index + 1). \(cluster.size) run\(cluster.size == 1 ? "" : "s"), error \(cluster.errorType?.rawValue ?? "unnamed"), "
          + "tool \(cluster.failingTool ?? "none"), representative \(cluster.representative.traceID)")
      if let error = cluster.commonError { lines.append("   error: \(MCPText.clip(error))") }
      lines.append("   task: \(MCPText.clip(cluster.task.content, limit: 600))")
    }
    return lines.joined(separator: "\n")
  }
}

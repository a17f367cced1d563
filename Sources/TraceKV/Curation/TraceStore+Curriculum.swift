extension Limits {
  /// Most failed runs one curriculum clusters: the newest ones (by event
  /// time) are taken, the rest counted. Clustering compares each run with
  /// the clusters of its group, so the cost grows with the square of this.
  public static let maximumCurriculumRuns = 2_000
  /// Most example tasks quoted per cluster.
  public static let maximumCurriculumExamples = 20
}

/// How `TraceStore.curriculum` clusters and what it reports.
public struct CurriculumOptions: Sendable, Equatable {
  /// Clusters with fewer runs are left out of the report (and get no task);
  /// 1 … `Limits.maximumCurriculumRuns`.
  public var minClusterSize: Int
  /// Cosine similarity (0 … 1) of the stored embeddings at which a run joins
  /// a cluster of its group.
  public var similarity: Double
  /// Example tasks per cluster, 0 … `Limits.maximumCurriculumExamples`.
  public var examples: Int
  /// How many of the newest failed runs are clustered, 1 … `Limits.maximumCurriculumRuns`.
  public var maximumRuns: Int

  /// The default similarity, chosen on the labelled failures of
  /// `Tests/TraceKVTests/Curriculum` (README "Failure curriculum").
  public static let defaultSimilarity = 0.5

  public init(
    minClusterSize: Int = 1, similarity: Double = CurriculumOptions.defaultSimilarity, examples: Int = 3,
    maximumRuns: Int = Limits.maximumCurriculumRuns
  ) {
    self.minClusterSize = minClusterSize
    self.similarity = similarity
    self.examples = examples
    self.maximumRuns = maximumRuns
  }

  /// Refuses values out of the documented ranges (`invalidInput`).
  public func validate() throws(TraceKVError) {
    let runs = 1...Limits.maximumCurriculumRuns
    guard runs.contains(minClusterSize) else {
      throw .invalid(
        "the minimum cluster size must be 1 to \(Limits.maximumCurriculumRuns), not \(minClusterSize)")
    }
    guard runs.contains(maximumRuns) else {
      throw .invalid(
        "the number of runs to cluster must be 1 to \(Limits.maximumCurriculumRuns), not \(maximumRuns)")
    }
    guard (0...1).contains(similarity) else {
      throw .invalid("the similarity must be 0 to 1, not \(similarity)")
    }
    guard (0...Limits.maximumCurriculumExamples).contains(examples) else {
      throw .invalid(
        "the examples per cluster must be 0 to \(Limits.maximumCurriculumExamples), not \(examples)")
    }
  }
}

/// Failed runs that failed alike, with the task that trains against them.
public struct FailureCluster: Sendable, Hashable {
  /// The runs, newest first.
  public var runs: [FailedRun]
  /// The medoid: the run most similar to the others.
  public var representative: FailedRun
  /// The critical error type the runs share; nil when none named one.
  public var errorType: ErrorType?
  /// The failing tool the runs share; nil when they called none.
  public var failingTool: String?
  /// The error message most runs share.
  public var commonError: String?
  /// Distinct tasks of the runs, representative first.
  public var exampleTasks: [String]
  public var task: CurriculumTask

  public var size: Int { runs.count }
}

/// The failure curriculum of a store: its failed runs, clustered.
public struct Curriculum: Sendable, Hashable {
  /// Failed runs among the filtered traces.
  public var failedRuns: Int
  /// Of those, the newest ones clustered (at most the options' maximum).
  public var clusteredRuns: Int
  /// Clusters of at least the minimum size, largest first (ties: newest run first).
  public var clusters: [FailureCluster]
  /// Clusters left out for being smaller than the minimum size.
  public var smallClusters: Int
}

extension TraceStore {
  /// Clusters the failed runs among the traces `filter` matches (TraceBrain's
  /// definition: `Trace.failureReasons`) by error type, failing tool and the
  /// similarity of their stored embeddings (`FailureClustering`), and writes
  /// one remediation task per cluster from its evidence. Offline: no model
  /// is called; a store without vectors clusters by error type and tool alone.
  /// One read transaction.
  public func curriculum(
    _ filter: TraceFilter = TraceFilter(), options: CurriculumOptions = CurriculumOptions()
  ) throws(TraceKVError) -> Curriculum {
    try options.validate()
    return try read { transaction in
      let state = try search.state(in: transaction, tables: tables)
      var runs: [FailedRun] = []
      var vectors: [[Float]?] = []
      var failed = 0
      try forEachRecord(matching: filter, in: transaction) { doc, record in
        guard !record.trace.failureReasons.isEmpty else { return true }
        failed += 1
        guard runs.count < options.maximumRuns else { return true }
        if let run = FailedRun(
          trace: record.trace, eventTime: record.eventTime, spans: try spanViews(of: doc, in: transaction))
        {
          runs.append(run)
          vectors.append(state.vectors?.vector(label: doc))
        }
        return true
      }
      let clustering = FailureClustering(threshold: Float(options.similarity))
      let clusters = clustering.cluster(
        zip(runs, vectors).map {
          FailureClustering.Run(errorType: $0.errorType, tool: $0.failingTool, vector: $1)
        })
      var kept: [FailureCluster] = []
      for cluster in clusters where cluster.members.count >= options.minClusterSize {
        let members = cluster.members.map { runs[$0] }
        let representative = runs[cluster.medoid]
        var examples: [String] = []
        for task in [representative.task] + members.map(\.task) {
          if let task, examples.count < options.examples, !examples.contains(task) { examples.append(task) }
        }
        // Runs of one cluster share their tool; those with a named error type share it.
        let errorType = members.lazy.compactMap(\.errorType).first
        let tool = representative.failingTool
        kept.append(
          FailureCluster(
            runs: members, representative: representative, errorType: errorType, failingTool: tool,
            commonError: RemediationTask.commonError(members, errorType: errorType), exampleTasks: examples,
            task: RemediationTask.make(
              runs: members, representative: representative, errorType: errorType, tool: tool,
              examples: examples)))
      }
      // Largest first; ties keep the order of their newest run (input order).
      let order = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1.traceID, $0) })
      kept.sort { ($0.size, order[$1.runs[0].traceID]!) > ($1.size, order[$0.runs[0].traceID]!) }
      return Curriculum(
        failedRuns: failed, clusteredRuns: runs.count, clusters: kept,
        smallClusters: clusters.count - kept.count)
    }
  }
}

extension FailureCluster {
  /// `{"id", "size", "error_type", "failing_tool", "representative",
  /// "common_error", "example_tasks", "trace_ids", "difficulty", "focus",
  /// "task", "reasoning"}`: the CLI, REST and MCP all print these members.
  public var json: JSONValue {
    func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    return .object(
      JSONObject([
        "id": .string(task.id), "size": .int(size), "error_type": text(errorType?.rawValue),
        "failing_tool": text(failingTool), "representative": .string(representative.traceID),
        "common_error": text(commonError), "example_tasks": .array(exampleTasks.map(JSONValue.string)),
        "trace_ids": .array(runs.map { .string($0.traceID) }), "difficulty": .string(task.difficulty),
        "focus": .string(task.focus), "task": .string(task.content), "reasoning": .string(task.reasoning),
      ]))
  }
}

extension Curriculum {
  /// `{"failed_runs", "clustered_runs", "small_clusters", "clusters": [FailureCluster.json]}`.
  public var json: JSONValue {
    .object(
      JSONObject([
        "failed_runs": .int(failedRuns), "clustered_runs": .int(clusteredRuns),
        "small_clusters": .int(smallClusters),
        "clusters": .array(clusters.map(\.json)),
      ]))
  }

  /// The remediation tasks as TraceBrain's curriculum JSONL, one line per cluster.
  public var tasksJSONL: String {
    clusters.map { JSONWriter.compact($0.task.json) + "\n" }.joined()
  }
}

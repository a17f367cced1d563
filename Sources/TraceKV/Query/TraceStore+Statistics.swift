/// Counts over the whole store (docs/trace-format.md §5).
public struct StoreStatistics: Sendable, Equatable {
  public var totalTraces: Int
  public var totalSpans: Int
  public var tracesWithFeedback: Int
  /// Traces this store received in the last 24 hours.
  public var tracesLast24Hours: Int
  public var averageSpansPerTrace: Double
}

/// How often each tool was called.
public struct ToolUsage: Sendable, Equatable {
  /// Tool names with their call counts, most used first.
  public var tools: [(tool: String, count: Int)]
  public var totalToolCalls: Int

  public static func == (lhs: ToolUsage, rhs: ToolUsage) -> Bool {
    lhs.totalToolCalls == rhs.totalToolCalls && lhs.tools.elementsEqual(rhs.tools) { $0 == $1 }
  }
}

/// An episode: the attempts at one task.
public struct EpisodeSummary: Sendable, Equatable {
  public var episodeID: String
  /// The earliest event time of its traces.
  public var startTime: Timestamp
  public var traceCount: Int
  /// The lowest AI confidence among its traces, if any was evaluated.
  public var minConfidence: Double?
}

extension TraceStore {
  /// Counts of traces, spans, traces with feedback and traces of the last 24 hours, in one snapshot.
  /// - Throws: ``TraceKVError`` with kind `.corrupted` when a trace record does not decode, `.storage` when LMDB fails.
  public func statistics() throws(TraceKVError) -> StoreStatistics {
    try read { transaction in
      let dayAgo = Timestamp.now.microseconds - 86_400_000_000
      var traces = 0
      var withFeedback = 0
      var recent = 0
      var spans = 0
      try transaction.scan(tables.traces) { _, value in
        let record = try TraceRecord.decode(value)
        traces += 1
        spans += record.spanCount
        if record.trace.feedback != nil { withFeedback += 1 }
        if record.trace.createdAt.microseconds >= dayAgo { recent += 1 }
        return true
      }
      return StoreStatistics(
        totalTraces: traces, totalSpans: spans, tracesWithFeedback: withFeedback, tracesLast24Hours: recent,
        averageSpansPerTrace: traces == 0 ? 0 : Double(spans) / Double(traces))
    }
  }

  /// Tool spans counted per tool name. A tool span without a name is not
  /// counted, as TraceBrain's analytics skip it.
  /// - Throws: ``TraceKVError`` with kind `.corrupted` when a span record does not decode, `.storage` when LMDB fails.
  public func toolUsage() throws(TraceKVError) -> ToolUsage {
    try read { transaction in
      var counts: [String: Int] = [:]
      try transaction.scan(tables.spans) { _, value in
        let span = try SpanRecord.decodeView(value)
        if span.type == .toolExecution, let name = span.toolName, !name.isEmpty { counts[name, default: 0] += 1 }
        return true
      }
      let tools = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
      return ToolUsage(tools: tools.map { (tool: $0.key, count: $0.value) }, totalToolCalls: counts.values.reduce(0, +))
    }
  }

  /// Every episode, most recently started first.
  /// - Throws: ``TraceKVError`` with kind `.corrupted` when an episode-index entry does not decode or names a trace
  ///   without a record or episode, `.storage` when LMDB fails.
  public func episodes() throws(TraceKVError) -> [EpisodeSummary] {
    try read { transaction in
      var byEpisode: [String: EpisodeSummary] = [:]
      try transaction.scan(tables.byEpisode) { key, _ in
        let doc = try Keys.document(in: key, at: key.byteCount - 4)
        guard let record = try record(doc, in: transaction), let episode = record.trace.episodeID else {
          throw TraceKVError(.corrupted, "by-episode names document \(doc), which has no episode record")
        }
        let confidence = record.trace.aiEvaluation?.confidence
        if var summary = byEpisode[episode] {
          summary.traceCount += 1
          summary.startTime = min(summary.startTime, Timestamp(microseconds: record.eventTime))
          if let confidence { summary.minConfidence = min(summary.minConfidence ?? confidence, confidence) }
          byEpisode[episode] = summary
        } else {
          byEpisode[episode] = EpisodeSummary(
            episodeID: episode, startTime: Timestamp(microseconds: record.eventTime), traceCount: 1,
            minConfidence: confidence)
        }
        return true
      }
      return byEpisode.values.sorted { ($0.startTime, $0.episodeID) > ($1.startTime, $1.episodeID) }
    }
  }

  /// The traces of one episode, newest first.
  /// - Throws: ``TraceKVError`` as `list(_:limit:offset:)`: `.corrupted` or `.storage`.
  public func episode(_ episodeID: String) throws(TraceKVError) -> [TraceSummary] {
    try list(TraceFilter(episodeID: episodeID), limit: .max).traces
  }
}

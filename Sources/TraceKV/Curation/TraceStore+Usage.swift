extension TraceStore {
  /// LLM calls, tokens, cost, latency percentiles and errors of the traces
  /// `filter` selects, in total and grouped, from one read snapshot.
  ///
  /// Tokens come from each LLM call (`tracebrain.usage` of `llm_inference`
  /// spans) only: agent spans' aggregates and call wrappers carry none, so
  /// nothing is counted twice. Cost is priced per model from `prices`; where
  /// a call has no price the cost is nil, never a guess.
  /// - Complexity: O(spans of the selected traces); keeps one latency per step
  ///   for the percentiles.
  public func usage(
    _ filter: TraceFilter = TraceFilter(), by grouping: UsageGrouping? = nil,
    prices: PriceTable = PriceTable()
  ) throws(TraceKVError) -> UsageReport {
    try read { transaction in
      var total = UsageAccumulator()
      var groups: [String?: UsageAccumulator] = [:]
      var position = 0
      try forEachRecord(matching: filter, in: transaction) { doc, record in
        var trace = record.trace
        trace.spans = try spans(of: doc, in: transaction)
        let eventDay = Self.day(Timestamp(microseconds: record.eventTime))
        for step in RunSteps.executed(trace) {
          total.add(step, trace: position)
          guard let grouping else { continue }
          let key: String?
          switch grouping {
          case .model:
            guard step.kind == .llm else { continue }
            key = step.name
          case .tool:
            guard step.kind == .tool else { continue }
            key = step.name
          case .agent: key = step.agent
          case .episode: key = trace.episodeID
          case .day: key = step.startTime.map(Self.day) ?? eventDay
          }
          groups[key, default: UsageAccumulator()].add(step, trace: position)
        }
        position += 1
        return true
      }
      return UsageReport(
        total: total.finish(prices),
        groups: groups.map { UsageGroup(key: $0.key, figures: $0.value.finish(prices)) }.sorted {
          nilLast($0.key, $1.key)
        },
        grouping: grouping, pricesOrigin: prices.origin, pricesAsOf: prices.asOf)
    }
  }

  /// `YYYY-MM-DD` of an instant, in UTC.
  static func day(_ time: Timestamp) -> String { String(Timestamp.format(time.microseconds).prefix(10)) }
}

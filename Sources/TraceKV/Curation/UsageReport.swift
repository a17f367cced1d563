import Foundation

/// How `TraceStore.usage` groups its figures.
public enum UsageGrouping: String, Sendable, CaseIterable {
  /// LLM calls by model (`tracebrain.llm.model`); tool calls are in no group.
  case model
  /// Tool calls by tool name; LLM calls are in no group.
  case tool
  /// Every step by the agent that ran it (`tracekv.agent.name` of the span, an ancestor or the trace).
  case agent
  /// Every step by its trace's episode.
  case episode
  /// Every step by the UTC day it started (`YYYY-MM-DD`; a step without a start: its trace's event time).
  case day
}

/// Latency percentiles in milliseconds, by the nearest-rank definition.
public struct LatencyPercentiles: Sendable, Hashable {
  public var p50: Double
  public var p95: Double
  public var p99: Double
}

// In an extension, so that the memberwise initializer stays (internal: a report is computed, not built).
extension LatencyPercentiles {
  /// The percentiles of `samples`; nil when there are none.
  public init?(_ samples: [Double]) {
    guard !samples.isEmpty else { return nil }
    let sorted = samples.sorted()
    p50 = Self.nearestRank(50, ofSorted: sorted)
    p95 = Self.nearestRank(95, ofSorted: sorted)
    p99 = Self.nearestRank(99, ofSorted: sorted)
  }

  /// The nearest-rank percentile: of n samples sorted ascending, the one at
  /// rank ⌈p·n/100⌉ (1-based), i.e. the smallest sample that at least p% of
  /// the samples do not exceed. Always a measured value, never interpolated.
  public static func nearestRank(_ percent: Int, ofSorted sorted: [Double]) -> Double {
    precondition(
      !sorted.isEmpty && (1...100).contains(percent), "nearestRank needs samples and 1 <= p <= 100")
    let rank = (percent * sorted.count + 99) / 100
    return sorted[rank - 1]
  }
}

/// Usage figures of a set of steps: the whole selection, or one group.
public struct UsageFigures: Sendable, Hashable {
  /// LLM calls (`llm_inference` spans; stacked instrumentations count once, see `LLMCallResolver`).
  public var llmCalls = 0
  public var tokens = TokenUsage()
  /// US dollars; nil when an LLM call has no price (its model is not in the
  /// table, it names no model, or it read cached tokens at an unknown cached price).
  public var cost: Decimal?
  /// The LLM calls without a price.
  public var unpricedCalls = 0
  /// The models of those calls, sorted; nil stands for a call naming no model.
  public var unpricedModels: [String?] = []
  /// Tool executions (`tool_execution` spans).
  public var toolCalls = 0
  /// LLM calls and tool executions marked errors.
  public var llmErrors = 0
  public var toolErrors = 0
  /// Per LLM call; nil when no call has both times.
  public var latency: LatencyPercentiles?
  /// Per tool execution.
  public var toolLatency: LatencyPercentiles?
  /// Traces with at least one step counted here.
  public var traces = 0

  public init() {}

  public var errors: Int { llmErrors + toolErrors }
  /// Errors over steps (LLM calls and tool executions); nil without steps.
  public var errorRate: Double? {
    llmCalls + toolCalls == 0 ? nil : Double(errors) / Double(llmCalls + toolCalls)
  }
}

/// One group of a usage report.
public struct UsageGroup: Sendable, Hashable {
  /// The model, tool, agent, episode or day; nil for steps that have none.
  public var key: String?
  public var figures: UsageFigures
}

/// What `TraceStore.usage` returns.
public struct UsageReport: Sendable, Hashable {
  public var total: UsageFigures
  /// Sorted by key (a day ascending, text by code points), the nil key last.
  public var groups: [UsageGroup]
  public var grouping: UsageGrouping?
  /// The price table used (its `origin`, e.g. a path or "built-in").
  public var pricesOrigin: String
  public var pricesAsOf: String?
}

/// Sums steps into figures; keeps each latency to take percentiles at the end.
struct UsageAccumulator {
  private var figures = UsageFigures()
  private var latencies: [Double] = []
  private var toolLatencies: [Double] = []
  /// Tokens per model, priced once at the end.
  private var tokensByModel: [String?: TokenUsage] = [:]
  private var callsByModel: [String?: Int] = [:]
  private var lastTrace: Int?

  mutating func add(_ step: RunStep, trace: Int) {
    if lastTrace != trace {
      figures.traces += 1
      lastTrace = trace
    }
    switch step.kind {
    case .llm:
      figures.llmCalls += 1
      figures.tokens += step.tokens
      tokensByModel[step.name, default: TokenUsage()] += step.tokens
      callsByModel[step.name, default: 0] += 1
      if step.isError { figures.llmErrors += 1 }
      if let latency = step.latencyMilliseconds { latencies.append(latency) }
    case .tool:
      figures.toolCalls += 1
      if step.isError { figures.toolErrors += 1 }
      if let latency = step.latencyMilliseconds { toolLatencies.append(latency) }
    }
  }

  func finish(_ prices: PriceTable) -> UsageFigures {
    var result = figures
    result.latency = LatencyPercentiles(latencies)
    result.toolLatency = LatencyPercentiles(toolLatencies)
    var cost: Decimal = 0
    var unpriced: [String?] = []
    for (model, tokens) in tokensByModel {
      if let price = prices.price(for: model), let modelCost = price.cost(tokens) {
        cost += modelCost
      } else {
        unpriced.append(model)
        result.unpricedCalls += callsByModel[model] ?? 0
      }
    }
    result.unpricedModels = unpriced.sorted(by: nilLast)
    result.cost = unpriced.isEmpty ? cost : nil
    return result
  }
}

/// Orders optional keys by their text, nil last.
func nilLast(_ lhs: String?, _ rhs: String?) -> Bool {
  switch (lhs, rhs) {
  case (let left?, let right?): left < right
  case (.some, nil): true
  default: false
  }
}

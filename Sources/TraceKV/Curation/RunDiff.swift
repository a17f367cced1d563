/// Two runs of one task side by side (`TraceStore.diff`): their steps
/// aligned, where they first part, what changed in tool calls, errors,
/// outcome, tokens and time.
public struct RunDiff: Sendable, Hashable {
  /// One run's outcome and totals.
  public struct Run: Sendable, Hashable {
    public var traceID: String
    public var status: TraceStatus
    /// The human rating, else the AI evaluation's.
    public var rating: Int?
    /// The last LLM call's `final_answer` (time order), if any.
    public var finalAnswer: String?
    /// LLM calls and tool calls in time order (see `RunSteps.forDiff`).
    public var steps: [RunStep]
    public var tokens: TokenUsage
    public var llmCalls: Int
    public var toolCalls: Int
    public var errors: Int
    /// First span start to last span end, in milliseconds; nil without times.
    public var durationMilliseconds: Double?
    /// Sums of the steps' latencies, in milliseconds.
    public var llmMilliseconds: Double
    public var toolMilliseconds: Double
  }

  /// How an aligned position relates the runs.
  public enum Change: String, Sendable, Hashable {
    /// The same step: same kind and name, same arguments, same error state.
    case same
    /// Paired steps that differ (see `differences`).
    case changed
    /// A step of A with no counterpart in B.
    case removed
    /// A step of B with no counterpart in A.
    case added
  }

  /// What differs between two paired steps.
  public enum Difference: String, Sendable, Hashable {
    /// An LLM call to another model.
    case model
    /// A tool called with other arguments.
    case arguments
    /// One of the two failed.
    case error
  }

  public struct AlignedStep: Sendable, Hashable {
    public var change: Change
    /// Indexes into `a.steps` and `b.steps`.
    public var a: Int?
    public var b: Int?
    public var differences: [Difference]
  }

  public var a: Run
  public var b: Run
  public var alignment: [AlignedStep]

  /// The first aligned position that is not `same`; nil when the runs take the same steps.
  public var firstDivergence: Int? { alignment.firstIndex { $0.change != .same } }

  /// Tool calls of B that A did not make, calls of A that B did not make,
  /// and paired calls with other arguments, in alignment order.
  public var toolChanges: [AlignedStep] {
    alignment.filter { entry in
      let step = entry.a.map { a.steps[$0] } ?? entry.b.map { b.steps[$0] }
      guard step?.kind == .tool else { return false }
      return entry.change == .added || entry.change == .removed || entry.differences.contains(.arguments)
    }
  }
}

extension RunDiff {
  /// Aligns the steps of two traces. Steps pair when they are of one kind and
  /// name the same tool (score 2) or are LLM calls, of the same model (2) or
  /// not (1); a step left alone scores -1. Tool calls of different tools never
  /// pair: one was removed and the other added.
  /// - Throws: `invalidInput` when the steps' product passes `Limits.maximumDiffAlignmentCells`.
  init(_ first: Trace, _ second: Trace) throws(TraceKVError) {
    a = Self.run(first)
    b = Self.run(second)
    let (stepsA, stepsB) = (a.steps, b.steps)
    let cells = stepsA.count.multipliedReportingOverflow(by: stepsB.count)
    guard !cells.overflow, cells.partialValue <= Limits.maximumDiffAlignmentCells else {
      throw TraceKVError.invalid(
        "the runs have \(stepsA.count) and \(stepsB.count) steps; a diff aligns at most "
          + "\(Limits.maximumDiffAlignmentCells) step pairs (e.g. 4,096 × 4,096)")
    }
    let operations = SequenceAlignment.align(stepsA.count, stepsB.count, gap: -1) { i, j in
      let (left, right) = (stepsA[i], stepsB[j])
      guard left.kind == right.kind else { return nil }
      if left.name == right.name { return 2 }
      return left.kind == .llm ? 1 : nil
    }
    alignment = operations.map { operation in
      switch operation {
      case .onlyFirst(let i): return AlignedStep(change: .removed, a: i, b: nil, differences: [])
      case .onlySecond(let j): return AlignedStep(change: .added, a: nil, b: j, differences: [])
      case .pair(let i, let j):
        let (left, right) = (stepsA[i], stepsB[j])
        var differences: [Difference] = []
        if left.kind == .llm, left.name != right.name { differences.append(.model) }
        if left.kind == .tool, left.arguments != right.arguments { differences.append(.arguments) }
        if left.isError != right.isError { differences.append(.error) }
        return AlignedStep(
          change: differences.isEmpty ? .same : .changed, a: i, b: j, differences: differences)
      }
    }
  }

  private static func run(_ trace: Trace) -> Run {
    let steps = RunSteps.forDiff(trace)
    var tokens = TokenUsage()
    for step in steps { tokens += step.tokens }
    let starts = trace.spans.compactMap(\.startTime)
    let ends = trace.spans.compactMap(\.endTime)
    var duration: Double?
    if let start = starts.min(), let end = ends.max(), end >= start {
      duration = Double(end.microseconds - start.microseconds) / 1000
    }
    func sum(_ kind: RunStep.Kind) -> Double {
      // To the microsecond the spans hold, so float noise never shows.
      (steps.filter { $0.kind == kind }.compactMap(\.latencyMilliseconds).reduce(0, +) * 1000).rounded()
        / 1000
    }
    return Run(
      traceID: trace.traceID, status: trace.status, rating: trace.rating,
      finalAnswer: trace.spansInTimeOrder.last { $0.isLLM && $0.finalAnswer != nil }?.finalAnswer,
      steps: steps,
      tokens: tokens, llmCalls: steps.count(where: { $0.kind == .llm }),
      toolCalls: steps.count(where: { $0.kind == .tool }),
      errors: steps.count(where: \.isError), durationMilliseconds: duration, llmMilliseconds: sum(.llm),
      toolMilliseconds: sum(.tool))
  }
}

extension TraceStore {
  /// Two runs side by side, read in one snapshot; nil when the store lacks
  /// either trace.
  /// - Throws: `invalidInput` past `Limits.maximumDiffAlignmentCells`.
  /// - Complexity: O(n·m) for runs of n and m steps.
  public func diff(_ first: String, _ second: String) throws(TraceKVError) -> RunDiff? {
    let traces = try read { transaction -> (Trace, Trace)? in
      func load(_ traceID: String) throws -> Trace? {
        guard let doc = try document(of: traceID, in: transaction),
          let record = try record(doc, in: transaction)
        else {
          return nil
        }
        var trace = record.trace
        trace.spans = try spans(of: doc, in: transaction)
        return trace
      }
      guard let a = try load(first), let b = try load(second) else { return nil }
      return (a, b)
    }
    guard let (a, b) = traces else { return nil }
    return try RunDiff(a, b)
  }
}

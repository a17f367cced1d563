/// What a trace's model calls did, counted once each: LLM calls, the tool
/// calls the model asked for (apart from the tool executions the trace
/// recorded, which may differ: a call refused, retried or run elsewhere), and
/// the tokens of the calls (`tracebrain.usage` of `llm_inference` spans, which
/// OTLP ingest writes per call only, so agent totals are not added again).
public struct LLMCallSummary: Sendable, Equatable {
  public var llmCalls = 0
  /// The names of the tools the model asked for, in call order.
  public var toolCallsRequested: [String] = []
  /// `tool_execution` spans.
  public var toolExecutions = 0
  public var inputTokens = 0
  public var outputTokens = 0
  public var cachedTokens = 0
  public var reasoningTokens = 0

  public init() {}

  /// `{llm_calls, tool_calls_requested, tool_executions, usage: {input_tokens, output_tokens, cached_tokens, reasoning_tokens}}`.
  public var json: JSONValue {
    .object(
      JSONObject([
        "llm_calls": .int(llmCalls), "tool_calls_requested": .array(toolCallsRequested.map(JSONValue.string)),
        "tool_executions": .int(toolExecutions),
        "usage": .object(
          JSONObject([
            "input_tokens": .int(inputTokens), "output_tokens": .int(outputTokens),
            "cached_tokens": .int(cachedTokens), "reasoning_tokens": .int(reasoningTokens),
          ])),
      ]))
  }
}

extension TraceStore {
  /// Counts a trace's LLM calls, requested tool calls, tool executions and
  /// tokens; nil for a trace the store does not hold.
  /// - Throws: ``TraceKVError`` as `trace(id:)`: `.corrupted` when a stored record or key does not decode, `.storage`
  ///   when LMDB fails; never `.notFound` (a trace the store does not hold gives nil).
  public func callSummary(traceID: String) throws(TraceKVError) -> LLMCallSummary? {
    guard let trace = try trace(id: traceID) else { return nil }
    var summary = LLMCallSummary()
    for span in trace.spansInTimeOrder {
      if span.isTool { summary.toolExecutions += 1 }
      guard span.isLLM else { continue }
      summary.llmCalls += 1
      summary.toolCallsRequested += span.replyMessages.flatMap { $0.toolCalls ?? [] }.map(\.name)
      let tokens = TokenUsage(span)
      summary.inputTokens += tokens.inputTokens
      summary.outputTokens += tokens.outputTokens
      summary.cachedTokens += tokens.cachedTokens
      summary.reasoningTokens += tokens.reasoningTokens
    }
    return summary
  }
}

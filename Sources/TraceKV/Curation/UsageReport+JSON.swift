import Foundation

extension LatencyPercentiles {
  /// `{"p50", "p95", "p99"}` in milliseconds.
  public var json: JSONValue {
    .object(JSONObject(["p50": .double(p50), "p95": .double(p95), "p99": .double(p99)]))
  }
}

extension UsageFigures {
  /// `{llm_calls, input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost, unpriced_llm_calls,
  /// unpriced_models, tool_calls, errors, llm_errors, tool_errors, error_rate, latency_ms, tool_latency_ms,
  /// traces}`; `cost` is null where a price is missing, a latency null without timed steps.
  public var jsonMembers: JSONObject {
    JSONObject([
      "llm_calls": .int(llmCalls), "input_tokens": .int(tokens.inputTokens),
      "output_tokens": .int(tokens.outputTokens),
      "cached_tokens": .int(tokens.cachedTokens), "reasoning_tokens": .int(tokens.reasoningTokens),
      "cost": cost.map(JSONValue.decimal) ?? .null, "unpriced_llm_calls": .int(unpricedCalls),
      "unpriced_models": .array(unpricedModels.map { $0.map(JSONValue.string) ?? .null }),
      "tool_calls": .int(toolCalls), "errors": .int(errors), "llm_errors": .int(llmErrors),
      "tool_errors": .int(toolErrors), "error_rate": errorRate.map(JSONValue.double) ?? .null,
      "latency_ms": latency?.json ?? .null, "tool_latency_ms": toolLatency?.json ?? .null,
      "traces": .int(traces),
    ])
  }
}

extension UsageReport {
  /// `{"grouped_by", "prices": {"origin", "as_of"}, "total": {figures}, "groups": [{"key", figures}]}`
  /// (figures: `UsageFigures.jsonMembers`).
  public var json: JSONValue {
    let groupObjects: [JSONValue] = groups.map { group in
      var object = JSONObject(["key": group.key.map(JSONValue.string) ?? .null])
      for (key, value) in group.figures.jsonMembers { object[key] = value }
      return .object(object)
    }
    return .object(
      JSONObject([
        "grouped_by": grouping.map { .string($0.rawValue) } ?? .null,
        "prices": .object(
          JSONObject(["origin": .string(pricesOrigin), "as_of": pricesAsOf.map(JSONValue.string) ?? .null])),
        "total": .object(total.jsonMembers), "groups": .array(groupObjects),
      ]))
  }
}

extension JSONValue {
  /// An exact decimal number (a cost): its plain decimal text.
  static func decimal(_ value: Decimal) -> JSONValue { .number(value.description) }
}

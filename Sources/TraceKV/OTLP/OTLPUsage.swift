/// Per-call token usage, normalized from every family's keys (the semantic
/// conventions' `gen_ai.usage.cache_read.input_tokens` and
/// `gen_ai.usage.reasoning.output_tokens`, and the older or vendor names) into
/// TraceBrain's `tracebrain.usage` object (`prompt_tokens`,
/// `completion_tokens`, `total_tokens`, plus `cached_tokens` and
/// `reasoning_tokens` when reported).
///
/// Only LLM calls carry it: agent-level totals (`invoke_agent` spans,
/// pydantic-ai's `gen_ai.aggregated_usage.*`) and the wrappers of a call
/// (`LLMCallResolver`) keep their original attributes but no
/// `tracebrain.usage`, so summing `tracebrain.usage` over a trace never
/// counts a token twice.
enum OTLPUsage {
  static let input = [
    "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt",
    "llm.usage.prompt_tokens",
  ]
  static let output = [
    "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion",
    "llm.usage.completion_tokens",
  ]
  static let total = ["gen_ai.usage.total_tokens", "llm.token_count.total", "llm.usage.total_tokens"]
  static let cached = [
    "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.input_tokens.cached",
    "gen_ai.usage.details.cache_read_tokens",
    "llm.token_count.prompt_details.cache_read",
  ]
  static let reasoning = [
    "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
    "gen_ai.usage.output_tokens.reasoning",
    "gen_ai.usage.details.reasoning_tokens", "llm.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
  ]

  /// The usage a span reports for itself; nil when none.
  static func perCall(_ attributes: JSONObject) -> JSONValue? {
    func value(_ keys: [String]) -> Int? {
      for key in keys {
        guard let value = attributes[key] else { continue }
        if let number = value.intValue { return number }
        if let text = value.stringValue, let number = Int(text) { return number }
      }
      return nil
    }
    let prompt = value(input)
    let completion = value(output)
    var totalTokens = value(total)
    if totalTokens == nil, let prompt, let completion { totalTokens = prompt + completion }
    guard prompt != nil || completion != nil || totalTokens != nil else { return nil }
    var usage = JSONObject()
    usage["prompt_tokens"] = prompt.map(JSONValue.int)
    usage["completion_tokens"] = completion.map(JSONValue.int)
    usage["total_tokens"] = totalTokens.map(JSONValue.int)
    usage["cached_tokens"] = value(cached).map(JSONValue.int)
    usage["reasoning_tokens"] = value(reasoning).map(JSONValue.int)
    return .object(usage)
  }
}

extension RunStep {
  /// `{index, kind, name, span_id, arguments, error, error_description, latency_ms, requested}`, plus
  /// the tokens of an LLM call.
  func json(index: Int) -> JSONValue {
    var object = JSONObject([
      "index": .int(index), "kind": .string(kind.rawValue), "name": name.map(JSONValue.string) ?? .null,
      "span_id": spanID.map(JSONValue.string) ?? .null, "arguments": arguments.map(JSONValue.string) ?? .null,
      "error": .bool(isError), "error_description": errorDescription.map(JSONValue.string) ?? .null,
      "latency_ms": latencyMilliseconds.map(JSONValue.double) ?? .null, "requested": .bool(requested),
    ])
    if kind == .llm {
      for (key, value) in tokens.jsonMembers { object[key] = value }
    }
    return .object(object)
  }
}

extension TokenUsage {
  var jsonMembers: JSONObject {
    JSONObject([
      "input_tokens": .int(inputTokens), "output_tokens": .int(outputTokens),
      "cached_tokens": .int(cachedTokens),
      "reasoning_tokens": .int(reasoningTokens),
    ])
  }
}

extension RunDiff.Run {
  /// The totals both runs and their delta share.
  fileprivate var totals: JSONObject {
    var object = JSONObject([
      "llm_calls": .int(llmCalls), "tool_calls": .int(toolCalls), "errors": .int(errors),
    ])
    for (key, value) in tokens.jsonMembers { object[key] = value }
    object["duration_ms"] = durationMilliseconds.map(JSONValue.double) ?? .null
    object["llm_ms"] = .double(llmMilliseconds)
    object["tool_ms"] = .double(toolMilliseconds)
    return object
  }

  /// `{trace_id, status, rating, final_answer, llm_calls, tool_calls, errors, input_tokens, output_tokens,
  /// cached_tokens, reasoning_tokens, duration_ms, llm_ms, tool_ms, steps: [...]}`.
  var json: JSONValue {
    var object = JSONObject([
      "trace_id": .string(traceID), "status": .string(status.rawValue),
      "rating": rating.map(JSONValue.int) ?? .null,
      "final_answer": finalAnswer.map(JSONValue.string) ?? .null,
    ])
    for (key, value) in totals { object[key] = value }
    object["steps"] = .array(steps.enumerated().map { $0.element.json(index: $0.offset) })
    return .object(object)
  }
}

extension RunDiff {
  /// B minus A for every total (null when either lacks it).
  var deltaJSON: JSONValue {
    let (left, right) = (a.totals, b.totals)
    var object = JSONObject()
    for (key, value) in right {
      guard let before = left[key]?.doubleValue, let after = value.doubleValue else {
        object[key] = .null
        continue
      }
      object[key] = .double(((after - before) * 1000).rounded() / 1000)
    }
    return .object(object)
  }

  func json(_ entry: AlignedStep, position: Int) -> JSONValue {
    .object(
      JSONObject([
        "position": .int(position), "change": .string(entry.change.rawValue),
        "a_index": entry.a.map(JSONValue.int) ?? .null, "b_index": entry.b.map(JSONValue.int) ?? .null,
        "a_step": entry.a.map { .string(a.steps[$0].summary) } ?? .null,
        "b_step": entry.b.map { .string(b.steps[$0].summary) } ?? .null,
        "differences": .array(entry.differences.map { .string($0.rawValue) }),
      ]))
  }

  /// `{"a": run, "b": run, "delta", "outcome": {same_status, same_final_answer, rating_delta},
  /// "first_divergence": aligned | null, "alignment": [aligned], "tool_changes": [...], "errors": [...]}`;
  /// aligned: `{position, change, a_index, b_index, a_step, b_step, differences}`.
  public var json: JSONValue {
    let toolChanges: [JSONValue] = toolChanges.map { entry in
      let step = entry.a.map { a.steps[$0] } ?? entry.b.map { b.steps[$0] }
      let change = entry.change == .changed ? "arguments" : entry.change.rawValue
      return .object(
        JSONObject([
          "change": .string(change), "tool": step?.name.map(JSONValue.string) ?? .null,
          "a_index": entry.a.map(JSONValue.int) ?? .null, "b_index": entry.b.map(JSONValue.int) ?? .null,
          "a_arguments": entry.a.flatMap { a.steps[$0].arguments }.map(JSONValue.string) ?? .null,
          "b_arguments": entry.b.flatMap { b.steps[$0].arguments }.map(JSONValue.string) ?? .null,
        ]))
    }
    var errors: [JSONValue] = []
    for (name, run) in [("a", a), ("b", b)] {
      for (index, step) in run.steps.enumerated() where step.isError {
        errors.append(
          .object(
            JSONObject([
              "run": .string(name), "index": .int(index), "step": .string(step.summary),
              "description": step.errorDescription.map(JSONValue.string) ?? .null,
            ])))
      }
    }
    let ratingDelta: JSONValue = a.rating.flatMap { left in b.rating.map { .int($0 - left) } } ?? .null
    return .object(
      JSONObject([
        "a": a.json, "b": b.json, "delta": deltaJSON,
        "outcome": .object(
          JSONObject([
            "same_status": .bool(a.status == b.status),
            "same_final_answer": .bool(a.finalAnswer == b.finalAnswer),
            "rating_delta": ratingDelta,
          ])),
        "first_divergence": firstDivergence.map { json(alignment[$0], position: $0) } ?? .null,
        "alignment": .array(alignment.enumerated().map { json($0.element, position: $0.offset) }),
        "tool_changes": .array(toolChanges), "errors": .array(errors),
      ]))
  }
}

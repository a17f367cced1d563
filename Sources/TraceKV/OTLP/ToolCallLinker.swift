/// Links OpenTelemetry tool spans to the LLM call that asked for them.
///
/// TraceBrain's turns take a step's tool output from the tool span whose
/// parent is that step's LLM span. OpenTelemetry agents make the tool span a
/// sibling of the LLM span instead (both are children of the agent span), so
/// for a tool span whose parent is not an LLM span this records the caller in
/// `tracekv.tool.llm_span_id`, which turns read in place of the parent:
/// 1. the LLM span whose reply holds a tool call with the tool span's call id
///    (`gen_ai.tool.call.id`, OpenInference `tool_call.id`);
/// 2. else the latest LLM span under the same parent that started no later.
/// Only the spans of one ingest are linked: a tool span whose caller arrived
/// in an earlier ingest keeps its parent.
enum ToolCallLinker {
  static func linked(_ spans: [Span]) -> [Span] {
    let byID = Dictionary(spans.map { ($0.spanID, $0) }, uniquingKeysWith: { first, _ in first })
    var callerOfCall: [String: String] = [:]
    // LLM spans per parent, by start time, for rule 2.
    var llmByParent: [String: [(start: Int64, spanID: String)]] = [:]
    for span in spans where span.isLLM {
      llmByParent[span.parentID ?? "", default: []].append((start(span), span.spanID))
      let calls = span.replyMessages.flatMap { $0.toolCalls ?? [] }
      for case let id? in calls.map(\.id) where callerOfCall[id] == nil {
        callerOfCall[id] = span.spanID
      }
    }
    for parent in llmByParent.keys { llmByParent[parent]!.sort { $0.start < $1.start } }

    return spans.map { span in
      guard span.isTool, span.attributes[SpanKey.toolCaller] == nil,
        span.parentID.flatMap({ byID[$0] })?.isLLM != true
      else { return span }
      let callID = (span.attributes["gen_ai.tool.call.id"] ?? span.attributes["tool_call.id"])?.stringValue
      guard
        let caller = callID.flatMap({ callerOfCall[$0] })
          ?? latest(llmByParent[span.parentID ?? ""], before: start(span))
      else { return span }
      var linked = span
      linked.attributes[SpanKey.toolCaller] = .string(caller)
      return linked
    }
  }

  /// The last span of `sorted` that started no later than `instant` (binary search).
  private static func latest(_ sorted: [(start: Int64, spanID: String)]?, before instant: Int64) -> String? {
    guard let sorted else { return nil }
    var low = 0
    var high = sorted.count
    while low < high {
      let middle = (low + high) / 2
      if sorted[middle].start <= instant { low = middle + 1 } else { high = middle }
    }
    return low > 0 ? sorted[low - 1].spanID : nil
  }

  private static func start(_ span: Span) -> Int64 { span.startTime?.microseconds ?? .min }
}

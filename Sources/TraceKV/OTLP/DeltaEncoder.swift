/// Stores OpenTelemetry LLM spans, which carry their whole prompt, as
/// TraceBrain deltas (`tracebrain.llm.new_content`), so a trajectory of n
/// steps costs O(n) bytes instead of the O(n²) of its cumulative prompts, and
/// `messages(traceID:)`, `turns(traceID:)` and `prompt(traceID:spanID:)`
/// rebuild every prompt exactly.
///
/// The rule, for each LLM span in start-time order (no time first, ties in
/// list order), with P its prompt as rendered by `OTLPMessages`:
/// 1. Its **context source** is the most recent LLM span of the trace (stored
///    or arriving, started no later, among the last `scanLimit`) whose
///    *context* — its rebuilt prompt, then its reply (`replyMessages`: the
///    recorded reply message with its tool calls, else the completion as an
///    assistant message), which is exactly what reconstruction appends after
///    a non-target span — is a prefix of P.
///    OpenTelemetry parents do not give this chain (an agent's LLM calls are
///    siblings), so the span records it: `tracekv.llm.context_from` = that
///    span's id, and `new_content` = the rest of P.
/// 2. No such span, but earlier LLM spans (the framework truncated or
///    rewrote history, or a sub-agent has another system prompt):
///    `new_content` = all of P, system messages included, and
///    `tracekv.llm.full_prompt` = true, so reconstruction starts afresh there
///    without the trace's system prompt; `context_from` names the latest
///    earlier step, so `turns` still show the steps before it.
/// 3. No earlier LLM span: the span starts the conversation. If P opens with
///    the trace's system prompt (or the trace has none), `context_from` = ""
///    and `new_content` = P without it; otherwise as rule 2, with no
///    `context_from`.
///
/// The trace's system prompt is the first system message of its first LLM
/// span, unless the store already holds LLM spans of the trace: then it stays
/// what it was, because those spans were encoded against it.
///
/// Why exact: reconstruction of a span linked to S is S's context followed by
/// the span's normalized `new_content`, and `OTLPMessages` renders every
/// message with a non-empty role and content, which normalization keeps as is.
/// Rules 2 and 3 start from what reconstruction puts first (the system prompt,
/// or nothing). So each rebuilt prompt is P, by induction in start order.
enum DeltaEncoder {
  /// How many earlier LLM spans rule 1 tries, most recent first. A bound,
  /// because a stored span's context must be rebuilt to be compared: without
  /// it, a span that continues nothing would rebuild every stored context
  /// (quadratic in time and memory on a long trace). A continued call further
  /// back than this is stored by rule 2 or 3: still exact, only larger.
  static let scanLimit = 256

  static func encode(_ incoming: inout IncomingTrace, stored: Reconstruction<SpanView>?) {
    guard let prompts = incoming.prompts else { return }
    let storedSpans = stored?.spans ?? []
    let storedIDs = Set(storedSpans.map(\.spanID))
    var spans = incoming.trace.spans
    // Spans the store holds are kept as stored by the merge: do not encode them again.
    let order = spans.indices.filter { index in
      spans[index].isLLM && !storedIDs.contains(spans[index].spanID)
        && spans[index].attributes[SpanKey.newContent] == nil
    }.sorted { start(spans[$0]) != start(spans[$1]) ? start(spans[$0]) < start(spans[$1]) : $0 < $1 }

    let systemPrompt: String?
    if let stored, stored.systemPrompt != nil || storedSpans.contains(where: { $0.type == .llmInference }) {
      systemPrompt = stored.systemPrompt
    } else {
      systemPrompt = order.lazy.compactMap { prompts[spans[$0].spanID]?.first }.first.flatMap {
        $0.role == "system" ? $0.content : nil
      }
    }
    incoming.trace.systemPrompt = systemPrompt
    let openingMessage = systemPrompt.flatMap { $0.isEmpty ? nil : ChatMessage(role: "system", content: $0) }

    var candidates = storedSpans.filter { $0.type == .llmInference }.map { view in
      Candidate(spanID: view.spanID, start: start(view), context: nil, stored: view)
    }.sorted { $0.start < $1.start }
    func context(_ index: Int) -> [ChatMessage] {
      if let known = candidates[index].context { return known }
      let view = candidates[index].stored!
      let context = stored!.prompt(of: view) + view.replyMessages
      candidates[index].context = context
      return context
    }

    for index in order {
      var attributes = spans[index].attributes
      defer { spans[index].attributes = attributes }
      guard let prompt = prompts[spans[index].spanID] else {
        attributes[SpanKey.contextFrom] = .string("")  // no prompt recorded: its context is the system prompt
        continue
      }
      let spanStart = start(spans[index])
      var source: (spanID: String, count: Int)?
      var scanned = 0
      for candidate in candidates.indices.reversed() where candidates[candidate].start <= spanStart {
        let known = context(candidate)
        if known.count <= prompt.count, prompt.starts(with: known) {
          source = (candidates[candidate].spanID, known.count)
          break
        }
        scanned += 1
        if scanned == scanLimit { break }
      }
      let delta: ArraySlice<ChatMessage>
      if let source {
        delta = prompt[source.count...]
        attributes[SpanKey.contextFrom] = .string(source.spanID)
      } else if let previous = candidates.last(where: { $0.start <= spanStart }) {
        // Not a continuation, but the step before it stays in the turns.
        delta = prompt[...]
        attributes[SpanKey.fullPrompt] = .bool(true)
        attributes[SpanKey.contextFrom] = .string(previous.spanID)
      } else if openingMessage == nil || prompt.first == openingMessage {
        delta = prompt.dropFirst(openingMessage == nil ? 0 : 1)
        attributes[SpanKey.contextFrom] = .string("")
      } else {
        delta = prompt[...]
        attributes[SpanKey.fullPrompt] = .bool(true)
      }
      attributes[SpanKey.newContent] = .string(newContent(delta))
      var placed = spans[index]
      placed.attributes = attributes
      let candidate = Candidate(
        spanID: spans[index].spanID, start: spanStart, context: prompt + placed.replyMessages, stored: nil)
      candidates.insert(candidate, at: candidates.lastIndex { $0.start <= spanStart }.map { $0 + 1 } ?? 0)
    }
    incoming.trace.spans = spans
  }

  /// An LLM span already placed, and the context it leaves (lazily rebuilt for stored spans).
  private struct Candidate {
    let spanID: String
    let start: Int64
    var context: [ChatMessage]?
    let stored: SpanView?
  }

  private static func start(_ span: some ReconstructableSpan) -> Int64 {
    span.startTime?.microseconds ?? .min
  }

  /// `new_content` as TraceBrain stores it: a JSON string of `[{role, content}]`,
  /// with `tool_calls`, `tool_call_id` and `reasoning` when a message has them.
  static func newContent(_ messages: ArraySlice<ChatMessage>) -> String {
    Reconstruction<Span>.encode(messages)
  }
}

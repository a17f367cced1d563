import Foundation
import TestSupport
import Testing

@testable import TraceKV

/// OpenTelemetry LLM spans carry whole prompts; the store keeps deltas and
/// must rebuild every prompt exactly (DeltaEncoder's rule).
@Suite struct OTLPDeltaTests {
  /// A synthetic agent conversation: a system prompt, then per step a user or
  /// tool message and the model's reply. Step k's prompt is everything before
  /// its reply. Lengths are seeded-random, 100 to 600 characters.
  struct Conversation {
    let system: String
    var turns: [(role: String, text: String, reply: String)] = []

    init(steps: Int, seed: UInt64 = 7) {
      var random = SeededGenerator(seed: seed)
      func text(_ label: String) -> String {
        let words = (0..<Int.random(in: 20...100, using: &random)).map { _ in
          [
            "tool", "result", "weather", "the", "agent", "calls", "error", "retry", "value", "\"quoted\"",
            "naïve", "日本",
          ].randomElement(using: &random)!
        }
        return label + ": " + words.joined(separator: " ")
      }
      system = text("system")
      for step in 0..<steps {
        turns.append((step % 3 == 2 ? "tool" : "user", text("in \(step)"), text("reply \(step)")))
      }
    }

    /// The messages step `k` was sent.
    func prompt(_ k: Int) -> [ChatMessage] {
      var messages = [ChatMessage(role: "system", content: system)]
      for step in 0...k {
        messages.append(ChatMessage(role: turns[step].role, content: turns[step].text))
        if step < k { messages.append(ChatMessage(role: "assistant", content: turns[step].reply)) }
      }
      return messages
    }

    static func spanID(_ step: Int) -> String { String(format: "%016x", 0x1000 + step) }
    static let agentID = "00000000000000a0"

    /// The OTLP spans of steps `range`: GenAI chat spans, all children of one agent span (as agents emit them).
    func chatSpans(_ range: Range<Int>) -> [String] {
      range.map { k in
        OTLP.chat(
          Self.spanID(k), parent: Self.agentID, start: 1 + k,
          messages: prompt(k).map { ($0.role, $0.content) }, reply: turns[k].reply)
      }
    }

    var agentSpan: String {
      OTLP.span(
        Self.agentID, name: "invoke_agent", attributes: [OTLP.string("gen_ai.operation.name", "invoke_agent")]
      )
    }
  }

  private func checkEveryPrompt(_ store: TraceStore, _ conversation: Conversation, steps: Int) throws {
    for k in 0..<steps {
      #expect(
        try store.prompt(traceID: OTLP.trace, spanID: Conversation.spanID(k)) == conversation.prompt(k),
        "step \(k)")
    }
    let turns = try #require(try store.turns(traceID: OTLP.trace))
    #expect(turns.map(\.promptForModel) == (0..<steps).map(conversation.prompt))
    #expect(turns.map(\.modelCompletion) == (0..<steps).map { conversation.turns[$0].reply })
    #expect(try #require(try store.messages(traceID: OTLP.trace)) == conversation.prompt(steps - 1))
  }

  /// Bytes of the trace's records in the store: its trace record and every span record.
  private func storedBytes(_ store: TraceStore, _ traceID: String) throws -> (trace: Int, spans: Int) {
    try store.read { transaction in
      let (doc, _) = try store.requireRecord(traceID, in: transaction)
      let trace = try transaction.value(store.tables.traces, key: Keys.docID(doc))?.count ?? 0
      var spans = 0
      try transaction.scan(store.tables.spans, prefix: Keys.docID(doc)) { _, value in
        spans += value.byteCount
        return true
      }
      return (trace, spans)
    }
  }

  struct Figures: CustomStringConvertible {
    var steps = 0
    /// Bytes of the trace's span records, and of its trace record (which holds the system prompt).
    var spanRecords = 0
    var traceRecord = 0
    /// Bytes of `gen_ai.input.messages` over all steps, as the producer sent them.
    var cumulativePrompts = 0
    /// The UTF-8 bytes of every distinct message text: a floor for any lossless store.
    var distinctText = 0
    var request = 0

    var stored: Int { spanRecords + traceRecord }
    var description: String {
      let ratio = String(format: "%.1f", Double(cumulativePrompts) / Double(stored))
      return
        "\(steps) steps: stored \(stored) bytes (span records \(spanRecords) + trace record \(traceRecord)); "
        + "cumulative prompts \(cumulativePrompts) bytes (\(ratio)x the stored); "
        + "distinct message text \(distinctText) bytes; OTLP request \(request) bytes"
    }
  }

  /// Storage of an n-step conversation against the bytes of its cumulative prompts.
  private func measure(steps: Int) throws -> Figures {
    let conversation = Conversation(steps: steps)
    let temporary = try TemporaryStore()
    let request = OTLP.request([conversation.agentSpan] + conversation.chatSpans(0..<steps))
    try OTLP.ingest(request, into: temporary.store)
    try checkEveryPrompt(temporary.store, conversation, steps: steps)
    var figures = Figures(steps: steps, request: request.utf8.count)
    figures.cumulativePrompts = (0..<steps).reduce(0) { total, k in
      total + OTLP.inputMessages(conversation.prompt(k).map { ($0.role, $0.content) }).utf8.count
    }
    figures.distinctText = conversation.turns.reduce(conversation.system.utf8.count) {
      $0 + $1.text.utf8.count + $1.reply.utf8.count
    }
    (figures.traceRecord, figures.spanRecords) = try storedBytes(temporary.store, OTLP.trace)
    return figures
  }

  @Test func hundredStepConversationIsRebuiltExactlyFromLinearStorage() throws {
    let hundred = try measure(steps: 100)
    let fifty = try measure(steps: 50)
    print("OTLP delta, \(hundred)\nOTLP delta, \(fifty)")
    // Linear: twice the steps, about twice the bytes (quadratic would be four times).
    #expect(Double(hundred.stored) / Double(fifty.stored) < 2.4)
    #expect(Double(hundred.cumulativePrompts) / Double(fifty.cumulativePrompts) > 3.5)
    #expect(hundred.stored * 10 < hundred.cumulativePrompts)
  }

  @Test func theStoredDeltaIsOnlyWhatIsNew() throws {
    let conversation = Conversation(steps: 3)
    let temporary = try TemporaryStore()
    try OTLP.ingest(
      OTLP.request([conversation.agentSpan] + conversation.chatSpans(0..<3)), into: temporary.store)
    let trace = try #require(try temporary.store.trace(id: OTLP.trace))
    #expect(trace.systemPrompt == conversation.system)
    let spans = Dictionary(uniqueKeysWithValues: trace.spans.map { ($0.spanID, $0) })
    let first = try #require(spans[Conversation.spanID(0)])
    #expect(first.attributes["tracekv.llm.context_from"] == .string(""))
    #expect(
      Reconstruction<Span>.normalize(first.text("tracebrain.llm.new_content")) == [
        ChatMessage(role: "user", content: conversation.turns[0].text)
      ])
    let third = try #require(spans[Conversation.spanID(2)])
    #expect(third.attributes["tracekv.llm.context_from"] == .string(Conversation.spanID(1)))
    #expect(
      Reconstruction<Span>.normalize(third.text("tracebrain.llm.new_content")) == [
        ChatMessage(role: "tool", content: conversation.turns[2].text)
      ])
    #expect(third.parentID == Conversation.agentID)  // the OpenTelemetry tree is kept
    #expect(third.attributes["gen_ai.input.messages"] == nil)
  }

  @Test func aTraceSplitOverTwoRequestsOfOneInput() throws {
    let conversation = Conversation(steps: 6)
    let temporary = try TemporaryStore()
    // Later steps first: exporters send spans as they end, in any order.
    let lines = [
      OTLP.request(conversation.chatSpans(3..<6)),
      OTLP.request([conversation.agentSpan] + conversation.chatSpans(0..<3)),
    ]
    let report = try temporary.store.ingest(
      data: Data(lines.joined(separator: "\n").utf8), source: "input", options: .init(strict: true, layout: .jsonl))
    #expect(report.added == 1 && report.spansWritten == 7)
    try checkEveryPrompt(temporary.store, conversation, steps: 6)
  }

  @Test func aTraceSplitOverTwoIngestsIsEncodedAgainstTheStoredTrace() throws {
    let conversation = Conversation(steps: 6)
    let temporary = try TemporaryStore()
    try OTLP.ingest(
      OTLP.request([conversation.agentSpan] + conversation.chatSpans(0..<3)), into: temporary.store)
    // Step 2 again: the stored copy is kept.
    let report = try OTLP.ingest(OTLP.request(conversation.chatSpans(2..<6)), into: temporary.store)
    #expect(report.merged == 1 && report.spansWritten == 3)
    try checkEveryPrompt(temporary.store, conversation, steps: 6)
    let fourth = try #require(
      try temporary.store.trace(id: OTLP.trace)?.spans.first { $0.spanID == Conversation.spanID(3) })
    #expect(fourth.attributes["tracekv.llm.context_from"] == .string(Conversation.spanID(2)))
    #expect(Reconstruction<Span>.normalize(fourth.text("tracebrain.llm.new_content")).count == 1)
  }

  @Test func aRewrittenHistoryStoresTheWholePromptAndStaysExact() throws {
    // Step 2 was sent a summarized history (not an extension of step 1's
    // context, but it opens with the system prompt: a new start); step 3
    // extends step 2's; step 4 is a sub-agent with its own system prompt.
    let system = "You are terse."
    let prompts: [[(String, String)]] = [
      [("system", system), ("user", "a")],
      [("system", system), ("user", "a"), ("assistant", "A"), ("user", "b")],
      [("system", system), ("user", "summary of a and b"), ("user", "c")],
      [("system", system), ("user", "summary of a and b"), ("user", "c"), ("assistant", "C"), ("user", "d")],
      [("system", "Another agent's system prompt."), ("user", "sub-task")],
    ]
    let replies = ["A", "B", "C", "D", "E"]
    let spans = prompts.indices.map { k in
      OTLP.chat(String(format: "%016x", k + 1), start: k, messages: prompts[k], reply: replies[k])
    }
    let temporary = try TemporaryStore()
    try OTLP.ingest(OTLP.request(spans), into: temporary.store)
    let trace = try #require(try temporary.store.trace(id: OTLP.trace))
    #expect(trace.systemPrompt == system)
    for k in prompts.indices {
      let expected = prompts[k].map { ChatMessage(role: $0.0, content: $0.1) }
      #expect(
        try temporary.store.prompt(traceID: OTLP.trace, spanID: String(format: "%016x", k + 1)) == expected,
        "step \(k)")
    }
    let links = trace.spans.map {
      (
        $0.attributes["tracekv.llm.context_from"]?.stringValue,
        $0.attributes["tracekv.llm.full_prompt"] == .bool(true)
      )
    }
    // A whole prompt still names the step before it, for the turns.
    #expect(
      links.map(\.0) == ["", "0000000000000001", "0000000000000002", "0000000000000003", "0000000000000004"])
    #expect(links.map(\.1) == [false, false, true, false, true])
    #expect(
      try temporary.store.messages(traceID: OTLP.trace)
        == prompts[4].map { ChatMessage(role: $0.0, content: $0.1) })
    // Every step stays in the turns, each with the prompt it was sent.
    let turns = try rebuilt(temporary.store.turns(traceID: OTLP.trace))
    #expect(turns.map(\.promptForModel.count) == [2, 4, 3, 5, 2])
    #expect(turns.last?.promptForModel == prompts[4].map { ChatMessage(role: $0.0, content: $0.1) })
  }

  @Test func parallelCallsFromOneContextEachContinueIt() throws {
    let base: [(String, String)] = [("user", "plan")]
    let spans = [
      OTLP.chat("0000000000000001", start: 0, messages: base, reply: "P"),
      OTLP.chat(
        "0000000000000002", start: 1, messages: base + [("assistant", "P"), ("user", "branch one")],
        reply: "1"),
      OTLP.chat(
        "0000000000000003", start: 1, messages: base + [("assistant", "P"), ("user", "branch two")],
        reply: "2"),
    ]
    let temporary = try TemporaryStore()
    try OTLP.ingest(OTLP.request(spans), into: temporary.store)
    #expect(
      try #require(try temporary.store.prompt(traceID: OTLP.trace, spanID: "0000000000000003")).map(\.content) == [
        "plan", "P", "branch two",
      ])
    #expect(
      try #require(try temporary.store.prompt(traceID: OTLP.trace, spanID: "0000000000000002")).map(\.content) == [
        "plan", "P", "branch one",
      ])
    let trace = try #require(try temporary.store.trace(id: OTLP.trace))
    #expect(trace.systemPrompt == nil)
    #expect(
      trace.spans.map { $0.attributes["tracekv.llm.context_from"] } == [
        .string(""), .string("0000000000000001"), .string("0000000000000001"),
      ])
  }

  @Test func toolCallMessagesAndAnLLMSpanWithoutAPromptRebuildExactly() throws {
    // The assistant's tool call comes back in the next prompt as recorded in the reply.
    let reply =
      #"[{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {"x": 1}}], "finish_reason": "tool_call"}]"#
    let second =
      #"[{"role": "user", "parts": [{"type": "text", "content": "go"}]}, {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {"x": 1}}]}, {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": ""}]}, {"role": "user", "parts": [{"type": "text", "content": ""}]}]"#
    let spans = [
      OTLP.span(
        "0000000000000001", start: 0,
        attributes: [
          OTLP.string("gen_ai.operation.name", "chat"),
          OTLP.string(
            "gen_ai.input.messages", #"[{"role": "user", "parts": [{"type": "text", "content": "go"}]}]"#),
          OTLP.string("gen_ai.output.messages", reply),
        ]),
      OTLP.span(
        "0000000000000002", start: 1,
        attributes: [
          OTLP.string("gen_ai.operation.name", "chat"), OTLP.string("gen_ai.input.messages", second),
        ]),
      OTLP.span("0000000000000003", start: 2, attributes: [OTLP.string("gen_ai.operation.name", "chat")]),
    ]
    let temporary = try TemporaryStore()
    try OTLP.ingest(OTLP.request(spans), into: temporary.store)
    let expected = [
      ChatMessage(role: "user", content: "go"),
      ChatMessage(
        role: "assistant", content: "", toolCalls: [ChatMessage.ToolCall(id: "c1", name: "f", arguments: #"{"x":1}"#)]),
      // An empty tool result is kept (it answers a call); a message with nothing at all is not.
      ChatMessage(role: "tool", content: "", toolCallID: "c1"),
    ]
    #expect(try temporary.store.prompt(traceID: OTLP.trace, spanID: "0000000000000002") == expected)
    let trace = try #require(try temporary.store.trace(id: OTLP.trace))
    #expect(trace.spans[1].attributes["tracekv.llm.context_from"] == .string("0000000000000001"))
    #expect(trace.spans[0].toolCode == #"f({"x":1})"#)
    // The last call recorded no prompt: its context is the (empty) system prompt.
    #expect(trace.spans[2].attributes["tracekv.llm.context_from"] == .string(""))
    #expect(try temporary.store.messages(traceID: OTLP.trace) == [])
  }

  @Test func openInferenceFlattenedPromptsRebuildExactly() throws {
    // A LangChain-style trace: each LLM call sits in its own chain span, so
    // consecutive calls are cousins, not siblings.
    let history: [(String, String)] = [
      ("system", "You route questions."), ("user", "Is it raining?"), ("assistant", "Checking."),
      ("user", "And tomorrow?"), ("assistant", "Sunny."), ("user", "Thanks"),
    ]
    func llm(_ k: Int, messages: Int) -> [String] {
      let chain = String(format: "%016x", 0x100 + k)
      var attributes = [OTLP.string("openinference.span.kind", "LLM")]
      for (index, message) in history.prefix(messages).enumerated() {
        attributes.append(OTLP.string("llm.input_messages.\(index).message.role", message.0))
        attributes.append(OTLP.string("llm.input_messages.\(index).message.content", message.1))
      }
      attributes.append(OTLP.string("llm.output_messages.0.message.role", "assistant"))
      attributes.append(OTLP.string("llm.output_messages.0.message.content", history[messages].1))
      return [
        OTLP.span(
          chain, parent: "00000000000000aa", start: 2 * k,
          attributes: [OTLP.string("openinference.span.kind", "CHAIN")]),
        OTLP.span(
          String(format: "%016x", 0x200 + k), parent: chain, start: 2 * k + 1, attributes: attributes),
      ]
    }
    let root = OTLP.span("00000000000000aa", attributes: [OTLP.string("openinference.span.kind", "AGENT")])
    let temporary = try TemporaryStore()
    try OTLP.ingest(OTLP.request([root] + llm(0, messages: 2) + llm(1, messages: 4)), into: temporary.store)
    for (k, count) in [(0, 2), (1, 4)] {
      let expected = history.prefix(count).map { ChatMessage(role: $0.0, content: $0.1) }
      #expect(
        try temporary.store.prompt(traceID: OTLP.trace, spanID: String(format: "%016x", 0x200 + k))
          == expected)
    }
    let second = try #require(
      try temporary.store.trace(id: OTLP.trace)?.spans.first { $0.spanID == "0000000000000201" })
    #expect(second.attributes["tracekv.llm.context_from"] == .string("0000000000000200"))
    #expect(
      Reconstruction<Span>.normalize(second.text("tracebrain.llm.new_content")) == [
        ChatMessage(role: "user", content: "And tomorrow?")
      ])
    #expect(second.attributes.keys.allSatisfy { !$0.hasPrefix("llm.input_messages.") })
  }

  @Test("a continued call beyond the scan limit is stored whole and stays exact", arguments: [false, true])
  func scanLimit(beyond: Bool) throws {
    let between = beyond ? DeltaEncoder.scanLimit : DeltaEncoder.scanLimit - 1
    var spans = [OTLP.chat("0000000000000001", start: 0, messages: [("user", "a")], reply: "A")]
    for k in 0..<between {
      spans.append(
        OTLP.chat(
          String(format: "%016x", 0x1000 + k), start: 1 + k, messages: [("user", "other \(k)")], reply: "O"))
    }
    let last = [("user", "a"), ("assistant", "A"), ("user", "again")]
    spans.append(OTLP.chat("0000000000000002", start: 1 + between, messages: last, reply: "B"))
    let temporary = try TemporaryStore()
    try OTLP.ingest(OTLP.request(spans), into: temporary.store)
    #expect(
      try temporary.store.messages(traceID: OTLP.trace) == last.map { ChatMessage(role: $0.0, content: $0.1) }
    )
    let span = try #require(try temporary.store.trace(id: OTLP.trace)?.spans.last)
    // Beyond the limit: a whole prompt, after the latest step.
    let previous = String(format: "%016x", 0x1000 + between - 1)
    #expect(span.attributes["tracekv.llm.context_from"] == .string(beyond ? previous : "0000000000000001"))
    #expect((span.attributes["tracekv.llm.full_prompt"] == .bool(true)) == beyond)
    #expect(Reconstruction<Span>.normalize(span.text("tracebrain.llm.new_content")).count == (beyond ? 3 : 1))
  }
}

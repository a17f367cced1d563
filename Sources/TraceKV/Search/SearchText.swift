/// The texts that represent a trace for search (docs/trace-format.md §4).
struct SearchText {
  /// What the embedder sees: one line each, values cut to 500 characters.
  /// `System prompt: …`, `User query: …` (first user message of the first
  /// span), then per span in order `Thought`, `Final`, `Output`, `Completion`.
  let semantic: String
  /// What BM25 indexes: the semantic text plus tool names, tool code, error
  /// descriptions and the episode id, so exact keywords (a tool name,
  /// `LOGIC_LOOP`) find the trace.
  let lexical: String

  static let valueLimit = 500

  init(systemPrompt: String?, episodeID: String?, errorType: String?, spans: [SpanView]) {
    func cut(_ text: String) -> String { text.count <= Self.valueLimit ? text : String(text.prefix(Self.valueLimit)) }
    var fields: [(label: String, value: String)] = []
    func add(_ label: String, _ value: String?) {
      if let value, !value.isEmpty { fields.append((label, cut(value))) }
    }
    add("System prompt", systemPrompt)
    if let first = spans.first {
      add("User query", Reconstruction<SpanView>.normalize(first.newContent).first { $0.role == "user" }?.content)
    }
    for span in spans {
      add("Thought", span.thought)
      add("Final", span.finalAnswer)
      add("Output", span.toolOutput)
      add("Completion", span.completion)
    }
    semantic = fields.map { "\($0.label): \($0.value)" }.joined(separator: "\n")

    // The lexical side takes the values without their labels (which every
    // trace shares), plus the exact-keyword fields.
    var lexicalParts = fields.map(\.value)
    for span in spans {
      if let tool = span.toolName { lexicalParts.append(tool) }
      if let code = span.toolCode { lexicalParts.append(cut(code)) }
      if span.isError { lexicalParts.append("ERROR " + (span.errorDescription.map(cut) ?? "")) }
    }
    if let errorType { lexicalParts.append(errorType) }
    if let episodeID { lexicalParts.append(episodeID) }
    lexical = lexicalParts.joined(separator: "\n")
  }
}

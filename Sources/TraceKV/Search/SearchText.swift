/// The texts that represent a trace for search (TRACEBRAIN.md §4).
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
    var lines: [String] = []
    if let systemPrompt, !systemPrompt.isEmpty { lines.append("System prompt: " + cut(systemPrompt)) }
    if let first = spans.first,
      let query = Reconstruction<SpanView>.normalize(first.newContent).first(where: { $0.role == "user" })
    {
      lines.append("User query: " + cut(query.content))
    }
    for span in spans {
      if let thought = span.thought, !thought.isEmpty { lines.append("Thought: " + cut(thought)) }
      if let final = span.finalAnswer, !final.isEmpty { lines.append("Final: " + cut(final)) }
      if let output = span.toolOutput, !output.isEmpty { lines.append("Output: " + cut(output)) }
      if let completion = span.completion, !completion.isEmpty { lines.append("Completion: " + cut(completion)) }
    }
    semantic = lines.joined(separator: "\n")

    var extra: [String] = []
    for span in spans {
      if let tool = span.toolName { extra.append(tool) }
      if let code = span.toolCode { extra.append(cut(code)) }
      if span.isError { extra.append("ERROR " + (span.errorDescription.map(cut) ?? "")) }
    }
    if let errorType { extra.append(errorType) }
    if let episodeID { extra.append(episodeID) }
    lexical = extra.isEmpty ? semantic : semantic + "\n" + extra.joined(separator: "\n")
  }
}

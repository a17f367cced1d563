import LMDBKit

/// The texts that represent a trace for search (docs/trace-format.md §4).
struct SearchText {
  /// What the embedder sees: one line each, values cut to 500 characters.
  /// `System prompt: …`, `User query: …` (first user message of the first
  /// span), then per span in order `Thought`, `Final`, `Output`, `Completion`.
  let semantic: String
  /// What BM25 indexes: the same values whole (an error code deep in a tool
  /// output is found), plus tool names, tool code, error descriptions and the
  /// episode id, so exact keywords (a tool name, `LOGIC_LOOP`) find the
  /// trace. Bounded by the ingest limits (document and attribute bytes,
  /// spans per trace), not cut.
  let lexical: String

  /// Characters of each value the embedder sees: its input window is short
  /// (MiniLM reads 256 tokens), so whole values would only crowd out the others.
  static let semanticValueLimit = 500

  init(systemPrompt: String?, episodeID: String?, errorType: String?, spans: [SpanView]) {
    func cut(_ text: String) -> String {
      text.count <= Self.semanticValueLimit ? text : String(text.prefix(Self.semanticValueLimit))
    }
    var fields: [(label: String, value: String)] = []
    func add(_ label: String, _ value: String?) {
      if let value, !value.isEmpty { fields.append((label, value)) }
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
    semantic = fields.map { "\($0.label): \(cut($0.value))" }.joined(separator: "\n")

    // The lexical side takes the values without their labels (which every
    // trace shares), plus the exact-keyword fields.
    var lexicalParts = fields.map(\.value)
    for span in spans {
      if let tool = span.toolName { lexicalParts.append(tool) }
      if let code = span.toolCode { lexicalParts.append(code) }
      if span.isError { lexicalParts.append("ERROR " + (span.errorDescription ?? "")) }
    }
    if let errorType { lexicalParts.append(errorType) }
    if let episodeID { lexicalParts.append(episodeID) }
    lexical = lexicalParts.joined(separator: "\n")
  }
}

extension SearchText {
  /// The search text of document `doc` as `transaction` sees it (nil when it
  /// has no record): the one way a stored trace becomes its search text, for
  /// indexing and for `verify` alike.
  static func stored(_ doc: UInt32, tables: StoreTables, in transaction: LMDBTransaction) throws -> SearchText? {
    guard let trace = try tables.record(doc, in: transaction, withAttributes: false)?.trace else { return nil }
    return SearchText(
      systemPrompt: trace.systemPrompt, episodeID: trace.episodeID, errorType: trace.aiEvaluation?.errorType?.rawValue,
      spans: try tables.spanViews(of: doc, in: transaction))
  }
}

extension TraceStore {
  /// The trace with its spans in the order received, or nil.
  /// - Throws: ``TraceKVError``: `.corrupted` when a stored record or key does not decode, `.storage` when LMDB fails;
  ///   never `.notFound` (a trace the store does not hold gives nil).
  public func trace(id traceID: String) throws(TraceKVError) -> Trace? {
    try read { transaction in
      guard let doc = try document(of: traceID, in: transaction), let record = try record(doc, in: transaction) else {
        return nil
      }
      var trace = record.trace
      trace.spans = try spans(of: doc, in: transaction)
      return trace
    }
  }

  /// Whether the store holds `traceID`.
  /// - Throws: ``TraceKVError`` with kind `.corrupted` when the id entry does not decode, `.storage` when LMDB fails.
  public func contains(traceID: String) throws(TraceKVError) -> Bool {
    try read { transaction in try document(of: traceID, in: transaction) != nil }
  }

  /// The full context the trace's last LLM step saw, rebuilt from its deltas
  /// (docs/trace-format.md §2), or nil for a trace the store does not hold.
  /// - Throws: ``TraceKVError``: `.corrupted` when a stored record or key does not decode, `.storage` when LMDB fails;
  ///   never `.notFound` (a trace the store does not hold gives nil).
  /// - Complexity: O(spans of the trace); no JSON but the deltas is parsed.
  public func messages(traceID: String) throws(TraceKVError) -> [ChatMessage]? {
    try reconstruction(traceID)?.messages()
  }

  /// One turn per LLM step on the path to the last one (docs/trace-format.md
  /// §2), or nil for a trace the store does not hold.
  /// - Throws: ``TraceKVError``: `.corrupted` when a stored record or key does not decode, `.storage` when LMDB fails;
  ///   never `.notFound` (a trace the store does not hold gives nil).
  public func turns(traceID: String) throws(TraceKVError) -> [Turn]? {
    try reconstruction(traceID)?.turns()
  }

  /// The messages one LLM span was sent, rebuilt from the deltas on its path
  /// (for the last LLM span, the same as `messages(traceID:)`), or nil for a
  /// trace or span the store does not hold.
  /// - Throws: `invalidInput` for a span that is not an LLM call.
  public func prompt(traceID: String, spanID: String) throws(TraceKVError) -> [ChatMessage]? {
    guard let reconstruction = try reconstruction(traceID),
      let span = reconstruction.spans.first(where: { $0.spanID == spanID })
    else { return nil }
    guard span.type == .llmInference else { throw TraceKVError.invalid("span '\(spanID)' is not an LLM call") }
    return reconstruction.prompt(of: span)
  }

  private func reconstruction(_ traceID: String, operation: String = #function) throws(TraceKVError)
    -> Reconstruction<SpanView>?
  {
    try read(operation) { transaction in
      guard let doc = try document(of: traceID, in: transaction), let record = try record(doc, in: transaction) else {
        return nil
      }
      return Reconstruction(systemPrompt: record.trace.systemPrompt, spans: try spanViews(of: doc, in: transaction))
    }
  }

  /// The spans as a forest: roots (no parent, or a parent the trace lacks)
  /// with their children, each level in start-time order; nil for a trace
  /// the store does not hold.
  /// - Throws: ``TraceKVError``: `.corrupted` when a stored record or key does not decode, `.storage` when LMDB fails;
  ///   never `.notFound` (a trace the store does not hold gives nil).
  public func spanTree(traceID: String) throws(TraceKVError) -> [SpanNode]? {
    try trace(id: traceID).map { SpanNode.forest($0.spansInTimeOrder) }
  }
}

/// A span with the spans it caused.
public struct SpanNode: Sendable, Hashable {
  public var span: Span
  public var children: [SpanNode]

  /// Builds the forest; a span in a parent cycle is shown as a root once.
  static func forest(_ spans: [Span]) -> [SpanNode] {
    let ids = Set(spans.map(\.spanID))
    var children: [String: [Span]] = [:]
    var roots: [Span] = []
    for span in spans {
      if let parent = span.parentID, ids.contains(parent), parent != span.spanID {
        children[parent, default: []].append(span)
      } else {
        roots.append(span)
      }
    }
    var placed = Set<String>()
    func build(_ span: Span) -> SpanNode {
      placed.insert(span.spanID)
      let kids = (children[span.spanID] ?? []).filter { !placed.contains($0.spanID) }
      return SpanNode(span: span, children: kids.map(build))
    }
    var forest = roots.map(build)
    // Spans only reachable through a cycle: show each remaining one as a root.
    for span in spans where !placed.contains(span.spanID) { forest.append(build(span)) }
    return forest
  }
}

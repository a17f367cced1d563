extension TraceStore {
  /// The merge-path hook of OTLP ingest: delta-encodes an incoming OTLP
  /// trace's prompts against the trace as the store holds it (nil `doc`: a new
  /// trace), inside the write transaction that stores the result.
  func encodeDeltas(
    _ incoming: inout IncomingTrace, storedAs doc: UInt32?, in transaction: borrowing LMDBTransaction
  )
    throws
  {
    guard incoming.prompts != nil else { return }
    var stored: Reconstruction<SpanView>?
    if let doc, let record = try record(doc, in: transaction) {
      stored = Reconstruction(
        systemPrompt: record.trace.systemPrompt, spans: try spanViews(of: doc, in: transaction))
    }
    DeltaEncoder.encode(&incoming, stored: stored)
  }
}

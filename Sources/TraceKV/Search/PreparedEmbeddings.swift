import Embeddings

/// Vectors computed before a write transaction opens, by the text they embed.
///
/// A write embeds outside its transaction (on ingest's workers, or just
/// before the transaction opens) the text each trace will have if it is
/// new; the `IndexWriter` takes a vector from here when the stored trace's
/// text is the same and embeds only the rest (a trace merged into one the
/// store holds has a text that depends on what is stored). What it embeds
/// is kept here too, so a transaction retried after the map grew embeds
/// nothing twice. Keyed by the text, a vector can never be given to the
/// wrong trace.
final class PreparedEmbeddings {
  private(set) var vectors: [String: [Float]] = [:]

  init() {}

  func vector(for text: String) -> [Float]? { vectors[text] }

  func add(_ vector: [Float], for text: String) { vectors[text] = vector }

  /// Embeds the texts not yet held, in one batch.
  func embed(_ texts: [String], with embedder: any TextEmbedder) throws {
    var missing: [String] = []
    var seen = Set<String>()
    for text in texts where vectors[text] == nil && seen.insert(text).inserted { missing.append(text) }
    guard !missing.isEmpty, embedder.dimension > 0 else { return }
    let embedded: [[Float]]
    do {
      embedded = try embedder.embed(missing)
    } catch {
      throw TraceKVError.embedding(error, by: embedder.name, operation: "index")
    }
    for (text, vector) in zip(missing, embedded) { vectors[text] = vector }
  }
}

extension SearchText {
  /// The search text `incoming` will have once stored, if the store does not
  /// hold its trace yet (a merge's text also depends on what is stored).
  /// Spans go through their stored encoding, so the text is the one
  /// `stored(_:tables:in:)` reads back.
  static func ofNew(_ incoming: IncomingTrace) -> SearchText {
    let trace = incoming.trace
    let spans = trace.spans.compactMap { try? SpanView(record: SpanRecord.encode($0)) }
    return SearchText(
      systemPrompt: trace.systemPrompt, episodeID: trace.episodeID,
      errorType: trace.aiEvaluation?.errorType?.rawValue, spans: spans)
  }
}

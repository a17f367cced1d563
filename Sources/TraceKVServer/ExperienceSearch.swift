import Embeddings
import TraceKV

/// The hybrid search behind `GET /api/v1/traces/search` and the MCP search
/// tools: hits in TraceBrain's `ExperienceSearchOut` shape, each with the
/// conversation an agent can reuse.
enum ExperienceSearch {
  static func run(
    _ store: TraceStore, intent: String, keywords: String?, minRating: Int?, limit: Int, mode: SearchMode = .hybrid
  ) throws -> [JSONValue] {
    let hits = try store.search(
      SearchQuery(
        text: intent, keywords: keywords, mode: mode, filter: TraceFilter(minRating: minRating), limit: limit,
        withMessages: true)
    ).hits
    return hits.map { TraceBrainShapes.experience($0, createdAt: $0.createdAt) }
  }

  /// Whether the store's embedder embeds a query in microseconds (the hashing embedder), so that a search
  /// is short enough to run on the thread that serves the request.
  static func embedsQueriesCheaply(_ store: TraceStore) -> Bool {
    store.embedderIdentity.name == HashingEmbedder.embedderName
  }
}

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
}

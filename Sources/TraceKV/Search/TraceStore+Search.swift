import Embeddings
import Foundation
import LexicalIndex
import RRF
import VectorIndex

extension TraceStore {
  /// Finds traces for `query`: HNSW over the embedded search text and BM25
  /// over the lexical text, fused by RRF (or one side alone), filtered inside
  /// both indexes, paged over the fused list.
  /// - Complexity: one query embedding, an HNSW search of `depth` (exact when
  ///   the filter is selective), a BM25 search of `depth`, and one
  ///   record read per returned hit.
  public func search(_ query: SearchQuery) throws(TraceKVError) -> SearchResults {
    guard query.limit >= 0, query.offset >= 0 else { throw TraceKVError.invalid("limit and offset must not be negative") }
    let window = Limits.maximumSearchWindow
    guard query.limit <= window, query.offset <= window - query.limit else {
      throw TraceKVError.invalid(
        "limit + offset must be at most \(window) (got limit \(query.limit), offset \(query.offset)); narrow the query with a filter instead of paging deeper")
    }
    guard query.depth <= window else {
      throw TraceKVError.invalid("the fusion depth must be at most \(window) (got \(query.depth))")
    }
    guard query.lexicalWeight >= 0, query.vectorWeight >= 0, query.lexicalWeight + query.vectorWeight > 0 else {
      throw TraceKVError.invalid("weights must not be negative, and not both zero")
    }
    // Fusion needs `depth` entries of each side; a single side needs only the page.
    let depth = query.mode == .hybrid ? max(query.depth, query.offset + query.limit) : max(1, query.offset + query.limit)
    let fusion: ReciprocalRankFusion
    do { fusion = try ReciprocalRankFusion(k: query.rrfK, depth: depth) } catch { throw TraceKVError(error, operation: "search") }
    let useVector = query.mode != .lexical && !query.text.isEmpty && query.vectorWeight > 0
    let useLexical = query.mode != .vector && query.lexicalWeight > 0
    let lexicalTerms = useLexical ? try boundedQueryTerms(query.keywords ?? query.text) : []

    let embedStart = ContinuousClock.now
    var queryVector: [Float]?
    if useVector {
      queryVector = if let vector = query.vector { vector } else { try embedQuery(query.text) }
      if search.identity.dimension == 0, query.mode == .vector {
        throw TraceKVError.invalid("this store has no vector index (it was created without an embedder)")
      }
      if queryVector?.contains(where: { $0 != 0 }) != true { queryVector = nil }  // nothing to compare
    }
    let embedSeconds = (ContinuousClock.now - embedStart).seconds

    let hits = try read { transaction in
      let state = try search.state(in: transaction, tables: tables)
      let allowed = state.columns.allowed(by: query.filter)
      var vectorHits: [VectorIndex.SearchResult] = []
      if let queryVector, let vectors = state.vectors {
        // A query vector of the wrong shape is translated at the read boundary.
        if let allowed {
          vectorHits = try vectors.search(queryVector, k: depth, ef: max(depth, 64), allowing: allowed)
        } else {
          vectorHits = try vectors.search(queryVector, k: depth, ef: max(depth, 64))
        }
        // Best first: what is below the floor is the tail.
        let floor = query.minSimilarity ?? SearchQuery.defaultMinSimilarity(for: search.identity)
        if floor > 0, let cut = vectorHits.firstIndex(where: { Double($0.similarity) < floor }) {
          vectorHits.removeSubrange(cut...)
        }
      }
      var lexicalHits: [LexicalHit] = []
      if useLexical {
        let storage = LMDBLexicalStorage(transaction: transaction, tables: tables)
        lexicalHits = try search.lexical.search(
          terms: lexicalTerms, limit: depth, in: storage, filter: allowed.map { set in { set.contains($0) } },
          explain: query.explain)
      }

      // Rank positions of each side, for every mode's explanation.
      let vectorRank = Dictionary(vectorHits.enumerated().map { ($1.label, ($0 + 1, Double($1.similarity))) }) { a, _ in a }
      let lexicalRank = Dictionary(lexicalHits.enumerated().map { ($1.document, ($0 + 1, $1)) }) { a, _ in a }
      let page: [(doc: UInt32, score: Double, fusion: [Contribution])]
      switch query.mode {
      case .vector:
        page = vectorHits.dropFirst(query.offset).prefix(query.limit).map { ($0.label, Double($0.similarity), []) }
      case .lexical:
        page = lexicalHits.dropFirst(query.offset).prefix(query.limit).map { ($0.document, $0.score, []) }
      case .hybrid:
        let lists = [
          try RankedList(name: "lexical", ids: lexicalHits.map(\.document), weight: query.lexicalWeight),
          try RankedList(name: "vector", ids: vectorHits.map(\.label), weight: query.vectorWeight),
        ]
        page = fusion.fuse(lists, offset: query.offset, limit: query.limit).map { ($0.id, $0.score, $0.contributions) }
      }

      return try page.compactMap { entry -> SearchHit? in
        guard let record = try record(entry.doc, in: transaction, withAttributes: false) else { return nil }
        let trace = record.trace
        var hit = SearchHit(
          traceID: trace.traceID, score: entry.score, rating: trace.rating, status: trace.status,
          episodeID: trace.episodeID, feedback: trace.feedback, aiEvaluation: trace.aiEvaluation,
          vector: vectorRank[entry.doc].map { VectorMatch(rank: $0.0, similarity: $0.1) },
          lexical: lexicalRank[entry.doc].map { LexicalMatch(rank: $0.0, score: $0.1.score) },
          lexicalExplanation: lexicalRank[entry.doc]?.1.explanation, fusion: entry.fusion)
        if query.withMessages {
          hit.messages = Reconstruction(systemPrompt: trace.systemPrompt, spans: try spanViews(of: entry.doc, in: transaction))
            .messages()
        }
        return hit
      }
    }
    return SearchResults(hits: hits, queryEmbeddingSeconds: embedSeconds)
  }

  /// The lexical terms of `text`, refused past `Limits.maximumQueryTerms` distinct ones.
  private func boundedQueryTerms(_ text: String) throws(TraceKVError) -> [Term] {
    let terms = search.lexical.queryTerms(text)
    let distinct = Set(terms).count
    guard distinct <= Limits.maximumQueryTerms else {
      throw .invalid(
        "the query has \(distinct) distinct search terms; at most \(Limits.maximumQueryTerms) are allowed. "
          + "Pass the few words that matter as keywords (--keywords), or a shorter text")
    }
    return terms
  }

  /// Past runs like `query` that went well: traces rated at least
  /// `minRating` (human rating, else the AI's), best first (docs/trace-format.md §4).
  public func searchPastExperiences(
    _ query: String, minRating: Int = 4, limit: Int = 3, withMessages: Bool = false
  ) throws(TraceKVError) -> [SearchHit] {
    try search(
      SearchQuery(text: query, filter: TraceFilter(minRating: minRating), limit: limit, withMessages: withMessages)
    ).hits
  }

  /// Traces like `semanticIntent`, with the lexical side matching
  /// `exactKeywords` when given (else the intent).
  public func searchSimilarTraces(
    semanticIntent: String, exactKeywords: String? = nil, minRating: Int = 4, limit: Int = 3,
    withMessages: Bool = false
  ) throws(TraceKVError) -> [SearchHit] {
    try search(
      SearchQuery(
        text: semanticIntent, keywords: exactKeywords, filter: TraceFilter(minRating: minRating), limit: limit,
        withMessages: withMessages)
    ).hits
  }

  /// `text` embedded with the store's embedder (nil for a store without one),
  /// for `SearchQuery.vector`.
  public func embedQuery(_ text: String) throws(TraceKVError) -> [Float]? {
    let embedder = try translatingErrors("embed the query") { try search.embedder() }
    guard embedder.dimension > 0 else { return nil }
    do { return try embedder.embed([text]).first } catch {
      throw TraceKVError.embedding(error, by: embedder.name, operation: "embed the query")
    }
  }

  /// The store's embedder: name, dimension and fingerprint.
  public var embedderIdentity: EmbedderIdentity { search.identity }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

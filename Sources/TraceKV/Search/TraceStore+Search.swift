import LMDBKit
import Embeddings
import Foundation
import LexicalIndex
import RRF
import VectorIndex

extension TraceStore {
  /// Finds traces for `query`: HNSW over the embedded search text and BM25
  /// over the lexical text, fused by RRF (or one side alone), filtered inside
  /// both indexes, paged over the fused list.
  /// - Throws: ``TraceKVError``: `.invalidInput` for a negative limit or offset, `limit + offset` or `depth` past
  ///   `Limits.maximumSearchWindow`, negative or both-zero weights, an RRF `k` the fusion refuses, more than
  ///   `Limits.maximumQueryTerms` distinct terms, a `.vector` query on a store without an embedder, or a given `vector`
  ///   of the wrong dimension or with a NaN or infinite component; `.embedderUnavailable` or `.embedderMismatch` when
  ///   the query cannot be embedded; `.corrupted` for a damaged index or record; `.storage` when LMDB fails.
  /// - Complexity: one query embedding, an HNSW search of `depth` (exact when
  ///   the filter is selective), a BM25 search of `depth`, and one
  ///   record read per returned hit.
  public func search(_ query: SearchQuery) throws(TraceKVError) -> SearchResults {
    try Self.validate(query)
    // Fusion needs `depth` entries of each side; a single side needs only the page.
    let depth = query.mode == .hybrid ? max(query.depth, query.offset + query.limit) : max(1, query.offset + query.limit)
    let fusion: ReciprocalRankFusion
    do { fusion = try ReciprocalRankFusion(k: query.rrfK, depth: depth) } catch { throw TraceKVError(error, operation: "search") }
    let useLexical = query.mode != .vector && query.lexicalWeight > 0
    let lexicalTerms = useLexical ? try boundedQueryTerms(query.keywords ?? query.text) : []

    let embedStart = ContinuousClock.now
    let queryVector = try queryVector(for: query)
    let embedSeconds = (ContinuousClock.now - embedStart).seconds

    let hits = try read { transaction -> [SearchHit] in
      let state = try search.state(in: transaction, tables: tables)
      let allowed = search.allowedSets.allowed(by: query.filter, in: state)
      // Nothing passes the filter (say, min_rating on a store nobody rated): no index to ask. BM25
      // would otherwise read every posting of the query's terms, as no hit ever raises its threshold.
      if allowed?.isEmpty == true { return [] }
      let vectorHits = try queryVector.map { try vectorCandidates($0, in: state, depth: depth, allowed: allowed, query: query) } ?? []
      var lexicalHits: [LexicalHit] = []
      if useLexical {
        let storage = LMDBLexicalStorage(transaction: transaction, tables: tables)
        lexicalHits = try search.lexical.search(
          terms: lexicalTerms, limit: depth, in: storage, filter: allowed.map { set in { set.contains($0) } },
          explain: query.explain)
      }
      let candidates = Candidates(vector: vectorHits, lexical: lexicalHits)
      return try candidates.page(for: query, fusion: fusion).compactMap { entry in
        try hit(entry, candidates: candidates, withMessages: query.withMessages, in: transaction)
      }
    }
    return SearchResults(hits: hits, queryEmbeddingSeconds: embedSeconds)
  }

  /// Refuses a query the store will not run: negative or too deep paging, a
  /// fusion depth past the window, weights that select nothing.
  private static func validate(_ query: SearchQuery) throws(TraceKVError) {
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
  }

  /// The vector the query is compared with: given, or its text embedded;
  /// nil when the query does not use the vector side or its vector is all
  /// zeros (nothing to compare).
  private func queryVector(for query: SearchQuery) throws(TraceKVError) -> [Float]? {
    guard query.mode != .lexical, !query.text.isEmpty, query.vectorWeight > 0 else { return nil }
    let vector = if let given = query.vector { given } else { try embedQuery(query.text) }
    if search.identity.dimension == 0, query.mode == .vector {
      throw TraceKVError.invalid("this store has no vector index (it was created without an embedder)")
    }
    guard let vector, vector.contains(where: { $0 != 0 }) else { return nil }
    return vector
  }

  /// The `depth` nearest allowed traces, best first, cut at the query's
  /// similarity floor. A query vector of the wrong shape is translated at the
  /// read boundary.
  private func vectorCandidates(
    _ vector: [Float], in state: SearchState, depth: Int, allowed: LabelSet?, query: SearchQuery
  ) throws -> [VectorIndex.SearchResult] {
    guard let vectors = state.vectors else { return [] }
    var hits =
      if let allowed {
        try vectors.search(vector, k: depth, ef: max(depth, 64), allowing: allowed)
      } else {
        try vectors.search(vector, k: depth, ef: max(depth, 64))
      }
    // Best first: what is below the floor is the tail.
    let floor = query.minSimilarity ?? SearchQuery.defaultMinSimilarity(for: search.identity)
    if floor > 0, let cut = hits.firstIndex(where: { Double($0.similarity) < floor }) {
      hits.removeSubrange(cut...)
    }
    return hits
  }

  /// One page entry as a hit, with both sides' ranks for the explanation;
  /// nil when its record has gone (deleted since the indexes were read).
  private func hit(
    _ entry: Candidates.PageEntry, candidates: Candidates, withMessages: Bool, in transaction: LMDBTransaction
  ) throws -> SearchHit? {
    guard let record = try record(entry.doc, in: transaction, withAttributes: false) else { return nil }
    let trace = record.trace
    let vector = candidates.vectorRank[entry.doc]
    let lexical = candidates.lexicalRank[entry.doc]
    var hit = SearchHit(
      traceID: trace.traceID, score: entry.score, rating: trace.rating, status: trace.status,
      episodeID: trace.episodeID, createdAt: trace.createdAt, feedback: trace.feedback, aiEvaluation: trace.aiEvaluation,
      vector: vector.map { VectorMatch(rank: $0.rank, similarity: $0.similarity) },
      lexical: lexical.map { LexicalMatch(rank: $0.rank, score: $0.hit.score) },
      lexicalExplanation: lexical?.hit.explanation, fusion: entry.fusion)
    if withMessages {
      hit.messages = Reconstruction(systemPrompt: trace.systemPrompt, spans: try spanViews(of: entry.doc, in: transaction))
        .messages()
    }
    return hit
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
  /// - Throws: ``TraceKVError`` as `search(_:)`: `.invalidInput` for a negative `limit`, one past
  ///   `Limits.maximumSearchWindow` or too many distinct terms; `.embedderUnavailable`, `.corrupted`, `.storage`.
  public func searchPastExperiences(
    _ query: String, minRating: Int = 4, limit: Int = 3, withMessages: Bool = false
  ) throws(TraceKVError) -> [SearchHit] {
    try search(
      SearchQuery(text: query, filter: TraceFilter(minRating: minRating), limit: limit, withMessages: withMessages)
    ).hits
  }

  /// Traces like `semanticIntent`, with the lexical side matching
  /// `exactKeywords` when given (else the intent).
  /// - Throws: ``TraceKVError`` as `search(_:)`: `.invalidInput` for a negative `limit`, one past
  ///   `Limits.maximumSearchWindow` or too many distinct terms; `.embedderUnavailable`, `.corrupted`, `.storage`.
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
  /// - Throws: ``TraceKVError``: `.embedderUnavailable` when the store's embedder cannot be loaded or fails on `text`,
  ///   `.embedderMismatch` when its model files no longer match the recorded fingerprint.
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

/// What each index answered for one query, and the page cut from it.
private struct Candidates {
  typealias PageEntry = (doc: UInt32, score: Double, fusion: [Contribution])

  let vector: [VectorIndex.SearchResult]
  let lexical: [LexicalHit]
  /// 1-based rank and similarity of each vector hit, for every mode's explanation.
  let vectorRank: [UInt32: (rank: Int, similarity: Double)]
  /// 1-based rank and hit of each lexical hit.
  let lexicalRank: [UInt32: (rank: Int, hit: LexicalHit)]

  init(vector: [VectorIndex.SearchResult], lexical: [LexicalHit]) {
    self.vector = vector
    self.lexical = lexical
    vectorRank = Dictionary(vector.enumerated().map { ($1.label, ($0 + 1, Double($1.similarity))) }) { first, _ in first }
    lexicalRank = Dictionary(lexical.enumerated().map { ($1.document, ($0 + 1, $1)) }) { first, _ in first }
  }

  /// The query's page: one side's list, or both fused by RRF.
  func page(for query: SearchQuery, fusion: ReciprocalRankFusion) throws -> [PageEntry] {
    switch query.mode {
    case .vector:
      return vector.dropFirst(query.offset).prefix(query.limit).map { ($0.label, Double($0.similarity), []) }
    case .lexical:
      return lexical.dropFirst(query.offset).prefix(query.limit).map { ($0.document, $0.score, []) }
    case .hybrid:
      let lists = [
        try RankedList(name: "lexical", ids: lexical.map(\.document), weight: query.lexicalWeight),
        try RankedList(name: "vector", ids: vector.map(\.label), weight: query.vectorWeight),
      ]
      return fusion.fuse(lists, offset: query.offset, limit: query.limit).map { ($0.id, $0.score, $0.contributions) }
    }
  }
}

/// How `BM25Index.search` walks the posting lists.
///
/// All strategies return the same hits with the same scores; they differ in speed.
public enum BM25SearchStrategy: Sendable, Hashable {
  /// MaxScore for a short query asking for few hits (up to 10 in a large
  /// index) or whose terms hold many postings, term at a time otherwise (see
  /// `maxScoreMaximumLimit`, `largeIndexMinimumDocuments`,
  /// `densePostingsPerDocument` and `termAtATimeMinimumTerms`).
  case automatic
  /// MaxScore dynamic pruning (document at a time): skips what cannot reach the top k.
  case maxScore
  /// Block-max WAND (document at a time): skips whole chunks whose block
  /// maxima cannot lift a document into the top k.
  case blockMaxWAND
  /// MaxScore over term-at-a-time windows: the essential terms accumulate
  /// as in term at a time, the common (non-essential) terms are only probed
  /// for documents that can still enter the top k.
  case windowedMaxScore
  /// Windowed term-at-a-time accumulation: every posting, no per-candidate overhead.
  case termAtATime
  /// Document at a time, scoring every document holding a query term: the oracle for tests.
  case exhaustive

  /// From this many distinct query terms on, `.automatic` runs term at a time.
  public static let termAtATimeMinimumTerms = 12

  /// Above this many hits, `.automatic` runs term at a time whatever the query.
  ///
  /// MaxScore pays off only when the k-th best score climbs above the bounds
  /// of the common terms, which takes a very small k. Measured on Debian
  /// (64.5k documents, 2,000 short queries, `tracekv-bench lexical --strategy
  /// maxscore|taat --depth k`, fixed-width chunks, two runs each): term at
  /// a time served 0.5–0.8× MaxScore's queries/s at k = 1, 1.0× and 1.2× at
  /// k = 3 (within this machine's noise), 1.1–1.3× at k = 10 (and 1.6× at
  /// k = 100 with the earlier LEB128 chunks).
  ///
  /// Block-max WAND and windowed MaxScore (both exact) won nowhere, and
  /// MaxScore only at k = 10 in the largest index (see
  /// `largeIndexMinimumDocuments`): single thread CPU queries/s, `tracekv-bench lexical --strategy
  /// taat|wmaxscore|bmw|maxscore --depth k`, 2,000 synopsis queries each,
  /// on a 2-core machine shared with other builds:
  ///
  ///     collection                    k     taat  wmaxscore   bmw  maxscore
  ///     Debian (64.6k descriptions)   100   5296    3930      2783   4000
  ///     Debian                         10   8174    7361      5177   5965
  ///     traces-100k (conversations)   100   3865    2909      2050   2265
  ///     traces-100k                    10   6149    5072      3454   4491
  ///     traces-1m (conversations)     100    644     472       422    640
  ///     traces-1m                      10    667     789       590   1096
  ///
  /// Those bounds were the chunk's (max tf, min length) corner; the probes
  /// of common terms for the candidates that pass them decode a chunk each,
  /// and cost more than term at a time's scan of those lists saves, except
  /// at 1M documents and k = 10. With the chunks' impacts (exact block
  /// maxima), on traces-100k, same run (`--compare`, CPU queries/s): k = 100
  /// taat 4554, maxscore 3338, wmaxscore 3162, bmw 2644; k = 10 taat 5713,
  /// maxscore 5173, wmaxscore 4583, bmw 3326. Over the whole query set term
  /// at a time still wins; per query, MaxScore wins where the postings are
  /// dense (`densePostingsPerDocument`).
  public static let maxScoreMaximumLimit = 3

  /// From this many indexed documents on, `.automatic` runs MaxScore for
  /// short queries asking for at most `largeIndexMaxScoreMaximumLimit` hits.
  ///
  /// Measured at k = 10 (single thread CPU queries/s, 2,000 synopsis
  /// queries): on traces-1m MaxScore served 1,096, windowed MaxScore 789,
  /// term at a time 667, block-max WAND 590 (p50 0.69 ms against term at a
  /// time's 1.63 ms); on traces-100k and Debian MaxScore served 0.73× term
  /// at a time. The switch sits between 100k and 1M documents.
  public static let largeIndexMinimumDocuments: UInt64 = 500_000

  /// The most hits for which `.automatic` runs MaxScore in a large index
  /// (at k = 100 on traces-1m it tied with term at a time: 640 against 644).
  public static let largeIndexMaxScoreMaximumLimit = 10

  /// From this many postings per indexed document (the query terms'
  /// document frequencies summed, over the document count) on, `.automatic`
  /// runs MaxScore for up to `densePostingsMaxScoreMaximumLimit` hits.
  ///
  /// With the chunks' impacts (exact block maxima), MaxScore pays where term
  /// at a time has the most postings to scan, provided a term is selective
  /// (`selectiveTermFraction`). Measured per query on traces-100k (2,000
  /// synopsis queries, one index, `tracekv-bench lexical --compare
  /// taat,automatic,maxscore --compare-depths 10,100`): of the 63 queries at
  /// or above 0.8 with a selective term, MaxScore was faster on 59 at k = 10
  /// (p50 0.20 against 0.48 ms) and on 45 at k = 100 (0.42 against 0.55 ms);
  /// below 0.8 term at a time's p50 was 0.17 ms against 0.25 ms at k = 100.
  /// Over all queries automatic served 6,644–6,694 CPU queries/s against
  /// term at a time's 6,354–6,372 at k = 10, 4,899–5,020 against 4,691–4,847 at k = 100.
  public static let densePostingsPerDocument = 0.8

  /// The dense-postings rule needs a selective term: one held by fewer than
  /// this fraction of the documents. MaxScore then drives its candidates from
  /// the selective lists and only probes the dense ones. Without one, every
  /// document matches several query terms, scores bunch up under the bounds
  /// and MaxScore drops no list: on the replicated samples (every query word
  /// in ≥ 5 % of traces) it made `tracekv-bench search` 10–20 % slower at
  /// 10k and 100k traces, while on 117,000 diverse traces (queries drawn from
  /// the traces, holding rare words) it made lexical p50 1.0–1.2 ms against
  /// term at a time's 1.7 ms.
  public static let selectiveTermFraction = 0.05

  /// The most hits for which the dense-postings rule applies (the largest k measured).
  public static let densePostingsMaxScoreMaximumLimit = 100

  /// The strategy `.automatic` resolves to for `terms` distinct terms,
  /// `limit` hits, `documents` indexed documents, the terms' `postings`
  /// (their document frequencies summed) and the `rarest` term's frequency.
  static func automatic(
    terms: Int, limit: Int, documents: UInt64, postings: UInt64, rarest: UInt64
  ) -> BM25SearchStrategy {
    if terms >= termAtATimeMinimumTerms { return .termAtATime }
    if limit <= maxScoreMaximumLimit { return .maxScore }
    if limit <= largeIndexMaxScoreMaximumLimit && documents >= largeIndexMinimumDocuments { return .maxScore }
    if limit <= densePostingsMaxScoreMaximumLimit, documents > 0,
      Double(postings) >= densePostingsPerDocument * Double(documents),
      Double(rarest) < selectiveTermFraction * Double(documents)
    {
      return .maxScore
    }
    return .termAtATime
  }
}

extension BM25Index {
  /// The terms of a query, in order, repeats included, after `queryFilter`.
  ///
  /// A repeated query word counts as often as it occurs, as in Lucene (a
  /// Boolean query of the same term twice) and bm25s: in a long task
  /// description the words that recur are the subject. Measured on
  /// tau2-banking with bm25s's own tokens: nDCG@10 0.260 counting repeats,
  /// 0.181 counting each word once.
  public func queryTerms(_ query: String) -> [Term] {
    var buffer = TokenBuffer()
    tokenizer.tokenize(query, into: &buffer)
    return queryFilter.apply((0..<buffer.count).map { buffer.term(at: $0) })
  }

  /// The `limit` best documents for a text query, best first (ties: lower id first).
  ///
  /// - Parameters:
  ///   - filter: when given, only documents it accepts are candidates; it is
  ///     applied inside the index, so a filtered query still returns `limit`
  ///     hits when that many accepted documents match.
  ///   - explain: attach each hit's term-by-term explanation.
  ///   - strategy: how to walk the postings; every strategy returns the same hits.
  /// - Throws: ``LexicalIndexError`` `.corruptPostingChunk` when a chunk of a query term does not decode; errors of
  ///   `store` pass through unchanged.
  /// - Complexity: O(P log k) at worst for P postings of the query terms;
  ///   MaxScore (short queries, small k) skips most postings of common terms,
  ///   term-at-a-time costs O(P + D log k) for D matching documents.
  public func search(
    _ query: String, limit: Int, in store: some LexicalStorageReader,
    filter: ((UInt32) -> Bool)? = nil, explain: Bool = false, strategy: BM25SearchStrategy = .automatic
  ) throws -> [LexicalHit] {
    try search(terms: queryTerms(query), limit: limit, in: store, filter: filter, explain: explain, strategy: strategy)
  }

  /// The `limit` best documents for already tokenized terms (a repeated term
  /// counts as often as it is given).
  /// - Throws: ``LexicalIndexError`` `.corruptPostingChunk` when a chunk of a query term does not decode; errors of
  ///   `store` pass through unchanged.
  public func search(
    terms: [Term], limit: Int, in store: some LexicalStorageReader,
    filter: ((UInt32) -> Bool)? = nil, explain: Bool = false, strategy: BM25SearchStrategy = .automatic
  ) throws -> [LexicalHit] {
    let unique = Self.weighted(terms)
    guard limit > 0, !unique.isEmpty else { return [] }
    let statistics = try store.collectionStatistics()
    let scorer = BM25Scorer(parameters: parameters, statistics: statistics)
    return try unsafe withCursors(unique, scorer: scorer, in: store) { cursors in
      // Explanations re-read postings from the start: keep unstarted cursors.
      let pristine = unsafe explain ? cursors : []
      var heap = TopKHeap(capacity: limit)
      let resolved =
        unsafe strategy == .automatic
        ? BM25SearchStrategy.automatic(
          terms: cursors.count, limit: limit, documents: statistics.documentCount,
          postings: cursors.reduce(0) { unsafe $0 + $1.documentFrequency },
          rarest: unsafe cursors.map(unsafe \.documentFrequency).min() ?? 0)
        : strategy
      if resolved != .termAtATime {
        for index in unsafe cursors.indices { unsafe cursors[index].prepareBounds(scorer: scorer) }
      }
      let ranked: [(score: Double, document: UInt32)]
      switch resolved {
      case .termAtATime:
        ranked = try unsafe TermAtATimeSearch.run(cursors: &cursors, scorer: scorer, limit: limit, filter: filter)
      case .windowedMaxScore:
        try unsafe WindowedMaxScoreSearch.run(cursors: &cursors, scorer: scorer, heap: &heap, filter: filter)
        ranked = heap.sorted()
      case .blockMaxWAND:
        try unsafe BlockMaxWANDSearch.run(cursors: &cursors, scorer: scorer, heap: &heap, filter: filter)
        ranked = heap.sorted()
      case .automatic, .maxScore, .exhaustive:
        try unsafe MaxScoreSearch.run(
          cursors: &cursors, scorer: scorer, heap: &heap, filter: filter, prune: resolved != .exhaustive)
        ranked = heap.sorted()
      }
      return try ranked.map { score, document in
        unsafe LexicalHit(
          document: document, score: score,
          explanation: explain ? try Self.explanation(of: document, cursors: pristine, scorer: scorer) : nil)
      }
    }
  }

  /// Why `document` scores what it does for `query`: nil when it is not indexed.
  /// - Throws: ``LexicalIndexError``: `.corruptDocumentRecord` when the record of `document` does not decode,
  ///   `.corruptPostingChunk` when a chunk of a query term does not decode; errors of `store` pass through unchanged.
  /// - Complexity: O(query terms · (chunks skipped + one chunk decode)).
  public func explain(_ query: String, document: UInt32, in store: some LexicalStorageReader) throws
    -> BM25Explanation?
  {
    guard let length = try documentLength(document, in: store) else { return nil }
    let statistics = try store.collectionStatistics()
    let scorer = BM25Scorer(parameters: parameters, statistics: statistics)
    var explanation = try unsafe withCursors(Self.weighted(queryTerms(query)), scorer: scorer, in: store) { cursors in
      try unsafe Self.explanation(of: document, cursors: cursors, scorer: scorer)
    }
    explanation.documentLength = length
    return explanation
  }

  private static func explanation(
    of document: UInt32, cursors: [PostingCursor], scorer: BM25Scorer
  ) throws(LexicalIndexError) -> BM25Explanation {
    var terms: [TermContribution] = []
    var length: UInt32 = 0
    for unsafe var cursor in unsafe cursors {
      try unsafe cursor.start()
      try unsafe cursor.advance(to: document)
      guard unsafe cursor.document == document else { continue }
      let (frequency, documentLength) = try unsafe cursor.frequencyAndLength()
      length = documentLength
      unsafe terms.append(
        TermContribution(
          term: cursor.term, documentFrequency: cursor.documentFrequency, queryFrequency: cursor.queryFrequency,
          termFrequency: frequency,
          idf: cursor.idf, tfNorm: scorer.tfNorm(termFrequency: frequency, documentLength: documentLength),
          score: try cursor.score(scorer)))
    }
    return BM25Explanation(
      terms: terms, documentLength: length, averageLength: scorer.statistics.averageLength,
      documentCount: scorer.statistics.documentCount, parameters: scorer.parameters)
  }

  /// The distinct terms in order of first appearance, with their counts.
  private static func weighted(_ terms: [Term]) -> [(term: Term, frequency: UInt32)] {
    var position: [Term: Int] = [:]
    var result: [(term: Term, frequency: UInt32)] = []
    for term in terms {
      if let index = position[term] {
        result[index].frequency += 1
      } else {
        position[term] = result.count
        result.append((term, 1))
      }
    }
    return result
  }

  /// Borrows the chunks of every term at once and builds prepared cursors
  /// over those holding postings, in query order.
  private func withCursors<Result>(
    _ terms: [(term: Term, frequency: UInt32)], scorer: BM25Scorer, in store: some LexicalStorageReader,
    _ body: (inout [PostingCursor]) throws -> Result
  ) throws -> Result {
    try store.withPostingChunks(of: terms.map(\.term)) { lent in
      var cursors: [PostingCursor] = unsafe []
      unsafe cursors.reserveCapacity(lent.termCount)
      for index in 0..<lent.termCount where lent.chunkCount(ofTerm: index) > 0 {
        // The cursors live inside this closure only, like the lent chunks.
        var cursor = try unsafe PostingCursor(
          term: terms[index].term, queryIndex: cursors.count, queryFrequency: terms[index].frequency,
          chunks: unsafe lent.unsafeChunks(ofTerm: index))
        unsafe cursor.prepare(scorer: scorer)
        unsafe cursors.append(cursor)
      }
      return try unsafe body(&cursors)
    }
  }
}

/// How `BM25Index.search` walks the posting lists.
///
/// All strategies return the same hits with the same scores; they differ in speed.
public enum BM25SearchStrategy: Sendable, Hashable {
  /// Windowed MaxScore where pruning pays (few hits, dense postings, a
  /// large index), term at a time otherwise (see `smallLimit`,
  /// `largeIndexMinimumDocuments`, `densePostingsPerDocument` and
  /// `termAtATimeMinimumTerms`).
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

  // The rule below was fitted on 2026-12-07 (one thread, CPU queries/s and
  // per-query milliseconds from `tracekv-bench lexical --compare
  // taat,wmaxscore,maxscore --compare-depths 1,3,10,100`, on Debian's
  // 64,609 descriptions with their synopsis queries, and on the generated
  // traces-100k and traces-1m with their synopsis queries and with
  // `--drawn-queries 1000`, the `search` bench's kind; BENCHMARKS.md has the
  // tables). Windowed MaxScore probes its non-essential terms without
  // decoding chunks (`PostingProbe`), which made it faster than MaxScore
  // (document at a time) and block-max WAND at every depth on every
  // collection, so `.automatic` no longer picks those two.

  /// From this many distinct query terms on, `.automatic` runs term at a time:
  /// a candidate's probes cost O(terms), term at a time's postings do not.
  public static let termAtATimeMinimumTerms = 12

  /// Up to this many hits `.automatic` runs windowed MaxScore whatever the
  /// index: the threshold rises fast. Debian, k = 1: 16,455 CPU queries/s
  /// against term at a time's 11,732 (k = 3: 13,500 against 11,689);
  /// traces-100k drawn queries, k = 1: 6,622 against 1,920.
  public static let smallLimit = 3

  /// From this many indexed documents on, `.automatic` runs windowed
  /// MaxScore for up to `largeIndexMaximumLimit` hits. traces-1m, k = 10:
  /// 1,338 CPU queries/s against 964 with the synopsis queries, 712 against
  /// 195 with drawn ones, faster in every band of query density; on
  /// traces-100k and Debian term at a time stays faster for sparse queries
  /// (Debian p50 0.082 against 0.089 ms).
  public static let largeIndexMinimumDocuments: UInt64 = 500_000

  /// The most hits for which a large index alone picks windowed MaxScore
  /// (at k = 100 on traces-1m, sparse queries are a tie: below).
  public static let largeIndexMaximumLimit = 10

  /// From this many postings per indexed document (the query terms'
  /// document frequencies summed, over the document count) on, the query is
  /// dense: its common terms hold most of the postings term at a time would
  /// read, and windowed MaxScore only probes them. Per query, k = 10, dense
  /// against sparse: on traces-100k synopsis queries windowed MaxScore took
  /// 0.177 ms against term at a time's 0.349 ms (sparse: 0.139 against
  /// 0.113), drawn queries 0.276 against 0.622 (sparse: 0.173 against 0.194).
  public static let densePostingsPerDocument = 0.8

  /// Past `largeIndexMaximumLimit` hits, up to this many, a dense query
  /// runs windowed MaxScore in an index of at least
  /// `denseDeepMinimumDocuments` documents with a selective term. At k = 100
  /// on traces-1m drawn queries, dense ones took 1.5–4.2 ms against term at
  /// a time's 3.3–9.3 ms; sparse ones were a tie, left to term at a time.
  public static let denseDeepMaximumLimit = 100

  /// The smallest index where a dense query at k = 100 pays for pruning:
  /// traces-100k 0.341 against 0.370 ms (synopsis), 0.527 against 0.595
  /// (drawn); on Debian (64,609 documents) term at a time won, 0.221
  /// against 0.354 ms.
  public static let denseDeepMinimumDocuments: UInt64 = 100_000

  /// Past `largeIndexMaximumLimit` hits the dense rule needs a selective
  /// term, held by fewer than this fraction of the documents, to drive the
  /// candidates while the dense ones are probed. Without one every document
  /// matches several query terms and scores bunch under the bounds: on
  /// traces-100k's 21 dense drawn queries without one, k = 100, windowed
  /// MaxScore took 0.763 ms against term at a time's 0.771 ms.
  public static let selectiveTermFraction = 0.05

  /// The strategy `.automatic` resolves to for `terms` distinct terms,
  /// `limit` hits, `documents` indexed documents, the terms' `postings`
  /// (their document frequencies summed) and the `rarest` term's frequency.
  static func automatic(
    terms: Int, limit: Int, documents: UInt64, postings: UInt64, rarest: UInt64
  ) -> BM25SearchStrategy {
    guard terms < termAtATimeMinimumTerms, documents > 0 else { return .termAtATime }
    if limit <= smallLimit { return .windowedMaxScore }
    let dense = Double(postings) >= densePostingsPerDocument * Double(documents)
    if limit <= largeIndexMaximumLimit && (dense || documents >= largeIndexMinimumDocuments) { return .windowedMaxScore }
    if limit <= denseDeepMaximumLimit, dense, documents >= denseDeepMinimumDocuments,
      Double(rarest) < selectiveTermFraction * Double(documents)
    {
      return .windowedMaxScore
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
  ///   windowed MaxScore (few hits, dense queries, large indexes) only probes
  ///   the common terms' lists, term at a time costs O(P + D log k) for D
  ///   matching documents.
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
      if resolved == .windowedMaxScore {
        for index in unsafe cursors.indices { unsafe cursors[index].prepareTermBound(scorer: scorer) }
      } else if resolved != .termAtATime {
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

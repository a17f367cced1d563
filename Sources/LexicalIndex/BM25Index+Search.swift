/// How `BM25Index.search` walks the posting lists.
///
/// All strategies return the same hits with the same scores; they differ in speed.
public enum BM25SearchStrategy: Sendable, Hashable {
  /// Windowed MaxScore where pruning pays (dense postings, few hits, a
  /// large index), term at a time otherwise (see `densePostingsPerDocument`,
  /// `termAtATimeMinimumTerms`, `smallLimit` and `largeIndexMinimumDocuments`).
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
  // (document at a time) at every depth on every collection measured, so
  // `.automatic` no longer picks MaxScore (nor block-max WAND, which earlier
  // sessions measured slower than MaxScore).

  /// From this many postings per indexed document (the query terms'
  /// document frequencies summed, over the document count) on, the query is
  /// dense: its common terms hold most of the postings term at a time would
  /// read, and windowed MaxScore only probes them. Dense queries run windowed
  /// MaxScore up to `denseMaximumLimit` hits in any index, and up to
  /// `denseDeepMaximumLimit` from `denseDeepMinimumDocuments` documents on,
  /// however many terms they have. Mean milliseconds per query (term at a
  /// time / windowed MaxScore), dense queries of the `search` bench's kind:
  ///
  ///     collection      k    < 12 terms     ≥ 12 terms
  ///     traces-1m       10   10.22 / 2.20   15.99 / 3.66
  ///     traces-1m      100   10.93 / 4.82   17.30 / 7.99
  ///     traces-100k     10    0.60 / 0.24    0.93 / 0.42
  ///     traces-100k    100    0.63 / 0.46    0.97 / 0.81
  ///
  /// Without a selective term (none under 5 % of the documents) windowed
  /// MaxScore still won: traces-1m, k = 100, 6.74 against 15.21 ms (25
  /// queries). On Debian (64,609 documents) at k = 100 term at a time won
  /// the dense queries, 0.220 against 0.339 ms.
  public static let densePostingsPerDocument = 0.8

  /// The most hits for which a dense query runs windowed MaxScore in an index of any size.
  public static let denseMaximumLimit = 10

  /// The most hits for which a dense query runs windowed MaxScore in an
  /// index of at least `denseDeepMinimumDocuments` documents.
  public static let denseDeepMaximumLimit = 100

  /// The smallest index where a dense query past `largeIndexMaximumLimit`
  /// hits runs windowed MaxScore (see `densePostingsPerDocument`).
  public static let denseDeepMinimumDocuments: UInt64 = 100_000

  /// From this many distinct query terms on, a query that is not dense runs
  /// term at a time: a candidate's probes cost O(terms), term at a time's
  /// postings do not. traces-1m synopsis queries of ≥ 12 terms, k = 100:
  /// 2.67 ms against windowed MaxScore's 7.79.
  public static let termAtATimeMinimumTerms = 12

  /// Up to this many hits `.automatic` runs windowed MaxScore whatever the
  /// index: the threshold rises fast. Debian, k = 1: 0.060 ms a query
  /// against term at a time's 0.086 (k = 3: 0.074 against 0.085);
  /// traces-100k drawn queries, k = 1: 6,622 CPU queries/s against 1,920.
  public static let smallLimit = 3

  /// From this many indexed documents on, `.automatic` runs windowed
  /// MaxScore for up to `largeIndexMaximumLimit` hits. traces-1m, k = 10,
  /// queries that are not dense: 0.696 ms against 1.211 (synopsis), 1.27
  /// against 2.25 (drawn); on traces-100k and Debian term at a time stays
  /// faster for them (traces-100k synopsis 0.116 against 0.136 ms).
  public static let largeIndexMinimumDocuments: UInt64 = 500_000

  /// The most hits for which a large index alone picks windowed MaxScore:
  /// the fusion depth. Queries that are not dense at k = 100 on the diverse
  /// million (its store, `tracekv-bench search --limit 100`, each strategy
  /// forced, two rounds, the better of each query's two times): synopsis
  /// queries 1.00 ms a query against term at a time's 1.53 (windowed MaxScore
  /// faster on 384 of 473), drawn queries 1.68 against 2.19 (17 of 23).
  /// Fitted on the in-memory index before probes stopped decoding chunks,
  /// this limit was 10 (k = 100 then: 1.79 against 1.60 ms).
  public static let largeIndexMaximumLimit = 100

  /// The strategy `.automatic` resolves to for `terms` distinct terms,
  /// `limit` hits, `documents` indexed documents and the terms' `postings`
  /// (their document frequencies summed).
  static func automatic(terms: Int, limit: Int, documents: UInt64, postings: UInt64) -> BM25SearchStrategy {
    guard documents > 0 else { return .termAtATime }
    if Double(postings) >= densePostingsPerDocument * Double(documents),
      limit <= denseMaximumLimit || (limit <= denseDeepMaximumLimit && documents >= denseDeepMinimumDocuments)
    {
      return .windowedMaxScore
    }
    if terms >= termAtATimeMinimumTerms { return .termAtATime }
    if limit <= smallLimit { return .windowedMaxScore }
    if limit <= largeIndexMaximumLimit && documents >= largeIndexMinimumDocuments { return .windowedMaxScore }
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
          postings: cursors.reduce(0) { unsafe $0 + $1.documentFrequency })
        : strategy
      // Windowed MaxScore prunes by the term bounds the cursors carry.
      if resolved != .windowedMaxScore && resolved != .termAtATime {
        for index in unsafe cursors.indices { try unsafe cursors[index].prepareBounds(scorer: scorer) }
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
  /// over those holding postings, in `SummationOrder`, each with its term
  /// bound (`PostingCursor.prepareTermBound`).
  private func withCursors<Result>(
    _ terms: [(term: Term, frequency: UInt32)], scorer: BM25Scorer, in store: some LexicalStorageReader,
    _ body: (inout [PostingCursor]) throws -> Result
  ) throws -> Result {
    let queried = terms.map(\.term)
    // The write buffer's postings follow each stored list (nil: no buffered document).
    let pending = try unsafe PendingChunks.read(of: queried, in: store)
    // Its chunks are lent to the cursors: it must outlive them.
    defer { unsafe withExtendedLifetime(pending) {} }
    return try store.withPostingEntries(of: queried) { lent in
      var cursors: [PostingCursor] = unsafe []
      unsafe cursors.reserveCapacity(lent.termCount)
      for index in 0..<lent.termCount {
        var entries = unsafe lent.unsafeEntries(ofTerm: index)
        if let pending = unsafe pending { unsafe entries += pending.chunks[index] }
        guard unsafe !entries.isEmpty else { continue }
        // The cursors live inside this closure only, like the lent chunks.
        let list = try unsafe PostingList(term: terms[index].term, entries: entries)
        var cursor = unsafe PostingCursor(list: list, summationIndex: cursors.count, queryFrequency: terms[index].frequency)
        unsafe cursor.prepare(scorer: scorer)
        unsafe cursors.append(cursor)
      }
      unsafe SummationOrder.arrange(&cursors, scorer: scorer)
      return try unsafe body(&cursors)
    }
  }
}

/// MaxScore over term-at-a-time windows, in the manner of Lucene's
/// `MaxScoreBulkScorer`: the essential terms (those whose bounds the
/// threshold has not yet absorbed, see `MaxScoreSearch`) add their scores
/// into a window of accumulators, as `TermAtATimeSearch` does, and the
/// non-essential terms (the common words, with the longest lists) are never
/// walked: they are only probed (`PostingProbe`, which decodes no chunk),
/// largest bound first, for the documents whose partial score plus their
/// bounds can still beat the threshold. Up to two of the terms the threshold
/// absorbed may still be accumulated, window by window, where that costs
/// less than the candidates it saves (`EssentialSplitChooser`).
///
/// Why: at k = 100 the threshold stays too low for document-at-a-time
/// pruning to pay for its per-candidate loop over the terms, while
/// term at a time pays for every posting of every common word. Here the
/// cheap loop runs over the essential lists only.
///
/// Exactness: the terms are summed in `SummationOrder` (by decreasing
/// bound), so the window accumulates the essential terms first and a
/// window's sum is an exact prefix of the score; each probe adds the next
/// term. A document is dropped only when its sum so far plus the bounds of
/// the terms left (inflated by a hair, see `PostingCursor.prepareTermBound`)
/// is ≤ the threshold less a margin of 1e-9 of it, which covers the
/// rounding of the additions still to come. A document that is not dropped
/// ends with its exact score, bit for bit the exhaustive one.
enum WindowedMaxScoreSearch {
  /// Fills `heap` with the best documents over `cursors` (in summation
  /// order, with their term bounds).
  /// - Complexity: O(P_e + C · q) for P_e postings of the essential terms,
  ///   C candidates and q terms; the non-essential lists are read only
  ///   around the candidates.
  static func run(
    cursors: inout [PostingCursor], scorer: BM25Scorer, heap: inout TopKHeap, filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) {
    guard unsafe !cursors.isEmpty, heap.capacity > 0 else { return }
    // The window's drain sees only positive sums (see `TermAtATimeSearch.run`).
    guard unsafe cursors.allSatisfy(unsafe \.hasPositiveWeight) else {
      return try unsafe MaxScoreSearch.run(cursors: &cursors, scorer: scorer, heap: &heap, filter: filter, prune: false)
    }
    for index in unsafe cursors.indices { try unsafe cursors[index].start() }
    let seeded = try unsafe seed(cursors, scorer: scorer, heap: &heap, filter: filter)
    var probes = unsafe cursors.map { unsafe PostingProbe($0) }
    // Rank order: increasing bound, the summation order reversed.
    let rank = Array(unsafe cursors.indices.reversed())
    try unsafe cursors.withUnsafeMutableBufferPointer { (cursors) throws(LexicalIndexError) in
      try unsafe probes.withUnsafeMutableBufferPointer { (probes) throws(LexicalIndexError) in
        try unsafe evaluate(
          cursors, probes: probes, rank: rank, seeded: seeded, scorer: scorer, heap: &heap, filter: filter)
      }
    }
  }

  /// The most postings the rarest term may have for `seed` to score them.
  static let seedMaximumPostings: UInt64 = 2_048

  /// Scores every document of the query's rarest term exactly and offers
  /// it to `heap`, before any window: returns them, in increasing order,
  /// for the windows to skip.
  ///
  /// Why: the windows start with an empty heap, so the threshold is the
  /// first window's scores and climbs slowly, and until it does, the
  /// non-essential terms' bounds let most documents through to be probed.
  /// The rarest term's documents hold the highest-idf word of the query,
  /// so the best of them come close to the final k-th score at once.
  ///
  /// Exactness: these documents get their exact scores (summed in
  /// summation order) and are never offered again; the heap orders ties by id
  /// whatever order documents are offered in, and the windows' pruning
  /// tests keep every document whose bound reaches the threshold, ties included.
  private static func seed(
    _ cursors: [PostingCursor], scorer: BM25Scorer, heap: inout TopKHeap, filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) -> [UInt32] {
    guard unsafe cursors.count > 1,
      let rarest = unsafe cursors.indices.min(by: { unsafe cursors[$0].documentFrequency < cursors[$1].documentFrequency }),
      unsafe cursors[rarest].documentFrequency <= seedMaximumPostings
    else { return [] }
    var postings = unsafe cursors[rarest]
    var probes = unsafe cursors.map { unsafe PostingProbe($0) }
    var seeded: [UInt32] = []
    while unsafe postings.document != PostingCursor.exhausted {
      let document = unsafe postings.document
      try unsafe postings.next()
      if let filter, !filter(document) { continue }
      var score = 0.0
      for term in unsafe probes.indices { score += try unsafe probes[term].score(at: document, scorer) }
      heap.offer(score, document)
      seeded.append(document)
    }
    return seeded
  }

  private static func evaluate(
    _ cursors: UnsafeMutableBufferPointer<PostingCursor>, probes: UnsafeMutableBufferPointer<PostingProbe>,
    rank: [Int], seeded: [UInt32], scorer: BM25Scorer, heap: inout TopKHeap, filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) {
    var seeded = SeededDocuments(seeded)
    let count = cursors.count
    var boundPrefix = [Double](repeating: 0, count: count)
    var running = 0.0
    for position in 0..<count {
      unsafe running += cursors[rank[position]].upperBound
      boundPrefix[position] = running
    }
    var window = unsafe ScoreWindow(capacity: TermAtATimeSearch.windowSize)
    defer { unsafe window.deallocate() }
    var threshold = heap.threshold
    var firstEssential = 0
    let candidates = unsafe WindowCandidates(capacity: window.capacity)
    defer { unsafe candidates.deallocate() }
    var chooser = EssentialSplitChooser()

    while true {
      while firstEssential < count && boundPrefix[firstEssential] <= threshold { firstEssential += 1 }
      if firstEssential == count { return }
      // The terms from `split` on are accumulated: those the threshold
      // has not absorbed, and up to two more while that pays.
      let level = firstEssential > 0 ? min(chooser.next(), firstEssential) : 0
      let split = firstEssential - level
      let nonEssentialBound = split > 0 ? boundPrefix[split - 1] : 0

      var windowStart = unsafe PostingCursor.exhausted
      for position in split..<count { windowStart = unsafe min(windowStart, cursors[rank[position]].document) }
      if unsafe windowStart == PostingCursor.exhausted { return }
      unsafe window.start = windowStart
      let windowEnd =
        unsafe windowStart &+ UInt32(window.capacity) > windowStart ? windowStart + UInt32(window.capacity) : .max

      if firstEssential == 0 {
        // Nothing to prune yet (the heap is filling): plain term at a time,
        // terms in summation order, so each sum already is the exact score.
        // A seeded document with a higher id may hold the threshold, so a
        // tie can still enter: the floor lets it through to the heap.
        for term in 0..<count { try unsafe cursors[term].accumulate(until: windowEnd, into: window, scorer: scorer) }
        unsafe window.drain(above: max(threshold.nextDown, 0)) { document, score in
          if score >= threshold, filter?(document) ?? true, !seeded.contains(document), heap.offer(score, document) {
            threshold = heap.threshold
          }
          return max(threshold.nextDown, 0)
        }
        continue
      }

      // In summation order: largest bound first.
      var accumulated = 0
      for position in (split..<count).reversed() {
        accumulated += try unsafe cursors[rank[position]].accumulate(until: windowEnd, into: window, scorer: scorer)
      }

      // The window's candidates: documents whose sum so far, with every
      // non-essential bound, can still beat the threshold less the margin.
      // The drain's floor admits no other.
      let margin = threshold - 1e-9 * threshold
      let floor = max(0, margin - nonEssentialBound)
      var alive = 0
      unsafe window.drain(above: floor) { document, partial in
        guard partial + nonEssentialBound > margin else { return floor }
        if let filter, !filter(document) { return floor }
        if seeded.contains(document) { return floor }
        unsafe candidates.documents[alive] = document
        unsafe candidates.sums[alive] = partial
        alive += 1
        return floor
      }
      chooser.record(level: level, postings: accumulated, candidates: alive)
      // The non-essential terms, largest bound first, each over every
      // candidate left at once (a probe walking its list forward in one
      // loop, its state in registers) and adding its contribution in place
      // of its bound: a candidate goes as soon as what is left cannot lift
      // it over the margin. Those left at the end hold their exact scores.
      for position in (0..<split).reversed() {
        let rest = position > 0 ? boundPrefix[position - 1] : 0
        alive = try unsafe candidates.keep(count: alive, probing: &probes[rank[position]], scorer: scorer) {
          $0 + rest > margin
        }
      }
      for candidate in 0..<alive {
        if unsafe heap.offer(candidates.sums[candidate], candidates.documents[candidate]) { threshold = heap.threshold }
      }
    }
  }
}

/// The documents `WindowedMaxScoreSearch.seed` scored, asked about in
/// increasing order as the windows meet documents.
///
/// A struct, not a nested function over a captured index: the closures
/// that call it made the compiler check exclusive access to that index at
/// run time, about a tenth of a query on the replicated million.
private struct SeededDocuments {
  private let documents: [UInt32]
  private var next = 0

  /// - Parameter documents: in increasing order.
  init(_ documents: [UInt32]) { self.documents = documents }

  /// Whether `document` is seeded.
  /// - Precondition: `document` is at least every document asked before.
  mutating func contains(_ document: UInt32) -> Bool {
    while next < documents.count && documents[next] < document { next += 1 }
    return next < documents.count && documents[next] == document
  }
}

/// How many of the terms that `WindowedMaxScoreSearch` could leave
/// non-essential it accumulates instead, window by window: 0, 1 or 2 of
/// those with the largest bounds (the level).
///
/// Why: a term left non-essential is not accumulated, but its bound lowers
/// the drain's floor (the threshold less every non-essential bound), and
/// once the largest such set is taken the floor is near 0: almost every
/// posting of the essential terms becomes a candidate, and a candidate
/// costs a probe or more, many times a posting accumulated. Which way pays
/// depends on the query and the threshold. On the diverse million at k =
/// 100 (drawn queries), keeping one more term essential cut the candidates
/// from 65,000 to 17,000 a query and two to 5,800, while at k = 10 the
/// largest set was fastest.
///
/// The chooser runs the first windows at each level, then the level whose
/// windows cost least so far, by the counts seen: postings accumulated plus
/// `candidateCost` per candidate. Every level is exact: a smaller
/// non-essential set only lowers the bound it adds to a partial sum.
struct EssentialSplitChooser {
  static let levels = 3

  /// A candidate's cost in postings accumulated (a drain step and a probe
  /// or more, against a scatter-add in a vectorized loop). Measured against
  /// 6 and 40 on the diverse million (drawn queries, hybrid p99 13.0–13.3 ms
  /// against 18.0–18.3 and 13.3–13.6) and the replicated million (lexical
  /// p50 5.63 ms against 5.78 and 5.87).
  static let candidateCost = 16.0

  private var cost = [Double](repeating: 0, count: levels)
  private var windows = [Int](repeating: 0, count: levels)

  /// The level for the next window.
  func next() -> Int {
    if let untried = windows.firstIndex(of: 0) { return untried }
    return (0..<Self.levels).min { cost[$0] / Double(windows[$0]) < cost[$1] / Double(windows[$1]) }!
  }

  /// What a window run at `level` cost.
  mutating func record(level: Int, postings: Int, candidates: Int) {
    cost[level] += Double(postings) + Self.candidateCost * Double(candidates)
    windows[level] += 1
  }
}

/// One window's candidates of `WindowedMaxScoreSearch`, in increasing
/// document order: each with its score summed so far, in summation order.
@unsafe
private struct WindowCandidates {
  let documents: UnsafeMutablePointer<UInt32>
  let sums: UnsafeMutablePointer<Double>

  /// Room for a window's every document.
  init(capacity: Int) {
    unsafe documents = .allocate(capacity: capacity)
    unsafe sums = .allocate(capacity: capacity)
  }

  func deallocate() {
    unsafe documents.deallocate()
    unsafe sums.deallocate()
  }

  /// Adds `probe`'s score at each of the first `count` candidates to its
  /// sum and keeps, in order, those whose new sum `keeps`: returns how many.
  /// - Complexity: O(count) probes, moving `probe` forward once.
  @inline(__always)
  func keep(
    count: Int, probing probe: inout PostingProbe, scorer: BM25Scorer, _ keeps: (Double) -> Bool
  ) throws(LexicalIndexError) -> Int {
    var kept = 0
    for candidate in 0..<count {
      let document = unsafe documents[candidate]
      let sum = unsafe sums[candidate] + (try unsafe probe.score(at: document, scorer))
      guard keeps(sum) else { continue }
      unsafe documents[kept] = document
      unsafe sums[kept] = sum
      kept += 1
    }
    return kept
  }
}


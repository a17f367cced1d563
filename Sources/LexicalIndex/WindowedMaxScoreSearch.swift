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
/// Exactness: a document is dropped only when an upper bound of its score
/// is ≤ the threshold. The window's partial sum sees the essential terms in
/// another order than the final score, so it is inflated by a hair before
/// the comparison (the term bounds already are, see `PostingCursor.prepareTermBound`).
/// A document that passes is scored afresh by the probes, its
/// contributions summed in query order: bit for bit the exhaustive score.
/// While no term is non-essential (the heap is filling), a window is plain
/// term at a time in query order, whose sums already are the exact scores.
enum WindowedMaxScoreSearch {
  /// Fills `heap` with the best documents over `cursors` (in query order).
  /// - Complexity: O(P_e + S · q) for P_e postings of the essential terms,
  ///   S documents scored afresh and q terms; the non-essential lists are
  ///   read only around those S documents.
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
    // Rank order: increasing bound (ties by query order).
    let rank = unsafe cursors.indices.sorted { unsafe (cursors[$0].upperBound, $0) < (cursors[$1].upperBound, $1) }
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
  /// Exactness: these documents get their exact scores (summed in query
  /// order) and are never offered again; the heap orders ties by id
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

  /// The relative slack on a partial sum summed in another order than the score.
  static let slack = 1 + 1e-9

  private static func evaluate(
    _ cursors: UnsafeMutableBufferPointer<PostingCursor>, probes: UnsafeMutableBufferPointer<PostingProbe>,
    rank: [Int], seeded: [UInt32], scorer: BM25Scorer, heap: inout TopKHeap, filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) {
    // The next seeded document the drains may meet (they meet documents in increasing order).
    var nextSeeded = 0
    func wasSeeded(_ document: UInt32) -> Bool {
      while nextSeeded < seeded.count && seeded[nextSeeded] < document { nextSeeded += 1 }
      return nextSeeded < seeded.count && seeded[nextSeeded] == document
    }
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
    // By query order: whether the term is accumulated in this window, and a
    // non-essential term's contribution to the document being probed. Raw
    // buffers: the loop below touches them for every candidate, and
    // arrays cost an exclusivity and bounds check per touch.
    let isEssential = UnsafeMutableBufferPointer<Bool>.allocate(capacity: count)
    let contributions = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
    defer {
      unsafe isEssential.deallocate()
      unsafe contributions.deallocate()
    }
    unsafe isEssential.initialize(repeating: true)
    unsafe contributions.initialize(repeating: 0)

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
        // terms in query order, so each sum already is the exact score.
        // A seeded document with a higher id may hold the threshold, so a
        // tie can still enter: the floor lets it through to the heap.
        for term in 0..<count { try unsafe cursors[term].accumulate(until: windowEnd, into: window, scorer: scorer) }
        unsafe window.drain(above: max(threshold.nextDown, 0)) { document, score in
          if score >= threshold, filter?(document) ?? true, !wasSeeded(document), heap.offer(score, document) {
            threshold = heap.threshold
          }
          return max(threshold.nextDown, 0)
        }
        continue
      }

      var accumulated = 0
      for position in split..<count {
        accumulated += try unsafe cursors[rank[position]].accumulate(until: windowEnd, into: window, scorer: scorer)
      }

      // The window's candidates: documents whose partial sum, with every
      // non-essential bound, can still beat the threshold. The drain's floor
      // admits no other; a margin of 1e-9 of the threshold covers the
      // rounding of the two forms.
      let floor = max(0, (threshold - nonEssentialBound - 1e-9 * threshold) / slack)
      var alive = 0
      unsafe window.drain(above: floor) { document, partial in
        guard partial * slack + nonEssentialBound > threshold else { return floor }
        if let filter, !filter(document) { return floor }
        if wasSeeded(document) { return floor }
        unsafe candidates.documents[alive] = document
        unsafe candidates.partials[alive] = partial * slack
        unsafe candidates.probed[alive] = 0
        alive += 1
        return floor
      }
      chooser.record(level: level, postings: accumulated, candidates: alive)
      for position in 0..<count { unsafe isEssential[rank[position]] = position >= split }
      // The non-essential terms, largest bound first, each replacing its
      // bound by its contribution: a candidate goes as soon as what is left
      // cannot lift it over the threshold (with the same margin as the floor).
      // The first term over every candidate at once (a probe walking its
      // list forward in one loop, its state in registers): most candidates
      // go there. Then candidate by candidate, keeping each contribution for
      // the score of those that may enter. (With every term accumulated,
      // there is nothing to probe: the candidates are scored.)
      let first = split > 0 ? rank[split - 1] : nil
      if let first {
        let rest = split > 1 ? boundPrefix[split - 2] : 0
        let margin = threshold - 1e-9 * threshold
        alive = try unsafe candidates.keep(count: alive, probing: &probes[first], scorer: scorer) { $0 + $1 + rest > margin }
      }
      for candidate in 0..<alive {
        let document = unsafe candidates.documents[candidate]
        var probed = unsafe candidates.probed[candidate]
        if let first { unsafe contributions[first] = probed }
        let cutoff = unsafe threshold - 1e-9 * threshold - candidates.partials[candidate]
        var position = split - 2
        var mayEnter = true
        while position >= 0 {
          let term = rank[position]
          let contribution = try unsafe probes[term].score(at: document, scorer)
          unsafe contributions[term] = contribution
          probed += contribution
          if probed + (position > 0 ? boundPrefix[position - 1] : 0) <= cutoff {
            mayEnter = false
            break
          }
          position -= 1
        }
        guard mayEnter else { continue }
        // It may enter: its score afresh, summed in query order, the
        // accumulated terms read by their probes.
        var score = 0.0
        for term in 0..<count {
          score += unsafe isEssential[term] ? try unsafe probes[term].score(at: document, scorer) : contributions[term]
        }
        if heap.offer(score, document) { threshold = heap.threshold }
      }
    }
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
/// document order: each with its essential terms' partial sum (times the
/// slack) and what the non-essential terms probed so far added.
@unsafe
private struct WindowCandidates {
  let documents: UnsafeMutablePointer<UInt32>
  let partials: UnsafeMutablePointer<Double>
  let probed: UnsafeMutablePointer<Double>

  /// Room for a window's every document.
  init(capacity: Int) {
    unsafe documents = .allocate(capacity: capacity)
    unsafe partials = .allocate(capacity: capacity)
    unsafe probed = .allocate(capacity: capacity)
  }

  func deallocate() {
    unsafe documents.deallocate()
    unsafe partials.deallocate()
    unsafe probed.deallocate()
  }

  /// Adds `probe`'s score at each of the first `count` candidates to its
  /// probed sum and keeps, in order, those for which `keeps(partial,
  /// probed)` holds: returns how many.
  /// - Complexity: O(count) probes, moving `probe` forward once.
  @inline(__always)
  func keep(
    count: Int, probing probe: inout PostingProbe, scorer: BM25Scorer, _ keeps: (Double, Double) -> Bool
  ) throws(LexicalIndexError) -> Int {
    var kept = 0
    for candidate in 0..<count {
      let document = unsafe documents[candidate]
      let probed = unsafe probed[candidate] + (try unsafe probe.score(at: document, scorer))
      let partial = unsafe partials[candidate]
      guard keeps(partial, probed) else { continue }
      unsafe documents[kept] = document
      unsafe partials[kept] = partial
      unsafe self.probed[kept] = probed
      kept += 1
    }
    return kept
  }
}

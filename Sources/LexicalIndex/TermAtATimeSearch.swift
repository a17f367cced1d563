/// Term-at-a-time top-k retrieval in windows of document ids, in the manner
/// of Lucene's BooleanScorer: each term's postings inside a window add their
/// score into a small accumulator array, then the window's documents are
/// offered to the heap in document order.
///
/// No pruning, but no per-candidate pass over the terms either: its cost is
/// O(postings of the query terms), independent of how many terms there are.
/// That wins for long queries (a task description used as a query holds a
/// hundred distinct terms), where document-at-a-time pays O(terms) for every
/// candidate and the threshold stays too low to prune.
///
/// Exactness: terms are visited in query order inside a window, so each
/// document's score is summed in query-term order from 0, the very
/// additions `MaxScoreSearch` performs (adding the 0 of an absent term
/// changes no bit); results are identical.
enum TermAtATimeSearch {
  /// Documents per window: 4,096 scores (32 KB) and a 512-byte bitmap stay in L1/L2.
  static let windowSize = 4_096

  /// Fills `heap` with the best documents over `cursors`, which must be in query order.
  /// - Complexity: O(P + D log k) for P postings and D distinct matching documents.
  static func run(
    cursors: inout [PostingCursor], scorer: BM25Scorer, heap: inout TopKHeap, filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) {
    try cursors.startedAsBuffer(filling: &heap) { (cursors, heap) throws(LexicalIndexError) in
      try accumulate(cursors, scorer: scorer, heap: &heap, filter: filter)
    }
  }

  private static func accumulate(
    _ cursors: UnsafeMutableBufferPointer<PostingCursor>, scorer: BM25Scorer, heap: inout TopKHeap,
    filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) {
    var window = ScoreWindow(capacity: windowSize)
    defer { window.deallocate() }
    // Documents arrive in increasing id order, so a tie with the kept worst
    // never replaces it: once the heap is full, `score > threshold` is the
    // exact admission test, checked here without a call.
    var threshold = heap.threshold

    while true {
      var windowStart = PostingCursor.exhausted
      for index in cursors.indices { windowStart = min(windowStart, cursors[index].document) }
      if windowStart == PostingCursor.exhausted { return }
      window.start = windowStart
      // Clamped so the window end never passes the exhausted sentinel.
      let windowEnd = windowStart &+ UInt32(windowSize) > windowStart ? windowStart + UInt32(windowSize) : .max

      for index in cursors.indices {
        try cursors[index].accumulate(until: windowEnd, into: window, scorer: scorer)
      }

      window.drain { document, score in
        guard score > threshold else { return }
        if let filter, !filter(document) { return }
        if heap.offer(score, document) { threshold = heap.threshold }
      }
    }
  }
}

/// The accumulators of one term-at-a-time window: a score per document id
/// in `start ..< start + capacity` and a bitmap of the ids that received one.
///
/// Raw memory rather than arrays: the inner loop writes both for every
/// posting, and must pay neither uniqueness nor bounds checks there.
struct ScoreWindow {
  let capacity: Int
  var start: UInt32 = 0
  let scores: UnsafeMutablePointer<Double>
  let touched: UnsafeMutablePointer<UInt64>
  /// Scratch for one chunk's contributions, by position in the chunk.
  let contributions: UnsafeMutablePointer<Double>

  /// Zeroed accumulators; `capacity` must be a multiple of 64. Free with `deallocate()`.
  init(capacity: Int) {
    precondition(capacity > 0 && capacity % 64 == 0, "a window holds a positive multiple of 64 documents")
    self.capacity = capacity
    scores = .allocate(capacity: capacity)
    scores.initialize(repeating: 0, count: capacity)
    touched = .allocate(capacity: capacity / 64)
    touched.initialize(repeating: 0, count: capacity / 64)
    contributions = .allocate(capacity: PostingChunk.capacity)
  }

  func deallocate() {
    scores.deallocate()
    touched.deallocate()
    contributions.deallocate()
  }

  /// Hands every touched document with its score to `body` in id order and
  /// resets the accumulators for the next window.
  /// - Complexity: O(capacity / 64 + touched documents).
  @inline(__always)
  func drain(_ body: (UInt32, Double) -> Void) {
    for word in 0..<capacity / 64 where touched[word] != 0 {
      var bits = touched[word]
      touched[word] = 0
      while bits != 0 {
        let offset = word << 6 | bits.trailingZeroBitCount
        bits &= bits - 1
        let score = scores[offset]
        scores[offset] = 0
        body(start + UInt32(offset), score)
      }
    }
  }
}

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
/// Exactness: terms are visited in summation order inside a window, so each
/// document's score is summed in `SummationOrder` from 0, the very
/// additions `MaxScoreSearch` performs (adding the 0 of an absent term
/// changes no bit); results are identical.
enum TermAtATimeSearch {
  /// Documents per window: 4,096 scores (32 KB) stay in L1/L2, and one bitmap word marks their blocks of 64.
  static let windowSize = 4_096

  /// The best `limit` documents over `cursors` (which must be in
  /// summation order), best first (ties: lower id first).
  ///
  /// It ranks its candidates itself (`TopKBuffer.ranked()`) rather than
  /// through a `TopKHeap`: moving them into a heap only to sort it cost
  /// the heap's sifts on top of the sort.
  /// - Complexity: O(P + D + k log k) expected, for P postings and D distinct matching documents.
  static func run(
    cursors: inout [PostingCursor], scorer: BM25Scorer, limit: Int, filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) -> [(score: Double, document: UInt32)] {
    // The window's drain finds the touched documents by their scores, which
    // is sound only while every contribution is positive; a weight that is
    // not (statistics that make an idf ≤ 0 or NaN) takes the exhaustive path.
    guard unsafe cursors.allSatisfy(unsafe \.hasPositiveWeight) else {
      var heap = TopKHeap(capacity: limit)
      try unsafe MaxScoreSearch.run(cursors: &cursors, scorer: scorer, heap: &heap, filter: filter, prune: false)
      return heap.sorted()
    }
    guard unsafe !cursors.isEmpty, limit > 0 else { return [] }
    for index in unsafe cursors.indices { try unsafe cursors[index].start() }
    var best = TopKBuffer(capacity: limit)
    // A buffer pointer spares a uniqueness check per touch of a cursor; it never escapes the call.
    try unsafe cursors.withUnsafeMutableBufferPointer { (cursors) throws(LexicalIndexError) in
      try unsafe accumulate(cursors, scorer: scorer, best: &best, filter: filter)
    }
    return best.ranked()
  }

  private static func accumulate(
    _ cursors: UnsafeMutableBufferPointer<PostingCursor>, scorer: BM25Scorer, best: inout TopKBuffer,
    filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) {
    var window = unsafe ScoreWindow(capacity: windowSize)
    defer { unsafe window.deallocate() }

    while true {
      var windowStart = unsafe PostingCursor.exhausted
      for index in cursors.indices { windowStart = unsafe min(windowStart, cursors[index].document) }
      if unsafe windowStart == PostingCursor.exhausted { return }
      unsafe window.start = windowStart
      // Clamped so the window end never passes the exhausted sentinel.
      let windowEnd = windowStart &+ UInt32(windowSize) > windowStart ? windowStart + UInt32(windowSize) : .max

      for index in cursors.indices {
        try unsafe cursors[index].accumulate(until: windowEnd, into: window, scorer: scorer)
      }

      // Documents arrive in increasing id order, so a tie with the kept
      // worst never replaces it: `score > threshold` is the exact admission
      // test (`TopKBuffer`), and the drain skips, 64 scores at a time, the
      // blocks where nothing passes it.
      unsafe window.drain(above: max(best.threshold, 0)) { document, score in
        if score > best.threshold, filter?(document) ?? true { best.offer(score, document) }
        return max(best.threshold, 0)
      }
    }
  }
}

/// The accumulators of one term-at-a-time window: a score per document id
/// in `start ..< start + capacity` (at most 4,096), 0 where no posting added
/// one, and a bitmap word of the blocks of 64 ids that received a score.
///
/// Raw memory rather than arrays: the inner loop writes the scores for every
/// posting, and must pay neither uniqueness nor bounds checks there.
///
/// Why a bit per block of 64 rather than per document: the inner loop sets
/// it in a register (one bitmap word covers the whole window), and the drain
/// compares a block's 64 scores with the threshold as vectors, instead of
/// visiting every touched document one branch at a time. A touched document
/// is one with a positive score, since every contribution is positive.
@unsafe
struct ScoreWindow {
  let capacity: Int
  var start: UInt32 = 0
  let scores: UnsafeMutablePointer<Double>
  /// Bit `b`: block `b` (ids `start + 64 b ..< start + 64 (b + 1)`) holds a score.
  ///
  /// One word, so that the inner loop sets a posting's bit without first
  /// finding its word (a compare and branch per posting when windows could
  /// span several words).
  let touched: UnsafeMutablePointer<UInt64>
  /// Scratch for one chunk's contributions, by position in the chunk.
  let contributions: UnsafeMutablePointer<Double>

  /// The most ids a window holds: 64 blocks of 64, one bitmap word.
  static let maximumCapacity = 64 * 64

  /// Zeroed accumulators; `capacity` must be a multiple of 64, at most
  /// `maximumCapacity`. Free with `deallocate()`.
  init(capacity: Int) {
    precondition(
      capacity > 0 && capacity % 64 == 0 && capacity <= ScoreWindow.maximumCapacity,
      "a window holds a positive multiple of 64 documents, at most 4,096")
    unsafe self.capacity = capacity
    unsafe scores = .allocate(capacity: capacity)
    unsafe scores.initialize(repeating: 0, count: capacity)
    unsafe touched = .allocate(capacity: 1)
    unsafe touched.initialize(to: 0)
    unsafe contributions = .allocate(capacity: PostingChunk.capacity)
  }

  func deallocate() {
    unsafe scores.deallocate()
    unsafe touched.deallocate()
    unsafe contributions.deallocate()
  }

  /// Hands every document whose score is above `floor` (≥ 0) with its score
  /// to `body` in id order, and resets the accumulators for the next window.
  /// `body` returns the floor for the documents after it (≥ 0; a threshold
  /// that rose as it kept documents), which applies from the next block of 64 on.
  /// - Complexity: O(touched blocks · 64 / vector width + documents above the floor).
  @inline(__always)
  func drain(above floor: Double, _ body: (UInt32, Double) -> Double) {
    var limit = floor
    var blocks = unsafe touched.pointee
    unsafe touched.pointee = 0
    while blocks != 0 {
      let block = blocks.trailingZeroBitCount
      blocks &= blocks - 1
      let base = unsafe scores + block << 6
      // A mask of the block's scores above the floor: compares, shifts and
      // ors the compiler turns into vector code, then one step per set bit.
      // Eight lanes at a time with constant shifts: one 64-lane loop of
      // variable shifts compiled to twice the instructions.
      let blockLimit = limit
      var above: UInt64 = 0
      for group in 0..<8 {
        var bits: UInt64 = 0
        for lane in 0..<8 { unsafe bits |= (base[group &<< 3 | lane] > blockLimit ? 1 : 0) &<< UInt64(lane) }
        above |= bits &<< UInt64(group &<< 3)
      }
      while above != 0 {
        let offset = above.trailingZeroBitCount
        above &= above &- 1
        limit = unsafe body(start + UInt32(block << 6 | offset), base[offset])
      }
      unsafe base.update(repeating: 0, count: 64)
    }
  }
}

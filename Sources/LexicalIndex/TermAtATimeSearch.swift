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
    guard !cursors.isEmpty, heap.capacity > 0 else { return }
    for index in cursors.indices { try cursors[index].start() }
    // As in MaxScoreSearch: a buffer pointer spares a uniqueness check per
    // posting; it never escapes this call.
    try cursors.withUnsafeMutableBufferPointer { (cursors) throws(LexicalIndexError) in
      try accumulate(cursors, scorer: scorer, heap: &heap, filter: filter)
    }
  }

  private static func accumulate(
    _ cursors: UnsafeMutableBufferPointer<PostingCursor>, scorer: BM25Scorer, heap: inout TopKHeap,
    filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) {
    var scores = [Double](repeating: 0, count: windowSize)
    var touched = [UInt64](repeating: 0, count: windowSize / 64)

    while true {
      var windowStart = PostingCursor.exhausted
      for index in cursors.indices { windowStart = min(windowStart, cursors[index].document) }
      if windowStart == PostingCursor.exhausted { return }
      // Clamped so the window end never passes the exhausted sentinel.
      let windowEnd = windowStart &+ UInt32(windowSize) > windowStart ? windowStart + UInt32(windowSize) : .max

      for index in cursors.indices {
        while cursors[index].document < windowEnd {
          let offset = Int(cursors[index].document - windowStart)
          touched[offset >> 6] |= 1 << UInt64(offset & 63)
          scores[offset] += try cursors[index].score(scorer)
          try cursors[index].next()
        }
      }

      for word in touched.indices where touched[word] != 0 {
        var bits = touched[word]
        touched[word] = 0
        while bits != 0 {
          let offset = word << 6 | bits.trailingZeroBitCount
          bits &= bits - 1
          let document = windowStart + UInt32(offset)
          let score = scores[offset]
          scores[offset] = 0
          if let filter, !filter(document) { continue }
          heap.offer(score, document)
        }
      }
    }
  }
}

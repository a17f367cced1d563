/// Document-at-a-time top-k retrieval with MaxScore pruning (Turtle & Flood,
/// 1995), refined with block maxima.
///
/// Terms are sorted by their score upper bound. Once the heap is full, the
/// longest prefix of low-bound terms whose bounds sum to at most the heap's
/// threshold is *non-essential*: a document holding only those terms cannot
/// enter the top k, so candidates come from the essential terms alone, and
/// the non-essential lists are only probed (skipping whole chunks) for
/// those candidates, stopping as soon as the remaining bounds cannot lift
/// the document above the threshold. Common terms have low idf, hence low
/// bounds, and become non-essential first: their long lists are skipped.
///
/// Before probing, each non-essential term's bound is refined to the
/// block-max of the chunk that would hold the candidate (read from chunk
/// headers, no decoding), the block-max idea of Ding & Suel (SIGIR 2011); a
/// candidate falling between a term's chunks costs that term nothing.
///
/// Measured and left out (Debian, k = 100): a window skip over whole
/// essential chunks, as Lucene's MaxScoreBulkScorer does, fired for 159 of
/// 14 million candidates; a per-candidate check of the essential chunks'
/// bounds skipped 5 % of candidates and cost more than it saved; exact
/// per-chunk maxima instead of the (max tf, min dl) corner removed only 10 %
/// of candidates. At k = 100 the threshold stays low and most terms stay
/// essential: the cost is the per-candidate loop, kept lean.
///
/// Exactness: a document is dropped only when an upper bound of its score is
/// ≤ the threshold, and since documents arrive in increasing id order, a
/// tie at the threshold loses to the kept document (lower id) anyway. So the
/// result is exactly the exhaustive top k, same order, same scores: every
/// score is summed in query-term order whatever order the terms were visited in.
enum MaxScoreSearch {
  /// Fills `heap` with the best documents over `cursors` (given in query
  /// order; sorted by bound here, so the caller must not reuse them).
  /// - Parameters:
  ///   - filter: when given, only documents it accepts are scored; applied
  ///     before scoring, so a filtered search still fills k when k documents pass.
  ///   - prune: false scores every matching document (the exhaustive oracle).
  /// - Complexity: O(P log k) for P postings in the worst case; with pruning,
  ///   lists of non-essential terms are visited only at candidate documents.
  static func run(
    cursors: inout [PostingCursor], scorer: BM25Scorer, heap: inout TopKHeap,
    filter: ((UInt32) -> Bool)?, prune: Bool
  ) throws(LexicalIndexError) {
    guard unsafe !cursors.isEmpty, heap.capacity > 0 else { return }
    for index in unsafe cursors.indices { try unsafe cursors[index].start() }
    // Rank order: increasing bound (ties by summation order, so runs are reproducible).
    unsafe cursors.sort { unsafe ($0.upperBound, $0.summationIndex) < ($1.upperBound, $1.summationIndex) }
    // The loop below touches cursors a few times per candidate: through a
    // buffer pointer it pays no uniqueness or bounds check for each touch.
    // The buffer never escapes this call.
    try unsafe cursors.withUnsafeMutableBufferPointer { (cursors) throws(LexicalIndexError) in
      try unsafe evaluate(cursors, scorer: scorer, heap: &heap, filter: filter, prune: prune)
    }
  }

  /// The document-at-a-time loop over cursors sorted by increasing bound.
  private static func evaluate(
    _ cursors: UnsafeMutableBufferPointer<PostingCursor>, scorer: BM25Scorer, heap: inout TopKHeap,
    filter: ((UInt32) -> Bool)?, prune: Bool
  ) throws(LexicalIndexError) {
    let count = cursors.count
    var boundPrefix = [Double](repeating: 0, count: count)
    var running = 0.0
    for rank in 0..<count {
      unsafe running += cursors[rank].upperBound
      boundPrefix[rank] = running
    }
    // Indexed by summation order: scores are summed in that order whatever the rank order.
    var contributions = [Double](repeating: 0, count: count)
    var blockBounds = [Double](repeating: 0, count: count)
    var firstEssential = 0
    var threshold = -Double.infinity

    while true {
      if prune {
        while firstEssential < count && boundPrefix[firstEssential] <= threshold { firstEssential += 1 }
        if firstEssential == count { return }
      }
      var candidate = unsafe PostingCursor.exhausted
      for rank in firstEssential..<count { candidate = unsafe min(candidate, cursors[rank].document) }
      if unsafe candidate == PostingCursor.exhausted { return }

      if let filter, !filter(candidate) {
        for rank in firstEssential..<count where unsafe cursors[rank].document == candidate { try unsafe cursors[rank].next() }
        continue
      }

      var partial = 0.0
      for rank in firstEssential..<count where unsafe cursors[rank].document == candidate {
        let score = try unsafe cursors[rank].score(scorer)
        unsafe contributions[cursors[rank].summationIndex] = score
        partial += score
        try unsafe cursors[rank].next()
      }

      // Block-max refinement: bound each non-essential term by the chunk that
      // would hold the candidate (headers only), and drop the candidate
      // before decoding anything when even those bounds cannot lift it.
      var competitive = true
      if firstEssential > 0 && partial + boundPrefix[firstEssential - 1] <= threshold {
        // Not even the non-essential terms' global bounds can lift it.
        competitive = false
      } else if firstEssential > 0 {
        var remaining = 0.0
        for rank in 0..<firstEssential {
          let bound = unsafe cursors[rank].blockBound(at: candidate)
          blockBounds[rank] = bound
          remaining += bound
        }
        var rank = firstEssential - 1
        while rank >= 0 {
          if partial + remaining <= threshold {
            competitive = false
            break
          }
          if blockBounds[rank] > 0 {
            try unsafe cursors[rank].advance(to: candidate)
            if unsafe cursors[rank].document == candidate {
              let score = try unsafe cursors[rank].score(scorer)
              unsafe contributions[cursors[rank].summationIndex] = score
              partial += score
            }
          }
          remaining -= blockBounds[rank]
          rank -= 1
        }
      }

      if competitive {
        var score = 0.0
        for index in 0..<count { score += contributions[index] }
        if heap.offer(score, candidate) { threshold = heap.threshold }
      }
      for index in 0..<count { contributions[index] = 0 }
    }
  }
}

/// Document-at-a-time top-k retrieval with block-max WAND (Ding & Suel,
/// SIGIR 2011; the variant of Mallia et al., ECIR 2019, and tantivy's
/// `block_wand`).
///
/// Cursors are kept sorted by their current document. The *pivot* is the
/// first cursor at which the running sum of global bounds exceeds the
/// heap's threshold: no document before the pivot's can reach the top k,
/// so the cursors before it jump there. The pivot document is then checked
/// against the block maxima of the chunks that would hold it (headers
/// only, no decoding); when even those cannot lift it above the threshold,
/// every cursor up to the pivot jumps past the nearest block end, skipping
/// whole chunks of common and rare terms alike. Only a document that passes
/// both bounds is scored.
///
/// Where it wins over MaxScore: a single long list with a few high blocks
/// is skipped block by block even while its global bound keeps it
/// essential, which is what a large k (100 for the fusion) needs.
///
/// Exactness: a document is dropped only when an upper bound of its score
/// (bounds are inflated by a hair, see `PostingCursor.prepare`) is ≤ the
/// threshold, and a tie at the threshold loses to the kept, lower, id. A
/// scored document's contributions are summed in `SummationOrder`, the
/// additions every strategy performs: results equal the exhaustive ones bit
/// for bit.
enum BlockMaxWANDSearch {
  /// Fills `heap` with the best documents over `cursors`.
  /// - Complexity: O(P · q) at worst for P postings and q terms; block
  ///   skips visit a chunk's header only.
  static func run(
    cursors: inout [PostingCursor], scorer: BM25Scorer, heap: inout TopKHeap, filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) {
    try unsafe cursors.startedAsBuffer(filling: &heap) { (cursors, heap) throws(LexicalIndexError) in
      try unsafe evaluate(cursors, scorer: scorer, heap: &heap, filter: filter)
    }
  }

  private static func evaluate(
    _ cursors: UnsafeMutableBufferPointer<PostingCursor>, scorer: BM25Scorer, heap: inout TopKHeap,
    filter: ((UInt32) -> Bool)?
  ) throws(LexicalIndexError) {
    let count = cursors.count
    // Cursor indices by current document (ties by index: reproducible runs).
    var order = Array(0..<count)
    unsafe sortByDocument(&order, cursors, upTo: count)  // a full sort, as every position counts as moved
    var contributions = [Double](repeating: 0, count: count)
    var threshold = heap.threshold

    while true {
      // The pivot: the first position where the bounds of the cursors so far exceed the threshold.
      var bounds = 0.0
      var pivot = -1
      for position in 0..<count {
        let cursor = order[position]
        if unsafe cursors[cursor].document == PostingCursor.exhausted { break }
        unsafe bounds += cursors[cursor].upperBound
        if bounds > threshold {
          pivot = position
          break
        }
      }
      if pivot < 0 { return }
      let pivotDocument = unsafe cursors[order[pivot]].document
      // Every cursor on the pivot document counts for it.
      while unsafe pivot + 1 < count && cursors[order[pivot + 1]].document == pivotDocument { pivot += 1 }

      var blockBounds = 0.0
      for position in 0...pivot { unsafe blockBounds += cursors[order[position]].blockBound(at: pivotDocument) }

      if blockBounds <= threshold {
        // No document up to the nearest block end (or the next cursor's
        // document) can reach the top k: move every cursor up to the pivot past it.
        var next = unsafe pivot + 1 < count ? cursors[order[pivot + 1]].document : PostingCursor.exhausted
        for position in 0...pivot {
          // A bound of 0 up to the end of the ids (`exhausted`) limits nothing.
          let end = unsafe cursors[order[position]].blockEnd(at: pivotDocument)
          if unsafe end < PostingCursor.exhausted { next = min(next, end + 1) }
        }
        for position in 0...pivot { try unsafe cursors[order[position]].advance(to: next) }
        unsafe sortByDocument(&order, cursors, upTo: pivot + 1)
      } else if unsafe cursors[order[0]].document == pivotDocument {
        if filter.map({ $0(pivotDocument) }) ?? true {
          for position in 0...pivot {
            let cursor = order[position]
            unsafe contributions[cursors[cursor].summationIndex] = try unsafe cursors[cursor].score(scorer)
          }
          var score = 0.0
          for index in 0..<count { score += contributions[index] }
          if heap.offer(score, pivotDocument) { threshold = heap.threshold }
          for position in 0...pivot { unsafe contributions[cursors[order[position]].summationIndex] = 0 }
        }
        for position in 0...pivot { try unsafe cursors[order[position]].next() }
        unsafe sortByDocument(&order, cursors, upTo: pivot + 1)
      } else {
        // The cursors before the pivot hold no document that can make it before the pivot's.
        var moved = 0
        while unsafe cursors[order[moved]].document < pivotDocument {
          try unsafe cursors[order[moved]].advance(to: pivotDocument)
          moved += 1
        }
        unsafe sortByDocument(&order, cursors, upTo: moved)
      }
    }
  }

  /// Restores the document order after the first `moved` positions moved
  /// forward (the rest is still sorted): insertion of each moved cursor.
  /// - Complexity: O(moved · count), at most O(count log count).
  @inline(__always)
  private static func sortByDocument(
    _ order: inout [Int], _ cursors: UnsafeMutableBufferPointer<PostingCursor>, upTo moved: Int
  ) {
    func before(_ a: Int, _ b: Int) -> Bool {
      unsafe (cursors[a].document, a) < (cursors[b].document, b)
    }
    // Many moved (a long query on a shared document): one O(n log n) sort
    // beats `moved` insertions of O(n) each.
    if moved > 16 {
      order.sort(by: before)
      return
    }
    // Insert moved cursors, last first, into the sorted tail.
    var position = moved - 1
    while position >= 0 {
      let cursor = order[position]
      var slot = position
      while slot + 1 < order.count && before(order[slot + 1], cursor) {
        order[slot] = order[slot + 1]
        slot += 1
      }
      order[slot] = cursor
      position -= 1
    }
  }
}

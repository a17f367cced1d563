/// The one order in which every strategy sums a document's term scores:
/// the query's terms by decreasing bound (the term's weight times the
/// tfNorm of its list's (largest tf, shortest document) corner, see
/// `PostingCursor.prepareTermBound`), ties in query order.
///
/// Why one order: floating-point addition is not associative, and every
/// strategy returns the same scores to the bit. Why this one: windowed
/// MaxScore accumulates the terms of largest bound in a window and then
/// probes the others, largest bound first. Summed in this order, a window's
/// partial sum is an exact prefix of the final score, so a candidate's
/// score is its partial sum plus its probes, and no accumulated term is read
/// a second time. On the replicated million, where about 50,000 copies of a
/// trace tie with the k-th score and each must be scored to the bit, that
/// took hybrid p50 from 5.9 to 4.4 ms (drawn queries).
enum SummationOrder {
  /// Sorts `cursors` (prepared, in query order) into summation order, sets
  /// each one's `summationIndex` and leaves `upperBound` at the term bound.
  static func arrange(_ cursors: inout [PostingCursor], scorer: BM25Scorer) {
    for index in unsafe cursors.indices { unsafe cursors[index].prepareTermBound(scorer: scorer) }
    // A NaN bound (degenerate statistics) sorts last, so the order stays a strict weak one.
    func key(_ cursor: PostingCursor) -> Double { unsafe cursor.upperBound.isNaN ? -.infinity : cursor.upperBound }
    let order = unsafe cursors.indices.sorted { unsafe (key(cursors[$1]), $0) < (key(cursors[$0]), $1) }
    unsafe cursors = unsafe order.enumerated().map { position, index in
      var cursor = unsafe cursors[index]
      unsafe cursor.summationIndex = position
      return unsafe cursor
    }
  }
}

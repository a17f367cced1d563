/// A chunk's impacts: the (term frequency, document length) pairs that no
/// other posting of the chunk beats on both counts, the Pareto frontier of
/// "more occurrences, shorter document".
///
/// BM25 rises with tf and falls with dl whatever k1, b and the average
/// length, so the best score of a chunk is reached at one of these pairs:
/// the largest score over the impacts is the chunk's exact block maximum,
/// for any collection statistics. The (max tf, min dl) corner the first
/// formats kept bounds the same scores, but loosely: when the posting with
/// the most occurrences sits in a long document, the corner claims a score
/// no posting reaches, and block-max pruning cannot skip the chunk.
/// Lucene keeps the same pairs per block ("competitive impacts").
enum ChunkImpacts {
  /// The most impacts a chunk stores. A longer frontier is coarsened
  /// (`coarsened`), which keeps it a bound, no longer exact.
  static let capacity = 8

  /// The frontier of `postings`, in increasing term frequency (and so
  /// increasing length); the encoder stores it `coarsened`.
  ///
  /// One pass, keeping the frontier of the postings seen so far: a chunk's
  /// frontier is a handful of pairs, so this costs a few comparisons a
  /// posting, where sorting the chunk first was a third of a single add.
  /// - Complexity: O(n · f) for a frontier of f pairs.
  static func frontier(_ postings: some Collection<Posting>) -> [(frequency: UInt32, length: UInt32)] {
    var frontier: [(frequency: UInt32, length: UInt32)] = []
    for posting in postings {
      let frequency = posting.termFrequency
      let length = posting.documentLength
      // The first pair with at least as many occurrences is the shortest of them (lengths rise along the frontier):
      // if it is no longer, the posting is beaten on both counts.
      var above = 0
      while above < frontier.count && frontier[above].frequency < frequency { above += 1 }
      if above < frontier.count && frontier[above].length <= length { continue }
      // The posting beats the pairs with no more occurrences that are no shorter: those just below it, and
      // a pair of equal frequency (longer, or it would have beaten the posting).
      var below = above
      while below > 0 && frontier[below - 1].length >= length { below -= 1 }
      let end = above < frontier.count && frontier[above].frequency == frequency ? above + 1 : above
      frontier.replaceSubrange(below..<end, with: CollectionOfOne((frequency: frequency, length: length)))
    }
    return frontier
  }

  /// Merges neighbours, (f₁, l₁) and (f₂, l₂) with f₁ < f₂ into (f₂, l₁),
  /// which beats both, until at most `capacity` pairs remain.
  static func coarsened(_ pairs: [(frequency: UInt32, length: UInt32)]) -> [(frequency: UInt32, length: UInt32)] {
    var pairs = pairs
    while pairs.count > capacity {
      pairs = stride(from: 0, to: pairs.count, by: 2).map { index in
        index + 1 < pairs.count ? (pairs[index + 1].frequency, pairs[index].length) : pairs[index]
      }
    }
    return pairs
  }

  /// Whether some impact is at least `posting`'s frequency at most its
  /// length: what makes the impacts a bound on the posting's score.
  static func cover(_ impacts: [(frequency: UInt32, length: UInt32)], _ posting: Posting) -> Bool {
    impacts.contains { $0.frequency >= posting.termFrequency && $0.length <= posting.documentLength }
  }

  /// The largest `tfNorm` over the impacts of a chunk whose header was
  /// parsed; the (max tf, min dl) corner for a chunk of an older format,
  /// which stored no impacts.
  /// - Complexity: O(impacts), no allocation.
  static func maximumTFNorm(
    _ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader, scorer: BM25Scorer
  ) -> Double {
    guard header.impactCount > 0 else {
      return scorer.tfNorm(termFrequency: header.maxTermFrequency, documentLength: header.minDocumentLength)
    }
    var best = 0.0
    unsafe forEach(bytes, header: header) { best = max(best, scorer.tfNorm(termFrequency: $0, documentLength: $1)) }
    return best
  }

  /// The stored impacts of a chunk, empty for a chunk of an older format.
  static func stored(_ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader) -> [(frequency: UInt32, length: UInt32)] {
    var result: [(frequency: UInt32, length: UInt32)] = []
    unsafe forEach(bytes, header: header) { result.append(($0, $1)) }
    return result
  }

  /// Calls `body` with each stored impact's frequency and length.
  /// - Precondition: the header was parsed from `bytes` (which checked their size).
  @inline(__always)
  private static func forEach(
    _ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader, _ body: (UInt32, UInt32) -> Void
  ) {
    guard let widths = header.widths else { return }
    var value: UInt32 = 0
    var offset = header.impactsOffset
    for _ in 0..<header.impactCount {
      // Stored as the chunk's fields are: frequency − 1, length − minimum length.
      unsafe FixedWidth.read(bytes, at: offset, count: 1, width: widths.frequency, into: &value)
      let frequency = value &+ 1
      offset += widths.frequency
      unsafe FixedWidth.read(bytes, at: offset, count: 1, width: widths.length, into: &value)
      offset += widths.length
      body(frequency, value &+ header.minDocumentLength)
    }
  }
}

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
  /// - Complexity: O(n log n).
  static func frontier(_ postings: some Collection<Posting>) -> [(frequency: UInt32, length: UInt32)] {
    // By frequency descending, then length ascending: a pair is on the
    // frontier when it is shorter than every pair with more occurrences.
    let sorted = postings.map { (frequency: $0.termFrequency, length: $0.documentLength) }.sorted {
      $0.frequency != $1.frequency ? $0.frequency > $1.frequency : $0.length < $1.length
    }
    var frontier: [(frequency: UInt32, length: UInt32)] = []
    for pair in sorted where frontier.last.map({ pair.length < $0.length }) ?? true {
      frontier.append(pair)
    }
    return frontier.reversed()
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

/// Walks one query term's posting list in document order, decoding a chunk
/// only when a document inside it is needed, and its frequencies only when
/// one of its postings is scored.
///
/// - Important: holds the chunk buffers lent by `LexicalStorageReader.withPostingEntries`;
///   a cursor must not outlive the closure that lent them.
@unsafe
struct PostingCursor {
  /// Past the last posting.
  static let exhausted = UInt32.max

  // Hot fields first: the search loop reads them for every candidate, and
  // keeping them on one cache line measurably helps (Swift lays out stored
  // properties in declaration order).

  /// The current document, or `exhausted`.
  private(set) var document: UInt32 = unsafe PostingCursor.exhausted
  private var position = 0
  private var decoded = DecodedChunk()
  private(set) var idf: Double = 0
  /// How often the term occurs in the query: its score counts that many times.
  let queryFrequency: UInt32
  /// queryFrequency · idf, the factor every score and bound of the term carries.
  private(set) var weight: Double = 0
  /// The block-max bound of the current chunk (0 once exhausted).
  private(set) var currentChunkBound: Double = 0
  private var chunkIndex = -1
  /// Position of the term in the order scores are summed in (`SummationOrder`).
  var summationIndex: Int

  /// The chunks and the spans they cover, from `PostingList`.
  let list: PostingList
  /// The current chunk's header, parsed when the cursor entered it.
  private var header: PostingChunkHeader?
  /// The largest score any posting of the term can reach.
  private(set) var upperBound: Double = 0
  /// The largest score any posting of each chunk can reach (block-max): exact
  /// for a chunk with impacts, the (max tf, min dl) corner's for an older one.
  private var chunkBounds: [Double] = []

  /// A cursor over `list`, before its first posting (see `start`).
  init(list: PostingList, summationIndex: Int, queryFrequency: UInt32 = 1) {
    unsafe self.list = list
    unsafe self.summationIndex = summationIndex
    unsafe self.queryFrequency = queryFrequency
  }

  var term: Term { unsafe list.term }
  var documentFrequency: UInt64 { unsafe list.documentFrequency }

  /// Sets the idf from the collection's scorer.
  mutating func prepare(scorer: BM25Scorer) {
    unsafe idf = unsafe scorer.idf(documentFrequency: documentFrequency)
    unsafe weight = unsafe Double(queryFrequency) * idf
  }

  /// Whether every posting of the term scores above 0: tfNorm is, so the
  /// weight decides (not so only for statistics that make the idf ≤ 0 or NaN).
  var hasPositiveWeight: Bool { unsafe weight > 0 }

  /// Sets the score bounds (after `prepare`, before `start`), for a strategy
  /// that prunes: term at a time reads none, and skips their cost (a pass
  /// over every chunk's header and impacts).
  /// - Throws: `LexicalIndexError.corruptPostingChunk` for a chunk whose header does not parse.
  mutating func prepareBounds(scorer: BM25Scorer) throws(LexicalIndexError) {
    // Inflated by a hair so that bounds summed in another order than the
    // score can never fall below it through rounding.
    let inflation = unsafe weight * (1 + 1e-9)
    unsafe chunkBounds = try unsafe (0..<list.count).map { (chunk) throws(LexicalIndexError) in
      unsafe inflation * ChunkImpacts.maximumTFNorm(list.chunks[chunk], header: try list.header(ofChunk: chunk), scorer: scorer)
    }
    unsafe upperBound = unsafe chunkBounds.max() ?? 0
  }

  /// Sets `upperBound` alone (after `prepare`), from the list's (largest tf,
  /// shortest document) corner, for a strategy that reads no block maxima:
  /// O(1), where `prepareBounds` reads every chunk's impacts. Looser than
  /// the exact maximum, but tfNorm saturates at k1 + 1, and a long list's
  /// best posting comes close to its corner.
  mutating func prepareTermBound(scorer: BM25Scorer) {
    unsafe upperBound = unsafe weight * (1 + 1e-9) * scorer.tfNorm(termFrequency: list.corner.frequency, documentLength: list.corner.length)
  }

  /// Positions the cursor on its first posting.
  mutating func start() throws(LexicalIndexError) {
    try unsafe load(chunk: 0)
  }

  /// The current posting's score contribution.
  /// - Complexity: O(1), plus the chunk's frequencies on its first scored posting.
  @inline(__always)
  mutating func score(_ scorer: BM25Scorer) throws(LexicalIndexError) -> Double {
    try unsafe decodeFrequencies()
    return unsafe scorer.score(
      idf: weight, termFrequency: decoded.termFrequencies[position], documentLength: decoded.documentLengths[position])
  }

  /// The current posting's term frequency and document length.
  mutating func frequencyAndLength() throws(LexicalIndexError) -> (UInt32, UInt32) {
    try unsafe decodeFrequencies()
    return unsafe (decoded.termFrequencies[position], decoded.documentLengths[position])
  }

  @inline(__always)
  private mutating func decodeFrequencies() throws(LexicalIndexError) {
    if unsafe decoded.hasFrequencies { return }
    guard unsafe decoded.decodeFrequencies(list.chunks[chunkIndex], header: header!) else {
      throw unsafe list.corrupt(chunk: chunkIndex)
    }
  }

  /// Moves to the next posting.
  @inline(__always)
  mutating func next() throws(LexicalIndexError) {
    unsafe position += 1
    if unsafe position < decoded.count {
      unsafe document = unsafe decoded.documents[position]
    } else {
      try unsafe load(chunk: chunkIndex + 1)
    }
  }

  /// Adds the score of every posting before document `end` into
  /// `window.scores[document − window.start]`, marks their blocks of 64 in
  /// `window.touched`, and moves to the first posting at or after `end`.
  ///
  /// Term-at-a-time's inner loop, run over a decoded chunk at a time: no
  /// per-posting cursor bookkeeping, and a loop the compiler can keep in registers.
  /// - Precondition: every remaining posting before `end` is ≥ `window.start`
  ///   and less than `window.start + window.capacity`.
  /// - Returns: how many postings it added.
  /// - Complexity: O(postings consumed + chunks decoded).
  @discardableResult
  mutating func accumulate(until end: UInt32, into window: ScoreWindow, scorer: BM25Scorer) throws(LexicalIndexError)
    -> Int
  {
    var added = 0
    while unsafe document < end {
      try unsafe decodeFrequencies()
      let weight = unsafe self.weight
      let start = unsafe window.start
      let stop = unsafe decoded.withBuffers { documents, frequencies, lengths -> Int in
        // Most chunks end inside the window; only one that crosses its end is searched.
        var stop = documents.count
        if unsafe documents[stop - 1] >= end {
          stop = unsafe position
          while unsafe documents[stop] < end { stop += 1 }
        }
        // Scores first, in a loop of plain arithmetic the compiler vectorizes,
        // then the scatter into the window.
        let contributions = unsafe window.contributions
        for index in unsafe position..<stop {
          unsafe contributions[index] = unsafe scorer.score(
            idf: weight, termFrequency: frequencies[index], documentLength: lengths[index])
        }
        // The touched blocks' bits are gathered in a register and stored
        // once (a window's blocks fit one word): a read-modify-write in
        // memory per posting would chain every posting through the same
        // word (store-to-load forwarding).
        var blocks: UInt64 = 0
        for index in unsafe position..<stop {
          let offset = unsafe Int(documents[index] &- start)
          blocks |= 1 &<< UInt64(offset &>> 6)
          unsafe window.scores[offset] += contributions[index]
        }
        unsafe window.touched.pointee |= blocks
        return stop
      }
      unsafe added += stop - position
      if unsafe stop < decoded.count {
        unsafe position = stop
        unsafe document = unsafe decoded.documents[stop]
      } else {
        try unsafe load(chunk: chunkIndex + 1)
      }
    }
    return added
  }

  /// Moves to the first posting whose document is ≥ `target`, skipping whole
  /// chunks by the spans the list gives, without parsing or decoding them.
  /// - Complexity: O(skipped chunks + postings scanned in the target chunk).
  mutating func advance(to target: UInt32) throws(LexicalIndexError) {
    if unsafe document >= target { return }
    if unsafe target > list.lastDocuments[chunkIndex] {
      try unsafe load(chunk: chunkAtOrAfter(target))
      if unsafe document >= target { return }
    }
    while unsafe decoded.documents[position] < target { unsafe position += 1 }
    unsafe document = unsafe decoded.documents[position]
  }

  /// A bound on this term's score for document `target` (≥ the current
  /// document), from the list's spans and `prepareBounds`' chunk bounds, no
  /// decoding: 0 when no chunk can hold it.
  /// - Complexity: O(chunks skipped), no decoding.
  func blockBound(at target: UInt32) -> Double {
    if unsafe document == target { return unsafe currentChunkBound }
    if unsafe document > target { return 0 }
    let chunk = unsafe target > list.lastDocuments[chunkIndex] ? chunkAtOrAfter(target) : chunkIndex
    guard unsafe chunk < list.count, unsafe list.firstDocuments[chunk] <= target else { return 0 }
    return unsafe chunkBounds[chunk]
  }

  /// The last document up to which `blockBound(at: target)` bounds this
  /// term's score: the end of the chunk that would hold `target`, or, when
  /// `target` falls between chunks (bound 0), the document before the next
  /// chunk; `exhausted` past the last chunk.
  /// - Complexity: O(chunks skipped), no decoding.
  func blockEnd(at target: UInt32) -> UInt32 {
    if unsafe document == PostingCursor.exhausted { return unsafe PostingCursor.exhausted }
    if unsafe document > target { return unsafe document - 1 }
    let chunk = unsafe target > list.lastDocuments[chunkIndex] ? chunkAtOrAfter(target) : chunkIndex
    guard unsafe chunk < list.count else { return unsafe PostingCursor.exhausted }
    let first = unsafe list.firstDocuments[chunk]
    return unsafe first <= target ? list.lastDocuments[chunk] : first - 1
  }

  /// The first chunk after the current one whose last document is ≥
  /// `target` (`list.count` when none is).
  private func chunkAtOrAfter(_ target: UInt32) -> Int {
    unsafe list.firstChunk(endingAtOrAfter: target, from: chunkIndex + 1)
  }

  private mutating func load(chunk: Int) throws(LexicalIndexError) {
    unsafe chunkIndex = chunk
    unsafe position = 0
    guard unsafe chunk < list.count else {
      unsafe chunkIndex = unsafe list.count - 1
      unsafe document = unsafe Self.exhausted
      unsafe currentChunkBound = 0
      return
    }
    let header = try unsafe list.header(ofChunk: chunk)
    unsafe self.header = header
    guard unsafe decoded.decodeDocuments(list.chunks[chunk], header: header) else {
      throw unsafe list.corrupt(chunk: chunk)
    }
    unsafe document = unsafe decoded.documents[0]
    unsafe currentChunkBound = unsafe chunk < chunkBounds.count ? chunkBounds[chunk] : 0
  }
}

extension [PostingCursor] {
  /// Starts every cursor and lends them to `evaluate` as a buffer, for a
  /// strategy that fills `heap`: a buffer pointer spares a uniqueness check
  /// per touch of a cursor, and it never escapes the call. Does nothing
  /// without cursors or room in `heap`.
  mutating func startedAsBuffer(
    filling heap: inout TopKHeap,
    _ evaluate: (UnsafeMutableBufferPointer<PostingCursor>, inout TopKHeap) throws(LexicalIndexError) -> Void
  ) throws(LexicalIndexError) {
    guard unsafe !isEmpty, heap.capacity > 0 else { return }
    for index in unsafe indices { try unsafe self[index].start() }
    try unsafe withUnsafeMutableBufferPointer { (cursors) throws(LexicalIndexError) in try unsafe evaluate(cursors, &heap) }
  }
}

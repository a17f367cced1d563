/// Walks one query term's posting list in document order, decoding a chunk
/// only when a document inside it is needed.
///
/// - Important: holds the chunk buffers lent by `LexicalStorageReader.withPostingChunks`;
///   a cursor must not outlive the closure that lent them.
struct PostingCursor {
  /// Past the last posting.
  static let exhausted = UInt32.max

  let term: Term
  /// Position of the term in the (deduplicated) query: the order scores are summed in.
  let queryIndex: Int
  private let chunks: [UnsafeRawBufferPointer]
  private let headers: [PostingChunkHeader]
  let documentFrequency: UInt64
  private(set) var idf: Double = 0
  /// The largest score any posting of the term can reach.
  private(set) var upperBound: Double = 0

  private var chunkIndex = -1
  private var position = 0
  private var decoded = DecodedChunk()
  /// The current document, or `exhausted`.
  private(set) var document: UInt32 = PostingCursor.exhausted

  /// Parses every chunk header of a term (O(chunks), no decoding).
  init(term: Term, queryIndex: Int, chunks: [UnsafeRawBufferPointer]) throws(LexicalIndexError) {
    self.term = term
    self.queryIndex = queryIndex
    self.chunks = chunks
    var headers: [PostingChunkHeader] = []
    headers.reserveCapacity(chunks.count)
    var frequency: UInt64 = 0
    var previousLast: UInt32? = nil
    for chunk in chunks {
      guard let header = PostingChunkHeader(chunk), previousLast.map({ $0 < header.firstDocument }) ?? true else {
        throw .corruptPostingChunk(term: term.description, firstDocument: previousLast ?? 0)
      }
      previousLast = header.lastDocument
      frequency += UInt64(header.count)
      headers.append(header)
    }
    self.headers = headers
    documentFrequency = frequency
  }

  /// Sets the idf and the score bound from the collection's scorer.
  mutating func prepare(scorer: BM25Scorer) {
    idf = scorer.idf(documentFrequency: documentFrequency)
    var bound = 0.0
    for header in headers {
      bound = max(bound, scorer.tfNorm(termFrequency: header.maxTermFrequency, documentLength: header.minDocumentLength))
    }
    // Inflated by a hair so that a bound summed in another order than the
    // score can never fall below it through rounding.
    upperBound = idf * bound * (1 + 1e-9)
  }

  /// Positions the cursor on its first posting.
  mutating func start() throws(LexicalIndexError) {
    chunkIndex = -1
    try load(chunk: 0)
  }

  /// The current posting's term frequency and document length.
  @inline(__always) var termFrequency: UInt32 { decoded.termFrequencies[position] }
  @inline(__always) var documentLength: UInt32 { decoded.documentLengths[position] }

  /// Moves to the next posting.
  @inline(__always)
  mutating func next() throws(LexicalIndexError) {
    position += 1
    if position < decoded.count {
      document = decoded.documents[position]
    } else {
      try load(chunk: chunkIndex + 1)
    }
  }

  /// Moves to the first posting whose document is ≥ `target`, skipping whole
  /// chunks by their headers without decoding them.
  /// - Complexity: O(skipped chunks + postings scanned in the target chunk).
  mutating func advance(to target: UInt32) throws(LexicalIndexError) {
    if document >= target { return }
    if target > headers[chunkIndex].lastDocument {
      var next = chunkIndex + 1
      while next < headers.count && headers[next].lastDocument < target { next += 1 }
      try load(chunk: next)
      if document >= target { return }
    }
    while decoded.documents[position] < target { position += 1 }
    document = decoded.documents[position]
  }

  private mutating func load(chunk: Int) throws(LexicalIndexError) {
    chunkIndex = chunk
    position = 0
    guard chunk < chunks.count else {
      document = Self.exhausted
      return
    }
    guard decoded.decode(chunks[chunk], header: headers[chunk]) else {
      throw .corruptPostingChunk(term: term.description, firstDocument: headers[chunk].firstDocument)
    }
    document = decoded.documents[0]
  }
}

/// Reads one term's score at documents asked for in increasing order,
/// without decoding whole chunks: how MaxScore asks a common term about a
/// few candidates.
///
/// Why not `PostingCursor.advance`: it decodes the chunk's ids, and its
/// frequencies and lengths on the first score, up to 384 values for one
/// posting. A candidate of a common term's list usually lands in a chunk no
/// earlier candidate touched, so on a million traces those decodes cost as
/// much as term at a time's scan of the whole list. A fixed-width chunk
/// needs none of it: the ids are a running sum of deltas, read from the last
/// position reached (targets only grow, so each delta is read at most once),
/// and the frequency and length are read at their position directly.
///
/// - Important: holds the chunk buffers of the `PostingCursor` it was made
///   from; it must not outlive the closure that lent them.
@unsafe
struct PostingProbe {
  private let list: PostingList
  /// queryFrequency · idf, as in `PostingCursor`, so scores agree to the bit.
  private let weight: Double
  private var chunkIndex = -1
  /// The current chunk's header, parsed on entering it.
  private var header: PostingChunkHeader?
  /// The position reached in the current chunk, and its document.
  private var position = 0
  private var document: UInt32 = 0
  private var fields = ChunkFields()
  /// The current chunk decoded, for a chunk of the first (LEB128) format only.
  private var legacy: DecodedChunk?

  /// A probe over the same list as `cursor` (after `cursor.prepare`).
  init(_ cursor: PostingCursor) {
    unsafe list = unsafe cursor.list
    unsafe weight = unsafe cursor.weight
  }

  /// The term's score contribution to `target`, 0 when the document does
  /// not hold the term.
  /// - Precondition: `target` is at least every document asked before.
  /// - Complexity: O(log chunks skipped + deltas passed), amortized O(1) per
  ///   posting of the chunks the targets fall in.
  @inline(__always)
  mutating func score(at target: UInt32, _ scorer: BM25Scorer) throws(LexicalIndexError) -> Double {
    if unsafe chunkIndex < 0 || target > list.lastDocuments[chunkIndex] {
      let next = unsafe list.firstChunk(endingAtOrAfter: target, from: chunkIndex + 1)
      guard unsafe next < list.count else { return 0 }
      try unsafe enter(chunk: next)
    }
    if unsafe target < document { return 0 }
    if let legacy = unsafe legacy { return unsafe legacyScore(at: target, in: legacy, scorer) }
    let header = unsafe header!
    if unsafe document < target {
      guard let (position, document) = unsafe fields.scan(from: position, document, to: target, count: header.count)
      else { throw unsafe corrupt() }
      unsafe self.position = position
      unsafe self.document = document
      if position == header.count - 1, document != header.lastDocument { throw unsafe corrupt() }
    }
    guard unsafe document == target else { return 0 }
    let (frequency, length) = unsafe fields.frequencyAndLength(at: position, minimumLength: header.minDocumentLength)
    return unsafe scorer.score(idf: weight, termFrequency: frequency, documentLength: length)
  }

  private mutating func enter(chunk: Int) throws(LexicalIndexError) {
    unsafe chunkIndex = chunk
    unsafe position = 0
    let header = try unsafe list.header(ofChunk: chunk)
    unsafe self.header = header
    unsafe document = header.firstDocument
    if let widths = header.widths {
      unsafe legacy = nil
      unsafe fields = unsafe ChunkFields(list.chunks[chunk], header: header, widths: widths)
    } else {
      var decoded = DecodedChunk()
      guard unsafe decoded.decode(list.chunks[chunk], header: header) else { throw unsafe corrupt() }
      unsafe legacy = decoded
    }
  }

  private mutating func legacyScore(at target: UInt32, in chunk: DecodedChunk, _ scorer: BM25Scorer) -> Double {
    unsafe chunk.withBuffers { documents, frequencies, lengths in
      while unsafe position < documents.count - 1 && documents[position] < target { unsafe position += 1 }
      unsafe document = unsafe documents[position]
      guard unsafe document == target else { return 0 }
      return unsafe scorer.score(idf: weight, termFrequency: frequencies[position], documentLength: lengths[position])
    }
  }

  private func corrupt() -> LexicalIndexError { unsafe list.corrupt(chunk: chunkIndex) }
}

/// Where a fixed-width chunk's three fields begin, and their widths.
@unsafe
private struct ChunkFields {
  private var deltas: UnsafeRawPointer?
  private var frequencies: UnsafeRawPointer?
  private var lengths: UnsafeRawPointer?
  private var widths = (delta: 0, frequency: 0, length: 0)

  init() {}

  /// The fields of `bytes`, whose `header` was parsed from them (which
  /// checked that the fields fit the bytes).
  init(_ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader, widths: (delta: Int, frequency: Int, length: Int)) {
    let base = unsafe bytes.baseAddress! + header.payloadOffset
    unsafe self.widths = widths
    unsafe deltas = unsafe UnsafeRawPointer(base)
    unsafe frequencies = unsafe UnsafeRawPointer(base + (header.count - 1) * widths.delta)
    unsafe lengths = unsafe frequencies! + header.count * widths.frequency
  }

  /// The first position after `position` (whose id is `document`) whose
  /// id is ≥ `target`, and that id; nil when the ids run out first, which
  /// an intact chunk never does for a target up to its last document.
  ///
  /// The running sum in locals, one loop per delta width: a loop through
  /// the probe's own fields stored both back to memory at every delta.
  @inline(__always)
  func scan(from position: Int, _ document: UInt32, to target: UInt32, count: Int) -> (Int, UInt32)? {
    switch widths.delta {
    case 0:
      // Consecutive ids: the target's position is known.
      let distance = Int(target &- document)
      return position + distance < count ? (position + distance, target) : nil
    case 1: return unsafe Self.scan(deltas!, as: UInt8.self, from: position, document, to: target, count: count)
    case 2: return unsafe Self.scan(deltas!, as: UInt16.self, from: position, document, to: target, count: count)
    default: return unsafe Self.scan(deltas!, as: UInt32.self, from: position, document, to: target, count: count)
    }
  }

  @inline(__always)
  private static func scan<Delta: FixedWidthInteger & UnsignedInteger>(
    _ deltas: UnsafeRawPointer, as _: Delta.Type, from position: Int, _ document: UInt32, to target: UInt32, count: Int
  ) -> (Int, UInt32)? {
    var position = position
    var document = document
    while document < target {
      position &+= 1
      guard position < count else { return nil }
      let delta = unsafe Delta(
        littleEndian: deltas.loadUnaligned(fromByteOffset: (position &- 1) &* MemoryLayout<Delta>.size, as: Delta.self))
      document = document &+ UInt32(truncatingIfNeeded: delta) &+ 1
    }
    return (position, document)
  }

  @inline(__always)
  func frequencyAndLength(at position: Int, minimumLength: UInt32) -> (UInt32, UInt32) {
    unsafe (
      FixedWidth.value(at: position, width: widths.frequency, of: frequencies!) &+ 1,
      FixedWidth.value(at: position, width: widths.length, of: lengths!) &+ minimumLength
    )
  }
}

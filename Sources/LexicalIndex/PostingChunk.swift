/// One entry of a posting list: a document containing the term, how often,
/// and the document's length (so scoring a posting needs no other lookup).
public struct Posting: Hashable, Sendable {
  /// The caller's dense document id.
  public var document: UInt32
  /// Occurrences of the term in the document (≥ 1).
  public var termFrequency: UInt32
  /// The document's length in tokens.
  public var documentLength: UInt32

  public init(document: UInt32, termFrequency: UInt32, documentLength: UInt32) {
    self.document = document
    self.termFrequency = termFrequency
    self.documentLength = documentLength
  }
}

/// The byte codec of a posting chunk: up to `capacity` postings of one term,
/// in increasing document order, stored under `PostingChunkKey`.
///
/// Layout (every integer LEB128, see `VarInt`):
///
///     count                      1...capacity
///     firstDocument
///     lastDocument − firstDocument
///     maxTermFrequency           } block maximum: with BM25 monotone in tf and
///     minDocumentLength          } antitone in dl, these bound every score in the chunk
///     count − 1 document deltas  (each ≥ 1)
///     count term frequencies
///     count document lengths
///
/// The header (first five integers) lets a query skip a chunk, or bound its
/// scores, without decoding it. Why store the document length in every
/// posting rather than once per document: a query then scores from the chunk
/// alone, with no random read per candidate; a document's length never
/// changes while it is indexed, so the copies never go stale.
///
/// Why a bound from (max tf, min dl) rather than a stored maximum score: the
/// score of a posting depends on the collection's average length, which moves
/// with every insert; this bound stays valid whatever the statistics and the
/// parameters k1 and b.
public enum PostingChunk {
  /// The most postings one chunk holds.
  public static let capacity = 128

  /// The bytes of `postings`, which must be non-empty, at most `capacity`, and
  /// in strictly increasing document order.
  /// - Complexity: O(count).
  public static func encode(_ postings: some RandomAccessCollection<Posting>) -> [UInt8] {
    precondition(!postings.isEmpty && postings.count <= capacity, "a chunk holds 1...\(capacity) postings")
    var maxTF: UInt32 = 0
    var minLength = UInt32.max
    for posting in postings {
      maxTF = max(maxTF, posting.termFrequency)
      minLength = min(minLength, posting.documentLength)
    }
    let first = postings.first!.document
    let last = postings.last!.document
    var bytes: [UInt8] = []
    bytes.reserveCapacity(16 + 3 * postings.count)
    VarInt.append(UInt32(postings.count), to: &bytes)
    VarInt.append(first, to: &bytes)
    VarInt.append(last - first, to: &bytes)
    VarInt.append(maxTF, to: &bytes)
    VarInt.append(minLength, to: &bytes)
    var previous = first
    for posting in postings.dropFirst() {
      precondition(posting.document > previous, "postings must be in strictly increasing document order")
      VarInt.append(posting.document - previous, to: &bytes)
      previous = posting.document
    }
    for posting in postings { VarInt.append(posting.termFrequency, to: &bytes) }
    for posting in postings { VarInt.append(posting.documentLength, to: &bytes) }
    return bytes
  }

  /// The postings in `bytes`, or nil when they do not decode.
  /// - Complexity: O(count).
  public static func decode(_ bytes: [UInt8]) -> [Posting]? {
    bytes.withUnsafeBytes { raw -> [Posting]? in
      var chunk = DecodedChunk()
      guard let header = PostingChunkHeader(raw), chunk.decode(raw, header: header) else { return nil }
      return (0..<chunk.count).map {
        Posting(document: chunk.documents[$0], termFrequency: chunk.termFrequencies[$0],
                documentLength: chunk.documentLengths[$0])
      }
    }
  }
}

/// The first five integers of a chunk.
struct PostingChunkHeader: Sendable {
  var count: Int
  var firstDocument: UInt32
  var lastDocument: UInt32
  var maxTermFrequency: UInt32
  var minDocumentLength: UInt32
  /// Where the document deltas begin.
  var payloadOffset: Int

  /// Parses and validates the header; nil when corrupted.
  /// - Complexity: O(1).
  init?(_ bytes: UnsafeRawBufferPointer) {
    var reader = ByteReader(bytes)
    guard let count = reader.readVarInt(), count >= 1, count <= PostingChunk.capacity,
      let first = reader.readVarInt(), let span = reader.readVarInt(),
      let maxTF = reader.readVarInt(), maxTF >= 1,
      let minLength = reader.readVarInt()
    else { return nil }
    let (last, overflow) = first.addingReportingOverflow(span)
    guard !overflow, (count == 1) == (span == 0), span >= count - 1 else { return nil }
    self.count = Int(count)
    firstDocument = first
    lastDocument = last
    maxTermFrequency = maxTF
    minDocumentLength = minLength
    payloadOffset = reader.offset
  }
}

/// A chunk decoded into three parallel arrays, reused from chunk to chunk.
///
/// Decoding is split in two: document ids first, then frequencies and
/// lengths only if a posting of the chunk is scored. A query that probes a
/// chunk for a document it does not hold (most probes of MaxScore's
/// non-essential terms) never pays for the second half.
struct DecodedChunk: Sendable {
  private(set) var count = 0
  private(set) var hasFrequencies = false
  private(set) var documents = [UInt32](repeating: 0, count: PostingChunk.capacity)
  private(set) var termFrequencies = [UInt32](repeating: 0, count: PostingChunk.capacity)
  private(set) var documentLengths = [UInt32](repeating: 0, count: PostingChunk.capacity)
  /// Where the frequencies begin; valid once the documents are decoded.
  private var frequencyOffset = 0

  init() {}

  /// Decodes the document ids of a chunk whose header was parsed; false
  /// when the bytes disagree with the header.
  /// - Complexity: O(count).
  mutating func decodeDocuments(_ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader) -> Bool {
    count = header.count
    hasFrequencies = false
    var reader = ByteReader(bytes, offset: header.payloadOffset)
    let ok = documents.withUnsafeMutableBufferPointer { out -> Bool in
      var document = header.firstDocument
      out[0] = document
      var index = 1
      while index < header.count {
        guard let delta = reader.readVarInt(), delta >= 1 else { return false }
        let (next, overflow) = document.addingReportingOverflow(delta)
        guard !overflow else { return false }
        document = next
        out[index] = document
        index += 1
      }
      return document == header.lastDocument
    }
    frequencyOffset = reader.offset
    return ok
  }

  /// Decodes frequencies and lengths after `decodeDocuments`, checking that
  /// the chunk ends exactly after them.
  /// - Complexity: O(count).
  mutating func decodeFrequencies(_ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader) -> Bool {
    var reader = ByteReader(bytes, offset: frequencyOffset)
    let count = self.count
    let frequenciesOK = termFrequencies.withUnsafeMutableBufferPointer { out -> Bool in
      for index in 0..<count {
        guard let tf = reader.readVarInt(), tf >= 1, tf <= header.maxTermFrequency else { return false }
        out[index] = tf
      }
      return true
    }
    guard frequenciesOK else { return false }
    let lengthsOK = documentLengths.withUnsafeMutableBufferPointer { out -> Bool in
      for index in 0..<count {
        guard let length = reader.readVarInt(), length >= header.minDocumentLength else { return false }
        out[index] = length
      }
      return true
    }
    hasFrequencies = lengthsOK && reader.isAtEnd
    return hasFrequencies
  }

  /// Lends the decoded documents, term frequencies and lengths (each `count`
  /// long; the last two valid once `hasFrequencies`) as buffers.
  @inline(__always)
  func withBuffers<Result>(
    _ body: (UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<UInt32>) -> Result
  ) -> Result {
    documents.withUnsafeBufferPointer { documents in
      termFrequencies.withUnsafeBufferPointer { frequencies in
        documentLengths.withUnsafeBufferPointer { lengths in
          body(
            UnsafeBufferPointer(rebasing: documents[..<count]), UnsafeBufferPointer(rebasing: frequencies[..<count]),
            UnsafeBufferPointer(rebasing: lengths[..<count]))
        }
      }
    }
  }

  /// Decodes everything.
  mutating func decode(_ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader) -> Bool {
    decodeDocuments(bytes, header: header) && decodeFrequencies(bytes, header: header)
  }
}

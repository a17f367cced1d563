import ByteCodecs

/// One entry of a posting list: a document containing the term, how often,
/// and the document's length (so scoring a posting needs no other lookup).
public struct Posting: Hashable, Sendable {
  /// The caller's dense document id.
  public var document: UInt32
  /// Occurrences of the term in the document (≥ 1).
  public var termFrequency: UInt32
  /// The document's length in tokens.
  public var documentLength: UInt32
}

/// The byte codec of a posting chunk: up to `capacity` postings of one term,
/// in increasing document order, stored under `PostingChunkKey`.
///
/// Layout, the impacts format every chunk is written in:
///
///     0xB3                       the format tag
///     count − 1                  one byte, 0...capacity − 1
///     firstDocument              LEB128 (`ByteCodecs.LEB128`)
///     lastDocument − firstDocument       LEB128
///     maxTermFrequency           } LEB128: the chunk's largest tf and smallest
///     minDocumentLength          } length, the bases of the fields below
///     three widths in bytes      one byte each, 0, 1, 2 or 4: deltas, frequencies, lengths
///     impact count               one byte, 1...`ChunkImpacts.capacity`
///     impacts                    (frequency − 1, length − minDocumentLength) pairs
///                                at the frequency and length widths (see `ChunkImpacts`)
///     count − 1 (delta − 1)      at the delta width (see `FixedWidth`)
///     count (frequency − 1)      at the frequency width
///     count (length − minDocumentLength)  at the length width
///
/// A field with nothing to tell takes no bytes: consecutive ids, every tf 1,
/// equal lengths. Older formats are still read, their scores bounded by the
/// (max tf, min dl) corner, looser than the impacts: the fixed-width format
/// (tag 0xB2) is this one without impact count and impacts, and the first
/// format wrote the same header and fields as LEB128 varints, without tag or
/// widths (the chunk began with its count, 1...128). A chunk is rewritten in
/// the current format whenever a write touches it, and `repair` rewrites all.
///
/// The header lets a query skip a chunk, or bound its scores, without
/// decoding it. Why store the document length in every posting rather than
/// once per document: a query then scores from the chunk alone, with no
/// random read per candidate; a document's length never changes while it is
/// indexed, so the copies never go stale.
///
/// Why impacts rather than a stored maximum score: the score of a posting
/// depends on the collection's average length, which moves with every
/// insert; the impacts give the exact maximum whatever the statistics and
/// the parameters k1 and b.
enum PostingChunk {
  /// The most postings one chunk holds.
  static let capacity = 128

  /// The first byte of a chunk with impacts, the format written.
  static let impactsTag: UInt8 = 0xB3

  /// The first byte of a fixed-width chunk without impacts; a LEB128 chunk
  /// begins with its count, whose first byte is 0x01...0x80.
  static let fixedWidthTag: UInt8 = 0xB2

  /// The bytes of `postings`, which must be non-empty, at most `capacity`, and
  /// in strictly increasing document order.
  /// - Complexity: O(count).
  static func encode(_ postings: some RandomAccessCollection<Posting>) -> [UInt8] {
    precondition(!postings.isEmpty && postings.count <= capacity, "a chunk holds 1...\(capacity) postings")
    var maxTF: UInt32 = 0
    var minLength = UInt32.max
    var maxLength: UInt32 = 0
    var maxDelta: UInt32 = 1
    var previous: UInt32?
    for posting in postings {
      precondition(posting.termFrequency >= 1, "a posting's term frequency is at least 1")
      if let previous {
        precondition(posting.document > previous, "postings must be in strictly increasing document order")
        maxDelta = max(maxDelta, posting.document - previous)
      }
      previous = posting.document
      maxTF = max(maxTF, posting.termFrequency)
      minLength = min(minLength, posting.documentLength)
      maxLength = max(maxLength, posting.documentLength)
    }
    let first = postings.first!.document
    let last = postings.last!.document
    let widths = (
      delta: FixedWidth.width(of: maxDelta - 1), frequency: FixedWidth.width(of: maxTF - 1),
      length: FixedWidth.width(of: maxLength - minLength))
    let impacts = ChunkImpacts.coarsened(ChunkImpacts.frontier(postings))
    var bytes: [UInt8] = []
    bytes.reserveCapacity(
      25 + (postings.count + impacts.count) * (widths.delta + widths.frequency + widths.length))
    bytes.append(impactsTag)
    bytes.append(UInt8(postings.count - 1))
    LEB128.append(first, to: &bytes)
    LEB128.append(last - first, to: &bytes)
    LEB128.append(maxTF, to: &bytes)
    LEB128.append(minLength, to: &bytes)
    bytes.append(contentsOf: [UInt8(widths.delta), UInt8(widths.frequency), UInt8(widths.length)])
    bytes.append(UInt8(impacts.count))
    for impact in impacts {
      FixedWidth.append(CollectionOfOne(impact.frequency - 1), width: widths.frequency, to: &bytes)
      FixedWidth.append(CollectionOfOne(impact.length - minLength), width: widths.length, to: &bytes)
    }
    FixedWidth.append(
      zip(postings.dropFirst(), postings).lazy.map { $0.document - $1.document - 1 }, width: widths.delta, to: &bytes)
    FixedWidth.append(postings.lazy.map { $0.termFrequency - 1 }, width: widths.frequency, to: &bytes)
    FixedWidth.append(postings.lazy.map { $0.documentLength - minLength }, width: widths.length, to: &bytes)
    return bytes
  }

  /// The postings in `bytes` (either format), or nil when they do not decode.
  /// - Complexity: O(count).
  static func decode(_ bytes: [UInt8]) -> [Posting]? {
    unsafe bytes.withUnsafeBytes { raw -> [Posting]? in
      var chunk = DecodedChunk()
      guard let header = unsafe PostingChunkHeader(raw), unsafe chunk.decode(raw, header: header) else { return nil }
      return (0..<chunk.count).map {
        Posting(document: chunk.documents[$0], termFrequency: chunk.termFrequencies[$0],
                documentLength: chunk.documentLengths[$0])
      }
    }
  }
}

extension PostingChunk {
  /// The impacts stored in `bytes`: empty for a chunk of an older format,
  /// nil when the chunk does not decode.
  static func impacts(_ bytes: [UInt8]) -> [(frequency: UInt32, length: UInt32)]? {
    unsafe bytes.withUnsafeBytes { raw in unsafe PostingChunkHeader(raw).map { unsafe ChunkImpacts.stored(raw, header: $0) } }
  }

  /// A chunk of the current format rewritten in the fixed-width format
  /// without impacts (tag 0xB2), as stores written before the impacts hold
  /// it: what tests of reading and repairing such stores start from. Nil
  /// unless `bytes` is a chunk of the current format.
  static func withoutImpacts(_ bytes: [UInt8]) -> [UInt8]? {
    unsafe bytes.withUnsafeBytes { raw -> [UInt8]? in
      guard let header = unsafe PostingChunkHeader(raw), header.impactCount > 0 else { return nil }
      var old = Array(bytes[..<(header.impactsOffset - 1)])
      old[0] = fixedWidthTag
      return old + bytes[header.payloadOffset...]
    }
  }
}

/// A chunk's header: what a query reads before, or instead of, decoding it.
struct PostingChunkHeader: Sendable {
  var count: Int
  var firstDocument: UInt32
  var lastDocument: UInt32
  var maxTermFrequency: UInt32
  var minDocumentLength: UInt32
  /// Where the document deltas begin.
  var payloadOffset: Int
  /// The field widths in bytes, or nil for a LEB128 chunk.
  var widths: (delta: Int, frequency: Int, length: Int)?
  /// The impacts stored (0 in the older formats, which store none) and where they begin.
  var impactCount = 0
  var impactsOffset = 0

  /// Parses and validates the header (and, for a fixed-width chunk, its size);
  /// nil when corrupted.
  /// - Complexity: O(1).
  init?(_ bytes: UnsafeRawBufferPointer) {
    var reader = unsafe ByteReader(bytes)
    let hasImpacts = unsafe bytes.first == PostingChunk.impactsTag
    let fixedWidth = unsafe hasImpacts || bytes.first == PostingChunk.fixedWidthTag
    let count: UInt32
    if fixedWidth {
      guard bytes.count > 2, unsafe Int(bytes[1]) < PostingChunk.capacity else { return nil }
      count = unsafe UInt32(bytes[1]) + 1
      unsafe reader.offset = 2
    } else {
      guard let value = unsafe reader.readVarInt(), value >= 1, value <= PostingChunk.capacity else { return nil }
      count = value
    }
    guard let first = unsafe reader.readVarInt(), let span = unsafe reader.readVarInt(),
      let maxTF = unsafe reader.readVarInt(), maxTF >= 1,
      let minLength = unsafe reader.readVarInt()
    else { return nil }
    let (last, overflow) = first.addingReportingOverflow(span)
    guard !overflow, (count == 1) == (span == 0), span >= count - 1 else { return nil }
    self.count = Int(count)
    firstDocument = first
    lastDocument = last
    maxTermFrequency = maxTF
    minDocumentLength = minLength
    if fixedWidth {
      guard unsafe reader.offset + 3 <= bytes.count else { return nil }
      let widths = unsafe (
        delta: Int(bytes[reader.offset]), frequency: Int(bytes[reader.offset + 1]),
        length: Int(bytes[reader.offset + 2]))
      guard FixedWidth.isValid(widths.delta), FixedWidth.isValid(widths.frequency), FixedWidth.isValid(widths.length),
        widths.frequency >= FixedWidth.width(of: maxTF - 1)
      else { return nil }
      payloadOffset = unsafe reader.offset + 3
      if hasImpacts {
        guard payloadOffset < bytes.count else { return nil }
        impactCount = unsafe Int(bytes[payloadOffset])
        guard (1...ChunkImpacts.capacity).contains(impactCount) else { return nil }
        impactsOffset = payloadOffset + 1
        payloadOffset = impactsOffset + impactCount * (widths.frequency + widths.length)
      }
      guard bytes.count == payloadOffset + (self.count - 1) * widths.delta + self.count * (widths.frequency + widths.length)
      else { return nil }
      self.widths = widths
    } else {
      payloadOffset = unsafe reader.offset
      widths = nil
    }
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
    guard let widths = header.widths else { return unsafe decodeVarIntDocuments(bytes, header: header) }
    frequencyOffset = header.payloadOffset + (header.count - 1) * widths.delta
    return unsafe documents.withUnsafeMutableBufferPointer { out -> Bool in
      let output = out.baseAddress!
      unsafe output[0] = header.firstDocument
      unsafe FixedWidth.read(bytes, at: header.payloadOffset, count: header.count - 1, width: widths.delta, into: output + 1)
      // Deltas of up to 2 bytes sum to less than 2^32, so ids that end on
      // the header's last one cannot have wrapped; 4-byte deltas could wrap
      // and still end there, and are also summed in 64 bits.
      if widths.delta == 4 {
        var span = UInt64(header.count - 1)
        for index in 1..<header.count { unsafe span &+= UInt64(output[index]) }
        guard span == UInt64(header.lastDocument - header.firstDocument) else { return false }
      }
      unsafe Self.runningSum(ofDeltasAfter: output, count: header.count)
      return unsafe output[header.count - 1] == header.lastDocument
    }
  }

  /// Turns `ids[1..<count]`, the deltas between consecutive ids minus 1,
  /// into the ids that follow `ids[0]`.
  ///
  /// Four lanes at a time: a scalar running sum chains one add per id, and
  /// was most of decoding a chunk's ids in term at a time's profile.
  @inline(__always)
  private static func runningSum(ofDeltasAfter ids: UnsafeMutablePointer<UInt32>, count: Int) {
    let raw = unsafe UnsafeMutableRawPointer(ids)
    var previous = unsafe SIMD4<UInt32>(repeating: ids[0])
    var index = 1
    while index &+ 4 <= count {
      var lanes = unsafe raw.loadUnaligned(fromByteOffset: index &* 4, as: SIMD4<UInt32>.self) &+ 1
      lanes &+= SIMD4(0, lanes[0], lanes[1], lanes[2])
      lanes &+= SIMD4(0, 0, lanes[0], lanes[1])
      lanes &+= previous
      unsafe raw.storeBytes(of: lanes, toByteOffset: index &* 4, as: SIMD4<UInt32>.self)
      previous = SIMD4(repeating: lanes[3])
      index &+= 4
    }
    var document = previous[0]
    while index < count {
      document = unsafe document &+ ids[index] &+ 1
      unsafe ids[index] = document
      index &+= 1
    }
  }

  /// Decodes frequencies and lengths after `decodeDocuments`; false when a
  /// value contradicts the header (or a LEB128 chunk does not end right after them).
  /// - Complexity: O(count).
  mutating func decodeFrequencies(_ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader) -> Bool {
    guard let widths = header.widths else { return unsafe decodeVarIntFrequencies(bytes, header: header) }
    let count = self.count
    let lengthOffset = frequencyOffset + count * widths.frequency
    let largestFrequency = unsafe termFrequencies.withUnsafeMutableBufferPointer {
      unsafe FixedWidth.read(bytes, at: frequencyOffset, count: count, width: widths.frequency, adding: 1, into: $0.baseAddress!)
    }
    let minimum = header.minDocumentLength
    let largestLength = unsafe documentLengths.withUnsafeMutableBufferPointer {
      unsafe FixedWidth.read(bytes, at: lengthOffset, count: count, width: widths.length, adding: minimum, into: $0.baseAddress!)
    }
    // Frequencies are stored minus 1, lengths minus the chunk's minimum.
    hasFrequencies = largestFrequency < header.maxTermFrequency && largestLength <= UInt32.max - minimum
    return hasFrequencies
  }

  /// `decodeDocuments` for a chunk of the first format (LEB128).
  private mutating func decodeVarIntDocuments(_ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader) -> Bool {
    var reader = unsafe ByteReader(bytes, offset: header.payloadOffset)
    let ok = unsafe documents.withUnsafeMutableBufferPointer { out -> Bool in
      var document = header.firstDocument
      unsafe out[0] = document
      var index = 1
      while index < header.count {
        guard let delta = unsafe reader.readVarInt(), delta >= 1 else { return false }
        let (next, overflow) = document.addingReportingOverflow(delta)
        guard !overflow else { return false }
        document = next
        unsafe out[index] = document
        index += 1
      }
      return document == header.lastDocument
    }
    frequencyOffset = unsafe reader.offset
    return ok
  }

  /// `decodeFrequencies` for a chunk of the first format (LEB128).
  private mutating func decodeVarIntFrequencies(_ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader) -> Bool {
    var reader = unsafe ByteReader(bytes, offset: frequencyOffset)
    let count = self.count
    let frequenciesOK = unsafe termFrequencies.withUnsafeMutableBufferPointer { out -> Bool in
      for index in 0..<count {
        guard let tf = unsafe reader.readVarInt(), tf >= 1, tf <= header.maxTermFrequency else { return false }
        unsafe out[index] = tf
      }
      return true
    }
    guard frequenciesOK else { return false }
    let lengthsOK = unsafe documentLengths.withUnsafeMutableBufferPointer { out -> Bool in
      for index in 0..<count {
        guard let length = unsafe reader.readVarInt(), length >= header.minDocumentLength else { return false }
        unsafe out[index] = length
      }
      return true
    }
    hasFrequencies = unsafe lengthsOK && reader.isAtEnd
    return hasFrequencies
  }

  /// Lends the decoded documents, term frequencies and lengths (each `count`
  /// long; the last two valid once `hasFrequencies`) as buffers.
  @inline(__always)
  func withBuffers<Result>(
    _ body: (UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<UInt32>) -> Result
  ) -> Result {
    unsafe documents.withUnsafeBufferPointer { documents in
      unsafe termFrequencies.withUnsafeBufferPointer { frequencies in
        unsafe documentLengths.withUnsafeBufferPointer { lengths in
          unsafe body(
            UnsafeBufferPointer(rebasing: documents[..<count]), UnsafeBufferPointer(rebasing: frequencies[..<count]),
            UnsafeBufferPointer(rebasing: lengths[..<count]))
        }
      }
    }
  }

  /// Decodes everything.
  mutating func decode(_ bytes: UnsafeRawBufferPointer, header: PostingChunkHeader) -> Bool {
    unsafe decodeDocuments(bytes, header: header) && decodeFrequencies(bytes, header: header)
  }
}

import ByteCodecs

/// A document in the index's write buffer: indexed (it has its
/// `DocumentRecord` and the statistics count it) but with its postings not
/// yet merged into the posting lists (see `BM25Index.pendingCapacity`).
///
/// Why a buffer: merging a document rewrites the last chunk of each of its
/// terms. In a store that copies pages on write (LMDB), that is one page per
/// distinct term per transaction, so a trace written alone dirtied about 150
/// pages. A buffered document is one value; the buffer is merged every
/// `pendingCapacity` documents, each term's last chunk once for all of them.
///
/// Layout (LEB128 integers): length, term count, then per term its byte
/// count, bytes and frequency, terms in increasing byte order (so a query's
/// sorted terms are found in one merge pass, without decoding).
public struct PendingDocument: Equatable, Sendable {
  /// Its length in tokens.
  public var length: UInt32
  /// Its distinct terms in increasing byte order, with their frequencies.
  public var terms: [(term: Term, frequency: UInt32)]

  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.length == rhs.length && lhs.terms.elementsEqual(rhs.terms) { $0.term == $1.term && $0.frequency == $1.frequency }
  }

  /// The stored bytes.
  public var encoded: [UInt8] {
    var bytes: [UInt8] = []
    LEB128.append(length, to: &bytes)
    LEB128.append(UInt32(terms.count), to: &bytes)
    for (term, frequency) in terms {
      LEB128.append(UInt32(term.utf8.count), to: &bytes)
      bytes.append(contentsOf: term.utf8)
      LEB128.append(frequency, to: &bytes)
    }
    return bytes
  }

  /// `terms` must be distinct and sorted by their bytes.
  public init(length: UInt32, terms: [(term: Term, frequency: UInt32)]) {
    self.length = length
    self.terms = terms
  }

  /// Decodes a buffered document; nil when damaged (terms out of order included).
  public init?(encoded bytes: RawSpan) {
    var terms: [(term: Term, frequency: UInt32)] = []
    let length = unsafe bytes.withUnsafeBytes { raw in
      unsafe Self.forEachTerm(in: raw) { term, frequency in
        let term = unsafe Term(utf8: Array(term))
        terms.append((term, frequency))
      }
    }
    guard let length else { return nil }
    self.length = length
    self.terms = terms
  }

  /// Calls `body` with each term's bytes and frequency, in order, and
  /// returns the document's length; nil when the bytes do not decode or the
  /// terms are not strictly increasing (then `body` may have been called
  /// for some terms).
  ///
  /// Reads in place: a query scans every buffered document.
  static func forEachTerm(
    in raw: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, UInt32) throws -> Void
  ) rethrows -> UInt32? {
    var reader = unsafe ByteReader(raw)
    guard let length = unsafe reader.readVarInt(), let count = unsafe reader.readVarInt(), Int(count) <= raw.count else {
      return nil
    }
    var previous: UnsafeRawBufferPointer?
    for _ in 0..<count {
      guard let size = unsafe reader.readVarInt(), size > 0, unsafe raw.count - reader.offset >= Int(size) else {
        return nil
      }
      let term = unsafe UnsafeRawBufferPointer(rebasing: raw[reader.offset..<(reader.offset + Int(size))])
      unsafe reader.offset += Int(size)
      guard let frequency = unsafe reader.readVarInt(), frequency > 0 else { return nil }
      if let previous = unsafe previous, unsafe !previous.lexicographicallyPrecedes(term) { return nil }
      unsafe previous = term
      try unsafe body(term, frequency)
    }
    return unsafe reader.isAtEnd ? length : nil
  }
}

/// The buffered documents' postings of a query's terms, encoded as chunks
/// that follow each term's stored list (every buffered document comes after
/// every merged posting, see `BM25Index.add`), so that every search strategy
/// reads them as it reads the rest.
@unsafe
final class PendingChunks {
  /// Each term's chunks, in the order the terms were given.
  let chunks: [[UnsafeRawBufferPointer]]
  private let arena: UnsafeMutableRawBufferPointer

  /// The chunks of `terms` over the buffered documents of `store`; nil when
  /// the buffer is empty (the usual case after a bulk load).
  /// - Throws: `LexicalIndexError.corruptDocumentRecord` for a buffered document that does not decode; errors of
  ///   `store` pass through unchanged.
  /// - Complexity: O(buffered documents' terms + query terms · log) comparisons of term bytes.
  static func read(of terms: [Term], in store: some LexicalStorageReader) throws -> PendingChunks? {
    // Set up at the first buffered document: an empty buffer (the usual case) costs a lookup only.
    var byBytes: [Int] = []
    var postings: [[Posting]] = []
    var any = false
    var matches: [(term: Int, frequency: UInt32)] = []
    try store.forEachPendingDocument { document, bytes in
      if !any {
        any = true
        byBytes = terms.indices.sorted { terms[$0] < terms[$1] }
        postings = [[Posting]](repeating: [], count: terms.count)
      }
      matches.removeAll(keepingCapacity: true)
      var next = 0  // the first query term (in byte order) not passed yet
      let length = unsafe bytes.withUnsafeBytes { raw in
        unsafe PendingDocument.forEachTerm(in: raw) { term, frequency in
          while next < byBytes.count, unsafe terms[byBytes[next]].utf8.lexicographicallyPrecedes(term) { next += 1 }
          var match = next
          while match < byBytes.count, unsafe terms[byBytes[match]].utf8.elementsEqual(term) {
            matches.append((byBytes[match], frequency))
            match += 1
          }
        }
      }
      guard let length else { throw LexicalIndexError.corruptDocumentRecord(document: document) }
      for (term, frequency) in matches {
        postings[term].append(Posting(document: document, termFrequency: frequency, documentLength: length))
      }
    }
    guard any else { return nil }
    return unsafe PendingChunks(postings)
  }

  private init(_ postings: [[Posting]]) {
    var encoded: [[[UInt8]]] = []
    for list in postings {
      encoded.append(stride(from: 0, to: list.count, by: PostingChunk.capacity).map { start in
        PostingChunk.encode(list[start..<min(start + PostingChunk.capacity, list.count)])
      })
    }
    let size = encoded.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
    let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 8)
    var offset = 0
    unsafe self.arena = arena
    unsafe chunks = unsafe encoded.map { list in
      unsafe list.map { bytes in
        let target = unsafe UnsafeMutableRawBufferPointer(rebasing: arena[offset..<(offset + bytes.count)])
        unsafe bytes.withUnsafeBytes { unsafe target.copyMemory(from: $0) }
        offset += bytes.count
        return UnsafeRawBufferPointer(target)
      }
    }
  }

  deinit { unsafe arena.deallocate() }
}

import ByteCodecs

/// What the index reads from its storage when it answers a query.
///
/// The index is storage-agnostic: `InMemoryLexicalStore` implements this for
/// tests and benchmarks, TraceKV implements it over LMDB inside the same
/// transaction as the traces. Keys and values are the byte codecs of this
/// module (`PostingChunkKey`, `PostingChunk`, `PostingBlock`,
/// `CollectionStatistics.encoded`), so every implementation stores the same
/// bytes. A storage may pack a term's sealed chunks into blocks (TraceKV's
/// does) or not (`InMemoryLexicalStore`): it lends what it stored, and the
/// index reads both.
///
/// Errors thrown by an implementation pass through the index unchanged.
public protocol LexicalStorageReader {
  /// The stored statistics, or `.empty` when none were ever stored.
  /// - Throws: the implementation's storage errors, e.g. for statistics that do not decode (TraceKV's LMDB storage:
  ///   `TraceKVError`); the index passes them through unchanged.
  func collectionStatistics() throws -> CollectionStatistics

  /// Calls `body` once with the bytes of every value stored for `term`
  /// (chunks and blocks), in key order, as a one-term `LentPostingEntries`
  /// (`entryCount(ofTerm: 0)` is 0 when the term has none).
  ///
  /// Over LMDB: position a cursor at `PostingChunkKey.prefix(of: term)`
  /// (`MDB_SET_RANGE`) and step while keys start with that prefix, lending the
  /// values straight from the memory map (zero copy).
  ///
  /// The values are lent (`LentPostingEntries` is non-escapable): valid only
  /// until `body` returns, one term's list.
  /// - Throws: what `body` throws, and the implementation's storage errors; the index passes both through unchanged.
  func withPostingEntries<Result>(
    of term: Term, _ body: (borrowing LentPostingEntries) throws -> Result
  ) throws -> Result

  /// Calls `body` once with the values of every term of `terms`, in the
  /// order given (an empty list for a term without any), all lent at once.
  ///
  /// A query holds every list together; lending them term by term would
  /// nest one closure per term, and a query of thousands of terms would
  /// overflow the stack. Over LMDB the values stay valid for the whole read
  /// (nothing writes while `body` runs), so this is one scan per term, zero
  /// copy. The default implementation copies the values.
  ///
  /// The values are lent: valid only until `body` returns.
  /// - Throws: what `body` throws, and the implementation's storage errors; the index passes both through unchanged.
  func withPostingEntries<Result>(
    of terms: [Term], _ body: (borrowing LentPostingEntries) throws -> Result
  ) throws -> Result

  /// The stored record of `document` (opaque bytes written by
  /// `putDocumentRecord`), or nil when the document is not indexed.
  /// - Throws: the implementation's storage errors; the index passes them through unchanged.
  func documentRecord(_ document: UInt32) throws -> [UInt8]?

  /// Calls `body` with the chunk of `term` that should hold `document`:
  /// the chunk with the greatest first document ≤ `document`; when every
  /// chunk starts after `document`, the term's first chunk; nil when the term
  /// has no chunk. `covering: .max` therefore yields the term's last chunk.
  ///
  /// Over LMDB: `MDB_SET_RANGE` at `PostingChunkKey.encode(term:firstDocument: document)`;
  /// an exact match is the answer, else step back once (`MDB_PREV`, or
  /// `MDB_LAST` when the range search ran off the end) and take that key if
  /// it still has the term's prefix, else the key found first if it has the prefix.
  ///
  /// The chunk is lent: valid only until `body` returns.
  /// - Throws: what `body` throws, and the implementation's storage errors; the index passes both through unchanged.
  func withPostingChunk<Result>(
    of term: Term, covering document: UInt32, _ body: (borrowing LentPostingChunk?) throws -> Result
  ) throws -> Result

  /// Calls `body` with each document of the write buffer (see
  /// `BM25Index.pendingCapacity`), in increasing id order: its id and the
  /// bytes stored by `putPendingDocument`, lent until `body` returns.
  /// - Throws: what `body` throws, and the implementation's storage errors; the index passes both through unchanged.
  func forEachPendingDocument(_ body: (UInt32, RawSpan) throws -> Void) throws
}

extension LexicalStorageReader {
  /// Copies the values of each term (one lending call at a time, none
  /// nested) into one buffer and lends them from it.
  /// - Throws: what `withPostingEntries(of:_:)` for one term or `body` throws, unchanged.
  public func withPostingEntries<Result>(
    of terms: [Term], _ body: (borrowing LentPostingEntries) throws -> Result
  ) throws -> Result {
    var arena: [UInt8] = []
    var ranges: [[Range<Int>]] = []
    for term in terms {
      ranges.append(
        try withPostingEntries(of: term) { lent in
          (0..<lent.entryCount(ofTerm: 0)).map { index in
            let start = arena.count
            arena.append(contentsOf: lent.entry(index, ofTerm: 0).copiedBytes)
            return start..<arena.count
          }
        })
    }
    return try unsafe arena.withUnsafeBytes { bytes in
      // The arena lives, unchanged, until `body` returns.
      let lists = unsafe ranges.map { unsafe $0.map { unsafe UnsafeRawBufferPointer(rebasing: bytes[$0]) } }
      return try body(unsafe LentPostingEntries(unsafeBorrowing: lists))
    }
  }
}

/// What the index writes when documents are added, updated or deleted.
///
/// Every change of one `add`/`delete`/`update` call goes through these
/// methods; an implementation that applies them in one transaction (with the
/// trace they index) keeps index and traces consistent across crashes.
public protocol LexicalStorage: LexicalStorageReader {
  /// Stores (inserts or replaces) the chunk of `term` whose first document is `firstDocument`.
  /// - Throws: the implementation's storage errors; `add`, `delete` and `update` pass them through unchanged.
  mutating func putPostingChunk(of term: Term, firstDocument: UInt32, bytes: [UInt8]) throws

  /// Removes the chunk of `term` whose first document is `firstDocument`.
  /// - Throws: the implementation's storage errors; `add`, `delete` and `update` pass them through unchanged.
  mutating func deletePostingChunk(of term: Term, firstDocument: UInt32) throws

  /// Stores (inserts or replaces) the record of `document`.
  /// - Throws: the implementation's storage errors; `add`, `delete` and `update` pass them through unchanged.
  mutating func putDocumentRecord(_ document: UInt32, bytes: [UInt8]) throws

  /// Removes the record of `document`.
  /// - Throws: the implementation's storage errors; `add`, `delete` and `update` pass them through unchanged.
  mutating func deleteDocumentRecord(_ document: UInt32) throws

  /// Stores the collection statistics (one small value, rewritten by every
  /// `add`/`delete`/`update` call).
  /// - Throws: the implementation's storage errors; `add`, `delete` and `update` pass them through unchanged.
  mutating func putCollectionStatistics(_ statistics: CollectionStatistics) throws

  /// Stores (inserts or replaces) the buffered document `document` (opaque bytes).
  /// - Throws: the implementation's storage errors; `add`, `delete` and `update` pass them through unchanged.
  mutating func putPendingDocument(_ document: UInt32, bytes: [UInt8]) throws

  /// Removes the buffered document `document`.
  /// - Throws: the implementation's storage errors; `add`, `delete` and `update` pass them through unchanged.
  mutating func deletePendingDocument(_ document: UInt32) throws

  /// The greatest document id below `document` that has a record, or nil.
  /// - Throws: the implementation's storage errors; the index passes them through unchanged.
  func lastIndexedDocument(below document: UInt32) throws -> UInt32?
}

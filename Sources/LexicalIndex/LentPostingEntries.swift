/// Posting lists lent by a `LexicalStorageReader` for one call: per term,
/// the values stored under its keys (`PostingChunkKey`) in key order, each a
/// chunk (`PostingChunk`) or a block of chunks (`PostingBlock`). The index
/// reads blocks itself (`PostingList`), so a storage lends what it stored.
///
/// The value is non-escapable, and so is every `RawSpan` read from it: neither
/// can outlive the closure it is passed to, so no entry outlives the storage's
/// read (over LMDB, the transaction whose memory map holds the bytes). Only the
/// storage that lends the bytes touches pointers, through the `@unsafe`
/// initializer; readers get bounds-checked spans.
@safe
public struct LentPostingEntries: ~Escapable {
  private let lists: [[UnsafeRawBufferPointer]]

  /// Lends `lists`: for each term, its stored values' bytes.
  ///
  /// - Important: unsafe because the buffers are trusted: each must stay valid
  ///   and unchanged for as long as the value lives (it cannot outlive `lists`).
  @unsafe @_lifetime(borrow lists)
  public init(unsafeBorrowing lists: borrowing [[UnsafeRawBufferPointer]]) {
    unsafe self.lists = copy lists
  }

  /// How many terms were lent (one list each, possibly empty).
  public var termCount: Int { unsafe lists.count }

  /// How many stored values term `term` (an index below `termCount`) has.
  public func entryCount(ofTerm term: Int) -> Int { unsafe lists[term].count }

  /// The bytes of value `index` of term `term`, valid while this value is.
  @_lifetime(copy self)
  public func entry(_ index: Int, ofTerm term: Int) -> RawSpan {
    let bytes = unsafe RawSpan(_unsafeBytes: lists[term][index])
    return unsafe _overrideLifetime(bytes, copying: self)
  }

  /// The buffers of term `term`, for the index's posting lists, which hold
  /// many at once (Swift has no array of spans) and never keep them past the
  /// lending call.
  @unsafe
  func unsafeEntries(ofTerm term: Int) -> [UnsafeRawBufferPointer] { unsafe lists[term] }
}

/// The one chunk of a term lent by `LexicalStorageReader.withPostingChunk(of:covering:_:)`.
public struct LentPostingChunk: ~Escapable {
  /// The chunk's first document (from its key).
  public let firstDocument: UInt32
  /// The chunk's bytes, valid while this value is.
  public let bytes: RawSpan

  @_lifetime(copy bytes)
  public init(firstDocument: UInt32, bytes: RawSpan) {
    self.firstDocument = firstDocument
    self.bytes = bytes
  }
}

/// A BM25 inverted index over caller-numbered documents, stored through a
/// `LexicalStorage`.
///
/// The index value holds configuration only (tokenizer, parameters); every
/// byte lives in the storage passed to each call, so one index value serves
/// any number of stores and transactions:
///
///     var store = InMemoryLexicalStore()
///     let index = BM25Index()
///     try index.add([(1, "get_weather failed: LOGIC_LOOP"), (2, "weather in Paris")], to: &store)
///     let hits = try index.search("logic loop", limit: 10, in: store)
///
/// Document ids are dense `UInt32` values chosen by the caller; `UInt32.max`
/// is reserved.
public struct BM25Index: Sendable {
  /// The tokenizer applied to documents and queries alike.
  public var tokenizer: Tokenizer
  /// k1 and b.
  public var parameters: BM25Parameters
  /// Query terms left out of scoring (English stopwords and single ASCII
  /// characters by default; documents keep every token).
  public var queryFilter: QueryTermFilter
  /// How many small additions the index buffers before merging their
  /// postings into the posting lists (0: none, every addition merges).
  ///
  /// A merge rewrites the last chunk of each of a document's terms, which in
  /// a storage that copies pages on write (LMDB) costs a page per distinct
  /// term per transaction. Buffered documents are stored one value each and
  /// are searched, deleted and checked like merged ones; a batch that fills
  /// the buffer merges it with the batch. Searches scan the buffer, so it is
  /// kept small.
  public var pendingCapacity: Int

  /// An index with the given tokenizer and parameters (Lucene's k1 = 1.2, b = 0.75 by default).
  public init(
    tokenizer: Tokenizer = Tokenizer(), parameters: BM25Parameters = .lucene, queryFilter: QueryTermFilter = .english,
    pendingCapacity: Int = 0
  ) {
    self.tokenizer = tokenizer
    self.parameters = parameters
    self.queryFilter = queryFilter
    self.pendingCapacity = max(0, pendingCapacity)
  }

  /// The length in tokens of an indexed document, or nil when it is not indexed.
  /// - Throws: ``LexicalIndexError`` `.corruptDocumentRecord` when the record does not decode; errors of `store` pass
  ///   through unchanged.
  /// - Complexity: one record read.
  public func documentLength(_ document: UInt32, in store: some LexicalStorageReader) throws -> UInt32? {
    guard let bytes = try store.documentRecord(document) else { return nil }
    guard let record = DocumentRecord(encoded: bytes) else {
      throw LexicalIndexError.corruptDocumentRecord(document: document)
    }
    return record.length
  }

  /// The distinct terms of an indexed document, or nil when it is not indexed.
  /// - Throws: ``LexicalIndexError`` `.corruptDocumentRecord` when the record does not decode; errors of `store` pass
  ///   through unchanged.
  public func terms(of document: UInt32, in store: some LexicalStorageReader) throws -> [Term]? {
    guard let bytes = try store.documentRecord(document) else { return nil }
    guard let record = DocumentRecord(encoded: bytes) else {
      throw LexicalIndexError.corruptDocumentRecord(document: document)
    }
    return record.terms
  }
}

import LMDBKit
import LexicalIndex

/// The lexical index's storage over the store's tables, inside one
/// transaction: posting chunks are lent straight from LMDB's memory map.
/// Valid only while the transaction it wraps is.
struct LMDBLexicalStorage: LexicalStorage {
  let transaction: LMDBTransaction
  let tables: StoreTables

  func collectionStatistics() throws -> CollectionStatistics {
    try transaction.withValue(tables.meta, key: StoreSchema.MetaKey.lexicalStatistics) { bytes in
      guard let statistics = CollectionStatistics(encoded: bytes.copiedBytes) else {
        throw TraceKVError(.corrupted, "the lexical statistics in 'meta' are damaged")
      }
      return statistics
    } ?? .empty
  }

  func withPostingChunks<Result>(of term: Term, _ body: (borrowing LentPostingChunks) throws -> Result) throws
    -> Result
  {
    try withPostingChunks(of: [term], body)
  }

  func withPostingChunks<Result>(of terms: [Term], _ body: (borrowing LentPostingChunks) throws -> Result) throws
    -> Result
  {
    let lists = try unsafe terms.map { term in
      try unsafe transaction.unsafeValues(tables.termPostings, prefix: PostingChunkKey.prefix(of: term))
    }
    // The values stay valid for the whole read, as nothing writes while `body` runs, and
    // `LentPostingChunks` cannot outlive `body`.
    return try body(unsafe LentPostingChunks(unsafeBorrowing: lists))
  }

  func documentRecord(_ document: UInt32) throws -> [UInt8]? {
    try transaction.value(tables.lexicalDocuments, key: Keys.docID(document))
  }

  func withPostingChunk<Result>(
    of term: Term, covering document: UInt32,
    _ body: (borrowing LentPostingChunk?) throws -> Result
  ) throws -> Result {
    let prefix = PostingChunkKey.prefix(of: term)
    let target = PostingChunkKey.encode(term: term, firstDocument: document)
    // The greatest key ≤ target with the term's prefix, else the term's first chunk.
    var result: Result?
    var lent = false
    func lend(_ key: RawSpan, _ value: RawSpan) throws {
      guard let firstDocument = unsafe key.withUnsafeBytes({ unsafe PostingChunkKey.decode($0)?.firstDocument }) else { return }
      lent = true
      result = try body(LentPostingChunk(firstDocument: firstDocument, bytes: value))
    }
    try transaction.scan(tables.termPostings, from: target, reverse: true) { key, value in
      if key.starts(with: prefix) { try lend(key, value) }
      return false
    }
    if !lent {
      try transaction.scan(tables.termPostings, prefix: prefix) { key, value in
        try lend(key, value)
        return false
      }
    }
    if lent, let result { return result }
    return try body(nil)
  }

  mutating func putPostingChunk(of term: Term, firstDocument: UInt32, bytes: [UInt8]) throws {
    try transaction.put(tables.termPostings, key: PostingChunkKey.encode(term: term, firstDocument: firstDocument), value: bytes)
  }

  mutating func deletePostingChunk(of term: Term, firstDocument: UInt32) throws {
    try transaction.delete(tables.termPostings, key: PostingChunkKey.encode(term: term, firstDocument: firstDocument))
  }

  mutating func putDocumentRecord(_ document: UInt32, bytes: [UInt8]) throws {
    try transaction.put(tables.lexicalDocuments, key: Keys.docID(document), value: bytes)
  }

  mutating func deleteDocumentRecord(_ document: UInt32) throws {
    try transaction.delete(tables.lexicalDocuments, key: Keys.docID(document))
  }

  mutating func putCollectionStatistics(_ statistics: CollectionStatistics) throws {
    try transaction.put(tables.meta, key: StoreSchema.MetaKey.lexicalStatistics, value: statistics.encoded)
  }
}

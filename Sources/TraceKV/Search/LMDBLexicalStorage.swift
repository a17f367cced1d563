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
      guard let statistics = CollectionStatistics(encoded: bytes) else {
        throw TraceKVError(.corrupted, "the lexical statistics in 'meta' are damaged")
      }
      return statistics
    } ?? .empty
  }

  func withPostingChunks<Result>(of term: Term, _ body: ([UnsafeRawBufferPointer]) throws -> Result) throws -> Result {
    var chunks: [UnsafeRawBufferPointer] = []
    try transaction.scan(tables.termPostings, prefix: PostingChunkKey.prefix(of: term)) { _, value in
      chunks.append(value)
      return true
    }
    // The pointers stay valid: nothing writes while `body` runs.
    return try body(chunks)
  }

  func withPostingChunks<Result>(of terms: [Term], _ body: ([[UnsafeRawBufferPointer]]) throws -> Result) throws
    -> Result
  {
    var lists: [[UnsafeRawBufferPointer]] = []
    lists.reserveCapacity(terms.count)
    for term in terms {
      var chunks: [UnsafeRawBufferPointer] = []
      try transaction.scan(tables.termPostings, prefix: PostingChunkKey.prefix(of: term)) { _, value in
        chunks.append(value)
        return true
      }
      lists.append(chunks)
    }
    // As above: values stay valid for the whole read, as nothing writes while `body` runs.
    return try body(lists)
  }

  func documentRecord(_ document: UInt32) throws -> [UInt8]? {
    try transaction.value(tables.lexicalDocuments, key: Keys.docID(document))
  }

  func withPostingChunk<Result>(
    of term: Term, covering document: UInt32,
    _ body: ((firstDocument: UInt32, bytes: UnsafeRawBufferPointer)?) throws -> Result
  ) throws -> Result {
    let prefix = PostingChunkKey.prefix(of: term)
    let target = PostingChunkKey.encode(term: term, firstDocument: document)
    // The greatest key ≤ target with the term's prefix, else the term's first chunk.
    var found: (UInt32, UnsafeRawBufferPointer)?
    try transaction.scan(tables.termPostings, from: target, reverse: true) { key, value in
      if key.starts(with: prefix), let decoded = PostingChunkKey.decode(key) { found = (decoded.firstDocument, value) }
      return false
    }
    if found == nil {
      try transaction.scan(tables.termPostings, prefix: prefix) { key, value in
        if let decoded = PostingChunkKey.decode(key) { found = (decoded.firstDocument, value) }
        return false
      }
    }
    return try body(found.map { (firstDocument: $0.0, bytes: $0.1) })
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

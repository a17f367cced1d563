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

  func withPostingEntries<Result>(of term: Term, _ body: (borrowing LentPostingEntries) throws -> Result) throws
    -> Result
  {
    try withPostingEntries(of: [term], body)
  }

  func withPostingEntries<Result>(of terms: [Term], _ body: (borrowing LentPostingEntries) throws -> Result) throws
    -> Result
  {
    let lists = try unsafe terms.map { term in
      try unsafe transaction.unsafeValues(tables.termPostings, prefix: PostingChunkKey.prefix(of: term))
    }
    // The values stay valid for the whole read, as nothing writes while `body` runs, and
    // `LentPostingEntries` cannot outlive `body`.
    return try body(unsafe LentPostingEntries(unsafeBorrowing: lists))
  }

  func documentRecord(_ document: UInt32) throws -> [UInt8]? {
    try transaction.value(tables.lexicalDocuments, key: Keys.docID(document))
  }

  func forEachPendingDocument(_ body: (UInt32, RawSpan) throws -> Void) throws {
    let prefix = StoreSchema.MetaKey.lexicalPendingPrefix
    try transaction.scan(tables.meta, prefix: prefix) { key, value in
      guard key.byteCount == prefix.count + 4 else {
        throw TraceKVError(.corrupted, "a buffered lexical document's key in 'meta' has \(key.byteCount) bytes")
      }
      try body(try Keys.document(in: key, at: prefix.count), value)
      return true
    }
  }

  func lastIndexedDocument(below document: UInt32) throws -> UInt32? {
    guard document > 0 else { return nil }
    var last: UInt32?
    try transaction.scan(tables.lexicalDocuments, from: Keys.docID(document - 1), reverse: true) { key, _ in
      last = try Keys.document(in: key)
      return false
    }
    return last
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
      // In a block, the chunk covering `document` (the block's first when none starts before it).
      if let chunks = unsafe value.withUnsafeBytes({ unsafe PostingBlock.isBlock($0) ? PostingBlock.chunks($0) : nil }),
        let chunk = chunks.last(where: { $0.firstDocument <= document }) ?? chunks.first
      {
        result = try body(LentPostingChunk(firstDocument: chunk.firstDocument, bytes: value.extracting(chunk.range)))
      } else {
        // A chunk, or a damaged block, which the reader's check of the chunk header reports.
        result = try body(LentPostingChunk(firstDocument: firstDocument, bytes: value))
      }
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
    let key = PostingChunkKey.encode(term: term, firstDocument: firstDocument)
    let isNew = try unpackBlock(around: key, of: term, at: firstDocument)
    try transaction.put(tables.termPostings, key: key, value: bytes)
    if isNew { try packChunks(before: key, of: term) }
  }

  mutating func deletePostingChunk(of term: Term, firstDocument: UInt32) throws {
    let key = PostingChunkKey.encode(term: term, firstDocument: firstDocument)
    _ = try unpackBlock(around: key, of: term, at: firstDocument)
    try transaction.delete(tables.termPostings, key: key)
  }

  mutating func putDocumentRecord(_ document: UInt32, bytes: [UInt8]) throws {
    try transaction.put(tables.lexicalDocuments, key: Keys.docID(document), value: bytes)
  }

  mutating func deleteDocumentRecord(_ document: UInt32) throws {
    try transaction.delete(tables.lexicalDocuments, key: Keys.docID(document))
  }

  mutating func putPendingDocument(_ document: UInt32, bytes: [UInt8]) throws {
    try transaction.put(tables.meta, key: StoreSchema.MetaKey.lexicalPendingPrefix + Keys.docID(document), value: bytes)
  }

  mutating func deletePendingDocument(_ document: UInt32) throws {
    try transaction.delete(tables.meta, key: StoreSchema.MetaKey.lexicalPendingPrefix + Keys.docID(document))
  }

  mutating func putCollectionStatistics(_ statistics: CollectionStatistics) throws {
    try transaction.put(tables.meta, key: StoreSchema.MetaKey.lexicalStatistics, value: statistics.encoded)
  }

  // MARK: - Blocks (`PostingBlock`)

  /// Before a write of the chunk keyed `key` (of `term`, starting at
  /// `firstDocument`): when a block holds that key or spans that document,
  /// stores its chunks one by one again, so the write meets plain chunks.
  /// - Returns: whether `key` was absent (the write adds a chunk).
  private mutating func unpackBlock(around key: [UInt8], of term: Term, at firstDocument: UInt32) throws -> Bool {
    let prefix = PostingChunkKey.prefix(of: term)
    var isNew = true
    var block: (key: [UInt8], chunks: [(firstDocument: UInt32, bytes: [UInt8])])?
    try transaction.scan(tables.termPostings, from: key, reverse: true) { found, value in
      guard found.starts(with: prefix) else { return false }
      isNew = !found.elementsEqual(key)
      block = try unsafe value.withUnsafeBytes { bytes -> (key: [UInt8], chunks: [(firstDocument: UInt32, bytes: [UInt8])])? in
        guard unsafe PostingBlock.isBlock(bytes) else { return nil }
        guard let chunks = unsafe PostingBlock.chunks(bytes) else {
          // The error a read of the block gives (its lent bytes fail the chunk header check).
          let blockStart = unsafe found.withUnsafeBytes { unsafe PostingChunkKey.decode($0)?.firstDocument } ?? firstDocument
          throw LexicalIndexError.corruptPostingChunk(term: term.description, firstDocument: blockStart)
        }
        guard !isNew || firstDocument <= chunks.last!.lastDocument else { return nil }
        return (found.copiedBytes, chunks.map { unsafe ($0.firstDocument, Array(UnsafeRawBufferPointer(rebasing: bytes[$0.range]))) })
      }
      return false
    }
    guard let block else { return isNew }
    try transaction.delete(tables.termPostings, key: block.key)
    for chunk in block.chunks {
      let chunkKey = PostingChunkKey.encode(term: term, firstDocument: chunk.firstDocument)
      if chunkKey == key { isNew = false }
      try transaction.put(tables.termPostings, key: chunkKey, value: chunk.bytes)
    }
    return isNew
  }

  /// After a chunk was added under `key`: when the `PostingBlock.capacity`
  /// entries of `term` just before it are all plain chunks, packs them into
  /// one block. They are sealed: a chunk follows them.
  /// - Complexity: at most `PostingBlock.capacity` cursor steps, once per chunk added;
  ///   reading and rewriting the chunks once per block made.
  private mutating func packChunks(before key: [UInt8], of term: Term) throws {
    let prefix = PostingChunkKey.prefix(of: term)
    var keys: [[UInt8]] = []
    try transaction.scan(tables.termPostings, from: key, reverse: true) { found, value in
      if found.elementsEqual(key) { return true }
      guard found.starts(with: prefix), unsafe value.withUnsafeBytes({ unsafe !PostingBlock.isBlock($0) }) else { return false }
      keys.append(found.copiedBytes)
      return keys.count < PostingBlock.capacity
    }
    guard keys.count == PostingBlock.capacity else { return }
    keys.reverse()
    // Every chunk is read before any is deleted: nothing is lost if one cannot be.
    let chunks = try keys.map { chunkKey in
      guard let bytes = try transaction.value(tables.termPostings, key: chunkKey) else {
        throw TraceKVError(.corrupted, "a posting chunk of '\(term)' vanished while it was packed")
      }
      return bytes
    }
    // A chunk whose header does not parse stays as it is, and its neighbours
    // with it: the write goes on, and reads and `verify` report the damage.
    guard let block = PostingBlock.encode(chunks) else { return }
    for chunkKey in keys { try transaction.delete(tables.termPostings, key: chunkKey) }
    try transaction.put(tables.termPostings, key: keys[0], value: block)
  }
}

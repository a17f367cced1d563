import Foundation
@testable import LexicalIndex
import TestSupport
import Testing
@testable import TraceKV

/// Sealed posting chunks are packed into blocks of `PostingBlock.capacity`
/// in the store (`LMDBLexicalStorage`), and every search still equals the
/// same index kept in memory, where nothing is packed: before and after
/// writes that land inside a block.
@Suite struct PostingBlockTests {
  /// Document `n`'s text. "common" is in every document (1 to 3 times) and
  /// "shared" in 7 of 8: at 40 chunks' worth of documents both fill more
  /// than one block; the other words stay below one.
  static func text(_ n: Int) -> String {
    var words = Array(repeating: "common", count: 1 + n % 3)
    if n % 8 != 0 { words.append("shared") }
    words += ["alpha\(n % 5)", "beta\(n % 11)", "word\(n)"]
    words += Array(repeating: "pad", count: n % 4)
    return words.joined(separator: " ")
  }

  static let documentCount = 40 * PostingChunk.capacity
  static let queries = ["common", "common shared", "common alpha3", "shared beta7 alpha1", "common shared pad beta2 word77"]

  /// The store's tables and the memory index, both holding `count` documents added in batches of `batch`.
  private static func indexes(count: Int = documentCount, batch: Int) throws -> (TemporaryStore, InMemoryLexicalStore) {
    let temporary = try TemporaryStore(embedder: .none)
    let index = BM25Index()
    var memory = InMemoryLexicalStore()
    for start in stride(from: 0, to: count, by: batch) {
      let documents = (start..<min(start + batch, count)).map { (id: UInt32($0), text: text($0)) }
      try index.add(documents, to: &memory)
      try temporary.store.write { transaction in
        var storage = LMDBLexicalStorage(transaction: transaction, tables: temporary.store.tables)
        try index.add(documents, to: &storage)
      }
    }
    return (temporary, memory)
  }

  /// How many blocks and plain chunks `term` has in the store.
  private static func entries(of term: String, in store: TraceStore) throws -> (blocks: Int, chunks: Int) {
    var counts = (blocks: 0, chunks: 0)
    try store.read { transaction in
      try transaction.scan(store.tables.termPostings, prefix: PostingChunkKey.prefix(of: Term(term))) { _, value in
        if value.byte(at: 0) == PostingBlock.tag { counts.blocks += 1 } else { counts.chunks += 1 }
        return true
      }
    }
    return counts
  }

  /// Every strategy, at depths 1, 10 and 100, gives the memory index's hits, scores included.
  private static func expectSameHits(_ store: TraceStore, _ memory: InMemoryLexicalStore) throws {
    let index = BM25Index()
    let strategies: [BM25SearchStrategy] = [.automatic, .termAtATime, .windowedMaxScore, .maxScore, .blockMaxWAND]
    for query in queries {
      let expected = try [1, 10, 100].map { try index.search(query, limit: $0, in: memory, strategy: .exhaustive) }
      #expect(expected[2].count == 100)
      for strategy in strategies {
        let found = try store.read { transaction in
          let storage = LMDBLexicalStorage(transaction: transaction, tables: store.tables)
          return try [1, 10, 100].map { try index.search(query, limit: $0, in: storage, strategy: strategy) }
        }
        #expect(found == expected, "\(query) with \(strategy)")
      }
    }
  }

  @Test("sealed chunks are packed 32 to a block, and searches equal the unpacked index's", arguments: [1, 500])
  func packsAndSearchesAlike(batch: Int) throws {
    let (temporary, memory) = try Self.indexes(batch: batch)
    // 40 chunks: the 33rd's arrival packs the 32 before it; 8 stay plain, the last of them open.
    #expect(try Self.entries(of: "common", in: temporary.store) == (1, 8))
    // 7 of 8 documents: 4,480 postings, 35 chunks, one block and 3 chunks.
    #expect(try Self.entries(of: "shared", in: temporary.store) == (1, 3))
    #expect(try Self.entries(of: "pad", in: temporary.store) == (0, 30))
    try Self.expectSameHits(temporary.store, memory)
  }

  @Test("a deletion and an update inside a block unpack it, and searches stay exact")
  func writesInsideABlock() throws {
    var (temporary, memory) = try Self.indexes(batch: 1_000)
    let index = BM25Index()
    let store = temporary.store
    func change(_ body: (inout LMDBLexicalStorage) throws -> Void) throws {
      try store.write { transaction in
        var storage = LMDBLexicalStorage(transaction: transaction, tables: store.tables)
        try body(&storage)
      }
    }
    // Document 300 lies in the block's third chunk (128 postings a chunk).
    #expect(try index.delete(300, from: &memory))
    try change { storage in
      let deleted = try index.delete(300, from: &storage)
      #expect(deleted)
    }
    #expect(try Self.entries(of: "common", in: store) == (0, 40))
    try Self.expectSameHits(store, memory)
    // Document 300 held "shared" too (300 % 8 ≠ 0): that block was unpacked as well.
    #expect(try Self.entries(of: "shared", in: store) == (0, 35))
    try index.update(id: 4_000, text: "common common common shared zeta", in: &memory)
    try change { try index.update(id: 4_000, text: "common common common shared zeta", in: &$0) }
    try Self.expectSameHits(store, memory)
    // New documents seal more chunks: 32 plain ones before a new chunk are packed again.
    let more = (Self.documentCount..<(Self.documentCount + 2 * PostingChunk.capacity)).map { (id: UInt32($0), text: Self.text($0)) }
    try index.add(more, to: &memory)
    try change { try index.add(more, to: &$0) }
    #expect(try Self.entries(of: "common", in: store).blocks == 1)
    try Self.expectSameHits(store, memory)
  }

  /// Rewrites every block of the store in the first layout (sizes only).
  private static func rewriteBlocksWithoutDirectories(_ store: TraceStore) throws -> Int {
    var blocks: [(key: [UInt8], value: [UInt8])] = []
    try store.read { transaction in
      try transaction.scan(store.tables.termPostings) { key, value in
        if value.byte(at: 0) == PostingBlock.tag { blocks.append((key.copiedBytes, value.copiedBytes)) }
        return true
      }
    }
    try store.write { transaction in
      for block in blocks {
        try transaction.put(store.tables.termPostings, key: block.key, value: #require(PostingBlock.withoutDirectory(block.value)))
      }
    }
    return blocks.count
  }

  @Test("blocks of the first layout read alike, and a write that unpacks one packs its chunks with a directory")
  func blocksWithoutDirectories() throws {
    var (temporary, memory) = try Self.indexes(batch: 500)
    let store = temporary.store
    #expect(try Self.rewriteBlocksWithoutDirectories(store) == 2)  // "common" and "shared"
    try store.read { transaction in
      let value = try #require(try transaction.value(store.tables.termPostings, key: PostingChunkKey.encode(term: Term("common"), firstDocument: 0)))
      #expect(value[0] == PostingBlock.sizesOnlyTag)
    }
    try Self.expectSameHits(store, memory)
    #expect(try store.verify().filter { $0.table == "term-postings" }.map(\.message) == [])

    // A deletion inside the old block unpacks it; new chunks pack the 32 before them again, with a directory.
    let index = BM25Index()
    #expect(try index.delete(300, from: &memory))
    try store.write { transaction in
      var storage = LMDBLexicalStorage(transaction: transaction, tables: store.tables)
      _ = try index.delete(300, from: &storage)
    }
    #expect(try Self.entries(of: "common", in: store) == (0, 40))
    let more = (Self.documentCount..<(Self.documentCount + 2 * PostingChunk.capacity)).map { (id: UInt32($0), text: Self.text($0)) }
    try index.add(more, to: &memory)
    try store.write { transaction in
      var storage = LMDBLexicalStorage(transaction: transaction, tables: store.tables)
      try index.add(more, to: &storage)
    }
    #expect(try Self.entries(of: "common", in: store) == (1, 10))
    try Self.expectSameHits(store, memory)
    #expect(try store.verify().filter { $0.table == "term-postings" }.map(\.message) == [])
  }

  /// Rewrites the value of "common" stored under document `first` through `change`.
  private static func rewriteCommon(at first: UInt32, in store: TraceStore, _ change: (inout [UInt8]) -> Void) throws {
    let key = PostingChunkKey.encode(term: Term("common"), firstDocument: first)
    try store.write { transaction in
      var value = try #require(try transaction.value(store.tables.termPostings, key: key))
      change(&value)
      try transaction.put(store.tables.termPostings, key: key, value: value)
    }
  }

  /// The error of a term-at-a-time search for "common", which must throw one.
  private static func commonSearchError(_ store: TraceStore) -> TraceKVError? {
    #expect(throws: TraceKVError.self) {
      try store.read { transaction in
        try BM25Index().search(
          "common", limit: 10, in: LMDBLexicalStorage(transaction: transaction, tables: store.tables),
          strategy: .termAtATime)
      }
    }
  }

  /// The store after flipping two bits of byte `offset` of the block of "common" at document 0.
  private static func damagingCommonBlock(at offset: Int) throws -> (TemporaryStore, InMemoryLexicalStore) {
    let (temporary, memory) = try indexes(batch: 1_000)
    try rewriteCommon(at: 0, in: temporary.store) { value in
      #expect(value[0] == PostingBlock.tag)
      value[offset] ^= 0x03
    }
    return (temporary, memory)
  }

  private static func namesCommonBlock(_ store: TraceStore) throws -> Bool {
    try store.verify().contains { $0.table == "term-postings" && $0.message.contains("block of 'common' at document 0") }
  }

  @Test("a directory that disagrees with its chunk is the typed error where a query enters the chunk, and verify names it")
  func lyingDirectory() throws {
    // The directory's entry of the third chunk begins at 10 + 2 · 11, its
    // last document (383, low byte first) at + 7: 383 becomes 380.
    let (temporary, _) = try Self.damagingCommonBlock(at: 10 + 2 * 11 + 7)
    let store = temporary.store
    let error = Self.commonSearchError(store)
    #expect(error?.cause == .lexicalIndex(.corruptPostingChunk(term: "common", firstDocument: 256)))
    #expect(try Self.namesCommonBlock(store))
  }

  @Test("a summary that claims less than its chunks hold is named by verify; the term's other chunks still bound its scores")
  func lyingSummary() throws {
    // The summary's shortest length (bytes 6...9, low byte first): + 768,
    // above every length in the block. The term's plain chunks hold
    // documents as short (4 tokens), so the list's corner, which bounds
    // every score, is still right.
    let (temporary, memory) = try Self.damagingCommonBlock(at: 7)
    try Self.expectSameHits(temporary.store, memory)
    #expect(try Self.namesCommonBlock(temporary.store))
  }

  @Test("a damaged chunk among the 32 to pack stays unpacked: the write goes on, the read reports it")
  func damagedChunkIsNotPacked() throws {
    // 32 full chunks of "common", none packed yet: the 33rd would pack them.
    let (temporary, _) = try Self.indexes(count: 32 * PostingChunk.capacity, batch: 1_000)
    let store = temporary.store
    #expect(try Self.entries(of: "common", in: store) == (0, 32))
    try Self.rewriteCommon(at: 5 * UInt32(PostingChunk.capacity), in: store) { value in
      value[1] = 200  // count − 1 past a chunk's capacity: the header no longer parses
    }
    let next = [(id: UInt32(32 * PostingChunk.capacity), text: Self.text(32 * PostingChunk.capacity))]
    try store.write { transaction in
      var storage = LMDBLexicalStorage(transaction: transaction, tables: store.tables)
      try BM25Index().add(next, to: &storage)
    }
    #expect(try Self.entries(of: "common", in: store) == (0, 33))
    let error = Self.commonSearchError(store)
    #expect(error?.kind == .corrupted)
  }

  @Test("a damaged block is the typed error of a damaged chunk, not a crash")
  func damagedBlock() throws {
    let (temporary, _) = try Self.indexes(batch: 1_000)
    let store = temporary.store
    try Self.rewriteCommon(at: 0, in: store) { value in
      #expect(value[0] == PostingBlock.tag)
      value[1] = 0xFF  // 256 chunks: more than a block holds
    }
    let error = Self.commonSearchError(store)
    #expect(error?.kind == .corrupted)
    #expect(error?.cause == .lexicalIndex(.corruptPostingChunk(term: "common", firstDocument: 0)))
  }
}

/// `verify` reads blocks: a store of real traces whose common word fills a
/// block verifies clean, and a damaged block is reported by name.
@Suite struct PostingBlockVerifyTests {
  @Test func verifyChecksBlocks() throws {
    let temporary = try TemporaryStore(embedder: .none)
    let store = temporary.store
    let count = 34 * PostingChunk.capacity
    let lines = (0..<count).map { n in
      #"{"trace_id": "t\#(n)", "spans": [{"span_id": "s", "attributes": {"tracebrain.llm.completion": "refund order \#(n)"}}]}"#
    }
    try store.ingest(data: Data(lines.joined(separator: "\n").utf8), source: "traces.jsonl", options: .init(strict: true))
    var blocks: [[UInt8]] = []
    try store.read { transaction in
      try transaction.scan(store.tables.termPostings) { key, value in
        if value.byte(at: 0) == PostingBlock.tag { blocks.append(key.copiedBytes) }
        return true
      }
    }
    // "refund" and "order" are in every trace: 34 chunks each, the first 32 packed.
    #expect(blocks.count == 2)
    #expect(try store.verify().filter { $0.table == "term-postings" }.map(\.message) == [])
    #expect(try store.search(SearchQuery(text: "refund order 4000", mode: .lexical, limit: 3)).hits.first?.traceID == "t4000")

    try store.write { transaction in
      var value = try #require(try transaction.value(store.tables.termPostings, key: blocks[0]))
      value.removeLast()
      try transaction.put(store.tables.termPostings, key: blocks[0], value: value)
    }
    let problems = try store.verify()
    #expect(problems.contains { $0.table == "term-postings" && $0.message.contains("block of") && $0.message.contains("does not decode") })
  }
}

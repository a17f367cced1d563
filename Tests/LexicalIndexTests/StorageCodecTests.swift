import LexicalIndex
import TestSupport
import Testing

@Suite struct StorageCodecTests {
  @Test func postingChunkRoundTrips() throws {
    var generator = SeededGenerator(seed: 5)
    var document: UInt32 = UInt32.random(in: 0...1_000_000, using: &generator)
    let postings = (0..<PostingChunk.capacity).map { _ -> Posting in
      document += UInt32.random(in: 1...100_000, using: &generator)
      return Posting(
        document: document, termFrequency: .random(in: 1...300, using: &generator),
        documentLength: .random(in: 0...70_000, using: &generator))
    }
    let bytes = PostingChunk.encode(postings)
    #expect(PostingChunk.decode(bytes) == postings)
    #expect(PostingChunk.decode([Posting(document: .max - 1, termFrequency: 1, documentLength: 0)].encodedChunk)
      == [Posting(document: .max - 1, termFrequency: 1, documentLength: 0)])
  }

  @Test func corruptChunksAreRejected() {
    let bytes = PostingChunk.encode([
      Posting(document: 3, termFrequency: 2, documentLength: 10), Posting(document: 9, termFrequency: 1, documentLength: 4),
    ])
    #expect(PostingChunk.decode(Array(bytes.dropLast())) == nil)
    #expect(PostingChunk.decode(bytes + [0]) == nil)
    #expect(PostingChunk.decode([]) == nil)
    #expect(PostingChunk.decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == nil)
  }

  @Test func corruptChunkInStoreBecomesATypedError() throws {
    var store = InMemoryLexicalStore()
    try BM25Index().add([(0, "alpha beta"), (1, "beta")], to: &store)
    store.putPostingChunk(of: Term("beta"), firstDocument: 0, bytes: [1, 0, 0])
    #expect(throws: LexicalIndexError.self) { try BM25Index().search("beta", limit: 5, in: store) }
  }

  @Test func keysSortByTermThenDocument() throws {
    let keys = [
      PostingChunkKey.encode(term: Term("ab"), firstDocument: 300),
      PostingChunkKey.encode(term: Term("ab"), firstDocument: 2),
      PostingChunkKey.encode(term: Term("abc"), firstDocument: 0),
      PostingChunkKey.encode(term: Term("a"), firstDocument: .max),
    ]
    let sorted = keys.sorted { $0.lexicographicallyPrecedes($1) }
    let decoded = try sorted.map { try #require(PostingChunkKey.decode($0)) }
    #expect(decoded.map(\.term.description) == ["a", "ab", "ab", "abc"])
    #expect(decoded.map(\.firstDocument) == [.max, 2, 300, 0])
    #expect(PostingChunkKey.encode(term: Term("ab"), firstDocument: 258) == [0x61, 0x62, 0, 0, 0, 1, 2])
    #expect(PostingChunkKey.decode([0x61, 1, 0, 0, 0]) == nil)
  }

  @Test func statisticsRoundTrip() {
    let statistics = CollectionStatistics(documentCount: 123_456_789_012, totalLength: 1 << 40 + 7)
    #expect(CollectionStatistics(encoded: statistics.encoded) == statistics)
    #expect(CollectionStatistics(encoded: [1, 2, 3]) == nil)
  }

  /// Copies every chunk, record and statistic through their byte form into a
  /// second store (what a persistent store does) and checks it answers alike.
  @Test func storeContentSurvivesAByteCopy() throws {
    let index = BM25Index()
    var original = InMemoryLexicalStore()
    try index.add(randomCorpus(count: 800, seed: 21), to: &original)
    var copy = InMemoryLexicalStore()
    for term in original.terms {
      for first in original.chunkFirstDocuments(of: term) {
        let bytes = original.withPostingChunk(of: term, covering: first) { Array($0!.bytes) }
        copy.putPostingChunk(of: term, firstDocument: first, bytes: bytes)
      }
    }
    for id in UInt32(0)..<800 { copy.putDocumentRecord(id, bytes: try #require(original.documentRecord(id))) }
    copy.putCollectionStatistics(try #require(CollectionStatistics(encoded: original.collectionStatistics().encoded)))
    for query in randomQueries(count: 30, seed: 4) {
      #expect(try index.search(query, limit: 10, in: copy) == index.search(query, limit: 10, in: original))
    }
    // And the copy stays writable: deleting works from its records.
    #expect(try index.delete(5, from: &copy))
  }
}

extension Array where Element == Posting {
  var encodedChunk: [UInt8] { PostingChunk.encode(self) }
}

@testable import LexicalIndex
import ByteCodecs
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

  /// Fields of zero width (consecutive ids, every tf 1, equal lengths) and
  /// of the full 32 bits both round-trip.
  @Test func postingChunkRoundTripsAtExtremeWidths() {
    let dense = (0..<UInt32(PostingChunk.capacity)).map {
      Posting(document: 1_000 + $0, termFrequency: 1, documentLength: 42)
    }
    #expect(PostingChunk.decode(dense.encodedChunk) == dense)
    // The fields of a dense chunk take no bytes at all: header and widths only.
    #expect(dense.encodedChunk.count < 20)
    let wide = [
      Posting(document: 0, termFrequency: .max, documentLength: 0),
      Posting(document: .max, termFrequency: 1, documentLength: .max),
    ]
    #expect(PostingChunk.decode(wide.encodedChunk) == wide)
  }

  /// Ids are decoded in 32 bits: 4-byte deltas that wrap them and still end
  /// on the header's last id must not decode (their 64-bit sum is checked).
  @Test func wideDeltasThatWrapTheIdsDoNotDecode() {
    // tag, count - 1, first 10, span 10, max tf 1, min length 5, widths
    // (delta 4, tf 0, length 0), one impact of no bytes, then two deltas minus 1.
    let header: [UInt8] = [PostingChunk.impactsTag, 2, 10, 10, 1, 5, 4, 0, 0, 1]
    #expect(
      PostingChunk.decode(header + [4, 0, 0, 0, 4, 0, 0, 0])
        == [10, 15, 20].map { Posting(document: $0, termFrequency: 1, documentLength: 5) })
    // 10 + 2^32 wraps back to 10, and 10 + 10 ends on the last id, 20.
    #expect(PostingChunk.decode(header + [0xFF, 0xFF, 0xFF, 0xFF, 9, 0, 0, 0]) == nil)
  }

  @Test func fixedWidthFieldsRoundTripAtEveryWidth() {
    var generator = SeededGenerator(seed: 11)
    for maximum in [0, UInt32(UInt8.max), UInt32(UInt16.max), UInt32.max] {
      let width = FixedWidth.width(of: maximum)
      let values = (0..<77).map { _ in UInt32.random(in: 0...maximum, using: &generator) } + [maximum]
      var bytes: [UInt8] = []
      FixedWidth.append(values, width: width, to: &bytes)
      #expect(bytes.count == values.count * width)
      var read = [UInt32](repeating: 7, count: values.count)
      bytes.withUnsafeBytes { raw in
        read.withUnsafeMutableBufferPointer {
          FixedWidth.read(raw, at: 0, count: values.count, width: width, into: $0.baseAddress!)
        }
      }
      #expect(read == values, "width \(width)")
    }
    #expect([0, 1, 255, 256, 65_535, 65_536].map { FixedWidth.width(of: $0) } == [0, 1, 1, 2, 2, 4])
  }

  /// Stores written before the fixed-width format hold LEB128 chunks: they
  /// still decode, and a query over a mix of both formats answers alike.
  @Test func leb128ChunksOfTheFirstFormatStillDecode() throws {
    let postings = [
      Posting(document: 3, termFrequency: 2, documentLength: 10), Posting(document: 9, termFrequency: 1, documentLength: 4),
    ]
    // count, first, span, max tf, min length, delta, tfs, lengths
    #expect(PostingChunk.decode([2, 3, 6, 2, 4, 6, 2, 1, 10, 4]) == postings)
    #expect(leb128Chunk(postings) == [2, 3, 6, 2, 4, 6, 2, 1, 10, 4])
    #expect(PostingChunk.decode([2, 3, 6, 2, 4, 6, 2, 1, 10, 4, 0]) == nil)

    let index = BM25Index()
    var fixedWidth = InMemoryLexicalStore()
    try index.add(randomCorpus(count: 600, seed: 8), to: &fixedWidth)
    var mixed = InMemoryLexicalStore()
    try index.add(randomCorpus(count: 600, seed: 8), to: &mixed)
    var rewritten = 0
    for term in mixed.terms {
      for (number, first) in mixed.chunkFirstDocuments(of: term).enumerated() where number % 2 == 0 {
        let bytes = mixed.withPostingChunk(of: term, covering: first) { $0!.bytes.copiedBytes }
        mixed.putPostingChunk(of: term, firstDocument: first, bytes: try leb128Chunk(#require(PostingChunk.decode(bytes))))
        rewritten += 1
      }
    }
    #expect(rewritten > 100)
    for query in randomQueries(count: 40, seed: 9) {
      #expect(try index.search(query, limit: 20, in: mixed) == index.search(query, limit: 20, in: fixedWidth))
    }
  }

  @Test func corruptFixedWidthChunksAreRejected() {
    let postings = (0..<UInt32(20)).map {
      Posting(document: 5 + 3 * $0, termFrequency: 1 + $0 % 4, documentLength: 100 + 7 * $0)
    }
    let bytes = postings.encodedChunk
    #expect(PostingChunk.decode(bytes) == postings)
    // tag, count − 1, first, span, max tf, min length: the widths follow,
    // then the impact count and four impacts of two bytes each.
    let widths = 6
    let deltas = widths + 4 + 4 * 2
    #expect(bytes[0] == 0xB3 && bytes[widths..<widths + 4] == [1, 1, 1, 4])
    var noFrequencyField = bytes
    noFrequencyField[widths + 1] = 0  // max tf 4 needs a frequency field
    #expect(PostingChunk.decode(Array(noFrequencyField.dropLast(20 + 4))) == nil)
    var oddWidth = bytes
    oddWidth[widths + 2] = 3
    // Padded to the size three-byte lengths would take: only the width is wrong.
    #expect(PostingChunk.decode(oddWidth + [UInt8](repeating: 0, count: 40)) == nil)
    var widerDeltas = bytes
    widerDeltas[widths] = 2
    #expect(PostingChunk.decode(widerDeltas) == nil, "the size no longer matches")
    var wrongSpan = bytes
    wrongSpan[deltas] ^= 0x01  // the first delta
    #expect(PostingChunk.decode(wrongSpan) == nil)
    // Max tf 3 still fits a one-byte field, but the chunk holds a tf of 4.
    var frequencyAboveMaximum = bytes
    frequencyAboveMaximum[4] = 3
    #expect(PostingChunk.decode(frequencyAboveMaximum) == nil)
    #expect(PostingChunk.decode(Array(bytes.dropLast())) == nil)
    #expect(PostingChunk.decode(Array(bytes.prefix(3))) == nil)
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
        let bytes = original.withPostingChunk(of: term, covering: first) { $0!.bytes.copiedBytes }
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

/// A chunk in the first store format, LEB128 throughout (see `PostingChunk`).
func leb128Chunk(_ postings: [Posting]) -> [UInt8] {
  let header = [
    UInt32(postings.count), postings.first!.document, postings.last!.document - postings.first!.document,
    postings.map(\.termFrequency).max()!, postings.map(\.documentLength).min()!,
  ]
  let deltas = zip(postings.dropFirst(), postings).map { $0.document - $1.document }
  return (header + deltas + postings.map(\.termFrequency) + postings.map(\.documentLength)).flatMap(leb128)
}

/// LEB128 written out here, independently of `ByteCodecs.LEB128`.
private func leb128(_ value: UInt32) -> [UInt8] {
  var groups = [UInt8(value & 0x7F)]
  var rest = value >> 7
  while rest > 0 {
    groups.append(UInt8(rest & 0x7F))
    rest >>= 7
  }
  return groups.enumerated().map { $0.offset == groups.count - 1 ? $0.element : $0.element | 0x80 }
}

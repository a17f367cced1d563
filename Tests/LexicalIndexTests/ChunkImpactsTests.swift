@testable import LexicalIndex
import ByteCodecs
import TestSupport
import Testing

/// The impacts a chunk stores (its (tf, length) frontier) and the exact
/// block maximum they give, next to chunks of the older formats.
@Suite struct ChunkImpactsTests {
  private func pairs(_ impacts: [(frequency: UInt32, length: UInt32)]) -> [[UInt32]] {
    impacts.map { [$0.frequency, $0.length] }
  }

  @Test func theFrontierKeepsOnlyUndominatedPairs() {
    // (tf, length): (3, 200) loses to (3, 100), (1, 60) to (1, 40).
    let postings = [(2, 50), (1, 60), (3, 200), (1, 40), (3, 100)].enumerated().map {
      Posting(document: UInt32($0.offset), termFrequency: UInt32($0.element.0), documentLength: UInt32($0.element.1))
    }
    #expect(pairs(ChunkImpacts.frontier(postings)) == [[1, 40], [2, 50], [3, 100]])
    // One posting that beats the rest on both counts is the whole frontier.
    let dominant = postings + [Posting(document: 9, termFrequency: 5, documentLength: 10)]
    #expect(pairs(ChunkImpacts.frontier(dominant)) == [[5, 10]])
  }

  /// Against the definition, by brute force: a pair is on the frontier iff
  /// no posting has at least its occurrences at most its length and differs
  /// from it; listed once each, by increasing frequency.
  @Test func theFrontierMatchesTheDefinitionOnRandomChunks() {
    var generator = SeededGenerator(seed: 2026)
    for round in 0..<400 {
      let count = Int.random(in: 1...128, using: &generator)
      // Small ranges, so ties in frequency, in length and whole duplicates are common.
      let frequencies = round.isMultiple(of: 2) ? UInt32(1)...4 : 1...40
      let postings = (0..<count).map { index in
        Posting(
          document: UInt32(index), termFrequency: .random(in: frequencies, using: &generator),
          documentLength: .random(in: 1...(round.isMultiple(of: 3) ? 6 : 300), using: &generator))
      }
      let pairs = postings.map { [$0.termFrequency, $0.documentLength] }
      let beaten = { (pair: [UInt32]) in
        pairs.contains { $0 != pair && $0[0] >= pair[0] && $0[1] <= pair[1] }
      }
      let expected = Set(pairs.filter { !beaten($0) }).sorted { $0[0] < $1[0] }
      #expect(self.pairs(ChunkImpacts.frontier(postings)) == expected, "round \(round): \(pairs)")
    }
  }

  /// Past the capacity, neighbours merge into pairs that beat both: what
  /// the encoder stores for a long frontier.
  @Test func aLongFrontierIsCoarsenedIntoABound() {
    let frontier = (1...UInt32(ChunkImpacts.capacity + 2)).map { (frequency: $0, length: 10 * $0) }
    let coarse = ChunkImpacts.coarsened(frontier)
    #expect(pairs(coarse) == [[2, 10], [4, 30], [6, 50], [8, 70], [10, 90]])
    #expect(pairs(ChunkImpacts.coarsened(Array(frontier.prefix(ChunkImpacts.capacity)))) == pairs(Array(frontier.prefix(8))))
    for (frequency, length) in frontier {
      #expect(ChunkImpacts.cover(coarse, Posting(document: 0, termFrequency: frequency, documentLength: length)))
    }
  }

  /// The stored impacts give the chunk's largest tfNorm exactly (the same
  /// formula on the same pair), for any k1, b and average length; a chunk
  /// whose frontier was coarsened gets a bound above it.
  @Test func theImpactBoundIsTheChunksMaximum() throws {
    var generator = SeededGenerator(seed: 77)
    var exact = 0
    for round in 0..<300 {
      let count = Int.random(in: 1...PostingChunk.capacity, using: &generator)
      let documents = Set((0..<count).map { _ in UInt32.random(in: 0...100_000, using: &generator) }).sorted()
      let longest = round % 3 == 0 ? 70_000 : 400
      let postings = documents.map {
        Posting(
          document: $0, termFrequency: .random(in: 1...(round % 2 == 0 ? 3 : 40), using: &generator),
          documentLength: .random(in: 1...UInt32(longest), using: &generator))
      }
      let bytes = PostingChunk.encode(postings)
      #expect(PostingChunk.decode(bytes) == postings)
      let statistics = CollectionStatistics(documentCount: 1_000, totalLength: UInt64.random(in: 1_000...400_000, using: &generator))
      let parameters = try BM25Parameters(k1: .random(in: 0.5...2, using: &generator), b: .random(in: 0...1, using: &generator))
      let scorer = BM25Scorer(parameters: parameters, statistics: statistics)
      let maximum = postings.map { scorer.tfNorm(termFrequency: $0.termFrequency, documentLength: $0.documentLength) }.max()!
      let bound = bytes.withUnsafeBytes { raw in
        ChunkImpacts.maximumTFNorm(raw, header: PostingChunkHeader(raw)!, scorer: scorer)
      }
      let impacts = try #require(PostingChunk.impacts(bytes))
      #expect(postings.allSatisfy { ChunkImpacts.cover(impacts, $0) })
      if ChunkImpacts.frontier(postings).count <= ChunkImpacts.capacity {
        #expect(bound == maximum)
        exact += 1
      } else {
        #expect(bound >= maximum)
      }
    }
    #expect(exact > 200)
  }

  /// A chunk of the fixed-width format without impacts (tag 0xB2) still
  /// decodes, is bounded by its (max tf, min length) corner, and a query over
  /// a mix of formats answers as over the current one.
  @Test func fixedWidthChunksWithoutImpactsStillServe() throws {
    let postings = [
      Posting(document: 3, termFrequency: 4, documentLength: 90), Posting(document: 9, termFrequency: 1, documentLength: 4),
    ]
    let old = try #require(PostingChunk.withoutImpacts(PostingChunk.encode(postings)))
    // tag, count − 1, first, span, max tf, min length, widths, delta − 1, tfs − 1, lengths − 4
    #expect(old == [0xB2, 1, 3, 6, 4, 4, 1, 1, 1, 5, 3, 0, 86, 0])
    #expect(PostingChunk.decode(old) == postings)
    #expect(try #require(PostingChunk.impacts(old)).isEmpty)
    let scorer = BM25Scorer(parameters: .lucene, statistics: CollectionStatistics(documentCount: 10, totalLength: 200))
    let corner = old.withUnsafeBytes { ChunkImpacts.maximumTFNorm($0, header: PostingChunkHeader($0)!, scorer: scorer) }
    let exact = PostingChunk.encode(postings).withUnsafeBytes {
      ChunkImpacts.maximumTFNorm($0, header: PostingChunkHeader($0)!, scorer: scorer)
    }
    #expect(corner == scorer.tfNorm(termFrequency: 4, documentLength: 4))
    // Average length 20: the short document's single occurrence scores best.
    #expect(exact == scorer.tfNorm(termFrequency: 1, documentLength: 4) && exact < corner)
    #expect(exact > scorer.tfNorm(termFrequency: 4, documentLength: 90))

    let index = BM25Index()
    var current = InMemoryLexicalStore()
    try index.add(randomCorpus(count: 2_000, seed: 31), to: &current)
    var mixed = InMemoryLexicalStore()
    try index.add(randomCorpus(count: 2_000, seed: 31), to: &mixed)
    var rewritten = 0
    for term in mixed.terms {
      for (number, first) in mixed.chunkFirstDocuments(of: term).enumerated() where number % 2 == 1 {
        let bytes = mixed.withPostingChunk(of: term, covering: first) { $0!.bytes.copiedBytes }
        mixed.putPostingChunk(of: term, firstDocument: first, bytes: try #require(PostingChunk.withoutImpacts(bytes)))
        rewritten += 1
      }
    }
    #expect(rewritten > 50)
    for query in randomQueries(count: 40, seed: 32) {
      for strategy in [BM25SearchStrategy.blockMaxWAND, .maxScore, .windowedMaxScore] {
        #expect(try index.search(query, limit: 50, in: mixed, strategy: strategy)
          == index.search(query, limit: 50, in: current, strategy: .exhaustive))
      }
    }
  }

  @Test func impactsThatDoNotBoundAPostingAreNamedByTheAudit() {
    let postings = [
      Posting(document: 3, termFrequency: 2, documentLength: 10), Posting(document: 9, termFrequency: 1, documentLength: 4),
    ]
    var bytes = PostingChunk.encode(postings)
    // tag, count − 1, first, span, max tf, min length, widths, impact count,
    // then the impacts (tf − 1, length − 4): (1, 4) and (2, 10).
    #expect(Array(bytes[6..<14]) == [1, 1, 1, 2, 0, 0, 1, 6])
    bytes[12] = 0  // the second impact now claims tf 1: document 3's tf 2 exceeds every impact
    var audit = PostingChunkAudit()
    let finding = audit.check(key: PostingChunkKey.encode(term: Term("storm"), firstDocument: 3), value: bytes)
    #expect(finding.violations == ["the impacts of the chunk of 'storm' at document 3 do not bound its posting of document 3"])
    var sound = PostingChunkAudit()
    #expect(sound.check(key: PostingChunkKey.encode(term: Term("storm"), firstDocument: 3), value: PostingChunk.encode(postings)).violations.isEmpty)
  }

  @Test func impactCountsOutsideTheirRangeAreRejected() {
    let postings = [Posting(document: 3, termFrequency: 1, documentLength: 10)]
    let bytes = PostingChunk.encode(postings)
    // One impact, at widths 0 (a single posting of tf 1's fields take no bytes).
    #expect(bytes == [0xB3, 0, 3, 0, 1, 10, 0, 0, 0, 1])
    var none = bytes
    none[9] = 0
    #expect(PostingChunk.decode(none) == nil)
    var tooMany = bytes
    tooMany[9] = UInt8(ChunkImpacts.capacity + 1)
    #expect(PostingChunk.decode(tooMany) == nil)
    var atCapacity = bytes
    atCapacity[9] = UInt8(ChunkImpacts.capacity)
    #expect(PostingChunk.decode(atCapacity) == postings, "zero-width impacts take no bytes, so any count fits")
    #expect(PostingChunk.decode(Array(bytes.dropLast())) == nil)
  }
}

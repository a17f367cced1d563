@testable import LexicalIndex
import Testing

/// The measured rule `.automatic` follows, at each threshold and one past it.
@Suite struct AutomaticStrategyTests {
  @Test func densePostingsWithASelectiveTermGoToMaxScore() {
    let documents: UInt64 = 100_000
    let dense = UInt64(BM25SearchStrategy.densePostingsPerDocument * Double(documents))
    let limit = BM25SearchStrategy.densePostingsMaxScoreMaximumLimit
    #expect(BM25SearchStrategy.automatic(terms: 5, limit: limit, documents: documents, postings: dense, rarest: 1) == .maxScore)
    #expect(BM25SearchStrategy.automatic(terms: 5, limit: limit, documents: documents, postings: dense - 1, rarest: 1) == .termAtATime)
    #expect(BM25SearchStrategy.automatic(terms: 5, limit: limit + 1, documents: documents, postings: dense, rarest: 1) == .termAtATime)
    // Only with a selective term.
    let selective = UInt64(BM25SearchStrategy.selectiveTermFraction * Double(documents))
    #expect(BM25SearchStrategy.automatic(terms: 5, limit: limit, documents: documents, postings: dense, rarest: selective - 1) == .maxScore)
    #expect(BM25SearchStrategy.automatic(terms: 5, limit: limit, documents: documents, postings: dense, rarest: selective) == .termAtATime)
    // Long queries go term at a time however dense.
    let long = BM25SearchStrategy.termAtATimeMinimumTerms
    #expect(BM25SearchStrategy.automatic(terms: long - 1, limit: 10, documents: documents, postings: dense, rarest: 1) == .maxScore)
    #expect(BM25SearchStrategy.automatic(terms: long, limit: 10, documents: documents, postings: dense, rarest: 1) == .termAtATime)
    #expect(BM25SearchStrategy.automatic(terms: 0, limit: 10, documents: 0, postings: 0, rarest: 1) == .termAtATime)
  }

  @Test func fewHitsOrALargeIndexGoToMaxScore() {
    let small = BM25SearchStrategy.maxScoreMaximumLimit
    #expect(BM25SearchStrategy.automatic(terms: 3, limit: small, documents: 1_000, postings: 10, rarest: 1) == .maxScore)
    #expect(BM25SearchStrategy.automatic(terms: 3, limit: small + 1, documents: 1_000, postings: 10, rarest: 1) == .termAtATime)
    let large = BM25SearchStrategy.largeIndexMinimumDocuments
    let limit = BM25SearchStrategy.largeIndexMaxScoreMaximumLimit
    #expect(BM25SearchStrategy.automatic(terms: 3, limit: limit, documents: large, postings: 10, rarest: 1) == .maxScore)
    #expect(BM25SearchStrategy.automatic(terms: 3, limit: limit, documents: large - 1, postings: 10, rarest: 1) == .termAtATime)
    #expect(BM25SearchStrategy.automatic(terms: 3, limit: limit + 1, documents: large, postings: 10, rarest: 1) == .termAtATime)
  }
}

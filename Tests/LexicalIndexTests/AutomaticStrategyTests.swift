@testable import LexicalIndex
import Testing

/// The measured rule `.automatic` follows, at each threshold and one past it.
@Suite struct AutomaticStrategyTests {
  typealias Strategy = BM25SearchStrategy

  @Test func denseQueriesPruneUpToTenHitsInAnyIndexHoweverLong() {
    let documents: UInt64 = 10_000
    let dense = UInt64(Strategy.densePostingsPerDocument * Double(documents))
    let limit = Strategy.denseMaximumLimit
    let long = Strategy.termAtATimeMinimumTerms
    #expect(Strategy.automatic(terms: long, limit: limit, documents: documents, postings: dense) == .windowedMaxScore)
    #expect(Strategy.automatic(terms: long, limit: limit, documents: documents, postings: dense - 1) == .termAtATime)
    #expect(Strategy.automatic(terms: 5, limit: limit, documents: documents, postings: dense - 1) == .termAtATime)
    #expect(Strategy.automatic(terms: 5, limit: limit + 1, documents: documents, postings: dense) == .termAtATime)
  }

  @Test func denseQueriesPruneDeeperInALargeEnoughIndex() {
    let documents = Strategy.denseDeepMinimumDocuments
    let dense = UInt64(Strategy.densePostingsPerDocument * Double(documents))
    let limit = Strategy.denseDeepMaximumLimit
    let long = Strategy.termAtATimeMinimumTerms
    #expect(Strategy.automatic(terms: long, limit: limit, documents: documents, postings: dense) == .windowedMaxScore)
    #expect(Strategy.automatic(terms: 5, limit: limit, documents: documents, postings: dense - 1) == .termAtATime)
    #expect(Strategy.automatic(terms: 5, limit: limit + 1, documents: documents, postings: dense) == .termAtATime)
    let smaller = documents - 1
    let denseInSmaller = UInt64(Strategy.densePostingsPerDocument * Double(smaller)) + 1
    #expect(Strategy.automatic(terms: 5, limit: limit, documents: smaller, postings: denseInSmaller) == .termAtATime)
  }

  @Test func longSparseQueriesGoTermAtATime() {
    let long = Strategy.termAtATimeMinimumTerms
    let documents: UInt64 = 1_000_000
    #expect(Strategy.automatic(terms: long - 1, limit: 1, documents: documents, postings: 10) == .windowedMaxScore)
    #expect(Strategy.automatic(terms: long, limit: 1, documents: documents, postings: 10) == .termAtATime)
    #expect(Strategy.automatic(terms: 0, limit: 10, documents: 0, postings: 0) == .termAtATime)
  }

  @Test func fewHitsPrune() {
    let small = Strategy.smallLimit
    #expect(Strategy.automatic(terms: 3, limit: small, documents: 1_000, postings: 10) == .windowedMaxScore)
    #expect(Strategy.automatic(terms: 3, limit: small + 1, documents: 1_000, postings: 10) == .termAtATime)
  }

  @Test func aLargeIndexPrunesToTheFusionDepth() {
    let large = Strategy.largeIndexMinimumDocuments
    let limit = Strategy.largeIndexMaximumLimit
    #expect(Strategy.automatic(terms: 3, limit: limit, documents: large, postings: 10) == .windowedMaxScore)
    #expect(Strategy.automatic(terms: 3, limit: limit, documents: large - 1, postings: 10) == .termAtATime)
    #expect(Strategy.automatic(terms: 3, limit: limit + 1, documents: large, postings: 10) == .termAtATime)
  }
}

import Foundation
import LexicalIndex
import Testing

/// A query of thousands of distinct terms: every term's chunks are lent at
/// once, with no nesting per term (which once overflowed the stack).
@Suite struct LongQueryTests {
  static let documents = 100
  static let termsPerDocument = 100

  /// Document i holds its own 100 terms once each, and `shared` i + 1 times.
  func makeStore() throws -> InMemoryLexicalStore {
    var store = InMemoryLexicalStore()
    let corpus = (0..<Self.documents).map { document -> (id: UInt32, text: String) in
      let own = (0..<Self.termsPerDocument).map { "t\(document * Self.termsPerDocument + $0)" }
      return (UInt32(document), (own + Array(repeating: "shared", count: document + 1)).joined(separator: " "))
    }
    try BM25Index().add(corpus, to: &store)
    return store
  }

  /// By hand: N = 100 documents; document i has length 100 + i + 1, so
  /// avgdl = 100 + 50.5. Each own term: n = 1, f = 1; `shared` is in every
  /// document (n = 100) with f = i + 1.
  func expectedScore(_ document: Int) -> Double {
    let average = 150.5
    let length = Double(Self.termsPerDocument + document + 1)
    let norm = 1.2 * (0.25 + 0.75 * length / average)
    let rare = log(1 + 99.5 / 1.5) * (1 / (1 + norm))
    let shared = log(1 + 0.5 / 100.5) * (Double(document + 1) / (Double(document + 1) + norm))
    return Double(Self.termsPerDocument) * rare + shared
  }

  @Test(arguments: [BM25SearchStrategy.automatic, .termAtATime, .maxScore, .blockMaxWAND, .windowedMaxScore, .exhaustive])
  func tenThousandDistinctTermsScoreLikeTheFormula(strategy: BM25SearchStrategy) throws {
    let store = try makeStore()
    let query = ((0..<Self.documents * Self.termsPerDocument).map { "t\($0)" } + ["shared"]).joined(separator: " ")
    #expect(BM25Index().queryTerms(query).count == 10_001)
    let expected = (0..<Self.documents).map { (document: $0, score: expectedScore($0)) }
      .sorted { $0.score > $1.score }
    for lender in [Lender.store(store), .copying(CopyingStore(inner: store))] {
      let hits = try lender.search(query, limit: 10, strategy: strategy)
      #expect(hits.map { Int($0.document) } == expected.prefix(10).map(\.document))
      for (hit, want) in zip(hits, expected) {
        #expect(abs(hit.score - want.score) <= 1e-9 * want.score)
      }
    }
  }

  @Test func tenThousandUnknownTermsFindWhatTheKnownOnesFind() throws {
    let store = try makeStore()
    let unknown = (0..<10_000).map { "zz\($0)" }.joined(separator: " ")
    let hits = try BM25Index().search(unknown + " t5 t250", limit: 10, in: store)
    #expect(hits.map(\.document) == [0, 2])  // same idf and f; document 0 is shorter
  }

  enum Lender {
    case store(InMemoryLexicalStore)
    case copying(CopyingStore)

    func search(_ query: String, limit: Int, strategy: BM25SearchStrategy) throws -> [LexicalHit] {
      switch self {
      case .store(let store): try BM25Index().search(query, limit: limit, in: store, strategy: strategy)
      case .copying(let store): try BM25Index().search(query, limit: limit, in: store, strategy: strategy)
      }
    }
  }
}

/// A reader that lends one term at a time only: the protocol's default
/// `withPostingEntries(of: [Term])`, which copies, serves its queries.
struct CopyingStore: LexicalStorageReader {
  let inner: InMemoryLexicalStore

  func collectionStatistics() throws -> CollectionStatistics { inner.collectionStatistics() }

  func withPostingEntries<Result>(of term: Term, _ body: (borrowing LentPostingEntries) throws -> Result) throws -> Result {
    try inner.withPostingEntries(of: term, body)
  }

  func documentRecord(_ document: UInt32) throws -> [UInt8]? { inner.documentRecord(document) }

  func forEachPendingDocument(_ body: (UInt32, RawSpan) throws -> Void) throws {
    try inner.forEachPendingDocument(body)
  }

  func withPostingChunk<Result>(
    of term: Term, covering document: UInt32,
    _ body: (borrowing LentPostingChunk?) throws -> Result
  ) throws -> Result {
    try inner.withPostingChunk(of: term, covering: document, body)
  }
}

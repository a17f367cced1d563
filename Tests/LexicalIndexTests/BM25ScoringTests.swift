import Foundation
import LexicalIndex
import Testing

/// Scores against values computed by hand from the formula, not by the code under test.
@Suite struct BM25ScoringTests {
  // N = 3, lengths 3, 2, 4: avgdl = 3.
  let corpus: [(id: UInt32, text: String)] = [(0, "the cat sat"), (1, "the dog"), (2, "cat cat dog bird")]

  func makeStore() throws -> InMemoryLexicalStore {
    var store = InMemoryLexicalStore()
    try BM25Index().add(corpus, to: &store)
    return store
  }

  func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) }

  @Test func statisticsAreExact() throws {
    let store = try makeStore()
    #expect(store.collectionStatistics() == CollectionStatistics(documentCount: 3, totalLength: 9))
    #expect(try BM25Index().documentLength(2, in: store) == 4)
  }

  @Test func singleTermScores() throws {
    let store = try makeStore()
    let hits = try BM25Index().search("cat", limit: 10, in: store)
    // "cat": n = 2, idf = ln(1 + (3 − 2 + 0.5) / (2 + 0.5)) = ln 1.6.
    // doc 2: f = 2, dl = 4: 2 / (2 + 1.2 · (0.25 + 0.75 · 4/3)) = 2 / 3.5
    // doc 0: f = 1, dl = 3: 1 / (1 + 1.2 · (0.25 + 0.75)) = 1 / 2.2
    let idf = log(1.6)
    #expect(hits.map(\.document) == [2, 0])
    #expect(close(hits[0].score, idf * 2 / 3.5))
    #expect(close(hits[1].score, idf / 2.2))
  }

  @Test func multiTermScoresAddUp() throws {
    let store = try makeStore()
    let hits = try BM25Index().search("cat dog bird", limit: 10, in: store)
    let common = log(1.6)  // cat and dog: n = 2
    let rare = log(1 + 2.5 / 1.5)  // bird: n = 1
    // doc 2: cat 2/3.5, dog 1/(1 + 1.2 · 1.25) = 1/2.5, bird 1/2.5
    // doc 1: dog, dl = 2: 1/(1 + 1.2 · (0.25 + 0.5)) = 1/1.9
    // doc 0: cat 1/2.2
    #expect(hits.map(\.document) == [2, 1, 0])
    #expect(close(hits[0].score, common * (2 / 3.5) + common / 2.5 + rare / 2.5))
    #expect(close(hits[1].score, common / 1.9))
    #expect(close(hits[2].score, common / 2.2))
  }

  @Test func parametersAreConfigurable() throws {
    var store = InMemoryLexicalStore()
    let index = BM25Index(parameters: try BM25Parameters(k1: 2, b: 0))
    try index.add(corpus, to: &store)
    // b = 0: no length normalization; doc 2: 2 / (2 + 2), doc 0: 1 / (1 + 2).
    let hits = try index.search("cat", limit: 10, in: store)
    #expect(close(hits[0].score, log(1.6) * 0.5))
    #expect(close(hits[1].score, log(1.6) / 3))
    #expect(throws: LexicalIndexError.self) { try BM25Parameters(k1: -1) }
    #expect(throws: LexicalIndexError.self) { try BM25Parameters(b: 1.5) }
  }

  @Test func explanationShowsEachTerm() throws {
    let store = try makeStore()
    let explanation = try #require(try BM25Index().explain("bird cat unknown", document: 2, in: store))
    #expect(explanation.terms.map(\.term.description) == ["bird", "cat"])
    #expect(explanation.terms.map(\.termFrequency) == [1, 2])
    #expect(explanation.terms.map(\.documentFrequency) == [1, 2])
    #expect(explanation.documentLength == 4)
    #expect(explanation.averageLength == 3)
    #expect(close(explanation.terms[0].idf, log(1 + 2.5 / 1.5)))
    #expect(close(explanation.terms[1].tfNorm, 2 / 3.5))
    let hit = try BM25Index().search("bird cat unknown", limit: 1, in: store, explain: true)[0]
    #expect(hit.explanation?.score == hit.score)
    #expect(try BM25Index().explain("cat", document: 99, in: store) == nil)
  }

  @Test func queriesWithoutKnownTermsFindNothing() throws {
    let store = try makeStore()
    #expect(try BM25Index().search("zebra", limit: 10, in: store).isEmpty)
    #expect(try BM25Index().search("", limit: 10, in: store).isEmpty)
    #expect(try BM25Index().search("cat", limit: 0, in: store).isEmpty)
    #expect(try BM25Index().search("cat", limit: 10, in: InMemoryLexicalStore()).isEmpty)
  }

  @Test func identifierFoundByItsWordsAndWhole() throws {
    var store = InMemoryLexicalStore()
    let index = BM25Index()
    try index.add([(0, "status: LOGIC_LOOP in planner"), (1, "a logic puzzle"), (2, "getWeather returned 500")], to: &store)
    #expect(try index.search("LOGIC_LOOP", limit: 10, in: store).first?.document == 0)
    #expect(try index.search("weather", limit: 10, in: store).map(\.document) == [2])
    #expect(try index.search("getweather", limit: 10, in: store).map(\.document) == [2])
  }
}

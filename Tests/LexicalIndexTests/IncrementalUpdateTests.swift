import LexicalIndex
import TestSupport
import Testing

/// Deleting and updating must leave exactly the index a fresh build of the
/// remaining documents gives: same postings, same statistics, same scores.
@Suite struct IncrementalUpdateTests {
  let index = BM25Index()

  func build(_ documents: [(id: UInt32, text: String)]) throws -> InMemoryLexicalStore {
    var store = InMemoryLexicalStore()
    try index.add(documents, to: &store)
    return store
  }

  func expectSameContent(_ a: InMemoryLexicalStore, _ b: InMemoryLexicalStore, queries: [String]) throws {
    #expect(a.collectionStatistics() == b.collectionStatistics())
    #expect(allPostings(a) == allPostings(b))
    for query in queries {
      #expect(try index.search(query, limit: 20, in: a) == index.search(query, limit: 20, in: b))
    }
  }

  @Test func deleteKeepsStatisticsExact() throws {
    var store = try build([(0, "the cat sat"), (1, "the dog"), (2, "cat cat dog bird")])
    #expect(try index.delete(1, from: &store))
    #expect(store.collectionStatistics() == CollectionStatistics(documentCount: 2, totalLength: 7))
    #expect(try index.documentLength(1, in: store) == nil)
    #expect(try index.delete(1, from: &store) == false)
    try expectSameContent(store, build([(0, "the cat sat"), (2, "cat cat dog bird")]), queries: ["the dog", "cat bird"])
  }

  @Test func updateReplacesTheText() throws {
    var store = try build([(0, "the cat sat"), (1, "the dog"), (2, "cat cat dog bird")])
    try index.update(id: 1, text: "a tool_execution_error again", in: &store)
    try index.update(id: 7, text: "brand new", in: &store)
    let fresh = try build([(0, "the cat sat"), (1, "a tool_execution_error again"), (2, "cat cat dog bird"), (7, "brand new")])
    try expectSameContent(store, fresh, queries: ["dog", "execution error", "new cat"])
  }

  @Test func addingAnExistingIdThrowsAndWritesNothing() throws {
    var store = try build([(0, "alpha"), (1, "beta")])
    let before = allPostings(store)
    #expect(throws: LexicalIndexError.documentExists(1)) { try index.add([(5, "gamma"), (1, "delta")], to: &store) }
    #expect(throws: LexicalIndexError.documentExists(9)) { try index.add([(9, "x"), (9, "y")], to: &store) }
    #expect(allPostings(store) == before)
    #expect(store.collectionStatistics() == CollectionStatistics(documentCount: 2, totalLength: 2))
  }

  @Test func theReservedIdIsRefusedAndTheOneBelowItIsIndexed() throws {
    var store = try build([(0, "alpha")])
    #expect(throws: LexicalIndexError.self) { try index.add(id: .max, text: "omega", to: &store) }
    #expect(store.collectionStatistics() == CollectionStatistics(documentCount: 1, totalLength: 1))
    try index.add(id: .max - 1, text: "omega", to: &store)
    #expect(try index.search("omega", limit: 5, in: store).map(\.document) == [.max - 1])
  }

  @Test func randomDeletesAndUpdatesMatchAFreshBuild() throws {
    let corpus = randomCorpus(count: 1_500, seed: 7)
    var store = InMemoryLexicalStore()
    // Several batches, the first ones in shuffled order: exercises appends and inserts.
    var generator = SeededGenerator(seed: 11)
    let shuffled = corpus.shuffled(using: &generator)
    try index.add(Array(shuffled[..<300]), to: &store)
    for start in stride(from: 300, to: shuffled.count, by: 400) {
      try index.add(Array(shuffled[start..<min(start + 400, shuffled.count)]), to: &store)
    }
    #expect(allPostings(store) == allPostings(try build(corpus)))

    var remaining = Dictionary(uniqueKeysWithValues: corpus.map { ($0.id, $0.text) })
    for id in corpus.map(\.id).shuffled(using: &generator).prefix(700) {
      #expect(try index.delete(id, from: &store))
      remaining[id] = nil
    }
    for id in remaining.keys.sorted().prefix(200) where id % 3 == 0 {
      let text = "updated w1 w2 w\(id % 50) get_weather"
      try index.update(id: id, text: text, in: &store)
      remaining[id] = text
    }
    let fresh = try build(remaining.map { (id: $0.key, text: $0.value) }.sorted { $0.id < $1.id })
    try expectSameContent(store, fresh, queries: randomQueries(count: 50, seed: 3) + ["weather w1"])
    #expect(try index.integrityViolations(documents: remaining.keys, in: store).isEmpty)
  }

  @Test func integrityCheckFindsDamage() throws {
    var store = try build([(0, "alpha beta"), (1, "beta gamma"), (2, "gamma")])
    #expect(try index.integrityViolations(documents: [0, 1, 2], in: store).isEmpty)
    // Forget a document's statistics share and one of its postings.
    store.putCollectionStatistics(CollectionStatistics(documentCount: 3, totalLength: 99))
    store.deletePostingChunk(of: Term("alpha"), firstDocument: 0)
    let violations = try index.integrityViolations(documents: [0, 1, 2, 3], in: store)
    #expect(violations.count == 3, "\(violations)")
    #expect(violations.contains { $0.contains("term 'alpha': no posting") })
    #expect(violations.contains { $0.hasPrefix("document 3: no record") })
    #expect(violations.contains { $0.hasPrefix("statistics") })
  }

  @Test func appendingRewritesOnlyTheTail() throws {
    // Ten thousand documents sharing one term: its list has ~80 chunks.
    var store = try build((0..<10_000).map { (UInt32($0), "common w\($0 % 97)") })
    let chunksBefore = store.chunkFirstDocuments(of: Term("common")).count
    let written = store.bytesWritten
    try index.add(id: 10_000, text: "common rare", to: &store)
    // One chunk of ≤ 128 postings (≤ ~5 bytes each) per term, one record, the statistics.
    #expect(store.bytesWritten - written < 2 * 5 * 128 + 64)
    #expect(store.chunkFirstDocuments(of: Term("common")).count - chunksBefore <= 1)
  }
}

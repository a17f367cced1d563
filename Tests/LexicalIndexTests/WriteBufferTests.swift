import LexicalIndex
import TestSupport
import Testing

/// The write buffer (`BM25Index.pendingCapacity`): whatever it holds, every
/// search, explanation and check answers as an index without one does.
@Suite struct WriteBufferTests {
  let plain = BM25Index()

  func buffered(_ store: InMemoryLexicalStore) -> [UInt32] {
    var found: [UInt32] = []
    store.forEachPendingDocument { id, _ in found.append(id) }
    return found
  }

  /// Every strategy's hits on `store` equal the exhaustive hits of `reference` (an unbuffered index of the same
  /// documents), bit for bit, explanations included.
  func expectSameSearches(
    _ index: BM25Index, _ store: InMemoryLexicalStore, _ reference: InMemoryLexicalStore, queries: [String]
  ) throws {
    #expect(store.collectionStatistics() == reference.collectionStatistics())
    for query in queries {
      for limit in [1, 10, 100] {
        let expected = try plain.search(query, limit: limit, in: reference, explain: true, strategy: .exhaustive)
        for strategy in [BM25SearchStrategy.exhaustive, .windowedMaxScore, .maxScore, .blockMaxWAND, .termAtATime, .automatic] {
          let hits = try index.search(query, limit: limit, in: store, explain: true, strategy: strategy)
          #expect(hits == expected, "\(strategy) k=\(limit) '\(query)'")
        }
      }
    }
  }

  @Test func smallAdditionsWaitInTheBufferUntilItFills() throws {
    let index = BM25Index(pendingCapacity: 4)
    var store = InMemoryLexicalStore()
    for id: UInt32 in 0..<3 { try index.add(id: id, text: "alpha beta w\(id)", to: &store) }
    #expect(buffered(store) == [0, 1, 2])
    #expect(store.chunkCount == 0)
    #expect(store.collectionStatistics() == CollectionStatistics(documentCount: 3, totalLength: 9))
    #expect(try index.search("alpha w1", limit: 5, in: store).map(\.document) == [1, 0, 2])
    // The fourth fills it: all four are merged, one chunk a term.
    try index.add(id: 3, text: "alpha gamma", to: &store)
    #expect(buffered(store).isEmpty)
    var reference = InMemoryLexicalStore()
    try plain.add([(0, "alpha beta w0"), (1, "alpha beta w1"), (2, "alpha beta w2"), (3, "alpha gamma")], to: &reference)
    #expect(allPostings(store) == allPostings(reference))
    #expect(store.chunkCount == reference.chunkCount)
  }

  @Test func aBatchAsLargeAsTheBufferIsMergedWithIt() throws {
    let index = BM25Index(pendingCapacity: 8)
    var store = InMemoryLexicalStore()
    try index.add(id: 0, text: "one", to: &store)
    #expect(buffered(store) == [0])
    try index.add((1...7).map { (UInt32($0), "two w\($0)") }, to: &store)
    #expect(buffered(store).isEmpty)
    var reference = InMemoryLexicalStore()
    try plain.add([(0, "one")] + (1...7).map { (UInt32($0), "two w\($0)") }, to: &reference)
    #expect(allPostings(store) == allPostings(reference))
  }

  @Test func anIndexWithoutABufferMergesTheOneAStoreHolds() throws {
    var store = InMemoryLexicalStore()
    try BM25Index(pendingCapacity: 8).add([(0, "alpha one"), (1, "alpha two")], to: &store)
    #expect(buffered(store) == [0, 1])
    try plain.add(id: 2, text: "alpha three", to: &store)
    #expect(buffered(store).isEmpty)
    var reference = InMemoryLexicalStore()
    try plain.add([(0, "alpha one"), (1, "alpha two"), (2, "alpha three")], to: &reference)
    #expect(allPostings(store) == allPostings(reference))
  }

  @Test func oldIdsAreMergedAtOnceAndNewOnesBuffered() throws {
    let index = BM25Index(pendingCapacity: 8)
    var store = InMemoryLexicalStore()
    try index.add((0..<10).map { (UInt32($0), "base w\($0)") }, to: &store)
    try index.add([(10, "fresh ten"), (11, "fresh eleven")], to: &store)
    #expect(buffered(store) == [10, 11])
    // Document 3 lies below the merged ids: its new postings go straight to the lists.
    try index.update(id: 3, text: "fresh three", in: &store)
    #expect(buffered(store) == [10, 11])
    #expect(store.postings(of: Term("fresh"))?.map(\.document) == [3])
    // Buffered documents leave the buffer; the greatest one comes back to it.
    #expect(try index.delete(10, from: &store))
    try index.update(id: 11, text: "fresh eleven again", in: &store)
    #expect(buffered(store) == [11])
    #expect(try index.integrityViolations(documents: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11], in: store) == [])

    var reference = InMemoryLexicalStore()
    try plain.add((0..<10).map { (UInt32($0), $0 == 3 ? "fresh three" : "base w\($0)") } + [(11, "fresh eleven again")], to: &reference)
    try expectSameSearches(index, store, reference, queries: ["fresh", "fresh eleven", "base w3 three", "ten"])
  }

  @Test func randomAdditionsDeletesAndUpdatesSearchLikeAnUnbufferedIndex() throws {
    let index = BM25Index(pendingCapacity: 16)
    let corpus = randomCorpus(count: 500, seed: 31)
    var store = InMemoryLexicalStore()
    var reference = InMemoryLexicalStore()
    var generator = SeededGenerator(seed: 5)
    var live: [UInt32] = []
    var checkedWithBuffer = 0
    var start = 0
    while start < corpus.count {
      // Mostly one to five documents a call (the server's writes), now and then a bulk batch.
      let size = Int.random(in: 0..<10, using: &generator) == 0 ? 20 : Int.random(in: 1...5, using: &generator)
      let batch = Array(corpus[start..<min(start + size, corpus.count)])
      try index.add(batch, to: &store)
      try plain.add(batch, to: &reference)
      live += batch.map(\.id)
      start += batch.count
      if Int.random(in: 0..<4, using: &generator) == 0, let victim = live.randomElement(using: &generator) {
        #expect(try index.delete(victim, from: &store))
        #expect(try plain.delete(victim, from: &reference))
        live.removeAll { $0 == victim }
      }
      if Int.random(in: 0..<4, using: &generator) == 0, let target = live.randomElement(using: &generator) {
        let text = "updated w\(target % 40) w7 w7"
        try index.update(id: target, text: text, in: &store)
        try plain.update(id: target, text: text, in: &reference)
      }
      if Int.random(in: 0..<8, using: &generator) == 0 {
        if !buffered(store).isEmpty { checkedWithBuffer += 1 }
        try expectSameSearches(index, store, reference, queries: randomQueries(count: 6, seed: UInt64(start)))
        #expect(try index.integrityViolations(documents: live.sorted(), in: store) == [])
      }
    }
    #expect(checkedWithBuffer >= 3, "the buffer was rarely non-empty when searched")
    try expectSameSearches(index, store, reference, queries: randomQueries(count: 20, seed: 99))
  }

  @Test func aBufferLongerThanAChunkIsSearchedAcrossChunks() throws {
    // 300 buffered postings of one term: more than two chunks' worth.
    let index = BM25Index(pendingCapacity: 400)
    let texts = (0..<300).map { (UInt32($0), "common w\($0 % 7) rare\($0 % 50)") }
    var store = InMemoryLexicalStore()
    for (id, text) in texts { try index.add(id: id, text: text, to: &store) }
    #expect(buffered(store).count == 300)
    var reference = InMemoryLexicalStore()
    try plain.add(texts, to: &reference)
    try expectSameSearches(index, store, reference, queries: ["common", "common w3", "rare7 common w1"])
  }

  @Test func aDamagedBufferedDocumentIsReportedNotRead() throws {
    let index = BM25Index(pendingCapacity: 8)
    var store = InMemoryLexicalStore()
    try index.add([(0, "alpha"), (1, "alpha beta")], to: &store)
    #expect(try index.integrityViolations(documents: [0, 1], in: store).isEmpty)
    store.putPendingDocument(1, bytes: [0x02, 0x05, 0x01])
    store.putPendingDocument(7, bytes: PendingDocument(length: 1, terms: [(Term("zeta"), 1)]).encoded)
    #expect(throws: LexicalIndexError.corruptDocumentRecord(document: 1)) {
      try index.search("alpha", limit: 5, in: store)
    }
    let violations = try index.integrityViolations(documents: [0, 1], in: store)
    #expect(violations.count == 2, "\(violations)")
    #expect(violations.contains { $0.hasPrefix("document 1: buffered entry does not decode") })
    #expect(violations.contains { $0.hasPrefix("buffered document 7: no record") })
  }
}

@testable import LexicalIndex
import TestSupport
import Testing

@Suite struct SearchPruningTests {
  let index = BM25Index()

  func makeStore(_ count: Int = 4_000) throws -> InMemoryLexicalStore {
    var store = InMemoryLexicalStore()
    try index.add(randomCorpus(count: count, seed: 42), to: &store)
    return store
  }

  @Test(arguments: [1, 10, 100])
  func fastStrategiesEqualExhaustiveScoring(limit: Int) throws {
    let store = try makeStore()
    for query in randomQueries(count: 150, seed: 9) {
      let exhaustive = try index.search(query, limit: limit, in: store, strategy: .exhaustive)
      #expect(try index.search(query, limit: limit, in: store, strategy: .maxScore) == exhaustive, "query: \(query)")
      #expect(try index.search(query, limit: limit, in: store, strategy: .blockMaxWAND) == exhaustive, "query: \(query)")
      #expect(try index.search(query, limit: limit, in: store, strategy: .windowedMaxScore) == exhaustive, "query: \(query)")
      #expect(try index.search(query, limit: limit, in: store, strategy: .termAtATime) == exhaustive, "query: \(query)")
      #expect(try index.search(query, limit: limit, in: store) == exhaustive, "query: \(query)")
    }
  }

  /// 40,000 documents are ten windows: past the first windows of each
  /// query, which the split chooser runs at levels 0, 1 and 2 (one more
  /// term accumulated each), it keeps the cheapest. Every level must give
  /// the exhaustive hits; the queries draw from the most common words
  /// (6 to 10 of the 40 first), so most of their windows prune.
  @Test(arguments: [10, 100])
  func windowedMaxScoreIsExactAtEverySplitLevel(limit: Int) throws {
    let store = try makeStore(40_000)
    var generator = SeededGenerator(seed: 31)
    for _ in 0..<40 {
      let query = (0..<Int.random(in: 6...10, using: &generator)).map { _ in "w\(Int.random(in: 0..<40, using: &generator))" }
        .joined(separator: " ")
      let exhaustive = try index.search(query, limit: limit, in: store, strategy: .exhaustive)
      #expect(try index.search(query, limit: limit, in: store, strategy: .windowedMaxScore) == exhaustive, "query: \(query)")
    }
  }

  /// The replicated worst case: 5 texts, each copied 8,000 times
  /// (document d holds text d mod 5), so every copy of the best text ties
  /// with the k-th score and loses to the lower ids. Every strategy must
  /// return the k lowest ids of one text, all with one score, and equal
  /// the exhaustive hits bit for bit.
  @Test(arguments: [10, 100])
  func tiedCopiesLoseToLowerIds(limit: Int) throws {
    let texts = randomCorpus(count: 5, seed: 77, vocabulary: 60).map(\.text)
    var store = InMemoryLexicalStore()
    try index.add((0..<40_000).map { (UInt32($0), texts[$0 % 5]) }, to: &store)
    var generator = SeededGenerator(seed: 5)
    for _ in 0..<20 {
      let words = texts[Int.random(in: 0..<5, using: &generator)].split(separator: " ")
      let query = (0..<Int.random(in: 6...10, using: &generator)).map { _ in String(words.randomElement(using: &generator)!) }
        .joined(separator: " ")
      let exhaustive = try index.search(query, limit: limit, in: store, strategy: .exhaustive)
      let best = try #require(exhaustive.first).document % 5
      #expect(exhaustive.map(\.document) == (0..<UInt32(limit)).map { best + 5 * $0 }, "query: \(query)")
      #expect(Set(exhaustive.map(\.score)).count == 1, "query: \(query)")
      for strategy in [BM25SearchStrategy.windowedMaxScore, .maxScore, .blockMaxWAND, .termAtATime, .automatic] {
        #expect(try index.search(query, limit: limit, in: store, strategy: strategy) == exhaustive, "\(strategy): \(query)")
      }
    }
  }

  /// Every strategy sums a document's term scores in one order, the
  /// terms by decreasing bound (`SummationOrder`): the explanation lists
  /// them so, here the rare word before the common one, whatever the query's order.
  @Test func termsAreSummedLargestBoundFirst() throws {
    var store = InMemoryLexicalStore()
    try index.add([(0, "common rare"), (1, "common other"), (2, "common third"), (3, "common fourth")], to: &store)
    for query in ["common rare", "rare common"] {
      let hit = try #require(try index.search(query, limit: 1, in: store, explain: true).first)
      let explanation = try #require(hit.explanation)
      #expect(explanation.terms.map(\.term.description) == ["rare", "common"])
      #expect(hit.score == explanation.terms[0].score + explanation.terms[1].score)
    }
  }

  @Test func theSplitChooserTriesEachLevelThenKeepsTheCheapest() {
    var chooser = EssentialSplitChooser()
    var levels: [Int] = []
    // Level 1's windows cost least: 500 postings + 16 · 10 candidates = 660, against 1,000 + 16 · 100 and 3,000.
    let costs = [(postings: 1_000, candidates: 100), (postings: 500, candidates: 10), (postings: 3_000, candidates: 0)]
    for _ in 0..<6 {
      let level = chooser.next()
      levels.append(level)
      chooser.record(level: level, postings: costs[level].postings, candidates: costs[level].candidates)
    }
    #expect(levels == [0, 1, 2, 1, 1, 1])
    // Once level 1 grows dearer on average (20,528) than level 0 (2,600), level 0 again.
    chooser.record(level: 1, postings: 100_000, candidates: 0)
    #expect(chooser.next() == 0)
  }

  @Test func longQueriesGoTermAtATimeWithTheSameHits() throws {
    // More documents than one accumulator window, and queries longer than the automatic switch.
    var store = InMemoryLexicalStore()
    try index.add(randomCorpus(count: 9_000, seed: 77, vocabulary: 2_000), to: &store)
    var generator = SeededGenerator(seed: 5)
    for _ in 0..<20 {
      let query = (0..<40).map { _ in "w\(Int.random(in: 0..<2_000, using: &generator))" }.joined(separator: " ")
      #expect(index.queryTerms(query).count >= BM25SearchStrategy.termAtATimeMinimumTerms)
      let exhaustive = try index.search(query, limit: 50, in: store, strategy: .exhaustive)
      #expect(!exhaustive.isEmpty)
      #expect(try index.search(query, limit: 50, in: store) == exhaustive)
      #expect(try index.search(query, limit: 50, in: store, strategy: .maxScore) == exhaustive)
      #expect(try index.search(query, limit: 50, in: store, strategy: .blockMaxWAND) == exhaustive)
      #expect(try index.search(query, limit: 50, in: store, strategy: .windowedMaxScore) == exhaustive)
      let accept: (UInt32) -> Bool = { $0 % 7 == 1 }
      #expect(
        try index.search(query, limit: 50, in: store, filter: accept, strategy: .termAtATime)
          == index.search(query, limit: 50, in: store, filter: accept, strategy: .exhaustive))
    }
  }

  @Test func exhaustiveRankingIsSortedWithIdTieBreak() throws {
    let store = try makeStore(1_000)
    let hits = try index.search("w0 w1", limit: 1_000, in: store, strategy: .exhaustive)
    #expect(!hits.isEmpty)
    for (a, b) in zip(hits, hits.dropFirst()) {
      #expect(a.score > b.score || (a.score == b.score && a.document < b.document))
    }
  }

  @Test func aRepeatedQueryWordCountsEachTime() throws {
    let store = try makeStore(1_000)
    let once = try index.search("w0 w1", limit: 1_000, in: store, explain: true)
    let twice = try index.search("w0 w1 w1", limit: 1_000, in: store, explain: true)
    let byDocument = Dictionary(uniqueKeysWithValues: once.map { ($0.document, $0) })
    for hit in twice {
      let single = try #require(byDocument[hit.document]?.explanation)
      let w1 = single.terms.first { $0.term.description == "w1" }
      let expected = single.score + (w1.map { $0.idf * $0.tfNorm } ?? 0)
      #expect(abs(hit.score - expected) <= 1e-12 * expected)
      #expect(hit.explanation?.terms.first { $0.term.description == "w1" }?.queryFrequency == (w1 == nil ? nil : 2))
    }
  }

  @Test func explanationSumsToTheScore() throws {
    let store = try makeStore(1_000)
    for query in randomQueries(count: 40, seed: 12) {
      for hit in try index.search(query, limit: 10, in: store, explain: true) {
        let explanation = try #require(hit.explanation)
        #expect(explanation.score == hit.score)
        #expect(explanation.terms.reduce(0) { $0 + Double($1.queryFrequency) * $1.idf * $1.tfNorm } == hit.score)
      }
    }
  }

  @Test func filterIsAppliedInsideTheIndex() throws {
    let store = try makeStore()
    for query in randomQueries(count: 60, seed: 13) {
      // Only every 50th document passes: a post-filter of the top 10 would come back nearly empty.
      let accept: (UInt32) -> Bool = { $0 % 50 == 0 }
      let filtered = try index.search(query, limit: 10, in: store, filter: accept)
      let reference = try index.search(query, limit: 100_000, in: store, strategy: .exhaustive).filter { accept($0.document) }
      #expect(filtered == Array(reference.prefix(10)), "query: \(query)")
      #expect(filtered.allSatisfy { accept($0.document) })
      #expect(try index.search(query, limit: 10, in: store, filter: accept, strategy: .exhaustive) == filtered)
      #expect(try index.search(query, limit: 10, in: store, filter: accept, strategy: .termAtATime) == filtered)
      #expect(try index.search(query, limit: 10, in: store, filter: accept, strategy: .blockMaxWAND) == filtered)
      #expect(try index.search(query, limit: 10, in: store, filter: accept, strategy: .windowedMaxScore) == filtered)
    }
  }

  @Test func filteredQueryStillFillsK() throws {
    let store = try makeStore()
    let hits = try index.search("w0", limit: 10, in: store, filter: { $0 % 97 == 3 })
    #expect(hits.count == 10)
    #expect(try index.search("w0", limit: 10, in: store, filter: { $0 % 97 == 3 }, strategy: .termAtATime) == hits)
    #expect(try index.search("w0", limit: 10, in: store, filter: { $0 % 97 == 3 }, strategy: .blockMaxWAND) == hits)
    #expect(try index.search("w0", limit: 10, in: store, filter: { $0 % 97 == 3 }, strategy: .windowedMaxScore) == hits)
    #expect(try index.search("w0", limit: 10, in: store, filter: { _ in false }).isEmpty)
  }

  /// Block-max pruning against the exhaustive scorer where it matters: a
  /// collection of many chunks per list, lengths from 1 to 400 tokens (loose
  /// corner bounds next to tight ones), duplicated documents (exact ties at
  /// the threshold), and queries mixing rare and common words, at k = 1, 10, 100.
  @Test(arguments: [1, 10, 100])
  func blockMaxPruningEqualsExhaustiveOnManyRandomQueries(limit: Int) throws {
    var store = InMemoryLexicalStore()
    var generator = SeededGenerator(seed: 2_011)
    var corpus: [(id: UInt32, text: String)] = []
    for id in 0..<12_000 {
      if id % 10 == 9 {
        corpus.append((UInt32(id), corpus[Int.random(in: 0..<id, using: &generator)].text))  // an exact copy
        continue
      }
      let length = Int.random(in: 0..<100, using: &generator) < 90 ? Int.random(in: 1...30, using: &generator)
        : Int.random(in: 100...400, using: &generator)
      let words = (0..<length).map { _ -> String in
        let u = Double.random(in: 0..<1, using: &generator)
        return "w\(Int(u * u * u * 5_000))"
      }
      corpus.append((UInt32(id), words.joined(separator: " ")))
    }
    try index.add(corpus, to: &store)
    for _ in 0..<150 {
      let query = (0..<Int.random(in: 1...8, using: &generator)).map { _ -> String in
        let u = Double.random(in: 0..<1, using: &generator)
        return "w\(Int(u * u * 5_000))"
      }.joined(separator: " ")
      let exhaustive = try index.search(query, limit: limit, in: store, strategy: .exhaustive)
      for strategy in [BM25SearchStrategy.blockMaxWAND, .windowedMaxScore, .maxScore, .termAtATime, .automatic] {
        let hits = try index.search(query, limit: limit, in: store, strategy: strategy)
        #expect(hits.map(\.document) == exhaustive.map(\.document), "\(strategy) query: \(query)")
        for (hit, want) in zip(hits, exhaustive) {
          #expect(abs(hit.score - want.score) <= 1e-6 * abs(want.score), "\(strategy) query: \(query)")
        }
      }
    }
  }

  /// Windowed MaxScore reads a non-essential term's postings through probes
  /// that never decode the chunk: a damaged chunk met only that way is still
  /// the typed error, not a wrong answer or a crash.
  @Test func aDamagedChunkMetOnlyByAProbeIsATypedError() throws {
    // "common" in every even document, so its chunks store one-byte deltas;
    // "rare" in document 0 and in 4,350, the last posting of the chunk that begins at 4,096.
    var corpus: [(id: UInt32, text: String)] = []
    for id in UInt32(0)..<9_000 {
      corpus.append((id, id == 0 || id == 5_374 ? "rare common" : id % 2 == 0 ? "common" : "other"))
    }
    var store = InMemoryLexicalStore()
    try index.add(corpus, to: &store)
    let hits = try index.search("rare common", limit: 1, in: store, strategy: .windowedMaxScore)
    #expect(hits.map(\.document) == [0])
    let chunk = try #require(
      try store.withPostingChunk(of: Term("common"), covering: 5_374) { lent -> [UInt8]? in
        guard let chunk = lent else { return nil }
        return unsafe chunk.bytes.withUnsafeBytes { Array($0) }
      })
    let postings = try #require(PostingChunk.decode(chunk))
    #expect(postings.count == 128 && postings.first?.document == 5_120 && postings.last?.document == 5_374)
    // One delta a document short: the ids no longer end on the header's last
    // document. The chunk ends with 127 one-byte deltas, no frequencies (every
    // tf is 1) and 128 one-byte lengths (1, and 2 for the last).
    var damaged = chunk
    let firstDelta = damaged.count - 127 - 128
    #expect(damaged[firstDelta] == 1 && damaged.last == 1)
    damaged[firstDelta] = 0
    store.putPostingChunk(of: Term("common"), firstDocument: 5_120, bytes: damaged)
    #expect(throws: LexicalIndexError.self) {
      try index.search("rare common", limit: 1, in: store, strategy: .windowedMaxScore)
    }
  }
}

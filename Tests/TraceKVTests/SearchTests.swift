import Foundation
import Testing
@testable import TraceKV

@Suite struct SearchTests {
  @Test func exactKeywordFindsTheTrace() throws {
    let temporary = try TemporaryStore.withSamples()
    let hits = try temporary.store.search(SearchQuery(text: "get_population", mode: .lexical, limit: 3)).hits
    #expect(hits.first?.traceID == "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d")
    #expect(hits.first?.lexical?.rank == 1)
    #expect(hits.first?.vector == nil)
  }

  /// A query about nothing the store holds finds nothing, instead of the
  /// nearest traces as filler; a BM25 match counts whatever its similarity.
  @Test func similarityFloorDropsFillerButKeepsLexicalMatches() throws {
    let temporary = try TemporaryStore.withSamples()
    let unrelated = "lattice quantum chromodynamics gluon propagators"
    #expect(try temporary.store.search(SearchQuery(text: unrelated, mode: .lexical)).hits.isEmpty)
    // Without a floor every trace is somebody's nearest neighbour.
    let open = try temporary.store.search(SearchQuery(text: unrelated, mode: .vector, minSimilarity: 0)).hits
    #expect(open.count == 10)
    let similarities = open.compactMap { $0.vector.map { Double($0.similarity) } }
    for mode in [SearchMode.hybrid, .vector] {
      // A floor at the third similarity keeps the three best; above the best, none.
      let three = try temporary.store.search(SearchQuery(text: unrelated, mode: mode, minSimilarity: similarities[2]))
      #expect(Set(three.hits.map(\.traceID)) == Set(open.prefix(3).map(\.traceID)))
      let none = try temporary.store.search(SearchQuery(text: unrelated, mode: mode, minSimilarity: similarities[0] + 1e-6))
      #expect(none.hits.isEmpty)
    }
    // A floor no vector reaches leaves exactly the BM25 hits, in hybrid mode too.
    let keyword = "get_population"
    let lexical = try temporary.store.search(SearchQuery(text: keyword, mode: .lexical)).hits.map(\.traceID)
    let hybrid = try temporary.store.search(SearchQuery(text: keyword, minSimilarity: 1.01)).hits
    #expect(!lexical.isEmpty && hybrid.map(\.traceID) == lexical)
    #expect(hybrid.allSatisfy { $0.vector == nil })
    #expect(SearchQuery.defaultMinSimilarity(for: temporary.store.embedderIdentity) > 0)
  }

  @Test func hybridHitsExplainBothSides() throws {
    let temporary = try TemporaryStore.withSamples()
    let results = try temporary.store.search(
      SearchQuery(text: "compare the populations of two cities", limit: 5, explain: true, withMessages: true))
    #expect(results.hits.count == 5)
    let top = try #require(results.hits.first)
    #expect(top.traceID == "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d")
    // The fused score is the sum of the RRF terms, each w/(60 + rank).
    #expect(abs(top.score - top.fusion.map(\.score).reduce(0, +)) < 1e-12)
    for term in top.fusion { #expect(abs(term.score - 1 / (60 + Double(term.rank))) < 1e-12) }
    if let lexical = top.lexical, let explanation = top.lexicalExplanation {
      #expect(abs(explanation.score - lexical.score) < 1e-9)
    }
    #expect(top.messages?.first?.role == "system")
    // Scores descend.
    #expect(results.hits.map(\.score) == results.hits.map(\.score).sorted(by: >))
  }

  @Test func pagingOverTheFusedList() throws {
    let temporary = try TemporaryStore.withSamples()
    let all = try temporary.store.search(SearchQuery(text: "weather in a city", limit: 20)).hits.map(\.traceID)
    var paged: [String] = []
    for offset in stride(from: 0, to: 20, by: 7) {
      paged += try temporary.store.search(SearchQuery(text: "weather in a city", limit: 7, offset: offset)).hits.map(\.traceID)
    }
    #expect(paged == all)
    #expect(Set(all).count == all.count)
  }

  @Test("filters hold inside both indexes", arguments: SearchMode.allCases)
  func filteredSearchFillsTheLimit(_ mode: SearchMode) throws {
    // 200 traces, 2 of them completed: a 1 % filter still returns both.
    let temporary = try TemporaryStore()
    var lines: [String] = []
    for index in 0..<200 {
      let status = index % 100 == 7 ? "completed" : "running"
      lines.append(#"{"trace_id": "t\#(index)", "attributes": {"tracebrain.trace.status": "\#(status)"}, "spans": [{"span_id": "s", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.new_content": "[{\"role\": \"user\", \"content\": \"book a flight to city \#(index)\"}]", "tracebrain.llm.final_answer": "booked flight \#(index)"}}]}"#)
    }
    let file = temporary.directory.url.appendingPathComponent("many.jsonl")
    try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    try temporary.store.ingest(contentsOf: file)
    let hits = try temporary.store.search(
      SearchQuery(text: "book a flight", mode: mode, filter: TraceFilter(statuses: [.completed]), limit: 5)).hits
    #expect(Set(hits.map(\.traceID)) == ["t7", "t107"])
    #expect(hits.allSatisfy { $0.status == .completed })
    // A filter no trace passes answers nothing (without asking either index).
    for filter in [TraceFilter(statuses: [.failed]), TraceFilter(minRating: 1)] {
      #expect(try temporary.store.search(SearchQuery(text: "book a flight", mode: mode, filter: filter)).hits.isEmpty)
    }
  }

  @Test func reratingMovesATraceInAndOutOfExperiences() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let id = "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"  // AI rating 3
    let query = "compare populations of Paris and Berlin"
    #expect(try !store.searchPastExperiences(query, limit: 20).contains { $0.traceID == id })
    try store.addFeedback(traceID: id, rating: 5)
    let hits = try store.searchPastExperiences(query, limit: 3)
    #expect(hits.first?.traceID == id)
    #expect(hits.first?.rating == 5)
    try store.addFeedback(traceID: id, rating: 1)
    #expect(try !store.searchPastExperiences(query, limit: 20).contains { $0.traceID == id })
    #expect(try store.searchPastExperiences(query, limit: 20).allSatisfy { ($0.rating ?? 0) >= 4 })
  }

  @Test func deletedTracesNeverAppear() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let id = "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"
    try store.delete(traceIDs: [id])
    for mode in SearchMode.allCases {
      let hits = try store.search(SearchQuery(text: "get_population Paris Berlin", mode: mode, limit: 20)).hits
      #expect(!hits.contains { $0.traceID == id })
    }
    #expect(try store.verify().isEmpty)
  }

  @Test func mergingSpansReindexesTheTrace() throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(json: #"{"trace_id": "m", "spans": [{"span_id": "a", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.completion": "alpha"}}]}"#)
    #expect(try temporary.store.search(SearchQuery(text: "zebracorn", mode: .lexical)).hits.isEmpty)
    try temporary.store.ingest(json: #"{"trace_id": "m", "spans": [{"span_id": "b", "parent_id": "a", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.completion": "zebracorn"}}]}"#)
    #expect(try temporary.store.search(SearchQuery(text: "zebracorn", mode: .lexical)).hits.map(\.traceID) == ["m"])
  }

  @Test func anotherStoreInstanceSeesNewWritesAndReopenedIndexesAnswerTheSame() throws {
    let temporary = try TemporaryStore.withSamples()
    let query = SearchQuery(text: "multi-step research with web search", limit: 10)
    let before = try temporary.store.search(query).hits.map(\.traceID)
    // A second instance has its own in-memory state, loaded from the file.
    let other = try TraceStore(path: temporary.path)
    #expect(try other.search(query).hits.map(\.traceID) == before)
    try temporary.store.ingest(json: #"{"trace_id": "fresh", "spans": [{"span_id": "s", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.final_answer": "multi-step research with web search, done"}}]}"#)
    #expect(try other.search(SearchQuery(text: "multi-step research with web search", limit: 20)).hits.contains { $0.traceID == "fresh" })
  }

  @Test func searchTextFollowsTraceBrain() throws {
    let temporary = try TemporaryStore.withSamples()
    let text = try temporary.store.read { transaction -> SearchText in
      let (doc, record) = try temporary.store.requireRecord("7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d", in: transaction)
      return SearchText(
        systemPrompt: record.trace.systemPrompt, episodeID: record.trace.episodeID,
        errorType: record.trace.aiEvaluation?.errorType?.rawValue,
        spans: try temporary.store.spanViews(of: doc, in: transaction))
    }
    let lines = text.semantic.split(separator: "\n").map(String.init)
    #expect(lines[0] == "System prompt: You are an assistant that answers comparison questions by gathering data for each item.")
    #expect(lines[1] == "User query: Compare the populations of Paris and Berlin.")
    #expect(lines[2].hasPrefix("Thought: To compare the populations"))
    #expect(lines.contains("Output: 2.1 million"))
    #expect(lines.last?.hasPrefix("Completion: Based on the data") == true)
    #expect(text.lexical.contains("get_population({'city': 'Paris'})"))
    #expect(text.lexical.contains("misinterpretation") && text.lexical.contains("ep-7a8b9c0d"))
  }

  @Test func aDifferentEmbedderIsRefused() throws {
    let temporary = try TemporaryStore()  // hashing
    do {
      _ = try TraceStore(path: temporary.path, options: .init(embedder: .none))
      Issue.record("opened a hashing store with no embedder")
    } catch {
      #expect(error.kind == .embedderMismatch)
      #expect(error.message.contains("hashing"))
    }
    #expect(try TraceStore(path: temporary.path).embedderIdentity.name == "hashing")
  }

  @Test func storeWithoutEmbedderSearchesLexically() throws {
    let temporary = try TemporaryStore(embedder: .none)
    for file in try Paths.sampleFiles() { try temporary.store.ingest(contentsOf: file) }
    #expect(try temporary.store.search(SearchQuery(text: "get_population")).hits.first?.traceID == "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d")
    #expect(throws: TraceKVError.self) { try temporary.store.search(SearchQuery(text: "x", mode: .vector)) }
  }
}

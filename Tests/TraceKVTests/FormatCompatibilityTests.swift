import Foundation
import TestSupport
import Testing
import VectorIndex
@testable import TraceKV

/// A store written by format version 1 (frozen 2026-11-22: the 20 samples,
/// hashing embedder, one human feedback) must open and answer the same in
/// every later build. Regenerate only with a deliberate format change.
@Suite struct FormatCompatibilityTests {
  @Test func formatVersion1StoreStillOpens() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("v1.tkv")
    try FileManager.default.copyItem(
      at: Paths.packageRoot.appendingPathComponent("Tests/TraceKVTests/Fixtures/format-v1.store"),
      to: URL(fileURLWithPath: path))
    let store = try TraceStore(path: path)
    #expect(store.embedderIdentity.name == "hashing")
    #expect(try store.verify().isEmpty)
    let stats = try store.statistics()
    #expect(stats.totalTraces == 20 && stats.totalSpans == 63 && stats.tracesWithFeedback == 1)
    let trace = try #require(try store.trace(id: "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8"))
    #expect(trace.status == .completed && trace.feedback?.comment == "format v1 fixture")
    let expected = try ReconstructionTests.Expected(Paths.expected.appendingPathComponent("sample_7_parallel_calls.json"))
    #expect(try #require(try store.messages(traceID: expected.traceID)) == expected.messages)
    for mode in SearchMode.allCases {
      let hits = try store.search(SearchQuery(text: "get_population of Paris and Berlin", mode: mode, limit: 3)).hits
      #expect(hits.first?.traceID == "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d", "\(mode)")
    }
    // And it takes writes.
    try store.ingest(json: #"{"trace_id": "after-upgrade", "spans": []}"#)
    #expect(try store.verify().isEmpty)
    #expect(try Self.storedHeader(store).nodesHoldVectors, "HNSW layout 2: the write above had no vector")

    // Its first vector write rewrites the graph's records in layout 3 (vector
    // blocks); every answer stays, in this instance and in a new one.
    let weather = SearchQuery(text: "weather tool error", mode: .vector, limit: 30)
    let before = try store.search(weather).hits.map(\.traceID)
    #expect(before.count >= 5)  // those above the similarity floor
    try store.ingest(json: #"{"trace_id": "upgrading", "spans": [{"span_id": "s", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.final_answer": "zebracorn stew recipe"}}]}"#)
    let header = try Self.storedHeader(store)
    #expect(header.layoutVersion == 3 && header.count == 21)
    let nodeSizes = try store.read { transaction in
      var sizes = Set<Int>()
      try transaction.scan(store.tables.hnswNodes) { _, value in
        sizes.insert(value.byteCount)
        return true
      }
      return sizes
    }
    #expect(nodeSizes == [5])
    #expect(try store.verify().isEmpty)
    let reopened = try TraceStore(path: path, options: .init(readOnly: true, create: false))
    for instance in [store, reopened] {
      #expect(try instance.search(weather).hits.map(\.traceID).filter { $0 != "upgrading" } == before)
      #expect(try instance.search(SearchQuery(text: "zebracorn stew recipe", mode: .vector, limit: 1)).hits.first?.traceID == "upgrading")
    }
  }

  private static func storedHeader(_ store: TraceStore) throws -> HNSWHeader {
    try #require(try store.read { try VectorPersistence.storedHeader(tables: store.tables, in: $0) })
  }
}

import Foundation
import TestSupport
import Testing
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
  }
}

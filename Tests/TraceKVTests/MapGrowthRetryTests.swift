import Foundation
import Testing

@testable import TraceKV

/// A write transaction that fills the map is aborted and run again on a
/// bigger map. Its first run already changed the writer's copy of the search
/// state; none of that may reach the installed state (readers share its
/// chunks) or the second run: afterwards every trace has exactly one vector.
@Suite struct MapGrowthRetryTests {
  /// `count` traces with distinct words, ids `prefix-0…`.
  private func jsonl(_ prefix: String, count: Int) -> Data {
    var lines: [String] = []
    for index in 0..<count {
      let words = (0..<12).map { "w\(prefix)\(index)x\($0)" }.joined(separator: " ")
      lines.append(
        #"{"trace_id": "\#(prefix)-\#(index)", "spans": [{"span_id": "s", "attributes": {"tracebrain.llm.completion": "\#(words)"}}]}"#
      )
    }
    return Data(lines.joined(separator: "\n").utf8)
  }

  @Test func retriedWritesOverAnExistingGraphLeaveOneVectorPerTrace() throws {
    let temporary = try TemporaryStore(initialMapSize: 256 << 10)
    let store = temporary.store
    var grown = 0
    // Each round writes as much as all before it and one more share, so it
    // outgrows the map whatever size the last growth reached (at most twice
    // what was used), however the record sizes change.
    for (round, (prefix, count)) in [("a", 700), ("b", 1_400), ("c", 2_800)].enumerated() {
      let file = temporary.directory.url.appendingPathComponent("\(prefix).jsonl")
      try jsonl(prefix, count: count).write(to: file)
      let before = store.environment.mapSize
      let report = try store.ingest(contentsOf: file, options: .init(batchSize: count))
      #expect(report.added == count, "round \(round)")
      if store.environment.mapSize > before { grown += 1 }
    }
    #expect(grown == 3)  // every round's one transaction was run again on a bigger map
    #expect(try store.verify().isEmpty)
    // No similarity floor: every vector in the index answers.
    let hits = try store.search(SearchQuery(text: "wb7x3 wb7x4", mode: .vector, limit: 10_000, minSimilarity: 0)).hits
    #expect(hits.count == 4_900)
    #expect(Set(hits.map(\.traceID)).count == 4_900)
  }
}

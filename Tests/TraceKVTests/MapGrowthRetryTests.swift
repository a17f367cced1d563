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
    for (round, prefix) in ["a", "b", "c"].enumerated() {
      let file = temporary.directory.url.appendingPathComponent("\(prefix).jsonl")
      try jsonl(prefix, count: 1_500).write(to: file)
      let before = store.environment.mapSize
      let report = try store.ingest(contentsOf: file, options: .init(batchSize: 1_500))
      #expect(report.added == 1_500, "round \(round)")
      if store.environment.mapSize > before { grown += 1 }
    }
    #expect(grown == 3)  // every round's one transaction was run again on a bigger map
    #expect(try store.verify().isEmpty)
    // No similarity floor: every vector in the index answers.
    let hits = try store.search(SearchQuery(text: "wb7x3 wb7x4", mode: .vector, limit: 10_000, minSimilarity: 0)).hits
    #expect(hits.count == 4_500)
    #expect(Set(hits.map(\.traceID)).count == 4_500)
  }
}

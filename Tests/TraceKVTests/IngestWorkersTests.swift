import Embeddings
import Foundation
import Testing
@testable import TraceKV

/// Ingest on several workers: the same store as on one, what each embedding
/// costs, and the pipeline's order and bound.
@Suite struct IngestWorkersTests {
  /// The 20 samples under fresh ids, 12 rounds of them; every 50th line a
  /// repeat of an earlier trace (a merge), and three bad lines.
  private func input(repeats: Bool = true) throws -> (text: String, badLines: [Int]) {
    let samples = try Paths.sampleFiles().map { url -> JSONObject in
      guard case .object(let object) = try JSONParser.parse(try Data(contentsOf: url)) else {
        throw TraceKVError.invalid("\(url.lastPathComponent) is not a trace")
      }
      return object
    }
    var lines: [String] = []
    var badLines: [Int] = []
    for number in 0..<240 {
      var trace = samples[number % samples.count]
      trace["trace_id"] = .string("w\(repeats && number % 50 == 49 ? number - 30 : number)")
      lines.append(JSONWriter.compact(.object(trace)))
      if number == 3 || number == 100 || number == 239 {
        lines.append(number == 100 ? #"{"trace_id": 7}"# : "not json")
        badLines.append(lines.count)
      }
    }
    return (lines.joined(separator: "\n") + "\n", badLines)
  }

  private func ingest(_ text: String, workers: Int, into temporary: TemporaryStore) throws -> IngestReport {
    try temporary.store.ingest(data: Data(text.utf8), source: "input.jsonl", options: .init(batchSize: 7, workers: workers))
  }

  /// Everything a reader can see: every trace as exported, in document order, and searches.
  private func contents(_ store: TraceStore) throws -> [String] {
    var lines: [String] = []
    try store.export(format: .jsonl) { lines.append($0) }
    for mode in [SearchMode.hybrid, .vector, .lexical] {
      for text in ["refund the customer order", "weather forecast tool error", "flight booking"] {
        let hits = try store.search(SearchQuery(text: text, mode: mode, limit: 50)).hits
        lines.append("\(mode) \(text): " + hits.map { "\($0.traceID) \($0.score)" }.joined(separator: ", "))
      }
    }
    return lines
  }

  @Test func oneAndSeveralWorkersWriteTheSameStore() throws {
    let (text, badLines) = try input()
    let one = try TemporaryStore()
    let several = try TemporaryStore()
    let reportOne = try ingest(text, workers: 1, into: one)
    let reportSeveral = try ingest(text, workers: 4, into: several)
    // 240 lines of traces: 4 repeats (numbers 49, 99, …) merge, 236 are new.
    #expect(reportOne.added == 236 && reportOne.merged == 4)
    #expect(reportOne.rejected.map(\.line) == badLines)
    #expect(reportSeveral == reportOne)
    let expected = try contents(one.store)
    #expect(expected.count == 236 + 9)
    #expect(expected[236...].allSatisfy { $0.split(separator: ",").count >= 10 })  // the searches found traces
    #expect(try contents(several.store) == expected)
    #expect(try several.store.verify().isEmpty)
  }

  @Test func otlpInputIsTheSameOnSeveralWorkers() throws {
    let file = Paths.packageRoot.appendingPathComponent("Tests/TraceKVTests/OTLPData/real/01_otelproto_trace.json")
    var exports: [[String]] = []
    for workers in [1, 3] {
      let temporary = try TemporaryStore()
      let report = try temporary.store.ingest(contentsOf: file, options: .init(batchSize: 1, workers: workers))
      #expect(report.accepted > 0 && report.rejected.isEmpty)
      var lines: [String] = []
      try temporary.store.export(format: .jsonl) { lines.append($0) }
      exports.append(lines)
    }
    #expect(exports[0] == exports[1])
  }

  /// Each text is embedded once, before the write transaction opens: a
  /// transaction run again after the map grew embeds nothing again.
  @Test func aTransactionRetriedAfterTheMapGrewEmbedsNothingAgain() throws {
    for workers in [1, 3] {
      let embedder = CountingEmbedder()
      let temporary = try TemporaryStore(initialMapSize: 256 << 10, embedder: .custom(embedder))
      let (text, _) = try input(repeats: false)
      let file = temporary.directory.url.appendingPathComponent("input.jsonl")
      try Data(text.utf8).write(to: file)
      let report = try temporary.store.ingest(contentsOf: file, options: .init(batchSize: 240, workers: workers))
      #expect(report.added == 240)
      #expect(temporary.store.environment.mapSize > 256 << 10)  // the one transaction was run again
      #expect(embedder.counts().values.reduce(0, +) == 240)
      // A single write embeds before its transaction too, once.
      try temporary.store.ingest(
        json: #"{"trace_id": "single", "spans": [{"span_id": "a", "attributes": {"tracebrain.llm.completion": "a lone answer"}}]}"#)
      #expect(embedder.counts().values.reduce(0, +) == 241)
      #expect(embedder.counts()["Completion: a lone answer"] == 1)
    }
  }

  /// A pool over the squares of 0..<1000.
  private func squares(taken: @escaping () -> Void) -> OrderedWorkers<Int, Int> {
    var next = 0
    return OrderedWorkers<Int, Int>(
      workers: 4, ahead: 5,
      next: {
        guard next < 1000 else { return nil }
        next += 1
        return next - 1
      },
      prepare: { value in
        taken()
        return value * value
      })
  }

  @Test func workersHandBackInOrderWithinTheBound() throws {
    let lock = NSLock()
    var taken = 0
    var handed = 0
    var worst = 0
    var results: [Int] = []
    try squares { lock.withLock { taken += 1 } }.forEach { value in
      lock.withLock {
        handed += 1
        worst = max(worst, taken - handed)
      }
      results.append(value)
    }
    #expect(results == (0..<1000).map { $0 * $0 })
    #expect(worst <= 5)  // `ahead`
  }

  @Test func aFailingWriterStopsTheWorkers() throws {
    struct Stop: Error {}
    var seen = 0
    #expect(throws: Stop.self) {
      try squares {}.forEach { _ in
        seen += 1
        if seen == 50 { throw Stop() }
      }
    }
    #expect(seen == 50)
  }
}

/// The hashing embedder, counting how often it embeds each text.
private final class CountingEmbedder: TextEmbedder, @unchecked Sendable {
  private let inner = HashingEmbedder()
  private let lock = NSLock()
  private var embedded: [String: Int] = [:]
  var name: String { inner.name }
  var dimension: Int { inner.dimension }
  var fingerprint: String { inner.fingerprint }

  func embed(_ texts: [String]) throws(EmbeddingError) -> [[Float]] {
    lock.withLock { for text in texts { embedded[text, default: 0] += 1 } }
    return try inner.embed(texts)
  }

  func counts() -> [String: Int] { lock.withLock { embedded } }
}

@Suite struct IngestWorkersCommandTests {
  @Test func workersUpToTheLimit() throws {
    let temporary = try TemporaryStore()
    let tracekv = Paths.product("tracekv")
    let samples = Paths.samples.path
    let most = try run(tracekv, ["--store", temporary.path, "ingest", samples, "--workers", "\(Limits.maximumIngestWorkers)"])
    #expect(most.status == 0, "\(most.error)")
    #expect(most.output.contains("ingested 20 traces (20 new, 0 merged)"), "\(most.output)")
    let tooMany = try run(tracekv, ["--store", temporary.path, "ingest", samples, "--workers", "\(Limits.maximumIngestWorkers + 1)"])
    #expect(tooMany.status == 2)
    #expect(tooMany.error.contains("--workers must be between 1 and 64"), "\(tooMany.error)")
    #expect(try run(tracekv, ["--store", temporary.path, "ingest", samples, "--workers", "0"]).status == 2)
  }
}

import Dispatch
import Foundation
import TestSupport
import Testing
@testable import TraceKV

/// One `TraceStore` shared by many threads and by Swift concurrency:
/// readers in parallel with writers, writes serialized, every read one
/// consistent snapshot. Run under ThreadSanitizer with
/// `swift test --sanitize=thread --filter ConcurrencyTests`.
@Suite struct ConcurrencyTests {
  static let batch = 5

  /// `count` traces as JSONL, ids `prefix-0…`, each with a unique token.
  static func jsonl(_ prefix: String, _ first: Int, _ count: Int) -> [UInt8] {
    var text = ""
    for index in first..<(first + count) {
      text += #"{"trace_id": "\#(prefix)-\#(index)", "spans": [{"span_id": "a", "attributes": {"tracebrain.llm.input": [{"role": "user", "content": "question \#(index)"}]}}, {"span_id": "b", "parent_id": "a", "attributes": {"tracebrain.llm.completion": "answer \#(prefix)token\#(index)"}}]}"#
      text += "\n"
    }
    return Array(text.utf8)
  }

  static func ingest(_ store: TraceStore, _ prefix: String, _ first: Int) throws {
    let report = try store.ingest(
      data: Data(jsonl(prefix, first, batch)), source: prefix, options: .init(strict: true, batchSize: batch, layout: .jsonl))
    #expect(report.added == batch)
  }

  /// One reader pass: every read must see whole batches only.
  static func readPass(_ store: TraceStore, iteration: Int) throws {
    let total = try store.list(limit: 0).total
    #expect((total - 20) % batch == 0, "a snapshot of \(total) traces holds half a batch")
    let hits = try store.search(SearchQuery(text: "answer question", limit: 5)).hits
    #expect(!hits.isEmpty)
    _ = try store.searchPastExperiences("resolve a tool failure")
    let ids = try store.traceIDs(limit: 10)
    if let id = ids.randomElement() {
      _ = try #require(try store.messages(traceID: id))
      _ = try #require(try store.turns(traceID: id))
      _ = try store.trace(id: id)
    }
    var exported = 0
    try store.export(format: .jsonl, limit: 10, to: { chunk in exported += chunk.split(separator: "\n").count })
    #expect(exported == min(10, total))
    _ = try store.statistics()
    _ = try store.toolUsage()
  }

  @Test func threadsReadInParallelWhileWritesAreSerialized() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let writers = 2
    let rounds = 8
    let failures = Mutex()
    DispatchQueue.concurrentPerform(iterations: 6) { worker in
      do {
        if worker < writers {
          for round in 0..<rounds {
            try Self.ingest(store, "w\(worker)", round * Self.batch)
            try store.addFeedback(traceID: "w\(worker)-\(round * Self.batch)", rating: 4, comment: "ok")
          }
        } else {
          for iteration in 0..<12 { try Self.readPass(store, iteration: iteration) }
        }
      } catch {
        failures.append("worker \(worker): \(error)")
      }
    }
    #expect(failures.values.isEmpty, "\(failures.values)")
    #expect(try store.statistics().totalTraces == 20 + writers * rounds * Self.batch)
    let problems = try store.verify()
    #expect(problems.isEmpty, "\(problems)")
    for worker in 0..<writers {
      let hits = try store.search(SearchQuery(text: "w\(worker)token\(Self.batch * rounds - 1)", mode: .lexical, limit: 1)).hits
      #expect(hits.first?.traceID == "w\(worker)-\(Self.batch * rounds - 1)")
    }
  }

  @Test func swiftConcurrencyTasksShareOneStore() async throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    try await withThrowingTaskGroup(of: Void.self) { group in
      for writer in 0..<2 {
        group.addTask {
          for round in 0..<6 { try Self.ingest(store, "task\(writer)", round * Self.batch) }
        }
      }
      for reader in 0..<4 {
        group.addTask {
          for iteration in 0..<8 { try Self.readPass(store, iteration: reader * 100 + iteration) }
        }
      }
      // A second handle on the same file shares the environment and state.
      group.addTask {
        let again = try TraceStore(path: store.path)
        for iteration in 0..<8 { try Self.readPass(again, iteration: iteration) }
      }
      try await group.waitForAll()
    }
    #expect(try store.statistics().totalTraces == 20 + 2 * 6 * Self.batch)
    let problems = try store.verify()
    #expect(problems.isEmpty, "\(problems)")
  }
}

/// A list appended to from many threads.
final class Mutex: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [String] = []
  func append(_ item: String) { lock.withLock { items.append(item) } }
  var values: [String] { lock.withLock { items } }
}

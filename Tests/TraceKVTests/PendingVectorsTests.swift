import Embeddings
import Foundation
import TestSupport
import Testing

@testable import TraceKV

/// Deferred vectors (`Options.defersVectors`, `indexPendingVectors`): a write
/// indexes BM25 at once and leaves the vector waiting in the store; the
/// catch-up embeds each trace once, when quiet or when its root arrived.
@Suite struct PendingVectorsTests {
  static let root = "a0a0a0a0a0a0a0a0"
  static let replies = ["zanzibar ferry timetable", "zanzibar spice market hours", "zanzibar weather tomorrow"]

  /// A deferring store in a fresh folder (the hashing embedder).
  private func deferringStore(_ directory: TemporaryDirectory) throws -> TraceStore {
    var options = TraceStore.Options(embedder: .hashing)
    options.defersVectors = true
    return try TraceStore(path: directory.path("traces.tkv"), options: options)
  }

  /// One child chat span per request, as SimpleSpanProcessor sends them.
  private func sendChildren(to store: TraceStore) throws {
    for (index, reply) in Self.replies.enumerated() {
      let span = OTLP.chat(
        "b\(index)b\(index)b\(index)b\(index)b\(index)b\(index)b\(index)b\(index)", parent: Self.root, start: index + 1,
        messages: [("user", "plan a day trip")], reply: reply)
      try OTLP.ingest(OTLP.request([span]), into: store)
    }
  }

  private func sendRoot(to store: TraceStore) throws {
    try OTLP.ingest(OTLP.request([OTLP.span(Self.root, name: "agent run", start: 0)]), into: store)
  }

  private func hits(_ store: TraceStore, _ mode: SearchMode, _ text: String = "zanzibar") throws -> [String] {
    try store.search(SearchQuery(text: text, mode: mode)).hits.map(\.traceID)
  }

  /// Vectors in the store's graph, as this process's search state holds them.
  private func vectorCount(_ store: TraceStore) throws -> Int {
    try store.read { transaction in try store.search.state(in: transaction, tables: store.tables).vectors?.count ?? 0 }
  }

  @Test func aTraceWrittenOverManyRequestsGetsOneVectorOfItsWholeTextOnceItsRootArrives() throws {
    let directory = try TemporaryDirectory()
    let store = try deferringStore(directory)
    try sendChildren(to: store)
    #expect(try hits(store, .lexical) == [OTLP.trace])
    #expect(try hits(store, .vector).isEmpty)
    #expect(try store.pendingVectorCount() == 1)
    #expect(try store.verify().isEmpty)  // a waiting vector is not damage

    // No root yet and not quiet for an hour: nothing is due.
    let early = try store.indexPendingVectors(quietPeriod: 3600)
    #expect(early.indexed == 0 && early.pending == 1 && early.nextDueIn != nil)
    #expect(try vectorCount(store) == 0)

    try sendRoot(to: store)
    let caughtUp = try store.indexPendingVectors(quietPeriod: 3600)
    #expect(caughtUp == VectorCatchUp(indexed: 1, pending: 0, nextDueIn: nil))
    #expect(try store.pendingVectorCount() == 0)
    #expect(try vectorCount(store) == 1)
    // The vector is the embedding of the trace's whole text, all three replies.
    let text = try #require(
      try store.read { transaction in
        try store.document(of: OTLP.trace, in: transaction).flatMap {
          try SearchText.stored($0, tables: store.tables, in: transaction)
        }
      })
    for reply in Self.replies { #expect(text.semantic.contains(reply)) }
    var query = SearchQuery(text: "the stored text", mode: .vector, explain: true)
    query.vector = try HashingEmbedder().embed([text.semantic])[0]
    let hit = try #require(try store.search(query).hits.first)
    #expect(hit.traceID == OTLP.trace)
    #expect(abs(try #require(hit.vector).similarity - 1) < 1e-5)
    #expect(try store.verify().isEmpty)
    // Nothing left: a second call does nothing.
    #expect(try store.indexPendingVectors(quietPeriod: 0) == VectorCatchUp())
  }

  @Test func aTraceWithoutRootIsEmbeddedOnceQuiet() throws {
    let directory = try TemporaryDirectory()
    let store = try deferringStore(directory)
    try sendChildren(to: store)
    #expect(try store.indexPendingVectors(quietPeriod: 3600).indexed == 0)
    #expect(try store.indexPendingVectors(quietPeriod: 0) == VectorCatchUp(indexed: 1, pending: 0, nextDueIn: nil))
    #expect(try hits(store, .vector) == [OTLP.trace])
  }

  @Test func waitingVectorsSurviveReopeningAndAreCaughtUpThen() throws {
    let directory = try TemporaryDirectory()
    let ids: [String]
    do {
      let store = try deferringStore(directory)
      for file in try Paths.sampleFiles() { try store.ingest(contentsOf: file, options: .init(strict: true)) }
      ids = try store.list(limit: 100).traces.map(\.traceID)
      #expect(ids.count == 20)
      #expect(try store.pendingVectorCount() == 20)
      #expect(try vectorCount(store) == 0)
    }
    // Another instance, not deferring, over the same file: it finds the set
    // in the store; one catch-up with a limit of 8 embeds the 8 oldest.
    let reopened = try TraceStore(path: directory.path("traces.tkv"))
    #expect(try reopened.pendingVectorCount() == 20)
    let first = try reopened.indexPendingVectors(quietPeriod: 3600, limit: 8)
    #expect(first.indexed == 8 && first.pending == 12 && first.nextDueIn == 0)
    #expect(try reopened.indexPendingVectors(quietPeriod: 3600, limit: 64).indexed == 12)
    #expect(try vectorCount(reopened) == 20)
    #expect(try reopened.pendingVectorCount() == 0)
    #expect(try reopened.verify().isEmpty)
    // The same store as one ingest without deferral builds: the same hits for a query.
    let reference = try TemporaryStore.withSamples()
    let query = SearchQuery(text: "find a company's stock price", mode: .vector, limit: 20)
    #expect(try reopened.search(query).hits.map(\.traceID) == reference.store.search(query).hits.map(\.traceID))
  }

  @Test func aWriteWithoutDeferralEmbedsAndClearsTheWait() throws {
    let directory = try TemporaryDirectory()
    let deferring = try deferringStore(directory)
    try sendChildren(to: deferring)
    #expect(try deferring.pendingVectorCount() == 1)
    // Another process's `ingest` (a store instance without deferral) writes the root.
    let immediate = try TraceStore(path: directory.path("traces.tkv"))
    try sendRoot(to: immediate)
    #expect(try immediate.pendingVectorCount() == 0)
    #expect(try hits(deferring, .vector) == [OTLP.trace])
    #expect(try deferring.indexPendingVectors(quietPeriod: 0) == VectorCatchUp())
  }

  @Test func aDeletedTraceLeavesTheWait() throws {
    let directory = try TemporaryDirectory()
    let store = try deferringStore(directory)
    try sendChildren(to: store)
    #expect(try store.delete(traceIDs: [OTLP.trace]).deleted == 1)
    #expect(try store.pendingVectorCount() == 0)
    #expect(try store.indexPendingVectors(quietPeriod: 0) == VectorCatchUp())
    #expect(try store.verify().isEmpty)
  }

  @Test func aTraceWrittenAgainWhileEmbeddedWaitsForItsNewText() throws {
    let directory = try TemporaryDirectory()
    let embedder = WritingEmbedder()
    var options = TraceStore.Options(embedder: .custom(embedder))
    options.defersVectors = true
    let store = try TraceStore(path: directory.path("traces.tkv"), options: options)
    try sendChildren(to: store)
    // While the catch-up embeds, another request brings the root span.
    embedder.duringNextEmbedding = { try self.sendRoot(to: store) }
    let raced = try store.indexPendingVectors(quietPeriod: 0)
    #expect(raced == VectorCatchUp(indexed: 0, pending: 1, nextDueIn: 0))
    #expect(try vectorCount(store) == 0)
    #expect(try store.indexPendingVectors(quietPeriod: 0).indexed == 1)
    #expect(try vectorCount(store) == 1)
    #expect(try store.pendingVectorCount() == 0)
  }

  @Test func limitsAreRefused() throws {
    let directory = try TemporaryDirectory()
    let store = try deferringStore(directory)
    for (quiet, limit) in [(0.0, 0), (-1.0, 1)] {
      #expect(throws: TraceKVError.self) { try store.indexPendingVectors(quietPeriod: quiet, limit: limit) }
    }
    #expect(try store.indexPendingVectors(quietPeriod: 0, limit: 1) == VectorCatchUp())
  }
}

/// The hashing embedder, which runs a write of the test's once, in the middle
/// of an embedding (as a request arriving meanwhile would).
private final class WritingEmbedder: TextEmbedder, @unchecked Sendable {
  private let inner = HashingEmbedder()
  var duringNextEmbedding: (() throws -> Void)?
  var name: String { inner.name }
  var dimension: Int { inner.dimension }
  var fingerprint: String { inner.fingerprint }

  func embed(_ texts: [String]) throws(EmbeddingError) -> [[Float]] {
    if let write = duringNextEmbedding {
      duringNextEmbedding = nil
      try! write()
    }
    return try inner.embed(texts)
  }
}

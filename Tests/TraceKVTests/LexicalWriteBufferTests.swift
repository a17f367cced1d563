import Foundation
import LexicalIndex
import TestSupport
import Testing

@testable import TraceKV

/// The BM25 write buffer in a store (`SearchIndexes.lexicalPendingCapacity`):
/// traces written a few at a time wait in it, are found at once by this and
/// other handles, leave it when deleted, and are merged when it fills.
@Suite struct LexicalWriteBufferTests {
  static func traceID(_ number: Int) -> String { String(format: "%032x", 0xabc000 + number) }

  /// Trace `number`: one chat span whose reply names it (`token<number>`).
  static func request(_ numbers: Range<Int>, word: String = "ferry") -> String {
    OTLP.request(
      numbers.map { number in
        OTLP.chat(
          String(format: "%016x", 0x5000 + number), start: number, messages: [("user", "book a \(word)")],
          reply: "zanzibar \(word) token\(number)"
        ).replacingOccurrences(of: OTLP.trace, with: traceID(number))
      })
  }

  func buffered(_ store: TraceStore) throws -> [UInt32] {
    try store.read { transaction in
      var documents: [UInt32] = []
      try LMDBLexicalStorage(transaction: transaction, tables: store.tables).forEachPendingDocument { id, _ in
        documents.append(id)
      }
      return documents
    }
  }

  func lexicalHits(_ store: TraceStore, _ text: String) throws -> [String] {
    try store.search(SearchQuery(text: text, mode: .lexical, limit: 200)).hits.map(\.traceID)
  }

  @Test func tracesWrittenAloneAreBufferedFoundAndMergedWhenItFills() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("traces.tkv")
    let store = try TraceStore(path: path, options: .init(embedder: .hashing))
    for number in 0..<5 { try OTLP.ingest(Self.request(number..<(number + 1)), into: store) }
    #expect(try buffered(store).count == 5)
    #expect(try store.verify() == [])
    #expect(try lexicalHits(store, "token3") == [Self.traceID(3)])
    // Another handle (as another process would) reads the same buffer.
    let other = try TraceStore(path: path, options: .init(readOnly: true))
    #expect(try lexicalHits(other, "token4") == [Self.traceID(4)])

    // A span arriving later for a buffered trace re-indexes it in the buffer.
    let late = OTLP.chat(
      "00000000000060aa", parent: String(format: "%016x", 0x5004), start: 9, messages: [("user", "and a hotel")],
      reply: "lodge booked"
    ).replacingOccurrences(of: OTLP.trace, with: Self.traceID(4))
    try OTLP.ingest(OTLP.request([late]), into: store)
    #expect(try lexicalHits(store, "lodge") == [Self.traceID(4)])
    #expect(try store.delete(traceIDs: [Self.traceID(2)]).deleted == 1)
    #expect(try buffered(store).count == 4)
    #expect(try lexicalHits(store, "token2").isEmpty)
    #expect(try store.verify() == [])

    // A batch that fills the buffer merges it with the batch.
    let batch = SearchIndexes.lexicalPendingCapacity
    try OTLP.ingest(Self.request(100..<(100 + batch)), into: store)
    #expect(try buffered(store).isEmpty)
    #expect(try store.verify() == [])
    #expect(try lexicalHits(store, "token3") == [Self.traceID(3)])
    #expect(try lexicalHits(store, "lodge") == [Self.traceID(4)])
    #expect(try lexicalHits(store, "zanzibar").count == 4 + batch)
  }

  @Test func repairEmptiesTheBufferAndIndexesItsTraces() throws {
    let directory = try TemporaryDirectory()
    let store = try TraceStore(path: directory.path("traces.tkv"), options: .init(embedder: .hashing))
    for number in 0..<3 { try OTLP.ingest(Self.request(number..<(number + 1)), into: store) }
    #expect(try buffered(store).count == 3)
    try store.repair()
    #expect(try buffered(store).isEmpty)
    #expect(try store.verify() == [])
    #expect(try lexicalHits(store, "token1") == [Self.traceID(1)])
  }

  @Test func verifyReportsABufferedEntryWithoutATrace() throws {
    let directory = try TemporaryDirectory()
    let store = try TraceStore(path: directory.path("traces.tkv"), options: .init(embedder: .hashing))
    try OTLP.ingest(Self.request(0..<1), into: store)
    try store.write { transaction in
      var storage = LMDBLexicalStorage(transaction: transaction, tables: store.tables)
      try storage.putPendingDocument(77, bytes: PendingDocument(length: 1, terms: [(Term("ghost"), 1)]).encoded)
    }
    let problems = try store.verify()
    #expect(problems.contains { $0.message.contains("write buffer holds document 77, which has no lexical record") }, "\(problems)")
  }
}

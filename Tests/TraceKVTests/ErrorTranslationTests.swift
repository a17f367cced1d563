import CLMDB
import Embeddings
import Foundation
import LMDBKit
import LexicalIndex
import RRF
import Testing
import VectorIndex

@testable import TraceKV

/// Every error of the modules below becomes one `TraceKVError` kind, at one
/// boundary, keeping the original as its `cause`.
@Suite struct ErrorTranslationTests {
  @Test(arguments: [
    (VectorIndexError.corruptRecord("short node"), TraceKVError.Kind.corrupted),
    (.dimensionMismatch(expected: 3, actual: 2), .invalidInput),
    (.nonFiniteComponent(index: 1), .invalidInput),
    (.zeroVector, .invalidInput),
    (.duplicateLabel(7), .invalidInput),
    (.unknownLabel(7), .invalidInput),
    (.invalidParameter("m"), .invalidInput),
  ])
  func vectorIndexErrors(_ error: VectorIndexError, _ kind: TraceKVError.Kind) {
    let translated = TraceKVError(translating: error, operation: "test")
    #expect(translated.kind == kind)
    #expect(translated.cause == .vectorIndex(error))
    #expect(translated.operation == "test")
  }

  @Test(arguments: [
    (LexicalIndexError.corruptPostingChunk(term: "a", firstDocument: 1), TraceKVError.Kind.corrupted),
    (.corruptDocumentRecord(document: 1), .corrupted),
    (.corruptStatistics, .corrupted),
    (.documentExists(1), .invalidInput),
    (.invalidParameters("k1"), .invalidInput),
  ])
  func lexicalIndexErrors(_ error: LexicalIndexError, _ kind: TraceKVError.Kind) {
    let translated = TraceKVError(translating: error, operation: "test")
    #expect(translated.kind == kind)
    #expect(translated.cause == .lexicalIndex(error))
  }

  @Test(arguments: [
    (EmbeddingError.modelMissing(directory: "/m", file: "vocab.txt"), TraceKVError.Kind.embedderUnavailable),
    (.modelCorrupt(file: "model.safetensors", reason: "short"), .embedderUnavailable),
    (.unsupportedModel(reason: "gpt"), .embedderUnavailable),
    (.fetchFailed(step: "pip", reason: "offline"), .embedderUnavailable),
    (.unknownEmbedder(name: "x"), .embedderUnavailable),
    (.fingerprintMismatch(name: "m", recorded: "a", available: "b"), .embedderMismatch),
  ])
  func embeddingErrors(_ error: EmbeddingError, _ kind: TraceKVError.Kind) {
    #expect(TraceKVError(translating: error, operation: "test").kind == kind)
    // The embedding path (ingest or query) gives the same kind as the open path.
    #expect(TraceKVError.embedding(error, by: "m", operation: "index").kind == kind)
  }

  @Test func fusionAndOtherErrors() {
    let fusion = FusionError.invalidParameter("k")
    #expect(TraceKVError(translating: fusion, operation: "search").kind == .invalidInput)
    #expect(TraceKVError(translating: fusion, operation: "search").cause == .fusion(fusion))
    struct Custom: Error {}
    #expect(TraceKVError.embedding(Custom(), by: "mine", operation: "index").kind == .embedderUnavailable)
    #expect(TraceKVError(translating: Custom(), operation: "x").kind == .storage)
    let original = TraceKVError(.notFound, "gone", operation: "read", table: "traces")
    #expect(TraceKVError(translating: original, operation: "other") == original)
  }

  /// Index errors raised under the public API arrive translated, not as themselves.
  @Test func searchTranslatesIndexAndFusionErrors() throws {
    let temporary = try TemporaryStore(embedder: .hashing)
    try temporary.store.ingest(
      json: #"{"trace_id": "t", "spans": [{"span_id": "s", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.new_content": "{\"role\": \"user\", \"content\": \"weather in Paris\"}"}}]}"#)
    #expect(try temporary.store.search(SearchQuery(text: "weather", mode: .vector)).hits.count == 1)
    do {
      var query = SearchQuery(text: "weather", mode: .vector)
      query.vector = [1, 2]
      _ = try temporary.store.search(query)
      Issue.record("a two-component query vector was accepted")
    } catch {
      #expect(error.kind == .invalidInput)
      let dimension = temporary.store.embedderIdentity.dimension
      #expect(error.cause == .vectorIndex(.dimensionMismatch(expected: dimension, actual: 2)))
    }
    do {
      _ = try temporary.store.search(SearchQuery(text: "weather", rrfK: -1))
      Issue.record("a negative RRF k was accepted")
    } catch {
      #expect(error.kind == .invalidInput)
      guard case .fusion? = error.cause else {
        Issue.record("cause \(String(describing: error.cause))")
        return
      }
    }
  }

  @Test func lmdbErrorsCarryTheirContext() {
    let error = TraceKVError(LMDBError.lmdb(MDB_CORRUPTED, "mdb_get", table: "traces", path: "/s.tkv"))
    #expect(error.kind == .corrupted)
    #expect(error.lmdbCode == MDB_CORRUPTED)
    #expect(error.operation == "mdb_get" && error.table == "traces" && error.path == "/s.tkv")
  }

  @Test func everyLMDBKindBecomesTheSameTraceKVKind() {
    let pairs: [(LMDBError.Kind, TraceKVError.Kind)] = [
      (.notAStore, .notAStore), (.corrupted, .corrupted), (.storeFull, .storeFull), (.readOnly, .readOnly),
      (.storage, .storage),
    ]
    for (lower, upper) in pairs {
      let error = TraceKVError(LMDBError(lower, "m", code: 5, operation: "op", table: "t", path: "/p"))
      #expect(error.kind == upper)
      #expect(error.message == "m" && error.lmdbCode == 5)
      #expect(error.operation == "op" && error.table == "t" && error.path == "/p")
    }
    // Through the generic boundary too (what `read`/`write` bodies throw).
    #expect(TraceKVError(translating: LMDBError.lmdb(MDB_MAP_FULL, "put"), operation: "ingest").kind == .storeFull)
    #expect(TraceKVError(translating: LMDBError.lmdb(EACCES, "open"), operation: "open").kind == .readOnly)
  }
}

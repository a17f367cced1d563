import ByteCodecs
import Foundation
import TestSupport
import Testing
@testable import TraceKV

/// Damage done on purpose: `verify` names each problem (index tables
/// included), `repair` rebuilds what derives from the traces, and search
/// works again.
@Suite struct ReliabilityCorruptionTests {
  /// The embedder identity is read at open: damaged, it is `corrupted`
  /// (it was a storage error, found by the damaged-page fuzz).
  @Test func damagedEmbedderIdentityIsCorrupted() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("store.tkv")
    do {
      let store = try TraceStore(path: path, options: TraceStore.Options(embedder: .hashing))
      try store.write { try $0.put(store.tables.meta, key: StoreSchema.MetaKey.embedder, value: Array("{\"name\": 1".utf8)) }
    }
    #expect {
      _ = try TraceStore(path: path, options: TraceStore.Options(embedder: .recorded))
    } throws: { error in
      (error as? TraceKVError)?.kind == .corrupted && "\(error)".contains("embedder identity")
    }
  }

  @Test func verifyAcceptsASoundStoreWithBothIndexes() throws {
    let temporary = try TemporaryStore.withSamples()
    #expect(try temporary.store.verify() == [])
    // After merges, feedback and deletes too.
    try temporary.store.ingest(json: #"{"trace_id": "extra", "spans": [{"span_id": "s", "attributes": {"tracebrain.llm.completion": "merged text"}}]}"#)
    try temporary.store.ingest(json: #"{"trace_id": "extra", "spans": [{"span_id": "t", "attributes": {"tracebrain.llm.completion": "more text"}}]}"#)
    let ids = try temporary.store.traceIDs()
    try temporary.store.delete(traceIDs: Array(ids.prefix(3)))
    #expect(try temporary.store.verify() == [])
    let none = try TemporaryStore(embedder: .none)
    for file in try Paths.sampleFiles().prefix(5) { try none.store.ingest(contentsOf: file) }
    #expect(try none.store.verify() == [])
  }

  @Test func verifyNamesIndexDamageAndRepairRebuilds() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    // Merges the BM25 write buffer, which holds the samples (each written alone): the damage below goes to a chunk.
    try store.repair()
    let before = try store.search(SearchQuery(text: "order status", mode: .lexical, limit: 20)).hits.map(\.traceID)
    #expect(!before.isEmpty)
    let victim = "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8"
    let doc = try #require(try store.read { try store.document(of: victim, in: $0) })
    var damagedTerm = ""
    var damagedSlot: UInt32 = 0
    try store.write { transaction in
      // A posting chunk: the first chunk of the first term.
      var chunkKey: [UInt8] = []
      try transaction.scan(store.tables.termPostings) { key, _ in
        chunkKey = key.copiedBytes
        return false
      }
      try #require(chunkKey.count > 5)
      damagedTerm = String(decoding: chunkKey.prefix(chunkKey.count - 5), as: UTF8.self)
      try transaction.put(store.tables.termPostings, key: chunkKey, value: [UInt8]([0xFF, 0xFF, 0xFF]))
      // A link list on layer 0: point it at a slot that holds no node.
      var linkKey: [UInt8] = []
      try transaction.scan(store.tables.hnswLinks) { key, _ in
        linkKey = key.copiedBytes
        return false
      }
      damagedSlot = UInt32(linkKey[0]) << 24 | UInt32(linkKey[1]) << 16 | UInt32(linkKey[2]) << 8 | UInt32(linkKey[3])
      var bytes: [UInt8] = []
      for value in [UInt32(70_000)] { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
      try transaction.put(store.tables.hnswLinks, key: linkKey, value: bytes)
      // A trace record.
      try transaction.put(store.tables.traces, key: Keys.docID(doc), value: [UInt8]([1, 9, 9]))
    }
    let problems = try store.verify()
    #expect(problems.contains { $0.table == "term-postings" && $0.message.contains("'\(damagedTerm)'") && $0.message.contains("does not decode") }, "\(problems)")
    #expect(problems.contains { $0.table == "hnsw-links" && $0.message.contains("link list \(damagedSlot)/0") && $0.message.contains("70000") }, "\(problems)")
    #expect(problems.contains { $0.table == "traces" && $0.message.contains("document \(doc)") && $0.message.contains("damaged") }, "\(problems)")

    let report = try store.repair()
    #expect(report.salvaged == [victim])
    #expect(report.tracesIndexed == 20)
    #expect(try store.verify() == [])
    #expect(try store.statistics().totalTraces == 20)
    // The salvaged trace kept its spans; search works and finds what it found.
    #expect(try store.trace(id: victim)?.spans.isEmpty == false)
    let after = try store.search(SearchQuery(text: "order status", mode: .lexical, limit: 20)).hits.map(\.traceID)
    #expect(Set(after).subtracting([victim]) == Set(before).subtracting([victim]))
    #expect(try !store.search(SearchQuery(text: "order status", mode: .hybrid, limit: 5)).hits.isEmpty)
    #expect(try !store.search(SearchQuery(text: "order status", mode: .vector, limit: 5)).hits.isEmpty)
    // A second store instance in another process sees a sound store too.
    let tracekv = Paths.product("tracekv")
    if FileManager.default.fileExists(atPath: tracekv.path) {
      let result = try run(tracekv, ["--store", temporary.path, "verify"])
      #expect(result.status == 0, "\(result.output)")
    }
  }

  @Test func verifyNamesStrayIndexEntries() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    try store.write { transaction in
      try transaction.put(store.tables.lexicalDocuments, key: Keys.docID(9_999), value: [UInt8]([3, 0]))
      try transaction.put(store.tables.termPostings, key: Array("zzzz".utf8) + [0] + Keys.docID(9_999), value: [UInt8]([1, 0x8F, 0x4E, 0, 1, 3]))
    }
    let problems = try store.verify()
    #expect(problems.contains { $0.table == "lexical-docs" && $0.message.contains("9999") && $0.message.contains("no trace") }, "\(problems)")
    #expect(problems.contains { $0.table == "term-postings" && $0.message.contains("'zzzz'") }, "\(problems)")
    #expect(problems.contains { $0.table == "meta" && $0.message.contains("lexical statistics") }, "\(problems)")
    // A trace missing from both indexes.
    let doc = try #require(try store.read { try store.document(of: "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8", in: $0) })
    try store.write { transaction in
      try transaction.delete(store.tables.lexicalDocuments, key: Keys.docID(doc))
      var slot: [UInt8]?
      try transaction.scan(store.tables.hnswNodes) { key, value in
        if LittleEndian.read(UInt32.self, from: value) == doc { slot = key.copiedBytes }
        return slot == nil
      }
      try transaction.delete(store.tables.hnswNodes, key: try #require(slot))
    }
    let more = try store.verify()
    #expect(more.contains { $0.table == "lexical-docs" && $0.message.contains("missing from the lexical index") }, "\(more)")
    #expect(more.contains { $0.table == "hnsw-nodes" && $0.message.contains("missing from the vector index") }, "\(more)")
    try store.repair()
    #expect(try store.verify() == [])
  }

  @Test func repairCommandRebuilds() throws {
    let temporary = try TemporaryStore.withSamples()
    let tracekv = Paths.product("tracekv")
    try #require(FileManager.default.fileExists(atPath: tracekv.path), "build the tracekv product first")
    try temporary.store.repair()  // merges the BM25 write buffer: the damage below goes to a chunk
    try temporary.store.write { transaction in
      var key: [UInt8] = []
      try transaction.scan(temporary.store.tables.termPostings) { found, _ in
        key = found.copiedBytes
        return false
      }
      try #require(!key.isEmpty)
      try transaction.put(temporary.store.tables.termPostings, key: key, value: [UInt8]([0]))
    }
    let broken = try run(tracekv, ["--store", temporary.path, "verify"])
    #expect(broken.status == 1 && broken.output.contains("term-postings"))
    let repaired = try run(tracekv, ["--store", temporary.path, "reindex", "--json"])
    #expect(repaired.status == 0, "\(repaired.output) \(repaired.error)")
    #expect(try temporary.store.verify() == [])
  }
}

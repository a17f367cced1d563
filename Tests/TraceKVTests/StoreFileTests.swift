import CLMDB
import Foundation
import LMDBKit
import TestSupport
import Testing
@testable import TraceKV

/// The store file: refusing strangers untouched, LMDB error mapping, map
/// growth, read-only use and a second process.
@Suite struct StoreFileTests {
  private func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

  private func expectRefused(_ path: String, _ kind: TraceKVError.Kind) throws {
    let before = try bytes(path)
    do {
      _ = try TraceStore(path: path)
      Issue.record("opened \(path)")
    } catch {
      #expect(error.kind == kind, "\(error)")
      #expect(error.message.contains("untouched") || kind == .corrupted, "\(error.message)")
    }
    #expect(try bytes(path) == before)
  }

  @Test func refusesAFileThatIsNotLMDB() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("notes.tkv")
    try Data("these are my notes, not a database\n".utf8).write(to: URL(fileURLWithPath: path))
    try expectRefused(path, .notAStore)
    #expect(!FileManager.default.fileExists(atPath: path + "-lock"))
    let empty = directory.path("empty.tkv")
    #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
    try expectRefused(empty, .notAStore)
  }

  @Test func refusesAnLMDBFileThatIsNotTraceKV() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("other.mdb")
    do {
      let environment = try LMDBEnvironment(path: path, readOnly: false)
      try environment.write { transaction in
        try transaction.put(LMDBDatabase(name: "main", handle: 1), key: Array("hello".utf8), value: Array("world".utf8))
      }
    }
    try expectRefused(path, .notAStore)
  }

  @Test func refusesAnUnknownFormatVersion() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("future.tkv")
    do {
      let store = try TraceStore(path: path)
      try store.write { transaction in
        var version = ByteWriter()
        version.bigEndian(UInt32(99))
        try transaction.put(store.tables.meta, key: StoreSchema.MetaKey.formatVersion, value: version.bytes)
      }
    }
    try expectRefused(path, .unsupportedVersion)
  }

  @Test("LMDB codes map to kinds", arguments: [
    (MDB_INVALID, TraceKVError.Kind.notAStore), (MDB_VERSION_MISMATCH, .notAStore), (MDB_INCOMPATIBLE, .notAStore),
    (MDB_CORRUPTED, .corrupted), (MDB_PANIC, .corrupted), (MDB_PAGE_NOTFOUND, .corrupted),
    (MDB_MAP_FULL, .storeFull), (ENOSPC, .storeFull), (EACCES, .readOnly), (EROFS, .readOnly),
    (MDB_READERS_FULL, .storage), (EIO, .storage),
  ])
  func lmdbCodeMapping(_ code: Int32, _ kind: TraceKVError.Kind) {
    let error = TraceKVError(LMDBError.lmdb(code, "put", table: "spans", path: "/tmp/x.tkv"))
    #expect(error.kind == kind)
    #expect(error.lmdbCode == code)
    #expect(!error.message.isEmpty)
  }

  @Test func lmdbErrorsCarryTheirContext() throws {
    let temporary = try TemporaryStore()
    let error = TraceKVError(LMDBError.lmdb(MDB_READERS_FULL, "begin read", table: "traces"))
    #expect(error.message.contains("begin read") && error.message.contains("traces") && error.message.contains("-30790"))
    // A real one: a key longer than LMDB's limit.
    do {
      try temporary.store.write { transaction in
        try transaction.put(temporary.store.tables.meta, key: [UInt8](repeating: 65, count: 600), value: [UInt8]())
      }
      Issue.record("LMDB accepted a 600-byte key")
    } catch {
      #expect(error.kind == .storage && error.lmdbCode == MDB_BAD_VALSIZE)
      #expect(error.message.contains("meta"))
    }
  }

  @Test func mapGrowsFromATinyMap() throws {
    let temporary = try TemporaryStore(initialMapSize: 256 << 10, embedder: .none)
    let before = temporary.store.environment.mapSize
    let filler = String(repeating: "x", count: 2000)
    var lines: [String] = []
    for index in 0..<3000 {
      lines.append(#"{"trace_id": "t\#(index)", "spans": [{"span_id": "s", "attributes": {"tracebrain.llm.completion": "\#(filler)"}}]}"#)
    }
    let file = temporary.directory.url.appendingPathComponent("big.jsonl")
    try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    let report = try temporary.store.ingest(contentsOf: file)
    #expect(report.added == 3000 && report.rejected.isEmpty)
    #expect(temporary.store.environment.mapSize > before)
    #expect(try temporary.store.statistics().totalTraces == 3000)
    #expect(try temporary.store.trace(id: "t2999")?.spans.first?.completion == filler)
    #expect(try temporary.store.verify().isEmpty)
  }

  @Test func readOnlyStoreServesReadsAndRefusesWrites() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("ro.tkv")
    do {
      let store = try TraceStore(path: path)
      try store.ingest(json: #"{"trace_id": "t", "spans": []}"#)
    }
    let store = try TraceStore(path: path, options: .init(readOnly: true))
    #expect(store.isReadOnly)
    #expect(try store.contains(traceID: "t"))
    do {
      try store.ingest(json: #"{"trace_id": "u", "spans": []}"#)
      Issue.record("a read-only store accepted a write")
    } catch {
      #expect(error.kind == .readOnly)
    }
    #expect(throws: TraceKVError.self) { _ = try TraceStore(path: directory.path("absent.tkv"), options: .init(readOnly: true)) }
  }

  @Test func aSecondProcessReadsWhileThisOneWrites() throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(json: #"{"trace_id": "first", "spans": []}"#)
    let tracekv = Paths.product("tracekv")
    try #require(FileManager.default.fileExists(atPath: tracekv.path), "build the tracekv product first")
    func countSeenByAnotherProcess() throws -> Int? {
      let result = try run(tracekv, ["--store", temporary.path, "stats", "--json"])
      guard result.status == 0 else { return nil }
      return try json(result.output).objectValue?["total_traces"]?.intValue
    }
    // While this process holds the write lock with an uncommitted trace, the
    // other process reads without waiting and sees the last commit only.
    let seenDuringWrite = try temporary.store.write { transaction -> Int? in
      try transaction.put(temporary.store.tables.meta, key: Array("scratch".utf8), value: [UInt8(1)])
      return try countSeenByAnotherProcess()
    }
    #expect(seenDuringWrite == 1)
    try temporary.store.ingest(json: #"{"trace_id": "second", "spans": []}"#)
    #expect(try countSeenByAnotherProcess() == 2)
  }

  @Test func sameFileOpenedTwiceSharesOneEnvironment() throws {
    let temporary = try TemporaryStore()
    let again = try TraceStore(path: temporary.path)
    #expect(again.environment === temporary.store.environment)
    try temporary.store.ingest(json: #"{"trace_id": "t", "spans": []}"#)
    #expect(try again.contains(traceID: "t"))
  }

  @Test func newStoreFileIsPrivate() throws {
    let temporary = try TemporaryStore()
    let attributes = try FileManager.default.attributesOfItem(atPath: temporary.path)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
  }

  @Test func backupIsACompactedSoundCopy() throws {
    let temporary = try TemporaryStore.withSamples()
    let destination = temporary.directory.path("backup.tkv")
    try temporary.store.backup(to: destination)
    let copy = try TraceStore(path: destination)
    #expect(try copy.statistics() == (try temporary.store.statistics()))
    #expect(try copy.verify().isEmpty)
    #expect(throws: TraceKVError.self) { try temporary.store.backup(to: destination) }
  }

  @Test func verifyNamesDamage() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let doc = try #require(try store.read { try store.document(of: "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8", in: $0) })
    try store.write { transaction in
      try transaction.delete(store.tables.byTime, key: try #require(try store.record(doc, in: transaction)).eventTimeKey(doc))
      try transaction.put(store.tables.spans, key: Keys.span(9999, 0), value: [UInt8]([1, 2, 3]))
      try transaction.put(store.tables.traces, key: Keys.docID(doc + 1), value: [UInt8]([7]))
    }
    let problems = try store.verify()
    #expect(problems.contains { $0.table == "by-time" && $0.message.contains("a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8") })
    #expect(problems.contains { $0.table == "spans" && $0.message.contains("9999") })
    #expect(problems.contains { $0.table == "traces" && $0.message.contains("damaged") })
  }
}

extension TraceRecord {
  func eventTimeKey(_ doc: UInt32) -> [UInt8] { Keys.byTime(eventTime, doc) }
}

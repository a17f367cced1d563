import Foundation
import LMDBKit
import TestSupport
import Testing
@testable import TraceKV

/// A writer killed between writing the meta page and the lock file's
/// transaction id leaves readers one commit behind (issue #17). The state is
/// made here by setting the lock file's id back by one, as such a kill does;
/// a writable open repairs it, a read-only one reads the older commit.
@Suite struct StaleLockTests {
  /// The lock file's transaction id, read and written by a child process:
  /// closing a descriptor of the lock file here would drop this process's
  /// LMDB locks on it (POSIX semantics) and let the next opener reset it.
  private func lockTransactionID(_ path: String, set value: UInt64? = nil) throws -> UInt64 {
    let script = """
      import struct, sys
      with open(sys.argv[1], 'r+b') as f:
          f.seek(int(sys.argv[2]))
          if len(sys.argv) > 3:
              f.write(struct.pack('<Q', int(sys.argv[3])))
              f.seek(int(sys.argv[2]))
          print(struct.unpack('<Q', f.read(8))[0])
      """
    let result = try run(
      URL(fileURLWithPath: "/usr/bin/python3"),
      ["-c", script, path + "-lock", String(LMDBLockFile.transactionIDOffset)] + (value.map { [String($0)] } ?? []))
    return try #require(UInt64(result.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(result.error)")
  }

  private func setLockTransactionID(_ path: String, _ value: UInt64) throws {
    #expect(try lockTransactionID(path, set: value) == value)
  }

  @Test func aStaleLockIsRepairedByTheNextReader() throws {
    let tracekv = Paths.product("tracekv")
    try #require(FileManager.default.fileExists(atPath: tracekv.path), "build the tracekv product first")
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    try store.ingest(json: #"{"trace_id": "last", "spans": [{"span_id": "s"}]}"#)
    let newest = store.environment.newestCommit
    // The layout check: the field holds the id of the newest commit.
    #expect(try lockTransactionID(temporary.path) == newest)
    try setLockTransactionID(temporary.path, newest - 1)

    // Another process reading without write access sees the commit before.
    let before = try run(tracekv, ["--store", temporary.path, "--read-only", "show", "last", "--json"])
    #expect(before.status != 0 && before.error.contains("no trace"), "\(before.output) \(before.error)")
    // A reader that may write repairs the lock and reads the newest commit.
    #expect(try store.trace(id: "last") != nil)
    #expect(try store.statistics().totalTraces == 21)
    #expect(try lockTransactionID(temporary.path) == newest)
    let after = try run(tracekv, ["--store", temporary.path, "--read-only", "show", "last", "--json"])
    #expect(after.status == 0, "\(after.error)")
    // Writes go on from the newest commit: nothing was overwritten.
    try store.ingest(json: #"{"trace_id": "later", "spans": []}"#)
    #expect(try store.statistics().totalTraces == 22)
    #expect(try store.verify() == [])
  }

  @Test func anotherProcessOpeningTheStoreRepairsIt() throws {
    let tracekv = Paths.product("tracekv")
    try #require(FileManager.default.fileExists(atPath: tracekv.path), "build the tracekv product first")
    let temporary = try TemporaryStore.withSamples()
    try temporary.store.ingest(json: #"{"trace_id": "last", "spans": []}"#)
    let newest = temporary.store.environment.newestCommit
    try setLockTransactionID(temporary.path, newest - 1)
    // A CLI process that opens the store writable (any command without --read-only) repairs it on open.
    let opened = try run(tracekv, ["--store", temporary.path, "show", "last", "--json"])
    #expect(opened.status == 0, "\(opened.error)")
    #expect(try lockTransactionID(temporary.path) == newest)
  }
}

import Foundation
import LMDBKit
import TestSupport
import Testing
@testable import TraceKV

/// What the store file tests (StoreFileTests) leave out: a full disk, a
/// file without write permission, and the CLI's --read-only.
@Suite struct ReliabilityStoreFileTests {
  /// A child process whose files may not grow past a limit (RLIMIT_FSIZE,
  /// with SIGXFSZ ignored so that the write fails with EFBIG, as on a full
  /// disk) ingests more than fits: it reports storeFull and the store keeps
  /// everything committed before.
  @Test func fullDiskIsReportedAndLosesNothing() throws {
    let tracekv = Paths.product("tracekv")
    try #require(FileManager.default.fileExists(atPath: tracekv.path), "build the tracekv product first")
    let temporary = try TemporaryStore.withSamples()
    let before = try temporary.store.statistics()
    let size = try temporary.store.fileSize()
    var lines = ""
    let filler = String(repeating: "lorem ipsum ", count: 2_000)
    for index in 0..<400 {
      lines += #"{"trace_id": "big-\#(index)", "spans": [{"span_id": "s", "attributes": {"tracebrain.llm.completion": "\#(filler) \#(index)"}}]}"# + "\n"
    }
    let input = temporary.directory.path("big.jsonl")
    try lines.write(toFile: input, atomically: true, encoding: .utf8)
    // dash's ulimit -f counts 512-byte blocks: room for about 256 KiB more.
    let blocks = size / 512 + 512
    let script = "trap '' XFSZ; ulimit -f \(blocks); exec \"$0\" --store \"$1\" ingest --batch-size 50 \"$2\""
    let result = try run(URL(fileURLWithPath: "/bin/sh"), ["-c", script, tracekv.path, temporary.path, input])
    #expect(result.status == 1, "\(result.output) \(result.error)")
    #expect(result.error.contains("no space left") || result.error.contains("size limit"), "\(result.error)")
    // Nothing committed was lost; the store is sound and takes writes again.
    #expect(try temporary.store.verify() == [])
    let after = try temporary.store.statistics()
    #expect(after.totalTraces >= before.totalTraces && after.totalTraces < before.totalTraces + 400)
    #expect(after.totalTraces % 50 == before.totalTraces % 50, "a batch was half-written")
    for id in try temporary.store.traceIDs() where id.hasPrefix("big-") {
      #expect(try temporary.store.trace(id: id)?.spans.count == 1)
    }
    try temporary.store.ingest(json: #"{"trace_id": "after", "spans": []}"#)
    #expect(try temporary.store.contains(traceID: "after"))
  }

  @Test func fileSizeLimitMapsToStoreFull() {
    let error = TraceKVError(LMDBError.lmdb(EFBIG, "commit", path: "/tmp/x.tkv"))
    #expect(error.kind == .storeFull && error.message.contains("size limit"))
  }

  /// A store file its reader may not write opens read-only by itself. As
  /// root (who may write anything) the reading process runs as `nobody`
  /// through setpriv, owning the lock file but not allowed to write the store.
  @Test func fileWithoutWritePermissionOpensReadOnlyAndServesReads() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("ro.tkv")
    do {
      let store = try TraceStore(path: path, options: .init(embedder: .hashing))
      try store.ingest(json: #"{"trace_id": "t", "spans": [{"span_id": "s", "attributes": {"tracebrain.llm.completion": "kept"}}]}"#)
    }
    try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
    var prefix: [String] = []
    if getuid() == 0 {
      guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
      for file in [path, path + "-lock"] { chown(file, 65534, 65534) }
      chmod(directory.url.path, 0o755)
      prefix = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    }
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    let tracekv = Paths.product("tracekv")
    try #require(FileManager.default.fileExists(atPath: tracekv.path), "build the tracekv product first")
    func tracekvRun(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
      prefix.isEmpty ? try run(tracekv, arguments) : try run(URL(fileURLWithPath: prefix[0]), Array(prefix.dropFirst()) + [tracekv.path] + arguments)
    }
    let shown = try tracekvRun(["--store", path, "search", "kept", "--json"])
    #expect(shown.status == 0 && shown.output.contains("\"t\""), "\(shown.output) \(shown.error)")
    let verified = try tracekvRun(["--store", path, "verify"])
    #expect(verified.status == 0, "\(verified.output) \(verified.error)")
    let refused = try tracekvRun(["--store", path, "feedback", "t", "--rating", "5"])
    #expect(refused.status == 1 && refused.error.contains("read-only"), "\(refused.error)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
  }

  @Test func readOnlyFlagServesReadsAndRefusesWrites() throws {
    let temporary = try TemporaryStore.withSamples()
    let tracekv = Paths.product("tracekv")
    try #require(FileManager.default.fileExists(atPath: tracekv.path), "build the tracekv product first")
    let before = try Data(contentsOf: URL(fileURLWithPath: temporary.path))
    let listed = try run(tracekv, ["--store", temporary.path, "--read-only", "list", "--json"])
    #expect(listed.status == 0, "\(listed.error)")
    let searched = try run(tracekv, ["--read-only", "--store", temporary.path, "experiences", "order status"])
    #expect(searched.status == 0, "\(searched.error)")
    let refused = try run(tracekv, ["--store", temporary.path, "--read-only", "delete", "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8"])
    #expect(refused.status == 1 && refused.error.contains("read-only"), "\(refused.error)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: temporary.path)) == before)
  }
}

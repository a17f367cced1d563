import Foundation
import TestSupport
import Testing
@_spi(Benchmarks) @testable import TraceKV

/// Damaged store files: each command ends with a typed error or a correct
/// answer, never a signal, and a reader leaves the file as it found it. The
/// commands run in child processes of the CLI so that a SIGBUS or SIGSEGV is
/// a failed expectation, not a crashed test run.
@Suite struct DamagedStoreTests {
  /// Runs the CLI; `signal` is set when it died of one.
  static func tracekv(_ arguments: [String]) throws -> ChildOutcome {
    try runChild(Paths.product("tracekv"), arguments)
  }

  /// A small store of the samples and its bytes, closed (the copies are opened by children).
  static func sampleStore() throws -> (directory: TemporaryDirectory, bytes: Data, pageSize: Int) {
    let temporary = try TemporaryStore.withSamples()
    let bytes = try Data(contentsOf: URL(fileURLWithPath: temporary.path))
    return (temporary.directory, bytes, temporary.store.environment.pageSize)
  }

  /// A copy of the store's bytes after `damage`, at a fresh path without a lock file.
  static func damagedCopy(_ bytes: Data, in directory: TemporaryDirectory, name: String, _ damage: (inout Data) -> Void) throws -> String {
    var copy = bytes
    damage(&copy)
    let path = directory.path(name)
    try? FileManager.default.removeItem(atPath: path + "-lock")
    try copy.write(to: URL(fileURLWithPath: path))
    return path
  }

  /// Opening in this process is safe: the check runs before LMDB maps the file.
  static func expectRefusedAtOpen(_ path: String, kept: Int, missing: Int) {
    let expectedKind: TraceKVError.Kind = kept == 0 ? .notAStore : .corrupted
    do {
      _ = try TraceStore(path: path, options: .init(readOnly: true))
      Issue.record("a store cut to \(kept) pages opened")
    } catch {  // TraceStore.init throws TraceKVError only
      #expect(error.kind == expectedKind, "\(kept): \(error.message)")
      let names = error.message.contains("truncated") && error.message.contains("\(missing) missing")
      #expect(kept < 2 || names, "\(error.message)")
    }
  }

  /// Truncation at every page boundary: the open refuses it (`corrupted`,
  /// naming the missing bytes; `notAStore` for an empty file), `verify`
  /// reports it as a problem, and no command dies of SIGBUS.
  @Test func truncationAtEveryPageBoundary() throws {
    try #require(FileManager.default.fileExists(atPath: Paths.product("tracekv").path), "build the tracekv product first")
    let (directory, bytes, pageSize) = try Self.sampleStore()
    let pages = bytes.count / pageSize
    #expect(pages > 10 && bytes.count % pageSize == 0)
    for kept in 0..<pages {
      let path = try Self.damagedCopy(bytes, in: directory, name: "cut-\(kept).tkv") { $0 = $0.prefix(kept * pageSize) }
      let before = try Data(contentsOf: URL(fileURLWithPath: path))
      Self.expectRefusedAtOpen(path, kept: kept, missing: (pages - kept) * pageSize)
      let verify = try Self.tracekv(["--store", path, "verify", "--json"])
      #expect(verify.signal == nil && verify.status == 1, "\(kept) pages: \(verify.error)")
      if kept > 0 {
        let report = try JSONParser.parse(verify.output)
        #expect(report.objectValue?["ok"] == .bool(false))
        #expect(report.objectValue?["problems"]?.arrayValue?.first?.objectValue?["table"] == .string("file"))
      }
      for command in [["search", "order status"], ["backup", directory.path("b-\(kept).tkv")], ["list"]] {
        let outcome = try Self.tracekv(["--store", path] + command)
        #expect(outcome.signal == nil && outcome.status == 1, "\(kept) pages, \(command[0]): \(outcome.error)")
      }
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "a reader changed the file")
      #expect(!FileManager.default.fileExists(atPath: directory.path("b-\(kept).tkv")))
    }
  }

  /// Flipped bits anywhere past the meta pages, cuts, zeroed pages and
  /// damaged meta pages: `verify` names the damage and never dies; every
  /// command answers or gives a typed error; no reader changes the file.
  @Test func flippedBytesAndDamagedMetaPages() throws {
    try #require(FileManager.default.fileExists(atPath: Paths.product("tracekv").path), "build the tracekv product first")
    let (directory, bytes, pageSize) = try Self.sampleStore()
    var cases: [(String, (inout Data) -> Void)] = [
      ("zeroed meta page 0", { $0.replaceSubrange(0..<pageSize, with: Data(count: pageSize)) }),
      ("zeroed meta page 1", { $0.replaceSubrange(pageSize..<(2 * pageSize), with: Data(count: pageSize)) }),
      ("huge last page in meta 0", { data in for offset in 136..<144 { data[offset] = 0xFF } }),
      ("huge page size in meta 0", { data in data[42] = 0x7F }),
    ]
    var inputs = HostileSearchInputs(random: SeededGenerator(seed: 17))
    for _ in 0..<60 {
      let (name, damaged) = inputs.damage(bytes, pageSize: pageSize)
      cases.append((name, { $0 = damaged }))
    }
    for (number, (name, damage)) in cases.enumerated() {
      let path = try Self.damagedCopy(bytes, in: directory, name: "flip-\(number).tkv", damage)
      let before = try Data(contentsOf: URL(fileURLWithPath: path))
      // verify reads every page itself before LMDB does: it never dies, and names page damage.
      let verify = try Self.tracekv(["--store", path, "--read-only", "verify", "--json"])
      #expect(verify.signal == nil && (verify.status == 0 || verify.status == 1), "\(name), verify: \(verify.status) \(verify.error.suffix(300))")
      // Every command ends with an answer or a typed error, damaged pages included (the fault guard).
      for command in [["search", "order status", "--explain"], ["list", "--json"], ["stats"]] {
        let outcome = try Self.tracekv(["--store", path, "--read-only"] + command)
        #expect(outcome.signal == nil, "\(name), \(command[0]): signal \(outcome.signal ?? 0) \(outcome.error.suffix(300))")
        #expect(outcome.status == 0 || outcome.status == 1, "\(name), \(command[0]): \(outcome.status)")
      }
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "\(name): a reader changed the file")
    }
  }
}

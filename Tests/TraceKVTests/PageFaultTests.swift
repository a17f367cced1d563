import Foundation
import TestSupport
import Testing
import LMDBKit
@_spi(Benchmarks) @testable import TraceKV

/// Damaged pages that made LMDB end the process (found by `tracekv-bench
/// fuzz`), each made on purpose at the exact place: the read now ends with a
/// typed `corrupted` error, in this process, and the file is left as it was.
/// Without the fault guard each of these tests ends the test run with a signal.
@Suite struct PageFaultTests {
  /// The sample store's bytes and page map (the store itself is closed and removed).
  /// The samples' store as a compacting backup writes it: every table's
  /// pages in tree order, so the layout does not depend on the history of
  /// writes, and the last table's branch page lies near the end of the file
  /// (where a node offset can point past it).
  static let sample: (bytes: Data, pages: StorePages) = {
    let temporary = try! TemporaryStore.withSamples()
    let compacted = temporary.directory.path("compacted.tkv")
    try! temporary.store.backup(to: compacted)
    let bytes = try! Data(contentsOf: URL(fileURLWithPath: compacted))
    return (bytes, StorePages(bytes))
  }()

  /// A damaged copy of the sample store, written to a fresh folder.
  struct DamagedCopy {
    let directory: TemporaryDirectory
    let path: String
    let bytes: Data

    init(_ damage: (inout Data, StorePages) -> Void) throws {
      var bytes = PageFaultTests.sample.bytes
      damage(&bytes, PageFaultTests.sample.pages)
      directory = try TemporaryDirectory()
      path = directory.path("damaged.tkv")
      try bytes.write(to: URL(fileURLWithPath: path))
      self.bytes = bytes
    }

    /// Every node offset of `page` pointed at 0xFFF0, past the page (and,
    /// for a page near the end, past the file), so that whichever node LMDB
    /// visits first is a bad one.
    static func nodesPointingPast(_ page: StorePages.Page) throws -> DamagedCopy {
      try DamagedCopy { bytes, pages in
        let base = page.number * pages.pageSize
        for index in 0..<page.nodes {
          bytes[base + 16 + 2 * index] = 0xF0
          bytes[base + 17 + 2 * index] = 0xFF
        }
      }
    }

    var isUnchanged: Bool { (try? Data(contentsOf: URL(fileURLWithPath: path))) == bytes }
  }

  /// Every read a command makes of the store: searches, listings, statistics,
  /// and every trace's messages and span tree. Returns the errors, by operation.
  /// `quick`: one search, the listing and the first three traces.
  static func readEverything(_ path: String, readOnly: Bool = true, quick: Bool = false) -> [(String, TraceKVError)] {
    var errors: [(String, TraceKVError)] = []
    func attempt(_ name: String, _ body: () throws -> Void) {
      do {
        try body()
      } catch let error as TraceKVError {
        errors.append((name, error))
      } catch {
        errors.append((name, TraceKVError(.storage, "not a TraceKVError: \(error)")))
      }
    }
    let store: TraceStore
    do {
      store = try TraceStore(path: path, options: .init(readOnly: readOnly, embedder: .hashing))
    } catch {
      return [("open", error)]
    }
    attempt("search") { _ = try store.search(SearchQuery(text: "order status refund", limit: 10, explain: true)) }
    if !quick {
      attempt("lexical search") { _ = try store.search(SearchQuery(text: "weather tool error", mode: .lexical, limit: 20)) }
      attempt("vector search") { _ = try store.search(SearchQuery(text: "weather tool error", mode: .vector, limit: 20)) }
      attempt("statistics") { _ = try store.statistics() }
    }
    var ids: [String] = []
    attempt("list") { ids = try store.traceIDs() }
    for id in ids.prefix(quick ? 3 : ids.count) {
      attempt("messages") { _ = try store.messages(traceID: id) }
      attempt("span tree") { _ = try store.spanTree(traceID: id) }
    }
    return errors
  }

  /// Every error is `corrupted`, at least one read met the damage, and the file is unchanged.
  static func expectCorrupted(_ copy: DamagedCopy, _ errors: [(String, TraceKVError)], _ what: String) {
    #expect(!errors.isEmpty, "\(what): every read succeeded")
    for (operation, error) in errors {
      #expect(error.kind == .corrupted, "\(what), \(operation): \(error.kind): \(error.message)")
    }
    #expect(copy.isUnchanged, "\(what): a reader changed the file")
  }

  /// A tree page near the end of the file (within 64 KiB of it), so that a
  /// node offset of 0xFFF0 lies past the file, in the map's unbacked tail.
  static func pageNearTheEnd(_ kind: StorePages.Kind, _ pages: StorePages) -> StorePages.Page? {
    let lastPage = PageFaultTests.sample.bytes.count / pages.pageSize - 1
    return pages.pages(kind).filter { $0.nodes > 0 && lastPage - $0.number < 65_536 / pages.pageSize - 1 }.last
  }

  /// SIGBUS inside LMDB: a node offset past the end of the file (LMDB reads the node there).
  @Test(arguments: [StorePages.Kind.leaf, .branch])
  func nodeOffsetPastTheFile(kind: StorePages.Kind) throws {
    let page = try #require(Self.pageNearTheEnd(kind, Self.sample.pages), "no \(kind) page near the end of the sample store")
    let copy = try DamagedCopy.nodesPointingPast(page)
    let errors = Self.readEverything(copy.path)
    Self.expectCorrupted(copy, errors, "\(kind) page \(page.number) (\(page.table))")
    #expect(errors.contains { $0.1.message.contains("SIGBUS") }, "\(errors.map(\.1.message).prefix(3))")
  }

  /// LMDB's assertion (SIGABRT): a branch page holding one child (LMDB
  /// asserts more than one in every branch it descends, the root included).
  /// One below the root when a table has one, else the root of `traces`,
  /// which every listing reads.
  @Test func branchPageWithOneChild() throws {
    let root = Self.sample.pages.pages(.branch).first { branch in
      Self.sample.pages.pages(.branch, in: branch.table).count > 1
    }
    let page = try #require(Self.sample.pages.pages(.branch).first { $0.table == root?.table && $0.number != root?.number }
      ?? Self.sample.pages.pages(.branch, in: "traces").first)
    let copy = try DamagedCopy { bytes, pages in
      bytes[page.number * pages.pageSize + 12] = 18  // mp_lower: one node pointer
      bytes[page.number * pages.pageSize + 13] = 0
    }
    let errors = Self.readEverything(copy.path)
    Self.expectCorrupted(copy, errors, "branch page \(page.number) (\(page.table)) with one child")
    #expect(errors.contains { $0.1.message.contains("LMDB found a malformed page") }, "\(errors.map(\.1.message).prefix(3))")
  }

  /// SIGSEGV at a null pointer: leaf nodes flagged F_DUPDATA (duplicates) in
  /// tables without duplicates, whose duplicates cursor LMDB then follows.
  @Test func nodesFlaggedAsDuplicates() throws {
    let leaves = Self.sample.pages.pages(.leaf).filter { ["trace-ids", "by-time", "traces"].contains($0.table) }
    let copy = try DamagedCopy { bytes, pages in
      for page in leaves {
        for index in 0..<page.nodes { bytes[pages.nodeOffset(page: page.number, node: index) + 4] |= 0x04 }
      }
    }
    let errors = Self.readEverything(copy.path)
    Self.expectCorrupted(copy, errors, "leaves of trace-ids, by-time and traces flagged F_DUPDATA")
    #expect(errors.contains { $0.1.message.contains("null pointer") }, "\(errors.map(\.1.message).prefix(3))")
  }

  /// Bytes LMDB lends past the end of the file: a leaf value whose size was
  /// scrambled (Swift code reading it would fault; the guard refuses to lend it).
  @Test func valueSizePastTheFile() throws {
    let page = try #require(Self.sample.pages.pages(.leaf, in: "traces").last)
    let copy = try DamagedCopy { bytes, pages in
      for index in 0..<page.nodes {
        let node = pages.nodeOffset(page: page.number, node: index)
        bytes[node + 2] = 0xFF  // mn_hi: the value's size gains 0xFF << 16 bytes
      }
    }
    let errors = Self.readEverything(copy.path)
    Self.expectCorrupted(copy, errors, "leaf page \(page.number) of traces, value sizes")
    #expect(errors.contains { $0.1.message.contains("LMDB lent bytes outside the file") }, "\(errors.map(\.1.message).prefix(3))")
  }

  /// A cycle: a branch page whose first child is itself. LMDB's descent stops
  /// at its cursor depth (MDB_CURSOR_FULL), which is damage too, not a hang.
  @Test func branchPagePointingToItself() throws {
    let page = try #require(Self.sample.pages.pages(.branch, in: "traces").first)
    let copy = try DamagedCopy { bytes, pages in
      for index in 0..<page.nodes {
        let node = pages.nodeOffset(page: page.number, node: index)
        bytes[node] = UInt8(page.number & 0xFF)
        bytes[node + 1] = UInt8(page.number >> 8 & 0xFF)
        for offset in 2..<6 { bytes[node + offset] = 0 }
      }
    }
    let errors = Self.readEverything(copy.path)
    Self.expectCorrupted(copy, errors, "branch page \(page.number) (\(page.table)) pointing to itself")
    #expect(errors.contains { $0.1.message.contains("cursor stack limit") }, "\(errors.map(\.1.message).prefix(3))")
  }

  /// Each tree page zeroed in turn (a lost write, a hole punched in the
  /// file): every read answers or says `corrupted`, the file unchanged.
  @Test func everyTreePageZeroed() throws {
    let pages = Self.sample.pages
    var met = 0
    for page in pages.pages(.branch) + pages.pages(.leaf) + pages.pages(.overflow) {
      let copy = try DamagedCopy { bytes, pages in
        bytes.replaceSubrange((page.number * pages.pageSize)..<((page.number + 1) * pages.pageSize), with: Data(count: pages.pageSize))
      }
      let errors = Self.readEverything(copy.path)
      for (operation, error) in errors {
        #expect(error.kind == .corrupted, "page \(page.number) (\(page.table)), \(operation): \(error.kind): \(error.message)")
      }
      #expect(copy.isUnchanged, "page \(page.number): a reader changed the file")
      if !errors.isEmpty { met += 1 }
    }
    // The traces' own pages are read by every listing: their damage is always met.
    #expect(met >= pages.pages(.leaf, in: "traces").count, "\(met) pages met")
  }

  /// The damaged-file fuzz, in this process: a third of the cases from the
  /// harness's `HostileSearchInputs.damage` (cuts, flipped bits, zeroed and
  /// meta pages), a third zero a branch, leaf or overflow page, a third
  /// scramble a tree page's header and node pointers. Every read answers or
  /// says `corrupted` (`notAStore` when the open refuses a meta page), and
  /// the file is unchanged. 1,000 cases; `TRACEKV_FUZZ_CASES` sets another count.
  @Test func damagedFileFuzz() throws {
    let pages = Self.sample.pages
    let tree = pages.pages(.branch) + pages.pages(.leaf) + pages.pages(.overflow)
    var inputs = HostileSearchInputs(random: SeededGenerator(seed: 0x1717))
    var met = 0
    let cases = FuzzTests.caseCount
    for number in 0..<cases {
      let page = tree[inputs.pick(tree.count)]
      let kind = number % 3
      let copy = try DamagedCopy { bytes, pages in
        let base = page.number * pages.pageSize
        switch kind {
        case 0: bytes = inputs.damage(bytes, pageSize: pages.pageSize).bytes
        case 1: bytes.replaceSubrange(base..<(base + pages.pageSize), with: Data(count: pages.pageSize))
        default:
          for _ in 0..<(1 + inputs.pick(4)) { bytes[base + 8 + inputs.pick(8 + 2 * max(page.nodes, 1))] = UInt8(inputs.pick(256)) }
        }
      }
      let errors = Self.readEverything(copy.path, quick: true)
      for (operation, error) in errors {
        // A flipped byte can leave `meta`'s embedder identity valid JSON naming
        // another embedder: nothing tells that from a store made with it (no
        // checksums), so the open refuses the explicit `.hashing` as a mismatch.
        let allowed: Set<TraceKVError.Kind> =
          operation == "open" ? [.corrupted, .notAStore, .embedderMismatch] : [.corrupted]
        #expect(allowed.contains(error.kind), "case \(number), page \(page.number) (\(page.table)), \(operation): \(error.kind): \(error.message)")
      }
      #expect(copy.isUnchanged, "case \(number): a reader changed the file")
      if !errors.isEmpty { met += 1 }
    }
    #expect(met > cases / 3, "only \(met) of \(cases) damaged files gave an error")
  }

  /// Many threads meeting the same damage at once: each gets its own error
  /// (the guard's jump buffers are per thread), and the process lives on.
  @Test func manyThreadsMeetTheDamage() throws {
    let page = try #require(Self.pageNearTheEnd(.leaf, Self.sample.pages))
    let copy = try DamagedCopy.nodesPointingPast(page)
    let expected = Self.readEverything(copy.path).count
    let counts = LockedCounts()
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      for _ in 0..<5 { counts.add(Self.readEverything(copy.path)) }
    }
    #expect(counts.errors == 40 * expected && counts.otherKinds == 0, "\(counts.errors) errors, \(counts.otherKinds) not corrupted")
    #expect(copy.isUnchanged)
  }

  /// A writer that meets a damaged page: LMDB faults (SIGBUS) while the put
  /// searches the table, the put fails as `corrupted`, the transaction is
  /// aborted (the file is as it was), and the next write commits.
  @Test func writerMeetingADamagedPage() throws {
    let page = try #require(Self.pageNearTheEnd(.branch, Self.sample.pages))
    let copy = try DamagedCopy.nodesPointingPast(page)
    let environment = try LMDBEnvironment(path: copy.path, readOnly: false)
    let tables = try environment.openTables([page.table, "trace-ids", "meta"], create: false)
    let damaged = try #require(tables[page.table])
    do {
      try environment.write { transaction in try transaction.put(damaged, key: [0, 0, 0, 1], value: [1, 2, 3]) }
      Issue.record("a put into the damaged table \(page.table) succeeded")
    } catch let error as LMDBError {
      #expect(error.kind == .corrupted && error.message.contains("SIGBUS"), "\(error.kind): \(error.message)")
    }
    #expect(copy.isUnchanged, "an aborted write changed the file")
    // The writer's lock was released and nothing committed was lost.
    let meta = try #require(tables["meta"])
    let ids = try #require(tables["trace-ids"])
    try environment.write { transaction in try transaction.put(meta, key: Array("after-the-fault".utf8), value: [1]) }
    let (value, count) = try environment.read { transaction in
      (try transaction.value(meta, key: Array("after-the-fault".utf8)), try transaction.count(ids))
    }
    #expect(value == [1] && count == 20, "\(String(describing: value)), \(count) trace ids")
  }
}

/// Errors counted by many threads.
private final class LockedCounts: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var errors = 0
  private(set) var otherKinds = 0

  func add(_ found: [(String, TraceKVError)]) {
    lock.withLock {
      errors += found.count
      otherKinds += found.filter { $0.1.kind != .corrupted }.count
    }
  }
}

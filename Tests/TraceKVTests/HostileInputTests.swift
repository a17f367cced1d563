import Foundation
import TestSupport
import Testing
@testable import TraceKV

/// What a caller can send that used to end the process or lose data (issue
/// #17): long queries, huge pages, over-limit merges in the middle of an
/// ingest, blank ids, parent cycles, deep keywords, backups' permissions.
@Suite struct HostileInputTests {
  private func expectInvalid(_ query: SearchQuery, in store: TraceStore, mentioning word: String) {
    do {
      _ = try store.search(query)
      Issue.record("accepted \(query.limit)/\(query.offset)/\(query.depth)")
    } catch {
      #expect(error.kind == .invalidInput)
      #expect(error.message.contains(word), "\(error.message)")
    }
  }

  /// Distinct words the lexical tokenizer keeps as they are.
  private func words(_ count: Int, from first: Int = 0) -> String {
    (first..<(first + count)).map { "w\($0)" }.joined(separator: " ")
  }

  @Test func queryTermsAtTheLimitRunInATaskAndOnePastIsRefused() async throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    // At the limit, on a cooperative thread (a smaller stack than the main thread's).
    let atLimit = words(Limits.maximumQueryTerms - 1) + " order"
    let hits = try await Task.detached {
      try store.search(SearchQuery(text: atLimit, mode: .lexical, limit: 3)).hits
    }.value
    // The w-terms match nothing: the ranking is that of "order" alone.
    let order = try store.search(SearchQuery(text: "order", mode: .lexical, limit: 3)).hits
    #expect(!hits.isEmpty && hits.map(\.traceID) == order.map(\.traceID))
    #expect(store.search.lexical.queryTerms(atLimit).count == Limits.maximumQueryTerms)
    let over = words(Limits.maximumQueryTerms + 1)
    expectInvalid(SearchQuery(text: over, mode: .lexical), in: store, mentioning: "\(Limits.maximumQueryTerms + 1) distinct")
    expectInvalid(SearchQuery(text: "order", keywords: over), in: store, mentioning: "at most \(Limits.maximumQueryTerms)")
    // Repeats count once: 5,000 words of 3 distinct terms are fine.
    let repeated = Array(repeating: "order status refund", count: 1_700).joined(separator: " ")
    #expect(try !store.search(SearchQuery(text: repeated, mode: .lexical)).hits.isEmpty)
    // A long text with short keywords is fine: only the lexical side counts terms.
    #expect(try !store.search(SearchQuery(text: over, keywords: "order", mode: .hybrid)).hits.isEmpty)
    // The vector side alone takes any text.
    #expect(try store.search(SearchQuery(text: over, mode: .vector, limit: 2, minSimilarity: 0)).hits.count == 2)
  }

  @Test func limitPlusOffsetAtTheWindowAndOnePast() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let window = Limits.maximumSearchWindow
    // At the limit: accepted, and the 20 samples are all there is.
    for mode in SearchMode.allCases {
      let hits = try store.search(SearchQuery(text: "order", mode: mode, limit: window - 5, offset: 5)).hits
      let all = try store.search(SearchQuery(text: "order", mode: mode, limit: 20)).hits
      #expect(hits.map(\.traceID) == Array(all.dropFirst(5).map(\.traceID)), "\(mode)")
    }
    #expect(try store.search(SearchQuery(text: "order", limit: 0, offset: window)).hits.isEmpty)
    // (No similarity floor: the window is what is tested, not relevance.)
    #expect(try store.search(SearchQuery(text: "order", depth: window, minSimilarity: 0)).hits.count == 10)
    // One past, and absurd values: refused, not an allocation failure.
    expectInvalid(SearchQuery(text: "order", limit: window - 4, offset: 5), in: store, mentioning: "at most \(window)")
    expectInvalid(SearchQuery(text: "order", limit: 0, offset: window + 1), in: store, mentioning: "at most \(window)")
    expectInvalid(SearchQuery(text: "order", offset: 1_000_000_000_000), in: store, mentioning: "at most \(window)")
    expectInvalid(SearchQuery(text: "order", limit: .max, offset: .max), in: store, mentioning: "at most \(window)")
    expectInvalid(SearchQuery(text: "order", depth: window + 1), in: store, mentioning: "depth")
    expectInvalid(SearchQuery(text: "order", limit: -1), in: store, mentioning: "negative")
  }

  @Test func cliSaysWhatIsWrongWithANegativeOrHugeLimit() throws {
    let tracekv = Paths.product("tracekv")
    try #require(FileManager.default.fileExists(atPath: tracekv.path), "build the tracekv product first")
    let temporary = try TemporaryStore.withSamples()
    let negative = try run(tracekv, ["--store", temporary.path, "search", "order", "--limit", "-1"])
    #expect(negative.status != 0)
    #expect(negative.error.contains("must not be negative") && !negative.error.contains("Missing value"), "\(negative.error)")
    let list = try run(tracekv, ["--store", temporary.path, "list", "--offset", "-3"])
    #expect(list.error.contains("must not be negative"), "\(list.error)")
    let huge = try run(tracekv, ["--store", temporary.path, "search", "weather", "--offset", "1000000000000"])
    #expect(huge.status == 1 && huge.error.contains("at most \(Limits.maximumSearchWindow)"), "\(huge.error)")
    let long = try run(tracekv, ["--store", temporary.path, "search", words(7_000), "--mode", "lexical"])
    #expect(long.status == 1 && long.error.contains("7000 distinct search terms"), "\(long.error)")
  }

  /// The issue's case: line 21 of a JSONL file merges into a trace that
  /// already holds the most spans allowed. It is reported with its line and
  /// skipped; the 20 lines before it and those after it are written, whatever
  /// the batch size.
  @Test func anOverLimitMergeIsASkippedLine() throws {
    let temporary = try TemporaryStore(embedder: .none)
    let store = temporary.store
    let spans = (0..<Limits.maximumSpansPerTrace).map { #"{"span_id": "s\#($0)"}"# }.joined(separator: ",")
    try store.ingest(json: #"{"trace_id": "full", "spans": [\#(spans)]}"#)
    var lines: [String] = []
    for file in try Paths.sampleFiles() {
      let value = try JSONParser.parse(String(decoding: try Data(contentsOf: file), as: UTF8.self))
      lines.append(JSONWriter.compact(value))
    }
    #expect(lines.count == 20)
    lines.append(#"{"trace_id": "full", "spans": [{"span_id": "one-more"}]}"#)
    lines.append(#"{"trace_id": "after-1", "spans": [{"span_id": "a"}]}"#)
    lines.append(#"{"trace_id": "after-2", "spans": [{"span_id": "b"}]}"#)
    let file = temporary.directory.url.appendingPathComponent("over.jsonl")
    try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)

    for batchSize in [1000, 7, 1] {
      let copy = try TemporaryStore(embedder: .none)
      try copy.store.ingest(json: #"{"trace_id": "full", "spans": [\#(spans)]}"#)
      var committed: [Int] = []
      let report = try copy.store.ingest(contentsOf: file, options: .init(batchSize: batchSize)) {
        committed.append($0.committed.accepted)
      }
      #expect(report.added == 22, "batch \(batchSize)")
      #expect(report.rejected.count == 1)
      #expect(report.rejected.first?.line == 21)
      #expect(report.rejected.first?.message.contains("100000 spans") == true, "\(report.rejected)")
      #expect(committed.last == 22)
      #expect(try copy.store.trace(id: "full")?.spans.count == Limits.maximumSpansPerTrace)
      #expect(try copy.store.statistics().totalTraces == 23)
      #expect(try copy.store.verify() == [])
    }
    // Strict ingest still refuses it and writes nothing of its batch.
    do {
      try store.ingest(contentsOf: file, options: .init(strict: true))
      Issue.record("strict ingest accepted an over-limit merge")
    } catch {
      #expect(error.kind == .invalidInput && error.message.contains("100000 spans"))
    }
    #expect(try store.statistics().totalTraces == 1)

    // The CLI says which line and what was committed.
    let tracekv = Paths.product("tracekv")
    try #require(FileManager.default.fileExists(atPath: tracekv.path), "build the tracekv product first")
    let result = try run(tracekv, ["--store", temporary.path, "ingest", file.path])
    #expect(result.status == 1)
    #expect(result.error.contains("over.jsonl:21:") && result.error.contains("100000 spans"), "\(result.error)")
    #expect(result.output.contains("ingested 22 traces (22 new, 0 merged)") && result.output.contains("1 rejected"), "\(result.output)")
    let json = try run(tracekv, ["--store", temporary.path, "ingest", "--json", file.path])
    let report = try JSONParser.parse(json.output)
    #expect(report.objectValue?["merged"] == .int(22))
    #expect(report.objectValue?["rejected"]?.arrayValue?.first?.objectValue?["line"] == .int(21))
  }

  @Test func backupsAreWrittenOwnerOnly() throws {
    let temporary = try TemporaryStore.withSamples()
    let destination = temporary.directory.path("backup.tkv")
    let previous = umask(0o022)
    defer { umask(previous) }
    try temporary.store.backup(to: destination)
    let mode = try #require(try FileManager.default.attributesOfItem(atPath: destination)[.posixPermissions] as? Int)
    #expect(mode == 0o600)
    let copy = try TraceStore(path: destination, options: .init(readOnly: true))
    #expect(try copy.statistics().totalTraces == 20)
    #expect(try copy.verify() == [])
    // A destination that exists is refused and left as it was.
    #expect(throws: TraceKVError.self) { try temporary.store.backup(to: destination) }
    #expect(try TraceStore(path: destination, options: .init(readOnly: true)).statistics().totalTraces == 20)
  }

  @Test func blankIDsAreRefused() throws {
    let temporary = try TemporaryStore(embedder: .none)
    for blank in [" ", "\\t", "  \\n ", "\\u00a0"] {
      for json in [
        #"{"trace_id": "\#(blank)", "spans": []}"#, #"{"trace_id": "t", "spans": [{"span_id": "\#(blank)"}]}"#,
      ] {
        #expect(throws: TraceKVError.self, "\(json)") { try temporary.store.ingest(json: json) }
      }
    }
    do {
      try temporary.store.ingest(json: #"{"trace_id": "  ", "spans": []}"#)
    } catch {
      #expect(error.kind == .invalidInput && error.message.contains("blank"), "\(error.message)")
    }
    #expect(try temporary.store.statistics().totalTraces == 0)
    try temporary.store.ingest(json: #"{"trace_id": " padded ", "spans": []}"#)
    #expect(try temporary.store.contains(traceID: " padded "))
  }

  /// Spans that are each other's parents: no root, so the earliest span start
  /// is the event time, not the ingest time; the same after a merge.
  @Test func aParentCycleKeepsTheSpansTime() throws {
    let temporary = try TemporaryStore(embedder: .none)
    let store = temporary.store
    try store.ingest(json: #"""
      {"trace_id": "cycle", "spans": [
        {"span_id": "a", "parent_id": "b", "start_time": "2024-03-01T10:00:05Z"},
        {"span_id": "b", "parent_id": "a", "start_time": "2024-03-01T10:00:01Z"}]}
      """#)
    let expected = try #require(Timestamp(iso8601: "2024-03-01T10:00:01Z"))
    #expect(try store.trace(id: "cycle")?.eventTime == expected)
    #expect(try store.list(limit: 5).traces.first?.eventTime == expected)
    let march = TraceFilter(since: Timestamp(iso8601: "2024-03-01T00:00:00Z"), until: Timestamp(iso8601: "2024-03-02T00:00:00Z"))
    #expect(try store.list(march).total == 1)
    // A merged span still in the cycle, earlier: it moves the time back.
    try store.ingest(json: #"{"trace_id": "cycle", "spans": [{"span_id": "c", "parent_id": "a", "start_time": "2024-03-01T09:00:00Z"}]}"#)
    #expect(try store.list(limit: 5).traces.first?.eventTime == Timestamp(iso8601: "2024-03-01T09:00:00Z"))
    // A root arriving later wins, as docs/trace-format.md §5 says.
    try store.ingest(json: #"{"trace_id": "cycle", "spans": [{"span_id": "r", "start_time": "2024-03-01T11:00:00Z"}]}"#)
    #expect(try store.list(limit: 5).traces.first?.eventTime == Timestamp(iso8601: "2024-03-01T11:00:00Z"))
    #expect(try store.trace(id: "cycle")?.eventTime == Timestamp(iso8601: "2024-03-01T11:00:00Z"))
    #expect(try store.verify() == [])
  }

  /// BM25 indexes whole values; only the embedder's text is cut.
  @Test func keywordsDeepInAFieldAreFound() throws {
    let temporary = try TemporaryStore()
    let padding = String(repeating: "lorem ipsum ", count: 52)  // 624 characters
    try temporary.store.ingest(json: #"""
      {"trace_id": "deep", "spans": [{"span_id": "s", "name": "tool", "attributes": {
        "tracebrain.span.type": "tool_call", "tracebrain.tool.name": "fetch",
        "tracebrain.tool.output": "\#(padding)failed with ERRDEEP630 at the end"}}]}
      """#)
    try temporary.store.ingest(json: #"{"trace_id": "other", "spans": [{"span_id": "s", "attributes": {"tracebrain.llm.completion": "lorem ipsum"}}]}"#)
    let hits = try temporary.store.search(SearchQuery(text: "ERRDEEP630", mode: .lexical)).hits
    #expect(hits.map(\.traceID) == ["deep"])
    let text = try temporary.store.read { transaction in
      try #require(try temporary.store.record(0, in: transaction)).trace
    }
    let views = try temporary.store.read { try temporary.store.spanViews(of: 0, in: $0) }
    let search = SearchText(systemPrompt: text.systemPrompt, episodeID: nil, errorType: nil, spans: views)
    #expect(!search.semantic.contains("ERRDEEP630"))
    #expect(search.semantic.count <= SearchText.semanticValueLimit + "Output: ".count)
    #expect(try temporary.store.verify() == [])
  }
}

/// A store in a folder the reader cannot write, without its lock file: read
/// without a lock; a writable open names the lock file. Run as `nobody`
/// (root ignores permissions), so it needs root and util-linux's `setpriv`.
@Suite struct ReadOnlyFolderTests {
  @Test func aReadOnlyFolderWithoutALockFileIsReadable() throws {
    let tracekv = Paths.product("tracekv")
    try #require(FileManager.default.fileExists(atPath: tracekv.path), "build the tracekv product first")
    try #require(getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root and setpriv")
    let temporary = try TemporaryStore.withSamples()
    let folder = temporary.directory.path("read-only")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
    let path = folder + "/traces.tkv"
    try temporary.store.backup(to: path)
    let manager = FileManager.default
    try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temporary.directory.url.path)
    try manager.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
    try manager.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder)
    defer { try? manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder) }
    func asNobody(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
      try run(URL(fileURLWithPath: "/usr/bin/setpriv"),
              ["--reuid=nobody", "--regid=nogroup", "--clear-groups", tracekv.path, "--store", path] + arguments)
    }
    let search = try asNobody(["search", "order status", "--mode", "lexical", "--json"])
    #expect(search.status == 0, "\(search.error)")
    let expected = try temporary.store.search(SearchQuery(text: "order status", mode: .lexical)).hits.map(\.traceID)
    let found = try JSONParser.parse(search.output).objectValue?["results"]?.arrayValue?
      .compactMap { $0.objectValue?["trace_id"]?.stringValue }
    #expect(found == expected)
    #expect(!manager.fileExists(atPath: path + "-lock"))
    #expect(try asNobody(["verify"]).status == 0)
    // Writable file, read-only folder: the error names the lock file.
    try manager.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder)
    chmod(path, 0o666)
    let write = try asNobody(["delete", "nothing"])
    #expect(write.status == 1 && write.error.contains("\(path)-lock") && write.error.contains("lock file"), "\(write.error)")
  }
}

import ArgumentParser
import Embeddings
import Foundation
import TraceKV
import VectorIndex

/// `tracekv-bench live`: what a store costs while agents use it, at a given
/// size: one durable write per trace or feedback, a second reader catching up
/// with another writer's commit, a new process opening the store for one
/// search, and the memory and bytes behind it.
struct LiveBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "live",
    abstract: "Single-trace write, feedback and catch-up latency, open + first search and memory at a store size.")

  @Option(help: "Traces in the store before the timed writes (the 20 samples replicated with fresh ids).")
  var traces = 1_000

  @Option(help: "Timed single-trace writes, feedbacks and catch-ups (each).")
  var writes = 200

  @Option(help: "The TraceBrain sample folder.")
  var samples = "Examples/tracebrain"

  @Option(help: "Working folder: the base store is built once per size and copied for each run.")
  var data = "bench-data/live"

  @Option(help: "Traces for the MiniLM ingest rate on each worker count beside the peer (0: skip it).")
  var ingestTraces = 0

  @Option(help: "Worker counts (and the peer's torch threads) for the ingest rate, comma-separated.")
  var ingestWorkers = "1,2"

  @Option(help: "The Python of a venv with Benchmarks/peers/requirements-embed.txt, for the ingest peer.")
  var python = "python3"

  @Flag(help: "Only the ingest rate: no store of --traces, no timed writes.")
  var ingestOnly = false

  @Option(help: "Write every figure here as JSON.")
  var json: String?

  @Option(help: .hidden)
  var readerStore: String?

  func run() throws {
    if let readerStore { return try Self.runReader(readerStore) }
    guard traces > 0, writes > 0 else { throw ValidationError("--traces and --writes must be at least 1") }
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    let originals = try LiveTraces.samples(samples)
    var ingest: [String: Any]?
    if ingestTraces > 0 {
      let workers = ingestWorkers.split(separator: ",").compactMap { Int($0) }
      guard !workers.isEmpty, workers.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--ingest-workers: e.g. 1,2") }
      print("MiniLM ingest of \(ingestTraces) traces, TraceKV beside the TraceBrain-shaped peer "
        + "(OPENBLAS_NUM_THREADS=\(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset")):")
      ingest = try LiveIngestRates(
        traces: ingestTraces, workers: workers, data: data, python: python, model: ModelFiles.defaultDirectory
      ).measure(originals)
    }
    if ingestOnly {
      if let json { try writeJSON(["ingest": ingest ?? [:], "context": runContext()], to: json) }
      return
    }
    let base = try baseStore(originals)
    let path = (data as NSString).appendingPathComponent("live-\(traces)-run.tkv")
    for suffix in ["", "-lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    try FileManager.default.copyItem(atPath: base, toPath: path)

    let store = try TraceStore(path: path, options: .init(embedder: .hashing))
    let warmQuery = SearchQuery(text: "refund the customer order", mode: .hybrid, limit: 10)
    _ = try store.search(warmQuery)  // this process's state, loaded once before timing writes

    var writeMs: [Double] = []
    let writeCPUStart = cpuSeconds()
    for number in 0..<writes {
      let json = LiveTraces.trace(originals, number: traces + number)
      let start = nowNanoseconds()
      _ = try store.ingest(json: json)
      writeMs.append(Double(nowNanoseconds() - start) / 1e6)
    }
    let writeCPUMs = (cpuSeconds() - writeCPUStart) * 1e3 / Double(writes)
    var feedbackMs: [Double] = []
    var generator = SplitMix64(seed: 11)
    for _ in 0..<writes {
      let id = LiveTraces.id(Int(generator.next() % UInt64(traces)), originals.count)
      let start = nowNanoseconds()
      try store.addFeedback(traceID: id, rating: Int(generator.next() % 5) + 1)
      feedbackMs.append(Double(nowNanoseconds() - start) / 1e6)
    }

    // Deletes of base traces, one per transaction: the graph repairs the
    // lists naming the node. CPU time too, as the synced commit dominates the wall.
    var deleteMs: [Double] = []
    var deleteCPUMs: [Double] = []
    var deleted = Set<Int>()
    while deleted.count < writes {
      let number = Int(generator.next() % UInt64(traces))
      guard deleted.insert(number).inserted else { continue }
      let (start, cpuStart) = (nowNanoseconds(), threadCPUSeconds())
      _ = try store.delete(traceIDs: [LiveTraces.id(number, originals.count)])
      deleteMs.append(Double(nowNanoseconds() - start) / 1e6)
      deleteCPUMs.append((threadCPUSeconds() - cpuStart) * 1e3)
    }

    // A second instance has its own search state, as another process does.
    let reader = try TraceStore(path: path, options: .init(readOnly: true, create: false))
    _ = try reader.search(warmQuery)
    var catchUpMs: [Double] = []
    var warmMs: [Double] = []
    for number in 0..<writes {
      _ = try store.ingest(json: LiveTraces.trace(originals, number: traces + writes + number))
      var start = nowNanoseconds()
      _ = try reader.search(warmQuery)
      catchUpMs.append(Double(nowNanoseconds() - start) / 1e6)
      start = nowNanoseconds()
      _ = try reader.search(warmQuery)
      warmMs.append(Double(nowNanoseconds() - start) / 1e6)
    }
    let writerMemory = ProcessMemory.current()
    let opened = try Self.openInChild(path)
    let bytes = try store.fileSize()

    func figures(_ samples: [Double]) -> [String: Double] {
      ["p50_ms": percentile(samples, 50), "p99_ms": percentile(samples, 99)]
    }
    let report: [String: Any] = [
      "traces": traces, "writes": writes,
      "trace_write": figures(writeMs), "trace_write_cpu_ms": writeCPUMs, "feedback": figures(feedbackMs),
      "delete": figures(deleteMs), "delete_cpu": figures(deleteCPUMs),
      "catch_up_search": figures(catchUpMs), "warm_search": figures(warmMs),
      "open_first_search_ms": opened.milliseconds,
      "reader_rss_anon_kb": opened.memory.anonKB, "reader_rss_file_kb": opened.memory.fileKB,
      "writer_rss_anon_kb": writerMemory.anonKB, "writer_rss_file_kb": writerMemory.fileKB,
      "bytes_on_disk": bytes, "context": runContext(), "ingest": ingest ?? [:],
    ]
    func line(_ name: String, _ samples: [Double]) {
      print("\(name): p50 \(fixed(percentile(samples, 50), 3)) ms, p99 \(fixed(percentile(samples, 99), 3)) ms")
    }
    print("live, \(traces) traces (hashing embedder), \(writes) of each:")
    line("durable single-trace write", writeMs)
    print("  CPU per write (all threads): \(fixed(writeCPUMs, 3)) ms")
    line("feedback", feedbackMs)
    line("single-trace delete", deleteMs)
    line("  its CPU (this thread)", deleteCPUMs)
    line("reader's first search after another writer's commit", catchUpMs)
    line("reader's warm search", warmMs)
    print("new process, open + first hybrid search: \(fixed(opened.milliseconds, 1)) ms; "
      + "its RssAnon \(opened.memory.anonKB / 1024) MB, RssFile \(opened.memory.fileKB / 1024) MB")
    print("writer RssAnon \(writerMemory.anonKB / 1024) MB, RssFile \(writerMemory.fileKB / 1024) MB; "
      + "\(bytes / 1_048_576) MB on disk")
    if let json { try writeJSON(report, to: json) }
    for suffix in ["", "-lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
  }

  /// The store of `traces` traces this size starts from, ingested once (hashing embedder).
  private func baseStore(_ originals: [JSONObject]) throws -> String {
    let path = (data as NSString).appendingPathComponent("live-\(traces).tkv")
    if FileManager.default.fileExists(atPath: path) { return path }
    let input = path + ".jsonl"
    try LiveTraces.writeLines(originals, count: traces, to: input)
    let building = path + ".building"
    for suffix in ["", "-lock"] { try? FileManager.default.removeItem(atPath: building + suffix) }
    do {
      let store = try TraceStore(path: building, options: .init(embedder: .hashing))
      var progress = ProgressLine("base store", total: traces)
      _ = try store.ingest(contentsOf: URL(fileURLWithPath: input)) { progress.update($0.documentsDone) }
      progress.finish()
    }
    try? FileManager.default.removeItem(atPath: building + "-lock")
    try FileManager.default.moveItem(atPath: building, toPath: path)
    try? FileManager.default.removeItem(atPath: input)
    return path
  }

  /// Runs this executable on `path` as a fresh process: open + first search, and its memory.
  private static func openInChild(_ path: String) throws -> (milliseconds: Double, memory: ProcessMemory) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = ["live", "--reader-store", path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let bytes = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
      let object = try JSONSerialization.jsonObject(with: bytes) as? [String: Any],
      let milliseconds = object["ms"] as? Double, let anon = object["anon_kb"] as? Int, let file = object["file_kb"] as? Int
    else { throw ValidationError("the reader process failed (exit \(process.terminationStatus))") }
    return (milliseconds, ProcessMemory(anonKB: anon, fileKB: file))
  }

  /// The child side of `openInChild`: prints one JSON line.
  private static func runReader(_ path: String) throws {
    let start = nowNanoseconds()
    let store = try TraceStore(path: path, options: .init(readOnly: true, create: false))
    _ = try store.search(SearchQuery(text: "refund the customer order", mode: .hybrid, limit: 10))
    let milliseconds = Double(nowNanoseconds() - start) / 1e6
    let memory = ProcessMemory.current()
    print(#"{"ms": \#(milliseconds), "anon_kb": \#(memory.anonKB), "file_kb": \#(memory.fileKB)}"#)
  }
}

/// Resident memory split as /proc/self/status reports it.
struct ProcessMemory {
  var anonKB: Int
  var fileKB: Int

  static func current() -> ProcessMemory {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func field(_ name: String) -> Int {
      guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
      return Int(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "") ?? 0
    }
    return ProcessMemory(anonKB: field("RssAnon"), fileKB: field("RssFile"))
  }
}

/// The TraceBrain samples replicated under fresh ids, one JSON line each.
enum LiveTraces {
  static func samples(_ folder: String) throws -> [JSONObject] {
    let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
    let originals = try files.map { file -> JSONObject in
      let data = try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(file)))
      guard case .object(let object) = try JSONParser.parse(data) else { throw ValidationError("\(file) is not a trace") }
      return object
    }
    guard !originals.isEmpty else { throw ValidationError("no samples in \(folder)") }
    return originals
  }

  static func id(_ number: Int, _ sampleCount: Int) -> String {
    String(format: "live%012llx%016llx", UInt64(number), UInt64(number % sampleCount))
  }

  /// Writes traces 0..<count as JSONL, a few megabytes at a time. (One
  /// `Data(String.utf8)` of the whole file is wrong past 2 GiB on this
  /// toolchain: the bytes after 2³¹ repeat the start, so the 1 M input
  /// held duplicate ids, whose merges replaced vectors; see BENCHMARKS.md.)
  static func writeLines(_ originals: [JSONObject], count: Int, to path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: nil) else {
      throw ValidationError("cannot create \(path)")
    }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var text = ""
    for number in 0..<count {
      text += trace(originals, number: number) + "\n"
      if text.utf8.count >= 4 << 20 || number == count - 1 {
        try handle.write(contentsOf: Data(text.utf8))
        text = ""
      }
    }
  }

  static func trace(_ originals: [JSONObject], number: Int) -> String {
    var trace = originals[number % originals.count]
    trace["trace_id"] = .string(id(number, originals.count))
    return JSONWriter.compact(.object(trace))
  }
}

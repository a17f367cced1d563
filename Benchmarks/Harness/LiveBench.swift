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

  @OptionGroup var samples: SampleTraces

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

  @OptionGroup var output: ReportOutput

  @Option(help: .hidden)
  var readerStore: String?

  func run() throws {
    if let readerStore { return try Self.runReader(readerStore) }
    guard traces > 0, writes > 0 else { throw ValidationError("--traces and --writes must be at least 1") }
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    let originals = try samples.load()
    var ingest: LiveIngestReport?
    if ingestTraces > 0 {
      let workers = ingestWorkers.split(separator: ",").compactMap { Int($0) }
      guard !workers.isEmpty, workers.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--ingest-workers: e.g. 1,2") }
      // Both variables decide TraceKV's speed: the kernel pinned (or OpenBLAS's own pick) as much as the threads.
      let environment = ProcessInfo.processInfo.environment
      print("MiniLM ingest of \(ingestTraces) traces, TraceKV beside the TraceBrain-shaped peer "
        + "(OPENBLAS_NUM_THREADS=\(environment["OPENBLAS_NUM_THREADS"] ?? "unset"), "
        + "OPENBLAS_CORETYPE=\(environment["OPENBLAS_CORETYPE"] ?? "unset")):")
      ingest = try LiveIngestRates(
        traces: ingestTraces, workers: workers, data: data, python: python, model: ModelFiles.defaultDirectory
      ).measure(originals)
    }
    if ingestOnly {
      try output.write(LiveReport(store: nil, ingest: ingest, context: .current()))
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

    let figures = LiveReport.Store(
      traces: traces, writes: writes, bytesOnDisk: bytes, traceWrite: Latency(milliseconds: writeMs),
      feedback: Latency(milliseconds: feedbackMs), catchUpSearch: Latency(milliseconds: catchUpMs),
      warmSearch: Latency(milliseconds: warmMs), delete: Latency(milliseconds: deleteMs),
      deleteCPU: Latency(milliseconds: deleteCPUMs), traceWriteCPUMilliseconds: writeCPUMs,
      openFirstSearchMilliseconds: opened.milliseconds, readerAnonKB: opened.memory.anonKB,
      readerFileKB: opened.memory.fileKB, writerAnonKB: writerMemory.anonKB, writerFileKB: writerMemory.fileKB)
    for line in figures.lines { print(line) }
    try output.write(LiveReport(store: figures, ingest: ingest, context: .current()))
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
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    let probe = try DatasetTool.decode(OpenProbe.self, from: [executable, "live", "--reader-store", path], what: "the reader process")
    return (probe.milliseconds, probe.memory)
  }

  /// The child side of `openInChild`: prints one JSON line.
  private static func runReader(_ path: String) throws {
    let start = nowNanoseconds()
    let store = try TraceStore(path: path, options: .init(readOnly: true, create: false))
    _ = try store.search(SearchQuery(text: "refund the customer order", mode: .hybrid, limit: 10))
    let probe = OpenProbe(milliseconds: Double(nowNanoseconds() - start) / 1e6, memory: .current())
    FileHandle.standardOutput.write(try JSONEncoder().encode(probe))
  }

  /// What the child of `openInChild` prints: its open + first search, and its memory.
  private struct OpenProbe: Codable {
    var milliseconds: Double
    var memory: ProcessMemory

    enum CodingKeys: String, CodingKey {
      case milliseconds = "ms"
      case memory
    }
  }
}

/// The TraceBrain samples replicated under fresh ids, one JSON line each.
enum LiveTraces {
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

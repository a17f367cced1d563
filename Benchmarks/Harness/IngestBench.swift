import ArgumentParser
import Foundation
import VectorIndex
@_spi(Benchmarks) import TraceKV

/// `tracekv-bench ingest`: TraceKV's ingest rate, bytes per span and
/// reconstruction latency, beside a SQLite store shaped like TraceBrain's and
/// the raw LMDB put rate for the same bytes, all in one run.
struct IngestBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ingest",
    abstract: "Ingest throughput, bytes per span and reconstruction latency vs SQLite and raw LMDB.")

  @Option(help: "Traces to ingest (the 20 samples replicated with fresh ids).")
  var traces = 100_000

  @OptionGroup var samples: SampleTraces

  @Option(help: "A JSONL file of traces to ingest instead of the replicated samples (e.g. `prepare traces-1m`).")
  var input: String?

  @Option(help: "Working folder for the generated input and the stores.")
  var data = "bench-data/ingest"

  @Option(help: "Reconstructions to time.")
  var reconstructions = 5_000

  @Option(help: "The store's embedder: none (traces + BM25 only), hashing or minilm.")
  var embedder = "none"

  @Option(help: "Search queries to time per mode on the ingested store (0: none).")
  var searches = 300

  @Flag(name: .customLong("skip-sqlite"), help: "Skip the SQLite peer.")
  var skipSQLite = false

  @OptionGroup var output: ReportOutput

  func run() throws {
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    let input = try self.input ?? generateInput()
    let storePath = (data as NSString).appendingPathComponent("ingest.tkv")
    for suffix in ["", "-lock"] { try? FileManager.default.removeItem(atPath: storePath + suffix) }

    // TraceKV
    let choice: TraceStore.EmbedderChoice
    switch embedder {
    case "none": choice = .none
    case "hashing": choice = .hashing
    case "minilm": choice = .miniLM
    default: throw ValidationError("--embedder must be none, hashing or minilm")
    }
    let store = try TraceStore(path: storePath, options: .init(embedder: choice))
    var progress = ProgressLine("tracekv ingest", total: traces)
    let start = nowNanoseconds()
    let report = try store.ingest(contentsOf: URL(fileURLWithPath: input)) { step in
      progress.update(step.documentsDone)
    }
    let seconds = secondsSince(start)
    progress.finish()
    guard report.rejected.isEmpty else { throw ValidationError("rejected \(report.rejected.count) generated traces") }
    let spans = report.spansWritten
    let bytes = try store.fileSize()

    // Reconstruction latency: random traces, and one 10-step trace.
    let ids = try store.traceIDs()
    var generator = SystemRandomNumberGenerator()
    var latencies: [Double] = []
    for _ in 0..<reconstructions {
      let id = ids.randomElement(using: &generator)!
      let begin = nowNanoseconds()
      _ = try store.messages(traceID: id)
      latencies.append(Double(nowNanoseconds() - begin) / 1000)
    }
    try store.ingest(json: Self.tenStepTrace)
    var tenStep: [Double] = []
    for _ in 0..<reconstructions {
      let begin = nowNanoseconds()
      _ = try store.messages(traceID: "ten-step-trace")
      tenStep.append(Double(nowNanoseconds() - begin) / 1000)
    }

    let (search, searched) = try SearchLatency.measure(store, traceIDs: ids, searches: searches, limit: 10)

    // Raw LMDB: the same span record sizes, one synced transaction per 1,000 puts.
    let sizes = try store.spanRecordSizes()
    let rawPath = (data as NSString).appendingPathComponent("raw.mdb")
    for suffix in ["", "-lock"] { try? FileManager.default.removeItem(atPath: rawPath + suffix) }
    let raw = try LMDBProbe.timePuts(path: rawPath, valueSizes: sizes, batch: 1000)

    // SQLite, TraceBrain's development store shape.
    var sqlite: IngestBenchReport.SQLitePeer?
    if !skipSQLite {
      FileHandle.standardError.write(Data("sqlite ingest (Python sqlite3, WAL, synchronous=NORMAL)...\n".utf8))
      sqlite = try runSQLitePeer(input)
    }

    let result = IngestBenchReport(
      traces: report.added, spans: spans, embedder: embedder, seconds: seconds,
      tracesPerSecond: Double(report.added) / seconds, spansPerSecond: Double(spans) / seconds,
      bytesPerSpan: Double(bytes) / Double(spans), reconstructP50: percentile(latencies, 50),
      reconstructP99: percentile(latencies, 99), reconstructTenStepP50: percentile(tenStep, 50),
      reconstructTenStepP99: percentile(tenStep, 99),
      rawLMDB: .init(putsPerSecond: Double(sizes.count) / raw.seconds, bytesPerPut: Double(raw.bytes) / Double(sizes.count)),
      sqlite: sqlite, search: search.isEmpty ? nil : search, context: .current())
    print("\(report.added) traces, \(spans) spans; input \(input); TraceKV indexes BM25"
      + (embedder == "none" ? " (no embedder)" : " and \(embedder) vectors") + " in the same transactions")
    print(result.table.text)
    SearchLatencyReport(
      traces: report.added, limit: 10, queries: nil, queryCount: searched, search: search, context: result.context
    ).print()
    try output.write(result)
  }

  /// The samples replicated with fresh trace ids, one per line (cached).
  private func generateInput() throws -> String {
    let path = (data as NSString).appendingPathComponent("traces-\(traces).jsonl")
    if FileManager.default.fileExists(atPath: path) { return path }
    let originals = try samples.load()
    guard FileManager.default.createFile(atPath: path + ".tmp", contents: nil) else {
      throw ValidationError("cannot create \(path).tmp")
    }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path + ".tmp"))
    var chunk = ""
    for index in 0..<traces {
      var trace = originals[index % originals.count]
      trace["trace_id"] = .string(String(format: "%016llx%016llx", UInt64(index), UInt64(index % originals.count)))
      chunk += JSONWriter.compact(.object(trace)) + "\n"
      if chunk.utf8.count > 1 << 20 {
        try handle.write(contentsOf: Data(chunk.utf8))
        chunk = ""
      }
    }
    try handle.write(contentsOf: Data(chunk.utf8))
    try handle.close()
    try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
    return path
  }

  private func runSQLitePeer(_ input: String) throws -> IngestBenchReport.SQLitePeer {
    let database = (data as NSString).appendingPathComponent("sqlite.db")
    return try DatasetTool.decode(
      IngestBenchReport.SQLitePeer.self, from: ["python3", "Benchmarks/peers/ingest_sqlite.py", input, database],
      what: "the SQLite peer")
  }

  /// A 10-step trace: 10 LLM spans, each after a tool span, each adding one
  /// user/tool message of about 200 characters.
  static let tenStepTrace: String = {
    var spans: [String] = []
    var parent = "null"
    for step in 0..<10 {
      let llm = "llm\(step)"
      let text = String(repeating: "step \(step) observation; ", count: 8)
      spans.append(#"{"span_id": "\#(llm)", "parent_id": \#(parent), "name": "LLM", "start_time": "2025-01-01T00:00:\#(10 + step * 2).000Z", "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.new_content": "[{\"role\": \"\#(step == 0 ? "user" : "tool")\", \"content\": \"\#(text)\"}]", "tracebrain.llm.completion": "Thought: continue with step \#(step).", "tracebrain.llm.tool_code": "lookup(\#(step))"}}"#)
      spans.append(#"{"span_id": "tool\#(step)", "parent_id": "\#(llm)", "name": "Tool", "start_time": "2025-01-01T00:00:\#(11 + step * 2).000Z", "attributes": {"tracebrain.span.type": "tool_execution", "tracebrain.tool.name": "lookup", "tracebrain.tool.output": "\#(text)"}}"#)
      parent = "\"tool\(step)\""
    }
    return #"{"trace_id": "ten-step-trace", "attributes": {"system_prompt": "You are a careful agent."}, "spans": [\#(spans.joined(separator: ","))]}"#
  }()
}

import ArgumentParser
import Foundation
import TraceKV

/// The MiniLM ingest rate of `tracekv-bench live` on 1 and on N workers,
/// beside the TraceBrain-shaped peer (`Benchmarks/peers/ingest_embed_sqlite.py`:
/// sentence-transformers + SQLite) given the same number of threads.
struct LiveIngestRates {
  var traces: Int
  var workers: [Int]
  var data: String
  var python: String
  var model: String

  /// One figure set per thread count: TraceKV's and the peer's traces per second.
  func measure(_ originals: [JSONObject]) throws -> LiveIngestReport {
    let input = (data as NSString).appendingPathComponent("ingest-\(traces).jsonl")
    var text = ""
    for number in 0..<traces { text += LiveTraces.trace(originals, number: number) + "\n" }
    try Data(text.utf8).write(to: URL(fileURLWithPath: input))
    var figures: [LiveIngestReport.Rate] = []
    var rates: [Int: Double] = [:]
    for threads in workers {
      let tracekv = try tracekvRate(input, workers: threads)
      let peer = try peerRate(input, threads: threads)
      rates[threads] = tracekv
      figures.append(.init(threads: threads, tracekvTracesPerSecond: tracekv, peer: peer))
    }
    // The machine is shared: its load says how far thread counts above 1 could scale.
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init)
    var report = LiveIngestReport(
      traces: traces, embedder: "all-MiniLM-L6-v2", byThreads: figures, loadAverageAfter: load ?? "?")
    if let one = rates[1], let most = workers.max(), most > 1, let many = rates[most] {
      report.speedup = .init(workers: most, ratio: many / one)
    }
    print(report.table.text)
    print("  load average (1 min) after: \(report.loadAverageAfter)"
      + (report.speedup.map { "; TraceKV \($0.workers) workers / 1 worker: \(fixed($0.ratio, 2))x" } ?? ""))
    try? FileManager.default.removeItem(atPath: input)
    return report
  }

  /// Traces per second into a fresh MiniLM store, the model loaded before timing.
  private func tracekvRate(_ input: String, workers: Int) throws -> Double {
    let path = (data as NSString).appendingPathComponent("ingest-minilm.tkv")
    for suffix in ["", "-lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    defer { for suffix in ["", "-lock"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
    let store = try TraceStore(path: path, options: .init(embedder: .miniLM))
    _ = try store.search(SearchQuery(text: "load the model", mode: .vector, limit: 1))
    let start = nowNanoseconds()
    let report = try store.ingest(contentsOf: URL(fileURLWithPath: input), options: .init(workers: workers))
    let seconds = Double(nowNanoseconds() - start) / 1e9
    guard report.added == traces else { throw ValidationError("TraceKV ingested \(report.added) of \(traces) traces") }
    return Double(traces) / seconds
  }

  /// The peer's JSON report.
  private func peerRate(_ input: String, threads: Int) throws -> LiveIngestReport.Peer {
    let database = (data as NSString).appendingPathComponent("ingest-peer.db")
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) } }
    let peer = try DatasetTool.decode(
      LiveIngestReport.Peer.self,
      from: [python, "Benchmarks/peers/ingest_embed_sqlite.py", input, database, "--model", model, "--threads", "\(threads)"],
      what: "the ingest peer (is \(python) a venv with Benchmarks/peers/requirements-embed.txt?)")
    guard peer.traces == traces else { throw ValidationError("the ingest peer stored \(peer.traces) of \(traces) traces") }
    return peer
  }
}

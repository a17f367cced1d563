import Foundation

/// `tracekv-bench live`: single-trace writes, feedback, deletes and
/// catch-up at a store size, a new process's open + first search, memory;
/// with --ingest-traces, the MiniLM ingest rate beside the peer.
struct LiveReport: BenchReport {
  static let benchmark = "live"
  var benchmark: BenchmarkName<Self>? = .init()
  /// Absent with --ingest-only.
  var store: Store?
  /// Absent without --ingest-traces.
  var ingest: LiveIngestReport?
  var context: RunContext

  private enum CodingKeys: String, CodingKey {
    case benchmark, ingest, context, traces
  }

  init(store: Store?, ingest: LiveIngestReport?, context: RunContext) {
    (self.store, self.ingest, self.context) = (store, ingest, context)
  }

  // The store's figures sit at the top level, as `live` has always written them.
  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    benchmark = try container.decodeIfPresent(BenchmarkName<Self>.self, forKey: .benchmark)
    store = container.contains(.traces) ? try Store(from: decoder) : nil
    ingest = try container.decodeIfPresent(LiveIngestReport.self, forKey: .ingest)
    context = try container.decode(RunContext.self, forKey: .context)
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encodeIfPresent(benchmark, forKey: .benchmark)
    try container.encodeIfPresent(ingest, forKey: .ingest)
    try container.encode(context, forKey: .context)
    try store?.encode(to: encoder)
  }

  /// The figures at one store size.
  struct Store: Codable, Equatable {
    /// Traces in the store; timed operations of each kind.
    var traces, writes, bytesOnDisk: Int
    /// A second instance's first search after another's commit (`catchUpSearch`), then warm.
    var traceWrite, feedback, catchUpSearch, warmSearch: Latency
    /// Absent from reports written before deletes were timed; `deleteCPU`: on this thread.
    var delete, deleteCPU: Latency?
    /// CPU per write, all threads, ms.
    var traceWriteCPUMilliseconds, openFirstSearchMilliseconds: Double
    /// RssAnon and RssFile of the new process after its first search, and of the writer.
    var readerAnonKB, readerFileKB, writerAnonKB, writerFileKB: Int

    enum CodingKeys: String, CodingKey {
      case traces, writes, feedback, delete
      case traceWrite = "trace_write", traceWriteCPUMilliseconds = "trace_write_cpu_ms", deleteCPU = "delete_cpu"
      case catchUpSearch = "catch_up_search", warmSearch = "warm_search", openFirstSearchMilliseconds = "open_first_search_ms"
      case readerAnonKB = "reader_rss_anon_kb", readerFileKB = "reader_rss_file_kb", writerAnonKB = "writer_rss_anon_kb"
      case writerFileKB = "writer_rss_file_kb", bytesOnDisk = "bytes_on_disk"
    }

    /// The lines `live` prints.
    var lines: [String] {
      [
        "live, \(traces) traces (hashing embedder), \(writes) of each:",
        "durable single-trace write: \(traceWrite.text())",
        "  CPU per write (all threads): \(fixed(traceWriteCPUMilliseconds, 3)) ms",
        "feedback: \(feedback.text())",
        "single-trace delete: \(delete?.text() ?? "-")",
        "  its CPU (this thread): \(deleteCPU?.text() ?? "-")",
        "reader's first search after another writer's commit: \(catchUpSearch.text())",
        "reader's warm search: \(warmSearch.text())",
        "new process, open + first hybrid search: \(fixed(openFirstSearchMilliseconds, 1)) ms; "
          + "its RssAnon \(readerAnonKB / 1024) MB, RssFile \(readerFileKB / 1024) MB",
        "writer RssAnon \(writerAnonKB / 1024) MB, RssFile \(writerFileKB / 1024) MB; \(bytesOnDisk / 1_048_576) MB on disk",
      ]
    }
  }
}

/// The MiniLM ingest rate of `live --ingest-traces` per thread count, beside
/// the TraceBrain-shaped peer (sentence-transformers + SQLite).
struct LiveIngestReport: Codable, Equatable {
  var traces: Int
  var embedder: String
  var byThreads: [Rate]
  /// The machine is shared: its load says how far thread counts above 1 could scale.
  var loadAverageAfter: String
  /// TraceKV at the most workers / at 1 worker (absent unless both ran).
  var speedup: Speedup?

  struct Rate: Codable, Equatable {
    var threads: Int
    var tracekvTracesPerSecond: Double
    var peerTracesPerSecond: Double?
    /// TraceKV / the peer.
    var versusPeer: Double?
    var peer: Peer

    init(threads: Int, tracekvTracesPerSecond: Double, peer: Peer) {
      (self.threads, self.tracekvTracesPerSecond, self.peer) = (threads, tracekvTracesPerSecond, peer)
      peerTracesPerSecond = peer.tracesPerSecond
      versusPeer = peer.tracesPerSecond.map { tracekvTracesPerSecond / $0 }
    }

    enum CodingKeys: String, CodingKey {
      case threads, peer
      case tracekvTracesPerSecond = "tracekv_traces_per_s", peerTracesPerSecond = "peer_traces_per_s"
      case versusPeer = "vs_peer"
    }
  }

  /// What `Benchmarks/peers/ingest_embed_sqlite.py` prints.
  struct Peer: Codable, Equatable {
    var traces, embedded, threads, bytesOnDisk: Int
    var seconds: Double
    var tracesPerSecond: Double?

    enum CodingKeys: String, CodingKey {
      case traces, embedded, seconds, threads
      case tracesPerSecond = "traces_per_s", bytesOnDisk = "bytes_on_disk"
    }
  }

  struct Speedup: Codable, Equatable {
    var workers: Int
    var ratio: Double
  }

  enum CodingKeys: String, CodingKey {
    case traces, embedder, speedup
    case byThreads = "by_threads", loadAverageAfter = "load_average_1min_after"
  }

  var table: ReportTable {
    ReportTable(
      ["threads", "TraceKV traces/s", "peer traces/s", "TraceKV / peer"],
      byThreads.map {
        [
          "\($0.threads)", fixed($0.tracekvTracesPerSecond, 1), fixed($0.peerTracesPerSecond, 1),
          ratio($0.tracekvTracesPerSecond, $0.peerTracesPerSecond),
        ]
      })
  }
}

/// Resident memory split as /proc/self/status reports it.
struct ProcessMemory: Codable, Equatable {
  var anonKB, fileKB: Int

  enum CodingKeys: String, CodingKey {
    case anonKB = "anon_kb", fileKB = "file_kb"
  }

  static func current() -> ProcessMemory {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func field(_ name: String) -> Int {
      guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
      return Int(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "") ?? 0
    }
    return ProcessMemory(anonKB: field("RssAnon"), fileKB: field("RssFile"))
  }
}

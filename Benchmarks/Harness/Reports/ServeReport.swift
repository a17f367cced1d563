import Foundation

/// `tracekv-bench serve`: what `Benchmarks/peers/serve_bench.py` measures
/// (its JSON, decoded here field by field), with the run's context.
struct ServeReport: BenchReport {
  static let benchmark = "serve"
  var benchmark: BenchmarkName<Self>? = .init()
  var embedder: String
  var embedInWrite: Bool?
  /// Absent when the client skipped it.
  var writeLoad: WriteLoad?
  var rest: REST?
  /// Added by `tracekv-bench serve` (the client writes none).
  var context: RunContext?

  enum CodingKeys: String, CodingKey {
    case benchmark, embedder, rest, context
    case embedInWrite = "embed_in_write", writeLoad = "write_load"
  }

  /// Latencies of one kind of request (ms; null when none were made).
  struct Summary: Codable, Equatable {
    var count: Int
    var p50, p99: Double?
    /// Set on the export read: traces in one export.
    var traces: Int?
    /// Set on searches: what the server's Server-Timing header said of the
    /// same requests (`search`: its wall time, `cpu`: its thread's CPU, `queue`: waiting for a thread).
    var server: [String: Summary]?

    enum CodingKeys: String, CodingKey {
      case count, traces, server
      case p50 = "p50_ms", p99 = "p99_ms"
    }
  }

  /// Feedback posted by several clients at once.
  struct ConcurrentFeedback: Codable, Equatable {
    var requests, writers: Int
    var perSecond: Double
    var count: Int
    var p50, p99: Double?

    enum CodingKeys: String, CodingKey {
      case requests, writers, count
      case perSecond = "per_second", p50 = "p50_ms", p99 = "p99_ms"
    }
  }

  /// How long after its acknowledgement a probe trace became findable.
  struct Lag: Codable, Equatable {
    var found, of: Int
    var p50, max: Double?

    enum CodingKeys: String, CodingKey {
      case found, of
      case p50 = "p50_ms", max = "max_ms"
    }
  }

  /// OTLP writers and searchers at once against `tracekv serve`.
  struct WriteLoad: Codable, Equatable {
    var writers, searchers, requests, tracesPerRequest, spansPerTrace, spansAcknowledged, errors: Int
    var seconds, spansPerSecond, tracesPerSecond: Double
    var ack, search: Summary
    var firstErrors: [String]
    var findableBM25, findableVector: Lag
    var serverCPUSeconds, loadAverageAfter: Double?
    var searchWithoutWriters: Summary?
    var exitCode, spansStored, tracesInStoreAfter: Int?
    /// The load generator's own processes and CPU, on the same cores as the server.
    var clientProcesses: Int?
    var clientCPUSeconds: Double?

    enum CodingKeys: String, CodingKey {
      case writers, searchers, requests, seconds, ack, search, errors
      case tracesPerRequest = "traces_per_request", spansPerTrace = "spans_per_trace"
      case spansAcknowledged = "spans_acknowledged", spansPerSecond = "spans_per_second"
      case tracesPerSecond = "traces_per_second", firstErrors = "first_errors", findableBM25 = "findable_bm25"
      case findableVector = "findable_vector", serverCPUSeconds = "server_cpu_seconds"
      case searchWithoutWriters = "search_without_writers", loadAverageAfter = "load_average_1min_after"
      case exitCode = "exit_code", spansStored = "spans_stored", tracesInStoreAfter = "traces_in_store_after"
      case clientProcesses = "client_processes", clientCPUSeconds = "client_cpu_seconds"
    }
  }

  /// The same TraceBrain traces and REST reads against each server.
  struct REST: Codable, Equatable {
    var tracekv: Server
    var tracebrain: Server?
    /// TraceBrain / TraceKV: traces_per_second, `<read>_p50` and server_cpu_ms_per_trace_posted.
    var ratios: [String: Double]?

    struct Server: Codable, Equatable {
      var traces, writers, errors: Int
      var seconds, tracesPerSecond: Double
      /// The server process's CPU (user + system) while the traces were posted, per trace.
      var serverCPUMillisecondsPerTrace: Double?
      var ack: Summary
      /// health, get, list_20, feedback, export_min_rating_4.
      var reads: [String: Summary]
      var concurrentFeedback: ConcurrentFeedback?
      /// How long the client waited for the server to go idle before timing reads.
      var idleWaitSeconds: [String: Double]?
      var firstErrors: [String]
      var exitCode: Int?

      enum CodingKeys: String, CodingKey {
        case traces, writers, seconds, ack, reads, errors
        case tracesPerSecond = "traces_per_second", firstErrors = "first_errors", exitCode = "exit_code"
        case concurrentFeedback = "concurrent_feedback", idleWaitSeconds = "idle_wait_seconds"
        case serverCPUMillisecondsPerTrace = "server_cpu_ms_per_trace_posted"
      }
    }
  }

  /// The reads the REST table shows, in order; `health` is the client's own
  /// floor, its round trip to the cheapest route.
  static let reads = ["health", "get", "list_20", "feedback", "export_min_rating_4"]

  /// The Server-Timing metrics the write-load table shows.
  static let serverMetrics = [("server: search", "search"), ("server: search CPU", "cpu"), ("server: queue", "queue")]

  var tables: [ReportTable] {
    var tables: [ReportTable] = []
    if let load = writeLoad {
      let server = Self.serverMetrics.map { label, key in
        ["\(label) p50 / p99 ms", "\(number(load.search.server?[key]?.p50)) / \(number(load.search.server?[key]?.p99))"]
      }
      tables.append(
        ReportTable(
          ["write load", "value"],
          [
            ["spans/s committed", number(load.spansPerSecond)], ["traces/s committed", number(load.tracesPerSecond)],
            ["ack p50 / p99 ms", "\(number(load.ack.p50)) / \(number(load.ack.p99))"],
            ["search p50 / p99 ms", "\(number(load.search.p50)) / \(number(load.search.p99))"],
          ] + server + [
            ["searches", "\(load.search.count)"], ["errors", "\(load.errors)"],
            ["findable by BM25 p50 / max ms", "\(number(load.findableBM25.p50)) / \(number(load.findableBM25.max))"],
            ["findable by vector p50 / max ms", "\(number(load.findableVector.p50)) / \(number(load.findableVector.max))"],
          ]))
    }
    if let rest {
      var table = ReportTable(["REST", "TraceKV", "TraceBrain", "ratio"])
      table.add([
        "traces/s", number(rest.tracekv.tracesPerSecond), number(rest.tracebrain?.tracesPerSecond),
        number(rest.ratios?["traces_per_second"]),
      ])
      let cpu = (rest.tracekv.serverCPUMillisecondsPerTrace, rest.tracebrain?.serverCPUMillisecondsPerTrace)
      if cpu.0 != nil || cpu.1 != nil {
        table.add([
          "server CPU ms per trace posted", number(cpu.0), number(cpu.1),
          number(rest.ratios?["server_cpu_ms_per_trace_posted"]),
        ])
      }
      let feedback = (rest.tracekv.concurrentFeedback, rest.tracebrain?.concurrentFeedback)
      if let ours = feedback.0 {
        table.add([
          "feedback from \(ours.writers) clients, /s", number(ours.perSecond), number(feedback.1?.perSecond),
          number(rest.ratios?["concurrent_feedback_per_second"]),
        ])
      }
      for name in Self.reads {
        table.add([
          "\(name) p50 ms", number(rest.tracekv.reads[name]?.p50), number(rest.tracebrain?.reads[name]?.p50),
          number(rest.ratios?[name + "_p50"]),
        ])
      }
      tables.append(table)
    }
    return tables
  }

  /// Two decimals below 10, one above (none on a whole number); "-" when absent.
  private func number(_ value: Double?) -> String {
    guard let value else { return "-" }
    if value >= 10 && value == value.rounded() { return String(Int(value)) }
    return fixed(value, value < 10 ? 2 : 1)
  }
}

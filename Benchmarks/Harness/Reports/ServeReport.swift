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

    enum CodingKeys: String, CodingKey {
      case count, traces
      case p50 = "p50_ms", p99 = "p99_ms"
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

    enum CodingKeys: String, CodingKey {
      case writers, searchers, requests, seconds, ack, search, errors
      case tracesPerRequest = "traces_per_request", spansPerTrace = "spans_per_trace"
      case spansAcknowledged = "spans_acknowledged", spansPerSecond = "spans_per_second"
      case tracesPerSecond = "traces_per_second", firstErrors = "first_errors", findableBM25 = "findable_bm25"
      case findableVector = "findable_vector", serverCPUSeconds = "server_cpu_seconds"
      case searchWithoutWriters = "search_without_writers", loadAverageAfter = "load_average_1min_after"
      case exitCode = "exit_code", spansStored = "spans_stored", tracesInStoreAfter = "traces_in_store_after"
    }
  }

  /// The same TraceBrain traces and REST reads against each server.
  struct REST: Codable, Equatable {
    var tracekv: Server
    var tracebrain: Server?
    /// TraceBrain / TraceKV: traces_per_second, and `<read>_p50`.
    var ratios: [String: Double]?

    struct Server: Codable, Equatable {
      var traces, writers, errors: Int
      var seconds, tracesPerSecond: Double
      var ack: Summary
      /// get, list_20, feedback, export_min_rating_4.
      var reads: [String: Summary]
      var firstErrors: [String]
      var exitCode: Int?

      enum CodingKeys: String, CodingKey {
        case traces, writers, seconds, ack, reads, errors
        case tracesPerSecond = "traces_per_second", firstErrors = "first_errors", exitCode = "exit_code"
      }
    }
  }

  /// The reads the REST table shows, in order.
  static let reads = ["get", "list_20", "feedback", "export_min_rating_4"]

  var tables: [ReportTable] {
    var tables: [ReportTable] = []
    if let load = writeLoad {
      tables.append(
        ReportTable(
          ["write load", "value"],
          [
            ["spans/s committed", number(load.spansPerSecond)], ["traces/s committed", number(load.tracesPerSecond)],
            ["ack p50 / p99 ms", "\(number(load.ack.p50)) / \(number(load.ack.p99))"],
            ["search p50 / p99 ms", "\(number(load.search.p50)) / \(number(load.search.p99))"],
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

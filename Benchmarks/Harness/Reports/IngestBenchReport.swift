import Foundation

/// `tracekv-bench ingest` (named apart from TraceKV's own `IngestReport`): the ingest rate, bytes per span and
/// reconstruction latency, beside SQLite (TraceBrain's store shape) and raw
/// LMDB puts of the same record sizes.
struct IngestBenchReport: BenchReport {
  static let benchmark = "ingest"
  var benchmark: BenchmarkName<Self>? = .init()
  var traces, spans: Int
  /// none, hashing or minilm.
  var embedder: String
  var seconds, tracesPerSecond, spansPerSecond, bytesPerSpan: Double
  /// `messages(traceID:)` of random traces, and of one 10-step trace, µs.
  var reconstructP50, reconstructP99, reconstructTenStepP50, reconstructTenStepP99: Double
  var rawLMDB: RawLMDB
  /// Absent with --skip-sqlite.
  var sqlite: SQLitePeer?
  /// Search latency per mode on the ingested store; absent with --searches 0.
  var search: [String: Latency]?
  var context: RunContext

  struct RawLMDB: Codable, Equatable {
    var putsPerSecond, bytesPerPut: Double

    enum CodingKeys: String, CodingKey {
      case putsPerSecond = "puts_per_s", bytesPerPut = "bytes_per_put"
    }
  }

  /// What `Benchmarks/peers/ingest_sqlite.py` prints (rates are null when it took no time).
  struct SQLitePeer: Codable, Equatable {
    var traces, spans, bytesOnDisk: Int
    var seconds: Double
    var tracesPerSecond, spansPerSecond, bytesPerSpan: Double?

    enum CodingKeys: String, CodingKey {
      case traces, spans, seconds
      case tracesPerSecond = "traces_per_s", spansPerSecond = "spans_per_s", bytesOnDisk = "bytes_on_disk"
      case bytesPerSpan = "bytes_per_span"
    }
  }

  enum CodingKeys: String, CodingKey {
    case benchmark, traces, spans, embedder, seconds, sqlite, search, context
    case tracesPerSecond = "traces_per_s", spansPerSecond = "spans_per_s", bytesPerSpan = "bytes_per_span"
    case reconstructP50 = "reconstruct_p50_us", reconstructP99 = "reconstruct_p99_us"
    case reconstructTenStepP50 = "reconstruct_10step_p50_us"
    case reconstructTenStepP99 = "reconstruct_10step_p99_us", rawLMDB = "raw_lmdb"
  }

  /// TraceKV beside SQLite and raw LMDB, figure by figure.
  var table: ReportTable {
    ReportTable(
      ["figure", "TraceKV", "SQLite", "TraceKV / SQLite", "raw LMDB", "TraceKV / raw"],
      [
        [
          "traces/s", fixed(tracesPerSecond, 0), fixed(sqlite?.tracesPerSecond, 0), ratio(tracesPerSecond, sqlite?.tracesPerSecond),
          "", "",
        ],
        [
          "spans/s (puts/s)", fixed(spansPerSecond, 0), fixed(sqlite?.spansPerSecond, 0),
          ratio(spansPerSecond, sqlite?.spansPerSecond), fixed(rawLMDB.putsPerSecond, 0),
          ratio(spansPerSecond, rawLMDB.putsPerSecond),
        ],
        [
          "bytes on disk / span", fixed(bytesPerSpan, 0), fixed(sqlite?.bytesPerSpan, 0), ratio(bytesPerSpan, sqlite?.bytesPerSpan),
          fixed(rawLMDB.bytesPerPut, 0), "",
        ],
        ["messages() p50 / p99 µs", "\(fixed(reconstructP50, 1)) / \(fixed(reconstructP99, 1))", "", "", "", ""],
        [
          "10-step messages() p50 / p99 µs", "\(fixed(reconstructTenStepP50, 1)) / \(fixed(reconstructTenStepP99, 1))", "", "",
          "", "",
        ],
      ])
  }
}

/// `tracekv-bench search`: search latency per mode on an existing store.
struct SearchLatencyReport: BenchReport {
  static let benchmark = "search"
  var benchmark: BenchmarkName<Self>? = .init()
  /// Traces in the store, hits per query.
  var traces, limit: Int
  /// The queries file timed, or nil when the queries were drawn from the store's traces.
  var queries: String?
  /// How many queries each mode ran (nil in reports written before it was recorded).
  var queryCount: Int?
  /// The queries' `min_rating` filter (nil: unfiltered).
  var minRating: Int?
  /// Per mode (lexical, vector, hybrid).
  var search: [String: Latency]
  var context: RunContext

  enum CodingKeys: String, CodingKey {
    case benchmark, traces, limit, queries, queryCount = "query_count", minRating = "min_rating", search, context
  }

  /// One row per mode, in name order.
  static func table(_ figures: [String: Latency]) -> ReportTable {
    ReportTable(
      ["mode", "p50 ms", "p99 ms"], figures.keys.sorted().map { [$0, fixed(figures[$0]!.p50, 3), fixed(figures[$0]!.p99, 3)] })
  }
}

import Foundation

/// `tracekv-bench ann`: an HNSW build over a base file and an ef sweep.
struct ANNReport: BenchReport {
  static let benchmark = "ann"
  var benchmark: BenchmarkName<Self>? = .init()
  /// Always "tracekv" (the peers' reports name theirs).
  var engine = "tracekv"
  var buildSeconds, buildCPUSeconds: Double
  /// Resident bytes the build added, and the index's own arrays.
  var memoryBytes, indexBytes: Int
  /// Restoring the index from its records, plus a first query.
  var openSeconds, openCPUSeconds: Double
  /// With --store: open a store, load the graph through LMDB, answer one query.
  var storeOpenFirstQueryMilliseconds: Double?
  var dataset: Dataset
  var parameters: Parameters
  /// The unfiltered sweep, or the first filter's.
  var points: [CurvePoint]
  /// With --filter-selectivity: one sweep per selectivity.
  var filtered: [FilteredSweep]?
  var context: RunContext

  struct Dataset: Codable, Equatable {
    var base, queries: String
    /// Base vectors, their dimension, queries.
    var n, d, queryCount: Int

    enum CodingKeys: String, CodingKey {
      case base, queries, n, d
      case queryCount = "query_count"
    }
  }

  struct Parameters: Codable, Equatable {
    var m, efConstruction, k: Int
    var metric: String
    var threads: Int

    enum CodingKeys: String, CodingKey {
      case m, k, metric, threads
      case efConstruction = "ef_construction"
    }
  }

  struct FilteredSweep: Codable, Equatable {
    var selectivity: Double
    /// Base vectors the filter allows.
    var allowed: Int
    var points: [CurvePoint]
  }

  enum CodingKeys: String, CodingKey {
    case benchmark, engine, dataset, points, filtered, context
    case buildSeconds = "build_seconds", buildCPUSeconds = "build_cpu_seconds", memoryBytes = "memory_bytes"
    case indexBytes = "index_bytes", openSeconds = "open_seconds", openCPUSeconds = "open_cpu_seconds"
    case storeOpenFirstQueryMilliseconds = "store_open_first_query_ms", parameters = "params"
  }

  /// One row per ef of a sweep.
  static func table(_ points: [CurvePoint], title: String, k: Int) -> ReportTable {
    ReportTable(
      ["ef (\(title))", "recall@\(k)", "QPS", "p50 µs", "p99 µs", "QPS per CPU s"],
      points.map {
        ["\($0.ef)", fixed($0.recall, 4), fixed($0.qps, 0), fixed($0.p50, 1), fixed($0.p99, 1), fixed($0.cpuQPS, 0)]
      })
  }
}

/// One ef of a recall-QPS sweep (TraceKV's or a peer's: `Benchmarks/peers/ann.py` writes the same keys).
struct CurvePoint: Codable, Equatable {
  var ef: Int
  /// recall@k and queries/s.
  var recall, qps: Double
  /// Per-query latency, µs.
  var p50, p99: Double
  /// Queries per CPU second.
  var cpuQPS: Double?

  enum CodingKeys: String, CodingKey {
    case ef, recall, qps
    case p50 = "p50_us", p99 = "p99_us", cpuQPS = "cpu_qps"
  }

  /// Queries/s at `recall`, linear between the neighbouring points of the
  /// curve; nil when the curve never reaches it (as `peers/ann.py` computes it).
  static func qps(at recall: Double, on points: [CurvePoint]) -> Double? {
    let curve = points.sorted { $0.recall < $1.recall }
    guard let first = curve.first, let last = curve.last, recall <= last.recall else { return nil }
    if recall <= first.recall { return first.qps }
    for (low, high) in zip(curve, curve.dropFirst()) where low.recall <= recall && recall <= high.recall {
      if high.recall == low.recall { return low.qps }
      return low.qps + (high.qps - low.qps) * (recall - low.recall) / (high.recall - low.recall)
    }
    return nil
  }
}

/// `Benchmarks/peers/ann.py`'s file: TraceKV's `ann` report and each peer's sweep.
struct ANNComparison: Codable, Equatable {
  var tracekv: ANNReport
  var peers: [Peer]

  /// A peer's build and sweep (hnswlib, faiss, usearch).
  struct Peer: Codable, Equatable {
    var engine: String
    var buildSeconds, memoryBytes: Double
    var points: [CurvePoint]

    enum CodingKeys: String, CodingKey {
      case engine, points
      case buildSeconds = "build_seconds", memoryBytes = "memory_bytes"
    }
  }
}

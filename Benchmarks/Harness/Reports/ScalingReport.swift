import Foundation

/// `tracekv-bench scaling`: `ann` and hybrid `retrieval` at growing sizes,
/// each a child process, with the child's peak memory.
struct ScalingReport: BenchReport {
  static let benchmark = "scaling"
  var benchmark: BenchmarkName<Self>? = .init()
  /// Without --base: absent.
  var vector: Vector?
  /// Without --beir: absent.
  var hybrid: Hybrid?
  var context: RunContext

  struct Vector: Codable, Equatable {
    /// The base file's name, the metric.
    var dataset, metric: String
    /// Vectors in the whole base.
    var full, ef, queries: Int
    var rows: [Row]

    /// One size: the `ann` child's build and its first ef point.
    struct Row: Codable, Equatable {
      var n, peakRSSBytes, memoryBytes, indexBytes: Int
      var buildSeconds, buildCPUSeconds, openSeconds: Double
      /// Of the first ef point.
      var qps, recall, p50, p99, cpuQPS: Double?

      enum CodingKeys: String, CodingKey {
        case n, qps, recall
        case peakRSSBytes = "peak_rss_bytes", buildSeconds = "build_seconds"
        case buildCPUSeconds = "build_cpu_seconds", memoryBytes = "memory_bytes", indexBytes = "index_bytes"
        case openSeconds = "open_seconds", p50 = "p50_us", p99 = "p99_us", cpuQPS = "cpu_qps"
      }

      init(n: Int, peakRSSBytes: Int, child: ANNReport) {
        let point = child.points.first
        (self.n, self.peakRSSBytes) = (n, peakRSSBytes)
        (buildSeconds, buildCPUSeconds, memoryBytes) = (child.buildSeconds, child.buildCPUSeconds, child.memoryBytes)
        (indexBytes, openSeconds) = (child.indexBytes, child.openSeconds)
        (qps, recall, p50, p99, cpuQPS) = (point?.qps, point?.recall, point?.p50, point?.p99, point?.cpuQPS)
      }
    }

    var table: ReportTable {
      ReportTable(
        ["vectors", "build s", "memory MB", "index MB", "QPS", "recall@10", "p50 µs", "peak RSS MB"],
        rows.map { row in
          [
            count(row.n), fixed(row.buildSeconds, 2), megabytes(Double(row.memoryBytes)), megabytes(Double(row.indexBytes)),
            fixed(row.qps, 0), fixed(row.recall, 4), fixed(row.p50, 1), megabytes(Double(row.peakRSSBytes)),
          ]
        })
    }
  }

  struct Hybrid: Codable, Equatable {
    /// The BEIR folder's name, the store's embedder.
    var dataset, embedder: String
    /// Documents in the whole collection.
    var full: Int
    var rows: [Row]

    /// One size: the hybrid `retrieval` child over its first n documents, its
    /// mode's figures beside the size's (flat, as the retrieval report's modes are).
    struct Row: Codable, Equatable {
      var n, peakRSSBytes, storeBytes, queries: Int
      /// The store's build (ingest with both indexes); nil if the child reused a store.
      var buildSeconds: Double?
      var mode: RetrievalReport.Mode

      enum CodingKeys: String, CodingKey {
        case n, queries
        case peakRSSBytes = "peak_rss_bytes", storeBytes = "store_bytes", buildSeconds = "build_seconds"
      }

      init(n: Int, peakRSSBytes: Int, storeBytes: Int, child: RetrievalReport, mode: RetrievalReport.Mode) {
        (self.n, self.peakRSSBytes, self.storeBytes, queries) = (n, peakRSSBytes, storeBytes, child.queries)
        (buildSeconds, self.mode) = (child.indexSeconds, mode)
      }

      init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        n = try container.decode(Int.self, forKey: .n)
        peakRSSBytes = try container.decode(Int.self, forKey: .peakRSSBytes)
        storeBytes = try container.decode(Int.self, forKey: .storeBytes)
        queries = try container.decode(Int.self, forKey: .queries)
        buildSeconds = try container.decodeIfPresent(Double.self, forKey: .buildSeconds)
        mode = try RetrievalReport.Mode(from: decoder)
      }

      func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(n, forKey: .n)
        try container.encode(peakRSSBytes, forKey: .peakRSSBytes)
        try container.encode(storeBytes, forKey: .storeBytes)
        try container.encode(queries, forKey: .queries)
        try container.encodeIfPresent(buildSeconds, forKey: .buildSeconds)
        try mode.encode(to: encoder)
      }
    }

    var table: ReportTable {
      ReportTable(
        ["traces", "build s", "traces/s", "store MB", "peak RSS MB", "queries", "QPS", "p50 ms", "p99 ms", "nDCG@10"],
        rows.map { row in
          [
            count(row.n), fixed(row.buildSeconds, 1), fixed(row.buildSeconds.map { Double(row.n) / $0 }, 0),
            megabytes(Double(row.storeBytes)), megabytes(Double(row.peakRSSBytes)), count(row.queries), fixed(row.mode.qps, 0),
            fixed(row.mode.p50, 3), fixed(row.mode.p99, 3), fixed(row.mode.quality.ndcg10, 4),
          ]
        })
    }
  }
}

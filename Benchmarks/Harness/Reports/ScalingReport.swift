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

    /// One size: the hybrid `retrieval` child over its first n documents.
    struct Row: Codable, Equatable {
      var n, peakRSSBytes, storeBytes, queries: Int
      /// The store's build (ingest with both indexes); nil if the child reused a store.
      var buildSeconds: Double?
      var qps, p50, p99, embedP50: Double
      var quality: RetrievalReport.Quality

      enum CodingKeys: String, CodingKey {
        case n, queries, qps
        case peakRSSBytes = "peak_rss_bytes", storeBytes = "store_bytes", buildSeconds = "build_seconds"
        case p50 = "p50_ms", p99 = "p99_ms", embedP50 = "embed_p50_ms"
      }

      init(n: Int, peakRSSBytes: Int, storeBytes: Int, child: RetrievalReport, mode: RetrievalReport.Mode) {
        (self.n, self.peakRSSBytes, self.storeBytes) = (n, peakRSSBytes, storeBytes)
        (buildSeconds, queries) = (child.indexSeconds, child.queries)
        (qps, p50, p99, embedP50, quality) = (mode.qps, mode.p50, mode.p99, mode.embedP50, mode.quality)
      }

      // The quality figures sit beside the others (flat), as in the retrieval report's modes.
      init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        n = try container.decode(Int.self, forKey: .n)
        peakRSSBytes = try container.decode(Int.self, forKey: .peakRSSBytes)
        storeBytes = try container.decode(Int.self, forKey: .storeBytes)
        buildSeconds = try container.decodeIfPresent(Double.self, forKey: .buildSeconds)
        queries = try container.decode(Int.self, forKey: .queries)
        qps = try container.decode(Double.self, forKey: .qps)
        p50 = try container.decode(Double.self, forKey: .p50)
        p99 = try container.decode(Double.self, forKey: .p99)
        embedP50 = try container.decode(Double.self, forKey: .embedP50)
        quality = try RetrievalReport.Quality(from: decoder)
      }

      func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(n, forKey: .n)
        try container.encode(peakRSSBytes, forKey: .peakRSSBytes)
        try container.encode(storeBytes, forKey: .storeBytes)
        try container.encodeIfPresent(buildSeconds, forKey: .buildSeconds)
        try container.encode(queries, forKey: .queries)
        try container.encode(qps, forKey: .qps)
        try container.encode(p50, forKey: .p50)
        try container.encode(p99, forKey: .p99)
        try container.encode(embedP50, forKey: .embedP50)
        try quality.encode(to: encoder)
      }
    }

    var table: ReportTable {
      ReportTable(
        ["traces", "build s", "traces/s", "store MB", "peak RSS MB", "queries", "QPS", "p50 ms", "p99 ms", "nDCG@10"],
        rows.map { row in
          [
            count(row.n), fixed(row.buildSeconds, 1), fixed(row.buildSeconds.map { Double(row.n) / $0 }, 0),
            megabytes(Double(row.storeBytes)), megabytes(Double(row.peakRSSBytes)), count(row.queries), fixed(row.qps, 0),
            fixed(row.p50, 3), fixed(row.p99, 3), fixed(row.quality.ndcg10, 4),
          ]
        })
    }
  }
}

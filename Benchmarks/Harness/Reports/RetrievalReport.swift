import Foundation

/// `tracekv-bench retrieval`: a BEIR collection stored as traces and
/// searched through `TraceStore.search`, per mode.
struct RetrievalReport: BenchReport {
  static let benchmark = "retrieval"
  var benchmark: BenchmarkName<Self>? = .init()
  /// The BEIR folder, and the store's embedder.
  var collection, embedder: String
  var documents, queries: Int
  /// The store's build; nil when an existing store was reused (not timed).
  var indexSeconds: Double?
  var storeReused: Bool
  var weights: Weights
  var modes: [Mode]
  /// Whether fusion beat both sides (only when all three modes ran).
  var verdict: String?
  var context: RunContext

  struct Weights: Codable, Equatable {
    var lexical, vector: Double
  }

  /// One mode's quality and latency.
  struct Mode: Codable, Equatable {
    /// lexical, vector or hybrid.
    var mode: String
    /// Search latency (`p50`, `p99`), ms, the query embedding excluded; the embedding's p50 (0 for lexical).
    var qps, p50, p99, embedP50: Double
    /// The vector side's similarity floor (absent from reports written before it existed); the mean hits
    /// among the first 10 for queries about another collection (nil without --foreign-queries).
    var minSimilarity, foreignHitsAt10: Double?
    var quality: Quality
    var judgedQueries: Int

    enum CodingKeys: String, CodingKey {
      case mode, qps
      case p50 = "p50_ms", p99 = "p99_ms", embedP50 = "embed_p50_ms", minSimilarity = "min_similarity"
      case foreignHitsAt10 = "foreign_hits_at_10", judgedQueries = "judged_queries"
    }

    init(
      mode: String, qps: Double, p50: Double, p99: Double, embedP50: Double, minSimilarity: Double?,
      foreignHitsAt10: Double?, metrics: RetrievalMetrics
    ) {
      (self.mode, self.qps, self.p50, self.p99, self.embedP50) = (mode, qps, p50, p99, embedP50)
      (self.minSimilarity, self.foreignHitsAt10) = (minSimilarity, foreignHitsAt10)
      quality = Quality(metrics)
      judgedQueries = metrics.queryCount
    }

    // The quality figures sit beside the latency ones (flat), as Benchmarks/peers/hybrid.py reads them.
    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      mode = try container.decode(String.self, forKey: .mode)
      qps = try container.decode(Double.self, forKey: .qps)
      p50 = try container.decode(Double.self, forKey: .p50)
      p99 = try container.decode(Double.self, forKey: .p99)
      embedP50 = try container.decode(Double.self, forKey: .embedP50)
      minSimilarity = try container.decodeIfPresent(Double.self, forKey: .minSimilarity)
      foreignHitsAt10 = try container.decodeIfPresent(Double.self, forKey: .foreignHitsAt10)
      judgedQueries = try container.decode(Int.self, forKey: .judgedQueries)
      quality = try Quality(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(mode, forKey: .mode)
      try container.encode(qps, forKey: .qps)
      try container.encode(p50, forKey: .p50)
      try container.encode(p99, forKey: .p99)
      try container.encode(embedP50, forKey: .embedP50)
      try container.encodeIfPresent(minSimilarity, forKey: .minSimilarity)
      try container.encodeIfPresent(foreignHitsAt10, forKey: .foreignHitsAt10)
      try container.encode(judgedQueries, forKey: .judgedQueries)
      try quality.encode(to: encoder)
    }
  }

  /// nDCG@10, recall@10/@100 and MRR@10 (`RetrievalMetrics`), under the keys every quality report uses.
  struct Quality: Codable, Equatable {
    var ndcg10, recall10, recall100, mrr10: Double

    init(_ metrics: RetrievalMetrics) {
      (ndcg10, recall10, recall100, mrr10) = (metrics.ndcg10, metrics.recall10, metrics.recall100, metrics.mrr10)
    }

    enum CodingKeys: String, CodingKey {
      case ndcg10 = "ndcg@10", recall10 = "recall@10", recall100 = "recall@100", mrr10 = "mrr@10"
    }

    /// The four figures with 4 decimals, in the order of `headers`.
    var cells: [String] { [ndcg10, recall10, recall100, mrr10].map { fixed($0, 4) } }
    static let headers = ["nDCG@10", "R@10", "R@100", "MRR@10"]
  }

  enum CodingKeys: String, CodingKey {
    case benchmark, collection, documents, queries, embedder, weights, modes, verdict, context
    case indexSeconds = "index_seconds", storeReused = "store_reused"
  }

  /// One row per mode.
  var table: ReportTable {
    ReportTable(
      ["mode"] + Quality.headers + ["qps", "p50 ms", "p99 ms", "embed p50 ms", "foreign hits@10"],
      modes.map { mode in
        [mode.mode] + mode.quality.cells + [
          fixed(mode.qps, 0), fixed(mode.p50, 3), fixed(mode.p99, 3), mode.mode == "lexical" ? "-" : fixed(mode.embedP50, 2),
          fixed(mode.foreignHitsAt10, 2),
        ]
      })
  }

  /// Whether fusion beat both of its sides on nDCG@10, or which side won and
  /// by how much (nil unless all three modes ran).
  static func hybridVerdict(_ modes: [Mode]) -> String? {
    let ndcg = Dictionary(modes.map { ($0.mode, $0.quality.ndcg10) }) { _, last in last }
    guard let hybrid = ndcg["hybrid"], let lexical = ndcg["lexical"], let vector = ndcg["vector"] else { return nil }
    let (side, single) = lexical >= vector ? ("lexical", lexical) : ("vector", vector)
    let margin = "\(fixed(abs(hybrid - single), 4)) nDCG@10"
    return hybrid > single
      ? "hybrid beats both single modes: +\(margin) over the better one (\(side))"
      : "a single mode wins: \(side) by \(margin) over hybrid"
  }
}

/// `Benchmarks/peers/hybrid.py`'s file: the reference (bm25s + exact
/// sentence-transformers + RRF) per mode, and TraceKV's `retrieval` report
/// unless it ran with --skip-tracekv.
struct RetrievalComparison: Codable, Equatable {
  var collection: String?
  var tracekvReport: RetrievalReport?
  var reference: [String: RetrievalReport.Quality]

  enum CodingKeys: String, CodingKey {
    case collection, reference
    case tracekvReport = "tracekv_report"
  }
}

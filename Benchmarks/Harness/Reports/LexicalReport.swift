import Foundation

/// `tracekv-bench lexical`: BM25 over a BEIR folder, one query at a time.
/// Flat, as `Benchmarks/peers/lexical.py` reads it.
struct LexicalReport: BenchReport {
  static let benchmark = "lexical"
  var benchmark: BenchmarkName<Self>? = .init()
  /// The BEIR folder (absent from reports written before it was recorded).
  var collection: String?
  var documents, queries, terms, chunks, postingBytes: Int
  /// Tokens.
  var averageDocumentLength: Double
  /// Hits per query.
  var depth: Int
  var k1, b: Double
  var strategy: String
  var indexSeconds, indexCPUSeconds, qps, cpuQPS: Double
  /// Per query, ms.
  var p50, p99: Double
  var ndcg10, recall10, recall100, mrr10: Double
  var judgedQueries: Int
  /// Absent with --skip-verify.
  var exhaustiveQPS: Double?
  /// Queries whose hits equal the exhaustive strategy's; absent with --skip-verify.
  var exactQueries: Int?
  /// One document added to an index of `addIndexDocuments`, averaged over the adds.
  var addIndexDocuments: Int
  var addMeanMicroseconds, addP99Microseconds, addMeanCPUMicroseconds, addMeanBytes, addMeanTokens: Double
  var context: RunContext

  enum CodingKeys: String, CodingKey {
    case benchmark, collection, documents, queries, terms, chunks, depth, k1, b, strategy, qps, context
    case postingBytes = "posting_bytes", averageDocumentLength = "avg_doc_length"
    case indexSeconds = "index_seconds", indexCPUSeconds = "index_cpu_seconds", cpuQPS = "qps_cpu"
    case p50 = "p50_ms", p99 = "p99_ms", ndcg10 = "ndcg@10", recall10 = "recall@10", recall100 = "recall@100"
    case mrr10 = "mrr@10", judgedQueries = "judged_queries", exhaustiveQPS = "exhaustive_qps"
    case exactQueries = "exact_queries", addIndexDocuments = "add_one_index_documents"
    case addMeanMicroseconds = "add_one_us_mean", addP99Microseconds = "add_one_us_p99"
    case addMeanCPUMicroseconds = "add_one_cpu_us_mean", addMeanBytes = "add_one_bytes_mean"
    case addMeanTokens = "add_one_tokens_mean"
  }

  /// The figures `lexical` prints, one a row.
  var table: ReportTable {
    var table = ReportTable(["lexical", "value"])
    table.add(["collection", "\(collection ?? "?") (\(documents) docs, \(queries) queries)"])
    table.add(["terms / chunks / posting MB", "\(terms) / \(chunks) / \(megabytes(Double(postingBytes)))"])
    table.add(["avg doc length (tokens)", fixed(averageDocumentLength, 1)])
    table.add(["index seconds (wall / thread CPU)", "\(fixed(indexSeconds, 3)) / \(fixed(indexCPUSeconds, 3))"])
    table.add(["queries/s, 1 thread (wall / CPU)", "\(fixed(qps, 0)) / \(fixed(cpuQPS, 0))"])
    table.add(["p50 / p99 ms", "\(fixed(p50, 3)) / \(fixed(p99, 3))"])
    if let exhaustiveQPS, let exactQueries {
      table.add(["exhaustive queries/s", fixed(exhaustiveQPS, 0)])
      table.add(["same hits as exhaustive", "\(exactQueries)/\(queries) queries"])
    }
    table.add(["nDCG@10", fixed(ndcg10, 4)])
    table.add(["recall@10 / @100", "\(fixed(recall10, 4)) / \(fixed(recall100, 4))"])
    table.add(["MRR@10", fixed(mrr10, 4)])
    table.add([
      "single add at \(addIndexDocuments) docs",
      "\(fixed(addMeanMicroseconds, 1)) µs mean (CPU \(fixed(addMeanCPUMicroseconds, 1))), \(fixed(addP99Microseconds, 1)) µs p99",
    ])
    table.add([
      "bytes written per add",
      "\(fixed(addMeanBytes, 0)) for \(fixed(addMeanTokens, 1)) tokens (\(fixed(addMeanBytes / max(addMeanTokens, 1), 1)) B/token)",
    ])
    return table
  }
}

/// `tracekv-bench lexical --compare`: every strategy at every depth on one
/// index, with each query's time and shape (for fitting the automatic rule).
struct LexicalStrategyReport: BenchReport {
  static let benchmark = "lexical-strategies"
  var benchmark: BenchmarkName<Self>? = .init()
  var rows: [Row]
  var perQuery: [PerQuery]
  /// Per query: distinct indexed terms, Σ df / N over them, the rarest one's df / N.
  var queryTerms: [Int]
  var queryDocumentFraction, queryRarestFraction: [Double]
  var context: RunContext

  struct Row: Codable, Equatable {
    var strategy: String
    var depth: Int
    var cpuQPS, p50, p99: Double

    enum CodingKeys: String, CodingKey {
      case strategy, depth
      case cpuQPS = "qps_cpu", p50 = "p50_ms", p99 = "p99_ms"
    }
  }

  /// Each query's milliseconds under one strategy and depth.
  struct PerQuery: Codable, Equatable {
    var strategy: String
    var depth: Int
    var ms: [Double]
  }

  enum CodingKeys: String, CodingKey {
    case benchmark, rows, context
    case perQuery = "per_query", queryTerms = "query_terms", queryDocumentFraction = "query_document_fraction"
    case queryRarestFraction = "query_rarest_fraction"
  }

  var table: ReportTable {
    ReportTable(
      ["strategy", "k", "queries/s (CPU)", "p50 ms", "p99 ms"],
      rows.map { [$0.strategy, "\($0.depth)", fixed($0.cpuQPS, 0), fixed($0.p50, 3), fixed($0.p99, 3)] })
  }
}

/// `Benchmarks/peers/lexical.py`'s file: TraceKV's `lexical` report beside
/// bm25s and tantivy on the same collection.
struct LexicalComparison: Codable, Equatable {
  /// By system name ("tracekv" is ours).
  var systems: [String: Figures]
  /// TraceKV / peer, by peer name.
  var ratios: [String: Ratios]
  var agreement: Agreement?
  var tracekvReport: LexicalReport

  /// One system's figures (peers may lack some).
  struct Figures: Codable, Equatable {
    var indexSeconds, qps, p50, p99: Double?
    var ndcg10, recall10, recall100, mrr10: Double?

    enum CodingKeys: String, CodingKey {
      case qps
      case indexSeconds = "index_seconds", p50 = "p50_ms", p99 = "p99_ms", ndcg10 = "ndcg@10"
      case recall10 = "recall@10", recall100 = "recall@100", mrr10 = "mrr@10"
    }
  }

  struct Ratios: Codable, Equatable {
    var qps, indexSeconds, p50: Double?

    enum CodingKeys: String, CodingKey {
      case qps
      case indexSeconds = "index_seconds", p50 = "p50_ms"
    }
  }

  /// Top-10 scores equal to bm25s's (relative difference ≤ 1e-4).
  struct Agreement: Codable, Equatable {
    var queries, queriesAllTop10ScoresEqual, rankPositions, rankPositionsEqual: Int

    enum CodingKeys: String, CodingKey {
      case queries
      case queriesAllTop10ScoresEqual = "queries_all_top10_scores_equal", rankPositions = "rank_positions"
      case rankPositionsEqual = "rank_positions_equal"
    }
  }

  enum CodingKeys: String, CodingKey {
    case systems, ratios, agreement
    case tracekvReport = "tracekv_report"
  }
}

import Foundation
import LexicalIndex

/// `tracekv-bench lexical --compare taat,bmw,... --compare-depths 10,100`:
/// every strategy at every depth on the one index already built, the queries
/// run one at a time on this thread, so the figures the automatic rule is
/// set from come out of one run. Per query, the time of each strategy and
/// the query's shape (distinct terms, the summed fraction of documents its
/// terms occur in, the rarest term's fraction), written to the JSON report for fitting the rule.
struct LexicalStrategyComparison {
  struct Row {
    var strategy: String
    var depth: Int
    var cpuQPS: Double
    var p50: Double
    var p99: Double
    var milliseconds: [Double]
  }

  let index: BM25Index
  let store: InMemoryLexicalStore
  let queries: [String]

  /// Runs each strategy at each depth over every query (after 50 warm-up queries).
  func run(strategies: [(name: String, strategy: BM25SearchStrategy)], depths: [Int]) throws -> [Row] {
    var rows: [Row] = []
    for depth in depths {
      for (name, strategy) in strategies {
        for query in queries.prefix(50) { _ = try index.search(query, limit: depth, in: store, strategy: strategy) }
        var times: [Double] = []
        times.reserveCapacity(queries.count)
        let cpuStart = threadCPUSeconds()
        for query in queries {
          let start = nowNanoseconds()
          _ = try index.search(query, limit: depth, in: store, strategy: strategy)
          times.append(Double(nowNanoseconds() - start) / 1e6)
        }
        let cpu = threadCPUSeconds() - cpuStart
        rows.append(
          Row(strategy: name, depth: depth, cpuQPS: Double(queries.count) / cpu, p50: percentile(times, 50),
              p99: percentile(times, 99), milliseconds: times))
      }
    }
    return rows
  }

  /// Each query's distinct indexed terms, Σ df / N over them, and the rarest one's df / N.
  func shapes() -> [(terms: Int, documentFraction: Double, rarestFraction: Double)] {
    let documents = Double(max(store.collectionStatistics().documentCount, 1))
    var frequencies: [Term: Int] = [:]
    return queries.map { query in
      let fractions = Set(index.queryTerms(query)).map { term -> Double in
        let df = frequencies[term] ?? (store.postings(of: term)?.count ?? 0)
        frequencies[term] = df
        return Double(df) / documents
      }.filter { $0 > 0 }
      return (fractions.count, fractions.reduce(0, +), fractions.min() ?? 0)
    }
  }

  /// The report of `rows`, with each query's shape.
  func report(_ rows: [Row]) -> LexicalStrategyReport {
    let shapes = shapes()
    return LexicalStrategyReport(
      rows: rows.map { .init(strategy: $0.strategy, depth: $0.depth, cpuQPS: $0.cpuQPS, p50: $0.p50, p99: $0.p99) },
      perQuery: rows.map { .init(strategy: $0.strategy, depth: $0.depth, ms: $0.milliseconds) },
      queryTerms: shapes.map(\.terms), queryDocumentFraction: shapes.map(\.documentFraction),
      queryRarestFraction: shapes.map(\.rarestFraction), context: .current())
  }
}

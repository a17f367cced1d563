import Foundation

/// Ranked-retrieval quality as trec_eval computes it, averaged over the
/// queries that have at least one relevant document (trec_eval `-c`
/// semantics: a query that returns nothing scores 0, it is not skipped).
///
/// - nDCG@10 (`ndcg_cut_10`): Σ gain / log2(rank + 1) over the first 10
///   results, gain = the judged grade, divided by the same sum over the ideal
///   ordering of the judged documents.
/// - recall@k (`recall_k`): relevant documents in the first k / all relevant documents.
/// - MRR@10 (`recip_rank` cut at 10): 1 / rank of the first relevant result within 10, else 0.
struct RetrievalMetrics {
  var ndcg10 = 0.0
  var recall10 = 0.0
  var recall100 = 0.0
  var mrr10 = 0.0
  /// Queries averaged over.
  var queryCount = 0

  /// Scores `rankings` (query id → document ids, best first) against `qrels`.
  static func evaluate(rankings: [String: [String]], qrels: [String: [String: Int]]) -> RetrievalMetrics {
    var metrics = RetrievalMetrics()
    for (query, judged) in qrels {
      let relevant = judged.filter { $0.value > 0 }
      guard !relevant.isEmpty else { continue }
      let ranking = rankings[query] ?? []
      metrics.queryCount += 1

      var dcg = 0.0
      for (offset, document) in ranking.prefix(10).enumerated() {
        dcg += Double(relevant[document] ?? 0) / log2(Double(offset + 2))
      }
      let ideal = relevant.values.sorted(by: >).prefix(10).enumerated().reduce(0.0) {
        $0 + Double($1.element) / log2(Double($1.offset + 2))
      }
      metrics.ndcg10 += dcg / ideal
      metrics.recall10 += Double(ranking.prefix(10).filter { relevant[$0] != nil }.count) / Double(relevant.count)
      metrics.recall100 += Double(ranking.prefix(100).filter { relevant[$0] != nil }.count) / Double(relevant.count)
      if let first = ranking.prefix(10).firstIndex(where: { relevant[$0] != nil }) {
        metrics.mrr10 += 1 / Double(first + 1)
      }
    }
    if metrics.queryCount > 0 {
      let count = Double(metrics.queryCount)
      metrics.ndcg10 /= count
      metrics.recall10 /= count
      metrics.recall100 /= count
      metrics.mrr10 /= count
    }
    return metrics
  }
}

/// A TREC run file: `query Q0 document rank score tag` per line, the format
/// trec_eval and pytrec_eval read, so a run can be checked independently.
enum TRECRunFile {
  static func write(_ results: [(query: String, hits: [(document: String, score: Double)])], tag: String, to path: String)
    throws
  {
    var text = ""
    for (query, hits) in results {
      for (offset, hit) in hits.enumerated() {
        // %.17g: every bit of a Double, so score comparisons downstream are exact.
        text += "\(query) Q0 \(hit.document) \(offset + 1) \(String(format: "%.17g", hit.score)) \(tag)\n"
      }
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }
}

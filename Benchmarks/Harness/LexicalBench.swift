import ArgumentParser
import Foundation
import LexicalIndex

/// `tracekv-bench lexical --beir DIR`: BM25 index time, single-thread query
/// speed and retrieval quality on a BEIR collection, plus the cost of adding
/// one document to a large index.
struct LexicalBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lexical",
    abstract: "BM25: index seconds, queries/s, p50/p99, nDCG@10, recall@10/100, MRR@10 on a BEIR folder.")

  @Option(help: "BEIR folder (see `tracekv-bench prepare`).") var beir: String
  @OptionGroup var output: ReportOutput
  @Option(help: "Hits per query (recall@100 needs at least 100).") var depth = 100
  @Option(help: "BM25 k1.") var k1 = 1.2
  @Option(help: "BM25 b.") var b = 0.75
  @Option(help: "Write tokens and the run (TREC format) here, for Benchmarks/peers/lexical.py.") var dump: String?
  @Option(help: "Documents added one at a time after the bulk index, to time a single add.") var adds = 1_000
  @Option(help: "Before timing single adds, grow the index to this many documents by re-adding the corpus under new ids.")
  var growTo = 100_000
  @Flag(help: "Skip the exhaustive-scoring pass that checks the results of the fast strategies.") var skipVerify = false
  @Option(help: "Query evaluation: automatic, maxscore, bmw (block-max WAND), wmaxscore (windowed MaxScore), taat (term at a time) or exhaustive.") var strategy = "automatic"
  @Option(help: "Instead of the report: time these strategies (comma-separated, names as --strategy) at each of --compare-depths on one index.")
  var compare: String?
  @Option(help: "The depths --compare times, comma-separated.") var compareDepths = "10,100"
  @Option(help: "With --compare: instead of the collection's queries, this many drawn from its documents as `tracekv-bench search` draws them from a store's traces.")
  var drawnQueries: Int?
  @Option(help: "Also write the drawn queries to this file (BEIR queries.jsonl, ids d0, d1, ...), for a build without --drawn-queries to read.")
  var saveDrawnQueries: String?

  func run() throws {
    if drawnQueries != nil && compare == nil { throw ValidationError("--drawn-queries needs --compare (drawn queries have no judgments)") }
    if saveDrawnQueries != nil && drawnQueries == nil { throw ValidationError("--save-drawn-queries needs --drawn-queries") }
    let collection = try BEIRCollection.load(from: beir)
    let index = BM25Index(parameters: try BM25Parameters(k1: k1, b: b))
    let strategies: [String: BM25SearchStrategy] = [
      "automatic": .automatic, "maxscore": .maxScore, "bmw": .blockMaxWAND, "wmaxscore": .windowedMaxScore, "taat": .termAtATime,
      "exhaustive": .exhaustive,
    ]
    guard let strategy = strategies[strategy] else {
      throw ValidationError("--strategy must be one of \(strategies.keys.sorted().joined(separator: ", "))")
    }
    let texts = collection.documents.map(\.indexedText)
    let documents = texts.enumerated().map { (id: UInt32($0.offset), text: $0.element) }

    // Bulk index: one batch, as a store ingests a file.
    var store = InMemoryLexicalStore()
    let indexStart = nowNanoseconds()
    let indexCPUStart = threadCPUSeconds()
    try index.add(documents, to: &store)
    let indexSeconds = secondsSince(indexStart)
    let indexCPUSeconds = threadCPUSeconds() - indexCPUStart
    let statistics = store.collectionStatistics()

    if let compare {
      let chosen = try compare.split(separator: ",").map { name -> (name: String, strategy: BM25SearchStrategy) in
        guard let strategy = strategies[String(name)] else { throw ValidationError("--compare: unknown strategy \(name)") }
        return (String(name), strategy)
      }
      let depths = compareDepths.split(separator: ",").compactMap { Int($0) }
      let queries = drawnQueries.map { count in DrawnQuery.draw(count, from: texts.count) { texts[$0] } }
      if let queries, let saveDrawnQueries {
        try BEIRCollection.write(
          queries.enumerated().map { BEIRCollection.Query(id: "d\($0.offset)", text: $0.element) }, to: saveDrawnQueries)
      }
      let comparison = LexicalStrategyComparison(index: index, store: store, queries: queries ?? collection.queries.map(\.text))
      let rows = try comparison.run(strategies: chosen, depths: depths)
      print("\(beir): \(collection.documents.count) docs, \(comparison.queries.count) queries, index \(fixed(indexSeconds, 1)) s")
      let report = comparison.report(rows)
      print(report.table.text)
      try output.write(report)
      return
    }

    // Queries, one at a time on this thread, tokenization included.
    for query in collection.queries.prefix(50) {
      _ = try index.search(query.text, limit: depth, in: store, strategy: strategy)
    }
    var latencies: [Double] = []
    var rankings: [String: [String]] = [:]
    var run: [(query: String, hits: [(document: String, score: Double)])] = []
    var results: [[LexicalHit]] = []
    var progress = ProgressLine("lexical queries", total: collection.queries.count)
    let queriesStart = nowNanoseconds()
    let queriesCPUStart = threadCPUSeconds()
    for (number, query) in collection.queries.enumerated() {
      let start = nowNanoseconds()
      let hits = try index.search(query.text, limit: depth, in: store, strategy: strategy)
      latencies.append(Double(nowNanoseconds() - start) / 1e6)
      results.append(hits)
      rankings[query.id] = hits.map { collection.documents[Int($0.document)].id }
      run.append((query.id, hits.map { (collection.documents[Int($0.document)].id, $0.score) }))
      progress.update(number + 1)
    }
    let queriesSeconds = secondsSince(queriesStart)
    let queriesCPUSeconds = threadCPUSeconds() - queriesCPUStart
    progress.finish()
    let metrics = RetrievalMetrics.evaluate(rankings: rankings, qrels: collection.qrels)
    let qps = Double(collection.queries.count) / queriesSeconds

    // The fast strategies must return exactly what scoring every posting returns.
    var exhaustiveQPS = 0.0
    var exactQueries = 0
    if !skipVerify {
      let start = nowNanoseconds()
      for (number, query) in collection.queries.enumerated() {
        let hits = try index.search(query.text, limit: depth, in: store, strategy: .exhaustive)
        if hits == results[number] { exactQueries += 1 }
      }
      exhaustiveQPS = Double(collection.queries.count) / secondsSince(start)
    }

    if let dump { try writeDump(to: dump, collection: collection, index: index, run: run) }

    let addReport = try measureSingleAdds(index: index, store: &store, texts: texts)

    let report = LexicalReport(
      collection: beir, documents: collection.documents.count, queries: collection.queries.count, terms: store.termCount,
      chunks: store.chunkCount, postingBytes: store.postingBytes, averageDocumentLength: statistics.averageLength,
      depth: depth, k1: k1, b: b, strategy: self.strategy, indexSeconds: indexSeconds, indexCPUSeconds: indexCPUSeconds,
      qps: qps, cpuQPS: Double(collection.queries.count) / queriesCPUSeconds, p50: percentile(latencies, 50),
      p99: percentile(latencies, 99), ndcg10: metrics.ndcg10, recall10: metrics.recall10, recall100: metrics.recall100,
      mrr10: metrics.mrr10, judgedQueries: metrics.queryCount, exhaustiveQPS: skipVerify ? nil : exhaustiveQPS,
      exactQueries: skipVerify ? nil : exactQueries, addIndexDocuments: addReport.indexSize,
      addMeanMicroseconds: addReport.meanMicroseconds, addP99Microseconds: addReport.p99Microseconds,
      addMeanCPUMicroseconds: addReport.meanCPUMicroseconds, addMeanBytes: addReport.meanBytes,
      addMeanTokens: addReport.meanTokens, context: .current())
    print(report.table.text)
    try output.write(report)
  }

  struct AddReport {
    var indexSize = 0
    var meanMicroseconds = 0.0
    var meanCPUMicroseconds = 0.0
    var p99Microseconds = 0.0
    var meanBytes = 0.0
    var meanTokens = 0.0
  }

  /// Grows the index (untimed) to `growTo` documents, then adds `adds`
  /// documents one call each and reports the time and the bytes each wrote.
  private func measureSingleAdds(index: BM25Index, store: inout InMemoryLexicalStore, texts: [String]) throws -> AddReport {
    guard adds > 0, !texts.isEmpty else { return AddReport() }
    var next = UInt32(texts.count)
    while Int(next) < growTo {
      let count = min(20_000, growTo - Int(next))
      try index.add((0..<count).map { (id: next + UInt32($0), text: texts[(Int(next) + $0) % texts.count]) }, to: &store)
      next += UInt32(count)
    }
    var report = AddReport(indexSize: Int(next))
    var times: [Double] = []
    let tokenizer = index.tokenizer
    for number in 0..<adds {
      let text = texts[(number * 7919) % texts.count]
      let bytesBefore = store.bytesWritten
      let start = nowNanoseconds()
      let cpuStart = threadCPUSeconds()
      try index.add(id: next, text: text, to: &store)
      times.append(Double(nowNanoseconds() - start) / 1e3)
      report.meanCPUMicroseconds += (threadCPUSeconds() - cpuStart) * 1e6
      report.meanBytes += Double(store.bytesWritten - bytesBefore)
      report.meanTokens += Double(tokenizer.tokens(text).count)
      next += 1
    }
    report.meanMicroseconds = times.reduce(0, +) / Double(adds)
    report.meanCPUMicroseconds /= Double(adds)
    report.p99Microseconds = percentile(times, 99)
    report.meanBytes /= Double(adds)
    report.meanTokens /= Double(adds)
    return report
  }

  /// Writes what the peers need to score the same tokens: every document's
  /// and query's tokens (queries deduplicated, as the index does) and the run.
  private func writeDump(
    to folder: String, collection: BEIRCollection, index: BM25Index,
    run: [(query: String, hits: [(document: String, score: Double)])]
  ) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    struct Tokens: Encodable {
      var _id: String
      var tokens: [String]
    }
    var corpus = Data()
    for document in collection.documents {
      corpus.append(try encoder.encode(Tokens(_id: document.id, tokens: index.tokenizer.tokens(document.indexedText))))
      corpus.append(UInt8(ascii: "\n"))
    }
    try corpus.write(to: URL(fileURLWithPath: folder + "/corpus_tokens.jsonl"))
    var queries = Data()
    for query in collection.queries {
      queries.append(try encoder.encode(Tokens(_id: query.id, tokens: index.queryTerms(query.text).map(\.description))))
      queries.append(UInt8(ascii: "\n"))
    }
    try queries.write(to: URL(fileURLWithPath: folder + "/queries_tokens.jsonl"))
    try TRECRunFile.write(run, tag: "tracekv", to: folder + "/run.trec")
  }
}

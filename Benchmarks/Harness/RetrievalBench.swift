import ArgumentParser
import Foundation
import TraceKV

/// `tracekv-bench retrieval --beir DIR --mode lexical|vector|hybrid`: a BEIR
/// collection loaded into a TraceKV store (one trace per document) and
/// searched through `TraceStore.search`, the product's own path: quality
/// and per-query latency, with the query embedding timed apart.
struct RetrievalBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "retrieval",
    abstract: "Hybrid/vector/lexical retrieval quality and latency through TraceStore.search on a BEIR folder.")

  @Option(help: "BEIR folder (see `tracekv-bench prepare`).") var beir: String
  @Option(help: "hybrid, vector, lexical, or all (comma-separated).") var mode = "hybrid"
  @Option(help: "The store to build (default: BEIR folder/store-EMBEDDER.tkv); reused when it exists.") var store: String?
  @Option(help: "minilm or hashing.") var embedder = "minilm"
  @Option(help: "The MiniLM model folder (default: TRACEKV_MODEL_DIR or the cache).") var model: String?
  @Option(help: "RRF weights, lexical=W,vector=W.") var weights = "lexical=1,vector=1"
  @Option(help: "Use only the first N queries.") var queryLimit: Int?
  @Option(help: "The vector side's similarity floor (default: the embedder's; 0: none).") var minSimilarity: Double?
  @Option(help: "A second BEIR folder whose queries are about nothing in this one: reports the hits each returns (filler).")
  var foreignQueries: String?
  @OptionGroup var output: ReportOutput

  func run() throws {
    let collection = try BEIRCollection.load(from: beir)
    let modes = try mode.split(separator: ",").map { value -> SearchMode in
      if value == "all" { return .hybrid }
      guard let parsed = SearchMode(rawValue: String(value)) else { throw ValidationError("unknown mode \(value)") }
      return parsed
    }
    let allModes: [SearchMode] = mode == "all" ? [.lexical, .vector, .hybrid] : modes
    let (lexicalWeight, vectorWeight) = try SearchQuery.parseWeights(weights)
    if let model { setenv("TRACEKV_MODEL_DIR", model, 1) }

    let path = store ?? (beir as NSString).appendingPathComponent("store-\(embedder).tkv")
    // nil: an existing store was reused, so nothing was built (or timed).
    let (traceStore, indexSeconds) = try loadStore(collection, path: path)
    let queries = Array(collection.queries.prefix(queryLimit ?? .max))
    // Judgments of the queries run only: with --query-limit, the others would
    // count as queries that found nothing.
    let ran = Set(queries.map(\.id))
    let qrels = collection.qrels.filter { ran.contains($0.key) }

    // Queries are embedded first, one at a time (the embedding latency), so
    // that search latency is measured with warm caches, as in a service.
    var embedLatencies: [Double] = []
    var vectors: [[Float]?] = []
    if allModes.contains(where: { $0 != .lexical }) {
      var progress = ProgressLine("embed queries", total: queries.count)
      for (number, query) in queries.enumerated() {
        let start = nowNanoseconds()
        vectors.append(try traceStore.embedQuery(query.text))
        embedLatencies.append(Double(nowNanoseconds() - start) / 1e6)
        progress.update(number + 1)
      }
      progress.finish()
    }

    let foreign = try foreignQueries.map { try BEIRCollection.load(from: $0).queries.prefix(queryLimit ?? .max) }
    var reports: [RetrievalReport.Mode] = []
    for mode in allModes {
      var rankings: [String: [String]] = [:]
      var latencies: [Double] = []
      var progress = ProgressLine("\(mode.rawValue) queries", total: queries.count)
      for (number, query) in queries.enumerated() {
        var searchQuery = SearchQuery(
          text: query.text, mode: mode, limit: 100, lexicalWeight: lexicalWeight, vectorWeight: vectorWeight,
          minSimilarity: minSimilarity)
        searchQuery.vector = vectors.isEmpty ? nil : vectors[number]
        let start = nowNanoseconds()
        let results = try traceStore.search(searchQuery)
        latencies.append(Double(nowNanoseconds() - start) / 1e6)
        rankings[query.id] = results.hits.map(\.traceID)
        progress.update(number + 1)
      }
      progress.finish()
      let metrics = RetrievalMetrics.evaluate(rankings: rankings, qrels: qrels)
      // Hits a query about something else gets, among its first 10: filler.
      var foreignHits: Double?
      if let foreign {
        var total = 0
        for query in foreign {
          let searchQuery = SearchQuery(
            text: query.text, mode: mode, limit: 10, lexicalWeight: lexicalWeight, vectorWeight: vectorWeight,
            minSimilarity: minSimilarity)
          total += try traceStore.search(searchQuery).hits.count
        }
        foreignHits = Double(total) / Double(max(foreign.count, 1))
      }
      let searchSeconds = latencies.reduce(0, +) / 1000
      let qps = Double(queries.count) / searchSeconds
      reports.append(
        RetrievalReport.Mode(
          mode: mode.rawValue, qps: qps, p50: percentile(latencies, 50), p99: percentile(latencies, 99),
          embedP50: mode == .lexical ? 0 : percentile(embedLatencies, 50),
          minSimilarity: minSimilarity ?? SearchQuery.defaultMinSimilarity(for: traceStore.embedderIdentity),
          foreignHitsAt10: foreignHits, metrics: metrics))
    }
    let report = RetrievalReport(
      collection: beir, embedder: traceStore.embedderIdentity.name, documents: collection.documents.count,
      queries: queries.count, indexSeconds: indexSeconds, storeReused: indexSeconds == nil,
      weights: .init(lexical: lexicalWeight, vector: vectorWeight), modes: reports,
      verdict: RetrievalReport.hybridVerdict(reports), context: .current())
    print("\(beir): \(collection.documents.count) documents as traces, \(queries.count) queries, "
      + "embedder \(traceStore.embedderIdentity.name), "
      + (indexSeconds.map { "store built in \(fixed($0, 1)) s; " } ?? "existing store \(path) reused (not rebuilt, not timed); ")
      + "latency excludes the query embedding (timed apart)")
    print(report.table.text)
    if let verdict = report.verdict { print(verdict) }
    try output.write(report)
  }

  /// Each document becomes a trace: its title as the user's query and its
  /// text as final answers of at most 500 characters (TraceBrain's search
  /// text cuts each value there), so the whole document is searchable.
  private func loadStore(_ collection: BEIRCollection, path: String) throws -> (TraceStore, Double?) {
    let exists = FileManager.default.fileExists(atPath: path)
    let choice: TraceStore.EmbedderChoice = embedder == "hashing" ? .hashing : .miniLM
    let traceStore = try TraceStore(path: path, options: .init(embedder: choice))
    if exists { return (traceStore, nil) }
    var lines: [UInt8] = []
    for document in collection.documents {
      var spans: [JSONValue] = [
        .object(JSONObject([
          "span_id": .string("title"), "name": .string("document"),
          "attributes": .object(JSONObject([
            "tracebrain.span.type": .string("llm_inference"),
            "tracebrain.llm.new_content": .string(JSONWriter.compact(.array([
              .object(JSONObject(["role": .string("user"), "content": .string(document.title)]))
            ]))),
          ])),
        ]))
      ]
      for (index, chunk) in Self.chunks(document.text, limit: 500).enumerated() {
        spans.append(.object(JSONObject([
          "span_id": .string("part-\(index)"), "parent_id": .string("title"), "name": .string("text"),
          "attributes": .object(JSONObject(["tracebrain.llm.final_answer": .string(chunk)])),
        ])))
      }
      let trace = JSONValue.object(JSONObject(["trace_id": .string(document.id), "spans": .array(spans)]))
      lines += JSONWriter.compactBytes(trace)
      lines.append(UInt8(ascii: "\n"))
    }
    var progress = ProgressLine("load \(collection.documents.count) documents", total: lines.count)
    let start = nowNanoseconds()
    let report = try traceStore.ingest(
      data: Data(lines), source: "corpus", options: .init(batchSize: 256, layout: .jsonl)
    ) { step in progress.update(step.bytesDone, detail: "\(step.documentsDone) documents") }
    progress.finish()
    guard report.rejected.isEmpty else { throw ValidationError("\(report.rejected.count) documents were refused") }
    return (traceStore, secondsSince(start))
  }

  /// Splits text at whitespace into pieces of at most `limit` characters.
  static func chunks(_ text: String, limit: Int) -> [String] {
    var pieces: [String] = []
    var current = ""
    for word in text.split(whereSeparator: \.isWhitespace) {
      if !current.isEmpty && current.count + 1 + word.count > limit {
        pieces.append(current)
        current = ""
      }
      current += current.isEmpty ? String(word.prefix(limit)) : " " + word
    }
    if !current.isEmpty { pieces.append(current) }
    return pieces
  }
}

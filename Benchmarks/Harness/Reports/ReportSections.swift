import Foundation

/// The Markdown of every report, in a fixed order: context, ANN, lexical,
/// retrieval, embedding, ingest, search latency, scaling, then the live,
/// serving and reliability runs.
struct ReportSections {
  /// Markdown with `{{IMG}}` where the image folder goes.
  private var parts: [String] = []

  init(reports: [ResultFile], note: String?, charts: inout ChartWriter) {
    parts.append(Self.context(reports, note: note))
    for report in reports {
      switch report.content {
      case .ann(let ours): parts.append(Self.ann(ours, peers: [], dataset: report.dataset, charts: &charts))
      case .annComparison(let file):
        parts.append(Self.ann(file.tracekv, peers: file.peers, dataset: report.dataset, charts: &charts))
      default: continue
      }
    }
    for report in reports {
      switch report.content {
      case .lexical(let ours): parts.append(Self.lexical(ours, comparison: nil, dataset: report.dataset))
      case .lexicalComparison(let file): parts.append(Self.lexical(file.tracekvReport, comparison: file, dataset: report.dataset))
      case .lexicalStrategies(let ours): parts.append("### BM25 strategies: \(Self.label(report.dataset))\n\n" + ours.table.markdown)
      default: continue
      }
    }
    for report in reports {
      switch report.content {
      case .retrieval(let ours): parts.append(Self.retrieval(ours, reference: [:], dataset: report.dataset, charts: &charts))
      case .retrievalComparison(let file):
        parts.append(Self.retrieval(file.tracekvReport, reference: file.reference, dataset: report.dataset, charts: &charts))
      default: continue
      }
    }
    var miniLMRate: (rate: Double, batch: Int)?
    for case .embed(let ours) in reports.map(\.content) {
      parts.append(Self.embed(ours))
      miniLMRate = miniLMRate ?? ours.miniLMRate
    }
    for case .ingest(let ours) in reports.map(\.content) { parts.append(Self.ingest(ours)) }
    for case .searchLatency(let ours) in reports.map(\.content) { parts.append(Self.searchLatency(ours)) }
    for case .scaling(let ours) in reports.map(\.content) {
      parts.append(Self.scaling(ours, miniLMRate: miniLMRate, charts: &charts))
    }
    for case .live(let ours) in reports.map(\.content) { parts.append(Self.live(ours)) }
    let liveStores = reports.compactMap { report -> LiveReport.Store? in
      if case .live(let ours) = report.content { return ours.store }
      return nil
    }
    if let section = Self.liveScaling(liveStores, charts: &charts) { parts.append(section) }
    for case .serve(let ours) in reports.map(\.content) {
      parts.append("### Serving\n\n" + ours.tables.map(\.markdown).joined(separator: "\n"))
    }
    for report in reports {
      switch report.content {
      case .crash(let ours): parts.append("### Crash safety\n\n" + ours.table.markdown)
      case .fuzz(let ours): parts.append("### Hostile inputs\n\n" + ours.table.markdown)
      case .concurrency(let ours): parts.append("### Concurrent processes\n\n" + ours.table.markdown)
      default: continue
      }
    }
  }

  func markdown(imagePrefix: String) -> String {
    parts.joined(separator: "\n").replacingOccurrences(of: "{{IMG}}", with: imagePrefix)
  }

  // MARK: context

  private static func context(_ reports: [ResultFile], note: String?) -> String {
    let contexts = reports.compactMap(\.context)
    var text = "### The run\n\n"
    if let note { text += note + "\n\n" }
    func distinct(_ value: (RunContext) -> String?) -> String {
      let values = Set(contexts.compactMap(value))
      return values.isEmpty ? "-" : values.sorted().joined(separator: "; ")
    }
    let dates = contexts.map(\.date).sorted()
    text += markdownTable(
      ["machine", "value"],
      [
        ["CPU", distinct(\.cpu)], ["cores", distinct { String($0.cores) }], ["libblas.so.3", distinct(\.libblas)],
        ["Swift", distinct(\.swift)],
        ["dates", dates.isEmpty ? "-" : dates.first! + (dates.count > 1 ? " … " + dates.last! : "")],
      ])
    var rows: [[String]] = []
    var checksums: [String: String] = [:]
    for report in reports {
      let command = report.context.map { context in
        ([(context.command.first.map { ($0 as NSString).lastPathComponent } ?? "")] + context.command.dropFirst())
          .joined(separator: " ")
      }
      rows.append([report.name, report.kind, command.map { "`\($0)`" } ?? "-"])
      checksums.merge(report.context?.datasetSHA256 ?? [:]) { _, last in last }
    }
    text += "\n" + markdownTable(["report", "kind", "command (TraceKV side)"], rows)
    if !checksums.isEmpty {
      text += "\n" + markdownTable(
        ["dataset file", "sha256"], checksums.keys.sorted().map { ["`\($0)`", "`\(checksums[$0]!)`"] })
    }
    return text
  }

  // MARK: ANN

  private static func ann(
    _ ours: ANNReport, peers: [ANNComparison.Peer], dataset: String, charts: inout ChartWriter
  ) -> String {
    struct Engine {
      var name: String
      var buildSeconds: Double
      var memoryBytes: Double
      var points: [CurvePoint]
    }
    let engines =
      [Engine(name: "TraceKV", buildSeconds: ours.buildSeconds, memoryBytes: Double(ours.memoryBytes), points: ours.points)]
      + peers.map { Engine(name: $0.engine, buildSeconds: $0.buildSeconds, memoryBytes: $0.memoryBytes, points: $0.points) }
    let label = dataset.isEmpty ? "vectors" : dataset
    var text = "### ANN: \(label)\n\n"
    text += "\(count(ours.dataset.n)) base vectors × \(count(ours.dataset.d)), \(count(ours.dataset.queryCount)) queries; "
      + "M \(ours.parameters.m), efConstruction \(ours.parameters.efConstruction), "
      + "\(ours.parameters.metric), recall@\(ours.parameters.k); one query at a time on one thread.\n\n"
    let chart = SVGLineChart(
      title: "\(label): recall@10 vs queries/s (one thread)",
      x: SVGAxis(label: "recall@10"), y: SVGAxis(label: "queries/s (log scale)", logarithmic: true),
      series: engines.map { SVGSeries(name: $0.name, points: $0.points.map { ($0.recall, $0.qps) }, pointLabels: nil) })
    let file = charts.add("ann-\(label).svg", chart.render())
    text += "![recall@10 vs queries/s on \(label)]({{IMG}}\(file))\n\n"

    let targets = [0.90, 0.95, 0.99]
    let rows = engines.map { engine in
      [engine.name, fixed(engine.buildSeconds, 1), megabytes(engine.memoryBytes)]
        + targets.map { fixed(CurvePoint.qps(at: $0, on: engine.points), 0) }
        + [fixed(engine.points.map(\.recall).max(), 4)]
    }
    text += markdownTable(
      ["engine", "build s", "memory MB"] + targets.map { "QPS at recall \(fixed($0, 2))" } + ["best recall"], rows)

    if !peers.isEmpty {
      let ratios = engines.dropFirst().map { peer in
        [peer.name, ratio(ours.buildSeconds, peer.buildSeconds), ratio(Double(ours.memoryBytes), peer.memoryBytes)]
          + targets.map { ratio(CurvePoint.qps(at: $0, on: ours.points), CurvePoint.qps(at: $0, on: peer.points)) }
      }
      text += "\nTraceKV / peer (build time and memory: lower is better; queries/s: higher is better):\n\n"
      text += markdownTable(["peer", "build time", "memory"] + targets.map { "QPS at \(fixed($0, 2))" }, ratios)
    }
    let pointRows = engines.flatMap { engine in
      engine.points.map { [engine.name, "\($0.ef)", fixed($0.recall, 4), fixed($0.qps, 0), fixed($0.p50, 1), fixed($0.p99, 1)] }
    }
    text += "\n<details><summary>every point of the sweep</summary>\n\n"
      + markdownTable(["engine", "ef", "recall@10", "QPS", "p50 µs", "p99 µs"], pointRows) + "\n</details>\n"
    return text
  }

  // MARK: lexical

  private static func lexical(_ ours: LexicalReport, comparison: LexicalComparison?, dataset: String) -> String {
    var text = "### BM25: \(label(dataset, or: "collection"))\n\n"
    text += "\(count(ours.documents)) documents, \(count(ours.queries)) queries; k1 \(ours.k1), b \(ours.b), "
      + "one query at a time on one thread, tokenization included.\n\n"
    let header = ["system", "index s", "QPS", "p50 ms", "p99 ms"] + RetrievalReport.Quality.headers
    func row(_ name: String, _ figures: LexicalComparison.Figures) -> [String] {
      [
        name, fixed(figures.indexSeconds, 3), fixed(figures.qps, 0), fixed(figures.p50, 3), fixed(figures.p99, 3),
        fixed(figures.ndcg10, 4), fixed(figures.recall10, 4), fixed(figures.recall100, 4), fixed(figures.mrr10, 4),
      ]
    }
    var rows: [[String]]
    if let comparison {
      let names = ["tracekv"] + comparison.systems.keys.filter { $0 != "tracekv" }.sorted()
      rows = names.compactMap { name in comparison.systems[name].map { row(name == "tracekv" ? "TraceKV" : name, $0) } }
    } else {
      rows = [
        row(
          "TraceKV",
          .init(
            indexSeconds: ours.indexSeconds, qps: ours.qps, p50: ours.p50, p99: ours.p99, ndcg10: ours.ndcg10,
            recall10: ours.recall10, recall100: ours.recall100, mrr10: ours.mrr10))
      ]
    }
    text += markdownTable(header, rows)
    if let ratios = comparison?.ratios, !ratios.isEmpty {
      text += "\nTraceKV / peer (queries/s: higher is better; index time and p50: lower is better):\n\n"
      text += markdownTable(
        ["peer", "QPS", "index time", "p50"],
        ratios.keys.sorted().map { name in
          [name] + [ratios[name]!.qps, ratios[name]!.indexSeconds, ratios[name]!.p50].map { $0.map { fixed($0) + "×" } ?? "-" }
        })
    }
    if let agreement = comparison?.agreement {
      text += "\nExact scores: top-10 scores equal to bm25s's (relative difference ≤ 1e-4) in "
        + "\(count(agreement.queriesAllTop10ScoresEqual))/\(count(agreement.queries)) queries, "
        + "\(count(agreement.rankPositionsEqual))/\(count(agreement.rankPositions)) rank positions.\n"
    }
    return text
  }

  // MARK: retrieval

  private static func retrieval(
    _ ours: RetrievalReport?, reference: [String: RetrievalReport.Quality], dataset: String, charts: inout ChartWriter
  ) -> String {
    let label = label(dataset, or: "collection")
    let modes = Dictionary((ours?.modes ?? []).map { ($0.mode, $0) }) { _, last in last }
    let present = ["lexical", "vector", "hybrid"].filter { modes[$0] != nil || reference[$0] != nil }
    var text = "### Retrieval quality: \(label)\n\n"
    if let ours {
      text += "\(count(ours.documents)) documents, \(count(ours.queries)) queries (`\(ours.collection)`). "
    }
    text += "Each document stored as a trace and searched through `TraceStore.search` (TraceKV: native MiniLM, "
      + "BM25, RRF k = 60); the reference is bm25s + exact sentence-transformers MiniLM + RRF k = 60 "
      + "(`Benchmarks/peers/hybrid.py`). Latency excludes the query embedding.\n\n"
    let chart = SVGBarChart(
      title: "\(label): nDCG@10 per retrieval mode", categories: present,
      series: [("TraceKV", present.map { modes[$0]?.quality.ndcg10 })]
        + (reference.isEmpty ? [] : [("reference", present.map { reference[$0]?.ndcg10 })]),
      yLabel: "nDCG@10")
    let file = charts.add("quality-\(label).svg", chart.render())
    text += "![nDCG@10 per retrieval mode on \(label)]({{IMG}}\(file))\n\n"
    var rows: [[String]] = []
    for name in present {
      if let mode = modes[name] {
        rows.append(
          [name, "TraceKV"] + mode.quality.cells + [fixed(mode.qps, 0), fixed(mode.p50, 3), fixed(mode.p99, 3)])
      }
      if let quality = reference[name] { rows.append([name, "reference"] + quality.cells + ["-", "-", "-"]) }
    }
    text += markdownTable(["mode", "side"] + RetrievalReport.Quality.headers + ["QPS", "p50 ms", "p99 ms"], rows)
    if let verdict = ours?.verdict { text += "\nTraceKV: \(verdict).\n" }
    return text
  }

  // MARK: embedding

  private static func embed(_ report: EmbedReport) -> String {
    let threads = Set(report.results.compactMap { $0.peer?.threads })
    var text = "### Embedding: all-MiniLM-L6-v2\n\n"
    text += "\(count(report.texts)) texts (\(count(report.tokens)) tokens), "
      + "OPENBLAS_NUM_THREADS=\(report.context.openBLASThreads); the peer is sentence-transformers on torch (CPU) with "
      + "\(threads.isEmpty ? "?" : threads.sorted().map(String.init).joined(separator: "/")) thread(s).\n\n"
    return text + report.table.markdown
  }

  // MARK: ingest

  private static func ingest(_ report: IngestBenchReport) -> String {
    "### Ingest\n\n"
      + "\(count(report.traces)) traces (the TraceBrain samples with fresh ids), \(count(report.spans)) spans, "
      + "embedder \(report.embedder); SQLite shaped like TraceBrain's store (WAL, one transaction per 1,000 "
      + "traces); raw LMDB puts of the same record sizes.\n\n" + report.table.markdown
  }

  // MARK: search latency

  /// The hybrid goal of issue #9: p50 ≤ 2 ms on 100,000 traces, one thread,
  /// the query embedding excluded.
  static let hybridGoalMilliseconds = 2.0

  private static func searchLatency(_ report: SearchLatencyReport) -> String {
    var text = "### Search latency\n\n"
    let counted = report.queryCount.map { "\(count($0)) " } ?? ""
    let queries = report.queries.map { "the first \(counted)queries of `\($0)`" }
      ?? "\(counted)queries of 6–12 words drawn (seeded) from the traces"
    text += "`TraceStore.search` one query at a time over \(count(report.traces)) traces (as `tracekv-bench ingest` "
      + "builds them: the TraceBrain samples with fresh ids, every query word in ≥ 5 % of traces, the worst case "
      + "for BM25, unless `--input` gave others), limit \(count(report.limit)), \(queries), the query "
      + "embedding excluded (`tracekv-bench search`).\n\n"
    text += SearchLatencyReport.table(report.search).markdown
    if let hybrid = report.search["hybrid"]?.p50, report.traces >= 100_000 {
      let met = hybrid <= hybridGoalMilliseconds
      text += "\nGoal: hybrid p50 ≤ \(fixed(hybridGoalMilliseconds, 0)) ms at 100,000 traces: "
        + (met ? "met" : "**not met**") + " (\(fixed(hybrid, 3)) ms).\n"
    }
    return text
  }

  // MARK: live

  private static func live(_ report: LiveReport) -> String {
    var text = "### Live use\n\n"
    if let store = report.store {
      text += "At \(count(store.traces)) traces (hashing embedder), \(count(store.writes)) of each:\n\n"
      text += markdownTable(
        ["operation", "p50 ms", "p99 ms"],
        [
          ("durable single-trace write", store.traceWrite), ("feedback", store.feedback), ("single-trace delete", store.delete),
          ("its CPU (this thread)", store.deleteCPU), ("reader's first search after another's commit", store.catchUpSearch),
          ("reader's warm search", store.warmSearch),
        ].map { [$0.0, fixed($0.1?.p50, 3), fixed($0.1?.p99, 3)] })
      text += "\nA new process opens the store and answers a hybrid search in \(fixed(store.openFirstSearchMilliseconds, 1)) ms; "
        + "\(megabytes(Double(store.bytesOnDisk))) MB on disk.\n"
    }
    if let ingest = report.ingest {
      text += "\nMiniLM ingest of \(count(ingest.traces)) traces beside the TraceBrain-shaped peer "
        + "(load average after: \(ingest.loadAverageAfter)):\n\n" + ingest.table.markdown
    }
    return text
  }

  private static func label(_ dataset: String, or fallback: String = "collection") -> String {
    dataset.isEmpty ? fallback : dataset
  }
}

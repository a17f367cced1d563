import ArgumentParser
import Foundation

/// `tracekv-bench report`: turns a folder of JSON reports (every subcommand's
/// `--json`, the peers' `--json`, `scaling`) into Markdown tables and SVG
/// charts, and replaces the generated section of `BENCHMARKS.md`.
///
/// Each file is recognized by its shape, not its name; its name after the
/// first `-` labels the dataset (`ann-glove50.json` → glove50), which is how
/// `make bench` and `make compare` name them.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write the tables and SVG charts of a results folder, and the generated section of BENCHMARKS.md.")

  @Option(help: "Folder of JSON reports (only its top level is read).") var results = "bench-results"
  @Option(help: "Folder for the SVG charts and results.md.") var output = "docs/bench"
  @Option(help: "Markdown file whose generated section is replaced (appended when it has no markers); empty: none.")
  var markdown = "BENCHMARKS.md"
  @Option(help: "A sentence printed above the tables (e.g. where and how the run was made).") var note: String?

  static let beginMarker = "<!-- BEGIN tracekv-bench report: generated from the JSON reports; do not edit by hand -->"
  static let endMarker = "<!-- END tracekv-bench report -->"

  func run() throws {
    let reports = try ResultFile.load(folder: results)
    guard !reports.isEmpty else { throw ValidationError("no JSON reports in \(results)") }
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)

    // Charts first: the Markdown refers to them by file name.
    var charts = ChartWriter(folder: output)
    let sections = ReportSections(reports: reports, note: note, charts: &charts)
    try charts.flush()

    let standalone = sections.markdown(imagePrefix: "")
    try standalone.write(toFile: (output as NSString).appendingPathComponent("results.md"), atomically: true, encoding: .utf8)
    if !markdown.isEmpty {
      let prefix = relativePath(from: (markdown as NSString).deletingLastPathComponent, to: output)
      try replaceSection(in: markdown, with: sections.markdown(imagePrefix: prefix.isEmpty ? "" : prefix + "/"))
    }
    var table = TextTable(["report", "kind", "dataset"])
    for report in reports { table.add([report.name, report.kind.rawValue, report.dataset]) }
    print(table.render())
    print("wrote \(charts.written.count) charts and results.md to \(output)" + (markdown.isEmpty ? "" : "; updated \(markdown)"))
  }

  /// Replaces the text between the markers, or appends a marked section.
  private func replaceSection(in path: String, with section: String) throws {
    let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    let block = Self.beginMarker + "\n\n" + section + "\n" + Self.endMarker
    let updated: String
    if let begin = existing.range(of: Self.beginMarker), let end = existing.range(of: Self.endMarker),
      begin.upperBound <= end.lowerBound
    {
      updated = existing.replacingCharacters(in: begin.lowerBound..<end.upperBound, with: block)
    } else {
      updated = existing + (existing.isEmpty || existing.hasSuffix("\n\n") ? "" : "\n") + block + "\n"
    }
    try updated.write(toFile: path, atomically: true, encoding: .utf8)
  }
}

/// The path of `target` relative to the folder `base` ("" when they are the same).
func relativePath(from base: String, to target: String) -> String {
  func components(_ path: String) -> [String] {
    let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    return URL(fileURLWithPath: absolute).standardizedFileURL.pathComponents
  }
  let from = components(base.isEmpty ? "." : base)
  let to = components(target)
  var shared = 0
  while shared < min(from.count, to.count) && from[shared] == to[shared] { shared += 1 }
  return (Array(repeating: "..", count: from.count - shared) + to[shared...]).joined(separator: "/")
}

// MARK: - Reading the reports

/// One JSON report and what it holds.
struct ResultFile {
  enum Kind: String {
    case annComparison = "ann + peers", ann = "ann", lexicalComparison = "lexical + peers", lexical = "lexical"
    case retrievalComparison = "retrieval + reference", retrieval = "retrieval", embed = "embed", ingest = "ingest"
    case searchLatency = "search latency", scaling = "scaling", unknown = "not recognized"
  }

  var name: String
  var dataset: String
  var kind: Kind
  var object: [String: Any]

  static func load(folder: String) throws -> [ResultFile] {
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
    return try names.compactMap { name in
      let data = try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(name)))
      guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
      let stem = String(name.dropLast(5))
      let dataset = stem.firstIndex(of: "-").map { String(stem[stem.index(after: $0)...]) } ?? ""
      return ResultFile(name: name, dataset: dataset, kind: classify(object), object: object)
    }
  }

  static func classify(_ object: [String: Any]) -> Kind {
    if object["benchmark"] as? String == "scaling" { return .scaling }
    if object["benchmark"] as? String == "embed" { return .embed }
    if object["peers"] is [Any] { return .annComparison }
    if object["engine"] as? String == "tracekv", object["points"] != nil { return .ann }
    if object["systems"] is [String: Any] { return .lexicalComparison }
    if object["posting_bytes"] != nil { return .lexical }
    if object["reference"] is [String: Any] { return .retrievalComparison }
    if object["modes"] is [Any] { return .retrieval }
    if object["traces_per_s"] != nil { return .ingest }
    if object["search"] is [String: Any] { return .searchLatency }
    return .unknown
  }

  var context: [String: Any]? {
    object["context"] as? [String: Any] ?? (object["tracekv"] as? [String: Any])?["context"] as? [String: Any]
      ?? (object["tracekv_report"] as? [String: Any])?["context"] as? [String: Any]
  }
}

/// A JSON number as a Double (JSONSerialization gives NSNumber, Int or Double).
func jsonNumber(_ value: Any?) -> Double? {
  if let value = value as? Double { return value }
  if let value = value as? Int { return Double(value) }
  if let value = value as? NSNumber { return value.doubleValue }
  return nil
}

/// Recall-QPS points of one engine.
struct CurvePoint {
  var ef: Int
  var recall: Double
  var qps: Double
  var p50: Double
  var p99: Double

  static func list(_ value: Any?) -> [CurvePoint] {
    ((value as? [Any]) ?? []).compactMap { item in
      guard let point = item as? [String: Any], let recall = jsonNumber(point["recall"]), let qps = jsonNumber(point["qps"])
      else { return nil }
      return CurvePoint(
        ef: Int(jsonNumber(point["ef"]) ?? 0), recall: recall, qps: qps, p50: jsonNumber(point["p50_us"]) ?? .nan,
        p99: jsonNumber(point["p99_us"]) ?? .nan)
    }
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

// MARK: - Charts

/// Collects the SVG files of one report run.
struct ChartWriter {
  let folder: String
  var written: [(name: String, svg: String)] = []

  mutating func add(_ name: String, _ svg: String) -> String {
    written.append((name, svg))
    return name
  }

  func flush() throws {
    for (name, svg) in written {
      try svg.write(toFile: (folder as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
  }
}

// MARK: - Sections

/// The Markdown of every report, in a fixed order: context, ANN, lexical,
/// retrieval, embedding, ingest, search latency, scaling.
struct ReportSections {
  /// Markdown with `{{IMG}}` where the image folder goes.
  private var parts: [String] = []

  init(reports: [ResultFile], note: String?, charts: inout ChartWriter) {
    parts.append(contextSection(reports, note: note))
    for report in reports where report.kind == .annComparison || report.kind == .ann {
      parts.append(annSection(report, charts: &charts))
    }
    for report in reports where report.kind == .lexicalComparison || report.kind == .lexical {
      parts.append(lexicalSection(report))
    }
    for report in reports where report.kind == .retrievalComparison || report.kind == .retrieval {
      parts.append(retrievalSection(report, charts: &charts))
    }
    for report in reports where report.kind == .embed { parts.append(embedSection(report)) }
    for report in reports where report.kind == .ingest { parts.append(ingestSection(report)) }
    for report in reports where report.kind == .searchLatency { parts.append(searchLatencySection(report)) }
    let miniLMRate = reports.first { $0.kind == .embed }.flatMap(Self.miniLMTextsPerSecond)
    for report in reports where report.kind == .scaling {
      parts.append(scalingSection(report, miniLMRate: miniLMRate, charts: &charts))
    }
  }

  func markdown(imagePrefix: String) -> String {
    parts.joined(separator: "\n").replacingOccurrences(of: "{{IMG}}", with: imagePrefix)
  }

  // MARK: context

  private func contextSection(_ reports: [ResultFile], note: String?) -> String {
    let contexts = reports.compactMap(\.context)
    var text = "### The run\n\n"
    if let note { text += note + "\n\n" }
    func distinct(_ key: String) -> String {
      let values = Set(contexts.compactMap { $0[key].map { "\($0)" } })
      return values.isEmpty ? "-" : values.sorted().joined(separator: "; ")
    }
    let dates = contexts.compactMap { $0["date"] as? String }.sorted()
    text += markdownTable(
      ["machine", "value"],
      [
        ["CPU", distinct("cpu")], ["cores", distinct("cores")], ["libblas.so.3", distinct("libblas")],
        ["Swift", distinct("swift")],
        ["dates", dates.isEmpty ? "-" : dates.first! + (dates.count > 1 ? " … " + dates.last! : "")],
      ])
    var rows: [[String]] = []
    var checksums: [String: String] = [:]
    for report in reports {
      let command = (report.context?["command"] as? [String]).map { arguments in
        ([(arguments.first.map { ($0 as NSString).lastPathComponent } ?? "")] + arguments.dropFirst()).joined(separator: " ")
      }
      rows.append([report.name, report.kind.rawValue, command.map { "`\($0)`" } ?? "-"])
      for (path, sum) in report.context?["dataset_sha256"] as? [String: String] ?? [:] { checksums[path] = sum }
    }
    text += "\n" + markdownTable(["report", "kind", "command (TraceKV side)"], rows)
    if !checksums.isEmpty {
      text += "\n" + markdownTable(
        ["dataset file", "sha256"], checksums.keys.sorted().map { ["`\($0)`", "`\(checksums[$0]!)`"] })
    }
    return text
  }

  // MARK: ANN

  private func annSection(_ report: ResultFile, charts: inout ChartWriter) -> String {
    var engines: [(name: String, object: [String: Any])] = []
    if report.kind == .ann {
      engines.append(("TraceKV", report.object))
    } else {
      if let ours = report.object["tracekv"] as? [String: Any] { engines.append(("TraceKV", ours)) }
      for case let peer as [String: Any] in report.object["peers"] as? [Any] ?? [] {
        engines.append((peer["engine"] as? String ?? "peer", peer))
      }
    }
    let label = report.dataset.isEmpty ? "vectors" : report.dataset
    var text = "### ANN: \(label)\n\n"
    if let ours = engines.first(where: { $0.name == "TraceKV" })?.object {
      let dataset = ours["dataset"] as? [String: Any] ?? [:]
      let params = ours["params"] as? [String: Any] ?? [:]
      text += "\(count(dataset["n"])) base vectors × \(count(dataset["d"])), \(count(dataset["query_count"])) queries; "
        + "M \(count(params["m"])), efConstruction \(count(params["ef_construction"])), "
        + "\(params["metric"] ?? "?"), recall@\(count(params["k"])); one query at a time on one thread.\n\n"
    }
    let curves = engines.map { (name: $0.name, points: CurvePoint.list($0.object["points"])) }
    let chart = SVGLineChart(
      title: "\(label): recall@10 vs queries/s (one thread)",
      x: SVGAxis(label: "recall@10"), y: SVGAxis(label: "queries/s (log scale)", logarithmic: true),
      series: curves.map { SVGSeries(name: $0.name, points: $0.points.map { ($0.recall, $0.qps) }, pointLabels: nil) })
    let file = charts.add("ann-\(report.dataset.isEmpty ? "vectors" : report.dataset).svg", chart.render())
    text += "![recall@10 vs queries/s on \(label)]({{IMG}}\(file))\n\n"

    let targets = [0.90, 0.95, 0.99]
    var rows: [[String]] = []
    for (engine, curve) in zip(engines, curves) {
      rows.append(
        [
          engine.name, fixed(jsonNumber(engine.object["build_seconds"]) ?? .nan, 1),
          megabytes(engine.object["memory_bytes"]),
        ] + targets.map { target in CurvePoint.qps(at: target, on: curve.points).map { fixed($0, 0) } ?? "-" }
          + [fixed(curve.points.map(\.recall).max() ?? .nan, 4)])
    }
    text += markdownTable(
      ["engine", "build s", "memory MB"] + targets.map { "QPS at recall \(fixed($0, 2))" } + ["best recall"], rows)

    if let ours = engines.first(where: { $0.name == "TraceKV" }), engines.count > 1 {
      let ourCurve = CurvePoint.list(ours.object["points"])
      var ratios: [[String]] = []
      for (engine, curve) in zip(engines, curves) where engine.name != "TraceKV" {
        ratios.append(
          [
            engine.name,
            ratio(jsonNumber(ours.object["build_seconds"]), jsonNumber(engine.object["build_seconds"])),
            ratio(jsonNumber(ours.object["memory_bytes"]), jsonNumber(engine.object["memory_bytes"])),
          ]
            + targets.map { target in
              ratio(CurvePoint.qps(at: target, on: ourCurve), CurvePoint.qps(at: target, on: curve.points))
            })
      }
      text += "\nTraceKV / peer (build time and memory: lower is better; queries/s: higher is better):\n\n"
      text += markdownTable(["peer", "build time", "memory"] + targets.map { "QPS at \(fixed($0, 2))" }, ratios)
    }
    var pointRows: [[String]] = []
    for (name, curve) in curves {
      for point in curve {
        pointRows.append([
          name, "\(point.ef)", fixed(point.recall, 4), fixed(point.qps, 0), fixed(point.p50, 1), fixed(point.p99, 1),
        ])
      }
    }
    text += "\n<details><summary>every point of the sweep</summary>\n\n"
      + markdownTable(["engine", "ef", "recall@10", "QPS", "p50 µs", "p99 µs"], pointRows) + "\n</details>\n"
    return text
  }

  // MARK: lexical

  private func lexicalSection(_ report: ResultFile) -> String {
    let label = report.dataset.isEmpty ? "collection" : report.dataset
    var systems: [(String, [String: Any])] = []
    var ours = report.object
    if report.kind == .lexicalComparison {
      let all = report.object["systems"] as? [String: Any] ?? [:]
      let order = ["tracekv"] + all.keys.filter { $0 != "tracekv" }.sorted()
      systems = order.compactMap { name in (all[name] as? [String: Any]).map { (name == "tracekv" ? "TraceKV" : name, $0) } }
      ours = report.object["tracekv_report"] as? [String: Any] ?? [:]
    } else {
      systems = [("TraceKV", report.object)]
    }
    var text = "### BM25: \(label)\n\n"
    if let documents = ours["documents"], let queries = ours["queries"] {
      text += "\(count(documents)) documents, \(count(queries)) queries; k1 \(ours["k1"] ?? 1.2), b \(ours["b"] ?? 0.75), "
        + "one query at a time on one thread, tokenization included.\n\n"
    }
    let columns = ["index_seconds", "qps", "p50_ms", "p99_ms", "ndcg@10", "recall@10", "recall@100", "mrr@10"]
    let decimals = [3, 0, 3, 3, 4, 4, 4, 4]
    text += markdownTable(
      ["system", "index s", "QPS", "p50 ms", "p99 ms", "nDCG@10", "R@10", "R@100", "MRR@10"],
      systems.map { name, figures in
        [name] + zip(columns, decimals).map { key, places in jsonNumber(figures[key]).map { fixed($0, places) } ?? "-" }
      })
    if let ratios = report.object["ratios"] as? [String: Any], !ratios.isEmpty {
      text += "\nTraceKV / peer (queries/s: higher is better; index time and p50: lower is better):\n\n"
      text += markdownTable(
        ["peer", "QPS", "index time", "p50"],
        ratios.keys.sorted().map { name in
          let figures = ratios[name] as? [String: Any] ?? [:]
          return [name] + ["qps", "index_seconds", "p50_ms"].map { jsonNumber(figures[$0]).map { fixed($0) + "×" } ?? "-" }
        })
    }
    if let agreement = report.object["agreement"] as? [String: Any] {
      text += "\nExact scores: top-10 scores equal to bm25s's (relative difference ≤ 1e-4) in "
        + "\(count(agreement["queries_all_top10_scores_equal"]))/\(count(agreement["queries"])) queries, "
        + "\(count(agreement["rank_positions_equal"]))/\(count(agreement["rank_positions"])) rank positions.\n"
    }
    return text
  }

  // MARK: retrieval

  private func retrievalSection(_ report: ResultFile, charts: inout ChartWriter) -> String {
    let label = report.dataset.isEmpty ? "collection" : report.dataset
    let modes = ["lexical", "vector", "hybrid"]
    var ours: [String: [String: Any]] = [:]
    var reference: [String: [String: Any]] = [:]
    if report.kind == .retrievalComparison {
      ours = report.object["tracekv"] as? [String: [String: Any]] ?? [:]
      reference = report.object["reference"] as? [String: [String: Any]] ?? [:]
    } else {
      for case let mode as [String: Any] in report.object["modes"] as? [Any] ?? [] {
        if let name = mode["mode"] as? String { ours[name] = mode }
      }
    }
    let present = modes.filter { ours[$0] != nil || reference[$0] != nil }
    var text = "### Retrieval quality: \(label)\n\n"
    let run = report.object["tracekv_report"] as? [String: Any] ?? report.object
    if let documents = run["documents"], let queries = run["queries"] {
      text += "\(count(documents)) documents, \(count(queries)) queries (`\(run["collection"] ?? label)`). "
    }
    text += "Each document stored as a trace and searched through `TraceStore.search` (TraceKV: native MiniLM, "
      + "BM25, RRF k = 60); the reference is bm25s + exact sentence-transformers MiniLM + RRF k = 60 "
      + "(`Benchmarks/peers/hybrid.py`). Latency excludes the query embedding.\n\n"
    let chart = SVGBarChart(
      title: "\(label): nDCG@10 per retrieval mode", categories: present,
      series: [("TraceKV", present.map { jsonNumber(ours[$0]?["ndcg@10"]) })]
        + (reference.isEmpty ? [] : [("reference", present.map { jsonNumber(reference[$0]?["ndcg@10"]) })]),
      yLabel: "nDCG@10")
    let file = charts.add("quality-\(report.dataset.isEmpty ? "collection" : report.dataset).svg", chart.render())
    text += "![nDCG@10 per retrieval mode on \(label)]({{IMG}}\(file))\n\n"
    var rows: [[String]] = []
    for mode in present {
      for (side, figures) in [("TraceKV", ours[mode]), ("reference", reference[mode])] {
        guard let figures else { continue }
        rows.append(
          [mode, side] + ["ndcg@10", "recall@10", "recall@100", "mrr@10"].map { jsonNumber(figures[$0]).map { fixed($0, 4) } ?? "-" }
            + [("qps", 0), ("p50_ms", 3), ("p99_ms", 3)].map { key, places in
              jsonNumber(figures[key]).map { fixed($0, places) } ?? "-"
            })
      }
    }
    text += markdownTable(["mode", "side", "nDCG@10", "R@10", "R@100", "MRR@10", "QPS", "p50 ms", "p99 ms"], rows)
    if let verdict = RetrievalBenchCommand.hybridVerdict(ndcgByMode: ours.compactMapValues { jsonNumber($0["ndcg@10"]) }) {
      text += "\nTraceKV: \(verdict).\n"
    }
    return text
  }

  // MARK: embedding

  /// TraceKV's MiniLM texts/s at its largest measured batch, and that batch.
  private static func miniLMTextsPerSecond(_ report: ResultFile) -> (rate: Double, batch: Int)? {
    let rows = (report.object["results"] as? [Any] ?? []).compactMap { item -> (Double, Int)? in
      guard let row = item as? [String: Any], let batch = jsonNumber(row["batch"]),
        let rate = jsonNumber((row["tracekv"] as? [String: Any])?["texts_per_s"])
      else { return nil }
      return (rate, Int(batch))
    }
    return rows.max { $0.1 < $1.1 }
  }

  /// The torch threads the embedding peer ran with, as it reported them.
  private func peerThreads(_ report: ResultFile) -> String {
    let threads = Set((report.object["results"] as? [Any] ?? []).compactMap { row in
      jsonNumber(((row as? [String: Any])?["peer"] as? [String: Any])?["threads"]).map { Int($0) }
    })
    return threads.isEmpty ? "?" : threads.sorted().map(String.init).joined(separator: "/")
  }

  private func embedSection(_ report: ResultFile) -> String {
    var text = "### Embedding: all-MiniLM-L6-v2\n\n"
    text += "\(count(report.object["texts"])) texts (\(count(report.object["tokens"])) tokens), "
      + "OPENBLAS_NUM_THREADS=\((report.context?["openblas_num_threads"]).map { "\($0)" } ?? "?"); "
      + "the peer is sentence-transformers on torch (CPU) with \(peerThreads(report)) thread(s).\n\n"
    var rows: [[String]] = []
    for case let row as [String: Any] in report.object["results"] as? [Any] ?? [] {
      let ours = row["tracekv"] as? [String: Any] ?? [:]
      let peer = row["peer"] as? [String: Any]
      rows.append([
        count(row["batch"]), jsonNumber(ours["texts_per_s"]).map { fixed($0, 1) } ?? "-",
        jsonNumber(peer?["texts_per_s"]).map { fixed($0, 1) } ?? "-",
        ratio(jsonNumber(ours["texts_per_s"]), jsonNumber(peer?["texts_per_s"])),
        jsonNumber(ours["peak_rss_mb"]).map { fixed($0, 0) } ?? "-", jsonNumber(peer?["peak_rss_mb"]).map { fixed($0, 0) } ?? "-",
      ])
    }
    text += markdownTable(
      ["batch", "TraceKV texts/s", "sentence-transformers texts/s", "TraceKV / peer", "TraceKV peak MB", "peer peak MB"], rows)
    return text
  }

  // MARK: ingest

  private func ingestSection(_ report: ResultFile) -> String {
    let object = report.object
    let sqlite = object["sqlite"] as? [String: Any]
    let raw = object["raw_lmdb"] as? [String: Any]
    var text = "### Ingest\n\n"
    text += "\(count(object["traces"])) traces (the TraceBrain samples with fresh ids), \(count(object["spans"])) spans, "
      + "embedder \(object["embedder"] ?? "?"); SQLite shaped like TraceBrain's store (WAL, one transaction per 1,000 "
      + "traces); raw LMDB puts of the same record sizes.\n\n"
    text += markdownTable(
      ["figure", "TraceKV", "SQLite", "TraceKV / SQLite", "raw LMDB", "TraceKV / raw"],
      [
        [
          "traces/s", fixed(jsonNumber(object["traces_per_s"]) ?? .nan, 0),
          jsonNumber(sqlite?["traces_per_s"]).map { fixed($0, 0) } ?? "-",
          ratio(jsonNumber(object["traces_per_s"]), jsonNumber(sqlite?["traces_per_s"])), "", "",
        ],
        [
          "spans/s (puts/s)", fixed(jsonNumber(object["spans_per_s"]) ?? .nan, 0),
          jsonNumber(sqlite?["spans_per_s"]).map { fixed($0, 0) } ?? "-",
          ratio(jsonNumber(object["spans_per_s"]), jsonNumber(sqlite?["spans_per_s"])),
          jsonNumber(raw?["puts_per_s"]).map { fixed($0, 0) } ?? "-",
          ratio(jsonNumber(object["spans_per_s"]), jsonNumber(raw?["puts_per_s"])),
        ],
        [
          "bytes on disk / span", fixed(jsonNumber(object["bytes_per_span"]) ?? .nan, 0),
          jsonNumber(sqlite?["bytes_per_span"]).map { fixed($0, 0) } ?? "-",
          ratio(jsonNumber(object["bytes_per_span"]), jsonNumber(sqlite?["bytes_per_span"])),
          jsonNumber(raw?["bytes_per_put"]).map { fixed($0, 0) } ?? "-", "",
        ],
        [
          "messages() p50 / p99 µs",
          "\(fixed(jsonNumber(object["reconstruct_p50_us"]) ?? .nan, 1)) / \(fixed(jsonNumber(object["reconstruct_p99_us"]) ?? .nan, 1))",
          "", "", "", "",
        ],
      ])
    return text
  }

  // MARK: search latency

  /// The hybrid goal of issue #9: p50 ≤ 2 ms on 100,000 traces, one thread,
  /// the query embedding excluded.
  private static let hybridGoalMilliseconds = 2.0

  private func searchLatencySection(_ report: ResultFile) -> String {
    let object = report.object
    let modes = object["search"] as? [String: Any] ?? [:]
    var text = "### Search latency\n\n"
    text += "`TraceStore.search` one query at a time over \(count(object["traces"])) traces (the TraceBrain samples "
      + "with fresh ids, hashing vectors: every query word is in ≥ 5 % of traces, the worst case for BM25), "
      + "limit \(count(object["limit"])), queries of 6–12 words drawn (seeded) from the traces, the query "
      + "embedding excluded (`tracekv-bench search`).\n\n"
    let rows = modes.keys.sorted().map { mode -> [String] in
      let figures = modes[mode] as? [String: Any]
      return [
        mode, fixed(jsonNumber(figures?["p50_ms"]) ?? .nan, 3), fixed(jsonNumber(figures?["p99_ms"]) ?? .nan, 3),
      ]
    }
    text += markdownTable(["mode", "p50 ms", "p99 ms"], rows)
    if let hybrid = jsonNumber((modes["hybrid"] as? [String: Any])?["p50_ms"]),
      let traces = jsonNumber(object["traces"]), traces >= 100_000
    {
      let met = hybrid <= Self.hybridGoalMilliseconds
      text += "\nGoal: hybrid p50 ≤ \(fixed(Self.hybridGoalMilliseconds, 0)) ms at 100,000 traces: "
        + (met ? "met" : "**not met**") + " (\(fixed(hybrid, 3)) ms).\n"
    }
    return text
  }

  // MARK: scaling

  private func scalingSection(
    _ report: ResultFile, miniLMRate: (rate: Double, batch: Int)?, charts: inout ChartWriter
  ) -> String {
    var text = "### Scaling\n\n"
    var series: [SVGSeries] = []
    var smallest = Double.infinity
    var largest = 0.0
    var extrapolations: [String] = []

    func growth(_ name: String, _ rows: [[String: Any]], _ key: String, invert: Bool = false) {
      let points = rows.compactMap { row -> (Double, Double)? in
        guard let n = jsonNumber(row["n"]), let value = jsonNumber(row[key]), value > 0 else { return nil }
        return (n, invert ? 1 / value : value)
      }.sorted { $0.0 < $1.0 }
      guard let first = points.first, points.count > 1 else { return }
      smallest = min(smallest, first.0)
      largest = max(largest, points.last!.0)
      series.append(SVGSeries(name: name, points: points.map { ($0.0, $0.1 / first.1) }))
    }

    /// value × (10M / n)^slope, the slope from the two largest sizes.
    func extrapolate(_ rows: [[String: Any]], _ key: String, invert: Bool = false) -> (Double, Double)? {
      let points = rows.compactMap { row -> (Double, Double)? in
        guard let n = jsonNumber(row["n"]), let value = jsonNumber(row[key]), value > 0 else { return nil }
        return (n, invert ? 1 / value : value)
      }.sorted { $0.0 < $1.0 }
      guard points.count >= 2 else { return nil }
      let (a, b) = (points[points.count - 2], points[points.count - 1])
      let slope = log(b.1 / a.1) / log(b.0 / a.0)
      return (b.1 * pow(1e7 / b.0, slope), slope)
    }

    if let vector = report.object["vector"] as? [String: Any], let rows = vector["rows"] as? [[String: Any]], !rows.isEmpty {
      text += "Vectors (`tracekv-bench ann`, \(vector["dataset"] ?? "?"), ef \(count(vector["ef"])), "
        + "\(count(vector["queries"])) queries):\n\n"
      text += markdownTable(
        ["vectors", "build s", "memory MB", "index MB", "QPS", "recall@10", "p50 µs", "peak RSS MB"],
        rows.map { row in
          [
            count(row["n"]), fixed(jsonNumber(row["build_seconds"]) ?? .nan, 2), megabytes(row["memory_bytes"]),
            megabytes(row["index_bytes"]), fixed(jsonNumber(row["qps"]) ?? .nan, 0),
            fixed(jsonNumber(row["recall"]) ?? .nan, 4), fixed(jsonNumber(row["p50_us"]) ?? .nan, 1),
            megabytes(row["peak_rss_bytes"]),
          ]
        })
      growth("vector build time", rows, "build_seconds")
      growth("vector index bytes", rows, "index_bytes")
      growth("vector time per query", rows, "qps", invert: true)
      if case let (build, slope)? = extrapolate(rows, "build_seconds") {
        extrapolations.append("an HNSW build of 10 M vectors ≈ \(fixed(build / 3600, 1)) h on one core (n^\(fixed(slope)))")
      }
      if case let (bytes, _)? = extrapolate(rows, "index_bytes") {
        extrapolations.append("its arrays ≈ \(fixed(bytes / 1e9, 1)) GB held in memory by every process that opens the store")
      }
      text += "\n"
    }
    if let hybrid = report.object["hybrid"] as? [String: Any], let rows = hybrid["rows"] as? [[String: Any]], !rows.isEmpty {
      let hashing = hybrid["embedder"] as? String == "hashing"
      text += "Traces (`tracekv-bench retrieval --mode hybrid`: \(hybrid["dataset"] ?? "?") documents stored as traces, "
        + "embedder \(hybrid["embedder"] ?? "?"); build = ingest with both indexes in the same transactions):\n\n"
      if hashing {
        text += "The hashing embedder stands in for MiniLM here: these rows measure the store and its indexes (build "
          + "time, memory, queries/s, bytes), not the model. MiniLM's per-text cost is the embedding benchmark's "
          + "(above); a MiniLM store adds it to every trace ingested and to every query.\n\n"
      }
      text += markdownTable(
        ["traces", "build s", "traces/s", "store MB", "peak RSS MB", "queries", "QPS", "p50 ms", "p99 ms", "nDCG@10"],
        rows.map { row in
          let n = jsonNumber(row["n"]) ?? .nan
          let seconds = jsonNumber(row["build_seconds"]) ?? .nan
          return [
            count(row["n"]), fixed(seconds, 1), fixed(n / seconds, 0), megabytes(row["store_bytes"]),
            megabytes(row["peak_rss_bytes"]), count(row["queries"]), fixed(jsonNumber(row["qps"]) ?? .nan, 0),
            fixed(jsonNumber(row["p50_ms"]) ?? .nan, 3), fixed(jsonNumber(row["p99_ms"]) ?? .nan, 3),
            fixed(jsonNumber(row["ndcg@10"]) ?? .nan, 4),
          ]
        })
      growth("trace store build time", rows, "build_seconds")
      growth("trace store bytes", rows, "store_bytes")
      growth("hybrid p50 latency", rows, "p50_ms")
      growth("peak RSS (hybrid)", rows, "peak_rss_bytes")
      if case let (bytes, _)? = extrapolate(rows, "store_bytes") {
        extrapolations.append("a store of 10 M such traces ≈ \(fixed(bytes / 1e9, 1)) GB on disk")
      }
      if case let (build, _)? = extrapolate(rows, "build_seconds") {
        var ingest = "ingesting them ≈ \(fixed(build / 3600, 1)) h with one writer"
        if hashing {
          ingest +=
            miniLMRate.map {
              " (hashing embedder), plus ≈ \(fixed(1e7 / $0.rate / 3600, 0)) h of MiniLM embedding at the measured "
                + "\(fixed($0.rate, 1)) texts/s (batch \($0.batch)) for a MiniLM store"
            } ?? " (hashing embedder; a MiniLM store adds the model's per-text cost)"
        }
        extrapolations.append(ingest)
      }
      if case let (p50, slope)? = extrapolate(rows, "p50_ms") {
        extrapolations.append("a hybrid query ≈ \(fixed(p50, 2)) ms p50 (n^\(fixed(slope)))")
      }
      text += "\n"
    }
    if smallest.isFinite, largest > smallest {
      series.append(
        SVGSeries(name: "∝ n (linear)", points: [(smallest, 1), (largest, largest / smallest)], isReference: true))
      let chart = SVGLineChart(
        title: "Growth with size, relative to the smallest run (log-log)",
        x: SVGAxis(label: "vectors / traces (log scale)", logarithmic: true),
        y: SVGAxis(label: "× the smallest run (log scale)", logarithmic: true), series: series)
      let file = charts.add("scaling.svg", chart.render())
      text += "![growth of build time, bytes and latency with size]({{IMG}}\(file))\n\n"
    }
    if !extrapolations.isEmpty {
      text += "Extrapolated from the two largest runs along their measured log-log slope (a rough guide, not a "
        + "measurement): " + extrapolations.joined(separator: "; ") + ".\n"
    }
    return text
  }
}

// MARK: - Formatting

func markdownTable(_ header: [String], _ rows: [[String]]) -> String {
  func line(_ cells: [String]) -> String {
    "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
  }
  return line(header) + line(header.map { _ in "---" }) + rows.map(line).joined()
}

/// An integer with thousands separators ("-" when absent).
private func count(_ value: Any?) -> String {
  guard let number = jsonNumber(value) else { return value.map { "\($0)" } ?? "-" }
  let formatter = NumberFormatter()
  formatter.numberStyle = .decimal
  formatter.groupingSeparator = ","
  formatter.usesGroupingSeparator = true
  formatter.maximumFractionDigits = 0
  return formatter.string(from: NSNumber(value: number)) ?? "\(Int(number))"
}

private func megabytes(_ value: Any?) -> String { jsonNumber(value).map { fixed($0 / 1e6, 1) } ?? "-" }

private func ratio(_ ours: Double?, _ theirs: Double?) -> String {
  guard let ours, let theirs, theirs != 0, ours.isFinite, theirs.isFinite else { return "-" }
  return fixed(ours / theirs) + "×"
}

import Foundation
import TestSupport
import Testing

/// `tracekv-bench report` over hand-written reports (Fixtures/BenchReports,
/// one per kind, the peers' files included) whose figures were chosen so
/// that every ratio, interpolation and extrapolation can be worked out by
/// hand; the expected cells below are those hand results.
@Suite struct BenchReportFigureTests {
  static let fixtures = Paths.packageRoot.appendingPathComponent("Tests/TraceKVTests/Fixtures/BenchReports").path

  func report(_ extra: [String] = []) throws -> (markdown: String, output: ChildOutcome) {
    let bench = Paths.product("tracekv-bench")
    try #require(FileManager.default.fileExists(atPath: bench.path), "build the tracekv-bench product first")
    let directory = try TemporaryDirectory()
    let output = try runChild(bench, ["report", "--results", Self.fixtures, "--output", directory.path("md"), "--markdown", ""] + extra)
    #expect(output.status == 0, "\(output.error)")
    return (try String(contentsOfFile: directory.path("md/results.md"), encoding: .utf8), output)
  }

  @Test func markdownHoldsTheHandComputedFigures() throws {
    let markdown = try report().markdown
    let lines = Set(markdown.split(separator: "\n").map(String.init))
    // A search-latency report written before query_count was recorded reads, without a count.
    #expect(markdown.contains("limit 10, queries of 6–12 words drawn (seeded) from the traces, the query embedding excluded"))
    let expected = [
      // ANN: QPS at a recall, linear between the curve's points: TraceKV (0.8, 1000)-(1.0, 500)
      // gives 750 at 0.90, 625 at 0.95, 525 at 0.99; hnswlib (0.9, 1500)-(1.0, 1000) gives 1500, 1250, 1050.
      "| TraceKV | 10.0 | 2.0 | 750 | 625 | 525 | 1.0000 |",
      "| hnswlib | 5.0 | 4.0 | 1500 | 1250 | 1050 | 1.0000 |",
      // Build 10 s / 5 s, memory 2 MB / 4 MB, and each QPS half the peer's.
      "| hnswlib | 2.00× | 0.50× | 0.50× | 0.50× | 0.50× |",
      // Lexical: the peer's file, its ratios and its score agreement.
      "| bm25s-lucene (same tokens) | 2.000 | 1000 | 0.800 | 3.000 | 0.5000 | 0.6000 | 0.9000 | 0.4500 |",
      "| bm25s-lucene (same tokens) | 4.00× | 0.25× | 0.25× |",
      "Exact scores: top-10 scores equal to bm25s's (relative difference ≤ 1e-4) in 9/10 queries, 95/100 rank positions.",
      // Retrieval: TraceKV beside the reference, mode by mode.
      "| vector | TraceKV | 0.3750 | 0.5000 | 0.7500 | 0.2500 | 1000 | 1.000 | 2.000 |",
      "| vector | reference | 0.2500 | 0.5000 | 0.7500 | 0.2500 | - | - | - |",
      "TraceKV: hybrid beats both single modes: +0.1250 nDCG@10 over the better one (lexical).",
      // Embedding: 200 / 100 texts/s; the peer's tokens/s 100,000 tokens / 20 s.
      "| tracekv MiniLM | 1 | 200.0 | 10000 | 1.50 | 2.50 | 150 | 2.00× |",
      "| sentence-transformers | 1 | 100.0 | 5000 | - | - | 900 | 1.00× |",
      "| tracekv MiniLM | 32 | 500.0 | 25000 | 1.50 | 2.50 | 150 | - |",
      // Ingest: 1000 / 250 traces/s, 3000 / 1500 and 3000 / 6000 spans/s, 300 / 600 bytes.
      "| traces/s | 1000 | 250 | 4.00× |  |  |",
      "| spans/s (puts/s) | 3000 | 1500 | 2.00× | 6000 | 0.50× |",
      "| bytes on disk / span | 300 | 600 | 0.50× | 200 |  |",
      "| messages() p50 / p99 µs | 12.5 / 40.0 |  |  |  |  |",
      // Search latency: hybrid p50 1.5 ms ≤ 2 ms at 100,000 traces.
      "Goal: hybrid p50 ≤ 2 ms at 100,000 traces: met (1.500 ms).",
      // Scaling: 10,000 traces built in 36 s is 278 traces/s.
      "| 10,000 | 36.0 | 278 | 100.0 | 100.0 | 100 | 1000 | 0.500 | 2.000 | 0.5000 |",
      // Serving: TraceBrain / TraceKV ratios as the client wrote them.
      "| traces/s | 2000 | 200 | 0.10 |",
      "| list_20 p50 ms | 2.00 | 40 | 20 |",
      // Server CPU per trace posted, and the client's ratio: 10 ms for TraceBrain over 2.5 ms is 4.
      "| server CPU ms per trace posted | 2.50 | 10 | 4.00 |",
      "| findable by vector p50 / max ms | 900 / 2000 |",
      // Live use at two sizes side by side: 2,048 KB of RssAnon is 2.1 MB, 20,480 KB 21.0 MB.
      "| 1,000 | 1.00 / 2.00 | 1.00 | 0.20 / 0.50 | 0.050 | 5 | 2.1 | 8.0 |",
      "| 100,000 | 2.00 / 4.00 | 2.50 | 0.40 / 1.00 | 0.100 | 50 | 21.0 | 500.0 |",
    ]
    for line in expected { #expect(lines.contains(line), "\(line)") }
    // Extrapolated to 10 M along the two largest runs: build 10 → 100 s over 10× is n^1, so 1,000 s (0.3 h);
    // index 0.5 GB → 5 GB; store 1 GB at 100,000 → 100 GB; ingest 360 s → 36,000 s (10 h), plus
    // 10 M texts at 500 texts/s (5.6 h); hybrid p50 0.5 → 1 ms over 10× is n^0.30, so 1 ms × 100^0.30 = 4 ms.
    for phrase in [
      "an HNSW build of 10 M vectors ≈ 0.3 h on one core (n^1.00)", "its arrays ≈ 5.0 GB",
      "a store of 10 M such traces ≈ 100.0 GB on disk", "ingesting them ≈ 10.0 h with one writer",
      "plus ≈ 6 h of MiniLM embedding at the measured 500.0 texts/s (batch 32)", "a hybrid query ≈ 4.00 ms p50 (n^0.30)",
    ] {
      #expect(markdown.contains(phrase), "\(phrase)")
    }
  }

  @Test func summaryTableAndJSONNameTheSameReports() throws {
    let expected = [
      ["ann-toy.json", "ann + peers", "toy"], ["embed.json", "embed", ""], ["ingest.json", "ingest", ""],
      ["lexical-toy.json", "lexical + peers", "toy"], ["live-1000.json", "live", "1000"],
      ["live-100000.json", "live", "100000"], ["retrieval-toy.json", "retrieval + reference", "toy"],
      ["scaling.json", "scaling", ""], ["search-latency.json", "search latency", "latency"], ["serve.json", "serve", ""],
    ]
    let table = try report().output.output.split(separator: "\n").map(String.init)
    // Text columns are left-aligned: each cell starts where its header does.
    let kindColumn = try #require(table.first?.range(of: "kind")).lowerBound.utf16Offset(in: table[0])
    let datasetColumn = try #require(table.first?.range(of: "dataset")).lowerBound.utf16Offset(in: table[0])
    #expect(table.count == expected.count + 3)
    for (line, row) in zip(table.dropFirst(2), expected) {
      #expect(line.hasPrefix(row[0] + " "))
      #expect(String(line.dropFirst(kindColumn)).hasPrefix(row[1]), "\(line)")
      #expect(String(line.dropFirst(datasetColumn)) == row[2], "\(line)")
    }
    let json = try report(["--json"]).output.output
    let summary = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let reports = try #require(summary["reports"] as? [[String: String]])
    #expect(reports.map { [$0["name"]!, $0["kind"]!, $0["dataset"]!] } == expected)
    #expect(summary["charts"] as? [String] == ["ann-toy.svg", "quality-toy.svg", "scaling.svg", "live-scaling.svg"])
  }

  @Test func aReportMissingAFieldIsRefusedByName() throws {
    let bench = Paths.product("tracekv-bench")
    let directory = try TemporaryDirectory()
    let results = directory.path("results")
    try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: true)
    var ingest = try String(contentsOfFile: Self.fixtures + "/ingest.json", encoding: .utf8)
    ingest = ingest.replacingOccurrences(of: #""spans_per_s": 3000, "#, with: "")
    try ingest.write(toFile: results + "/ingest.json", atomically: true, encoding: .utf8)
    let outcome = try runChild(bench, ["report", "--results", results, "--output", directory.path("md"), "--markdown", ""])
    #expect(outcome.status != 0)
    #expect(outcome.error.contains(#"ingest.json: not a readable report: no "spans_per_s""#), "\(outcome.error)")
  }
}

import Foundation
import TestSupport
import Testing

/// Every `tracekv-bench` subcommand run at a tiny size writes its JSON, and
/// `report` reads each one back: the writer and the reader share one model
/// per report (Benchmarks/Harness/Reports), so a key one writes and the
/// other misses fails here. The JSON is read by this test with
/// JSONSerialization, apart from those models, against figures known by hand.
@Suite(.serialized) struct BenchReportRunTests {
  /// Four documents and two queries, each query's one relevant document the
  /// only one holding its word: every retriever ranks it first, so nDCG@10,
  /// recall@10/@100 and MRR@10 are all exactly 1.
  static func writeCollection(in folder: String) throws {
    try FileManager.default.createDirectory(atPath: folder + "/qrels", withIntermediateDirectories: true)
    try """
    {"_id": "d1", "title": "refund policy", "text": "customers may ask for a refund within thirty days"}
    {"_id": "d2", "title": "shipping", "text": "orders ship within two days by ground"}
    {"_id": "d3", "title": "password reset", "text": "reset the password from the account page"}
    {"_id": "d4", "title": "order status", "text": "track the order status with the tracking number"}

    """.write(toFile: folder + "/corpus.jsonl", atomically: true, encoding: .utf8)
    try """
    {"_id": "q1", "text": "refund"}
    {"_id": "q2", "text": "password"}

    """.write(toFile: folder + "/queries.jsonl", atomically: true, encoding: .utf8)
    try "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n".write(
      toFile: folder + "/qrels/test.tsv", atomically: true, encoding: .utf8)
  }

  /// `rows` × `columns` seeded floats in big-ann-benchmarks' .fbin layout.
  static func writeVectors(_ path: String, rows: Int, columns: Int, seed: UInt64) throws {
    var generator = SeededGenerator(seed: seed)
    var data = Data()
    for header in [UInt32(rows), UInt32(columns)] { withUnsafeBytes(of: header.littleEndian) { data.append(contentsOf: $0) } }
    for _ in 0..<(rows * columns) {
      withUnsafeBytes(of: Float.random(in: -1...1, using: &generator).bitPattern.littleEndian) { data.append(contentsOf: $0) }
    }
    try data.write(to: URL(fileURLWithPath: path))
  }

  static func object(_ path: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
  }

  @Test func everyBenchWritesWhatReportReads() throws {
    let bench = Paths.product("tracekv-bench")
    try #require(FileManager.default.fileExists(atPath: bench.path), "build the tracekv-bench product first")
    let directory = try TemporaryDirectory()
    let results = directory.path("results")
    try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: true)
    let beir = directory.path("beir")
    try Self.writeCollection(in: beir)
    try Self.writeVectors(directory.path("base.fbin"), rows: 200, columns: 8, seed: 1)
    try Self.writeVectors(directory.path("queries.fbin"), rows: 10, columns: 8, seed: 2)
    let samples = Paths.samples.path
    func runBench(_ arguments: [String]) throws {
      let outcome = try runChild(bench, arguments)
      #expect(outcome.status == 0, "\(arguments.joined(separator: " ")): \(outcome.output)\n\(outcome.error)")
    }

    try runBench([
      "ingest", "--traces", "40", "--skip-sqlite", "--reconstructions", "10", "--searches", "4", "--samples", samples,
      "--data", directory.path("ingest"), "--json", results + "/ingest.json",
    ])
    try runBench([
      "search", "--store", directory.path("ingest/ingest.tkv"), "--searches", "4", "--json", results + "/search-latency.json",
    ])
    let given = try runChild(bench, [
      "search", "--store", directory.path("ingest/ingest.tkv"), "--queries", beir + "/queries.jsonl", "--searches", "5",
      "--modes", "lexical", "--json", results + "/search-latency-given.json",
    ])
    #expect(given.status == 0, "\(given.error)")
    #expect(given.output.contains("over 41 traces, 2 queries from \(beir)/queries.jsonl:"), "\(given.output)")
    try runBench([
      "ann", "--base", directory.path("base.fbin"), "--queries", directory.path("queries.fbin"), "--ef", "10,40",
      "--json", results + "/ann-tiny.json",
    ])
    try runBench(["lexical", "--beir", beir, "--grow-to", "10", "--adds", "3", "--json", results + "/lexical-tiny.json"])
    try runBench([
      "lexical", "--beir", beir, "--compare", "taat,bmw", "--compare-depths", "10", "--json", results + "/strategies-tiny.json",
    ])
    try runBench([
      "retrieval", "--beir", beir, "--embedder", "hashing", "--mode", "all", "--store", directory.path("retrieval.tkv"),
      "--json", results + "/retrieval-tiny.json",
    ])
    try runBench([
      "scaling", "--base", directory.path("base.fbin"), "--queries", directory.path("queries.fbin"), "--sizes", "100,full",
      "--vector-queries", "10", "--beir", beir, "--embedder", "hashing", "--work", directory.path("scaling"),
      "--json", results + "/scaling.json",
    ])
    try runBench(["crash", "--kills", "2", "--samples", samples, "--json", results + "/crash.json"])
    try runBench([
      "fuzz", "--cases", "20", "--samples", samples, "--tracekv", Paths.product("tracekv").path, "--json", results + "/fuzz.json",
    ])
    try runBench(["concurrency", "--seconds", "1", "--readers", "1", "--samples", samples, "--json", results + "/concurrency.json"])
    // MiniLM is required, as by the embedder's own tests (`make model` fetches it).
    try """
    {"text": "refund the customer order"}
    {"text": "reset the password"}
    {"text": "track the parcel"}

    """.write(toFile: directory.path("texts.jsonl"), atomically: true, encoding: .utf8)
    try runBench([
      "embed", "--no-peer", "--batch", "2", "--input", directory.path("texts.jsonl"), "--json", results + "/embed.json",
    ])
    try runBench([
      "live", "--traces", "40", "--writes", "3", "--samples", samples, "--data", directory.path("live"),
      "--json", results + "/live.json",
    ])

    // The figures known by hand.
    let sampleSpans = try Paths.sampleFiles().map { file -> Int in
      let trace = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
      return (trace["spans"] as? [Any])?.count ?? 0
    }.reduce(0, +)
    let ingest = try Self.object(results + "/ingest.json")
    #expect(ingest["benchmark"] as? String == "ingest")
    #expect(ingest["traces"] as? Int == 40)
    #expect(ingest["spans"] as? Int == 2 * sampleSpans)  // the 20 samples twice
    #expect(ingest["embedder"] as? String == "none")
    #expect(ingest["sqlite"] == nil)
    #expect((ingest["search"] as? [String: Any])?.keys.sorted() == ["lexical"])
    let search = try Self.object(results + "/search-latency.json")
    #expect(search["traces"] as? Int == 41)  // the ingest bench adds its 10-step trace
    #expect(search["limit"] as? Int == 10)
    #expect(search["query_count"] as? Int == 4)
    #expect(search["queries"] == nil)
    // The collection's two queries, though five were allowed.
    let givenReport = try Self.object(results + "/search-latency-given.json")
    #expect(givenReport["query_count"] as? Int == 2)
    #expect(givenReport["queries"] as? String == beir + "/queries.jsonl")
    #expect((givenReport["search"] as? [String: Any])?.keys.sorted() == ["lexical"])
    let ann = try Self.object(results + "/ann-tiny.json")
    #expect((ann["points"] as? [[String: Any]])?.map { $0["ef"] as? Int } == [10, 40])
    #expect((ann["dataset"] as? [String: Any])?["n"] as? Int == 200)
    let lexical = try Self.object(results + "/lexical-tiny.json")
    for key in ["ndcg@10", "recall@10", "recall@100", "mrr@10"] { #expect(lexical[key] as? Double == 1, "\(key)") }
    #expect(lexical["documents"] as? Int == 4)
    #expect(lexical["exact_queries"] as? Int == 2)
    #expect(lexical["add_one_index_documents"] as? Int == 10)
    let strategies = try Self.object(results + "/strategies-tiny.json")
    #expect((strategies["rows"] as? [[String: Any]])?.map { $0["strategy"] as? String } == ["taat", "bmw"])
    #expect(strategies["query_terms"] as? [Int] == [1, 1])
    let retrieval = try Self.object(results + "/retrieval-tiny.json")
    let modes = try #require(retrieval["modes"] as? [[String: Any]])
    #expect(modes.map { $0["mode"] as? String } == ["lexical", "vector", "hybrid"])
    #expect(modes[0]["ndcg@10"] as? Double == 1)
    let scaling = try Self.object(results + "/scaling.json")
    #expect(((scaling["vector"] as? [String: Any])?["rows"] as? [[String: Any]])?.map { $0["n"] as? Int } == [100, 200])
    #expect(((scaling["hybrid"] as? [String: Any])?["rows"] as? [[String: Any]])?.map { $0["n"] as? Int } == [4])
    #expect(try Self.object(results + "/crash.json")["lost"] as? Int == 0)
    let fuzz = try Self.object(results + "/fuzz.json")
    // Cases 0-4 of every ten are searches, 5-7 command lines, 8-9 damaged files.
    #expect([fuzz["searches"], fuzz["command_lines"], fuzz["damaged_files"]].map { $0 as? Int } == [10, 6, 4])
    #expect((fuzz["answered"] as? Int ?? 0) + (fuzz["refused"] as? Int ?? 0) == 10)
    let concurrency = try Self.object(results + "/concurrency.json")
    #expect(concurrency["errors"] as? Int == 0)
    #expect((concurrency["readers"] as? [Any])?.count == 1)
    let embed = try Self.object(results + "/embed.json")
    #expect(embed["texts"] as? Int == 3)
    let embedRows = try #require(embed["results"] as? [[String: Any]])
    #expect(embedRows.map { $0["batch"] as? Int } == [2])
    #expect(embedRows[0]["peer"] == nil)  // --no-peer
    #expect(((embedRows[0]["tracekv"] as? [String: Any])?["texts"]) as? Int == 3)
    #expect((embed["hashing_batch32"] as? [String: Any])?["batch"] as? Int == 32)
    let live = try Self.object(results + "/live.json")
    #expect([live["traces"], live["writes"]].map { $0 as? Int } == [40, 3])
    #expect(live["ingest"] == nil)

    // report reads them all, and prints the same summary as a table and as JSON.
    let output = directory.path("md")
    let table = try runChild(bench, ["report", "--results", results, "--output", output, "--markdown", ""])
    #expect(table.status == 0, "\(table.error)")
    let expected = [
      ("ann-tiny.json", "ann", "tiny"), ("concurrency.json", "concurrency", ""), ("crash.json", "crash", ""),
      ("embed.json", "embed", ""), ("fuzz.json", "fuzz", ""), ("ingest.json", "ingest", ""), ("lexical-tiny.json", "lexical", "tiny"),
      ("live.json", "live", ""), ("retrieval-tiny.json", "retrieval", "tiny"), ("scaling.json", "scaling", ""),
      ("search-latency-given.json", "search latency", "latency-given"), ("search-latency.json", "search latency", "latency"),
      ("strategies-tiny.json", "lexical strategies", "tiny"),
    ]
    let lines = table.output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
    #expect(lines.first == ["report", "kind", "dataset"])
    for (name, kind, dataset) in expected {
      #expect(lines.contains(([name] + kind.split(separator: " ").map(String.init) + (dataset.isEmpty ? [] : [dataset])).map { Substring($0) }), "\(name)")
    }
    #expect(table.output.hasSuffix("wrote 3 charts and results.md to \(output)\n"))
    let json = try runChild(bench, ["report", "--results", results, "--output", output, "--markdown", "", "--json"])
    let summary = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
    let reports = try #require(summary["reports"] as? [[String: String]])
    #expect(reports.map { [$0["name"]!, $0["kind"]!, $0["dataset"]!] } == expected.map { [$0.0, $0.1, $0.2] })
    #expect(summary["charts"] as? [String] == ["ann-tiny.svg", "quality-tiny.svg", "scaling.svg"])
    #expect(summary["markdown"] == nil)

    // The Markdown holds every report's section, its figures from the JSON.
    let markdown = try String(contentsOfFile: output + "/results.md", encoding: .utf8)
    for heading in [
      "### ANN: tiny", "### BM25: tiny", "### BM25 strategies: tiny", "### Retrieval quality: tiny", "### Ingest",
      "### Search latency", "### Scaling", "### Live use", "### Crash safety", "### Hostile inputs",
      "### Concurrent processes", "### Embedding: all-MiniLM-L6-v2",
    ] {
      #expect(markdown.contains("\n" + heading + "\n"), "\(heading)")
    }
    let lexicalRow = "| TraceKV | \(String(format: "%.3f", lexical["index_seconds"] as! Double)) | "
      + "\(String(format: "%.0f", lexical["qps"] as! Double)) | \(String(format: "%.3f", lexical["p50_ms"] as! Double)) | "
      + "\(String(format: "%.3f", lexical["p99_ms"] as! Double)) | 1.0000 | 1.0000 | 1.0000 | 1.0000 |"
    #expect(markdown.contains(lexicalRow))
    #expect(markdown.contains("40 traces (the TraceBrain samples with fresh ids), \(2 * sampleSpans) spans, embedder none"))
    #expect(markdown.contains("limit 10, 4 queries of 6–12 words drawn (seeded) from the traces,"))
    #expect(markdown.contains("limit 10, the first 2 queries of `\(beir)/queries.jsonl`,"))
  }
}

import ArgumentParser
import Foundation
import LexicalIndex
import TraceKV
import VectorIndex

/// `tracekv-bench prepare traces-1m`: a diverse collection of agent traces
/// generated reproducibly from real text, with queries and known relevant
/// traces, for search speed and quality at scale.
///
/// Sources (both fetched by package name by their own `prepare` commands):
/// Debian's package descriptions (`prepare debian`) and τ²-bench's banking
/// knowledge base (`prepare tau2-banking`, optional). Each trace is built
/// by a seeded generator (SplitMix64, so every toolchain draws the same) around
/// one Debian package, drawn with a Zipf-like skew (weight 1/√rank over a
/// seeded shuffle: a few packages recur in thousands of traces, most in a
/// handful): a user task quoting a sentence of the description, an LLM
/// step with a tool call, one or two tool outputs holding passages of the
/// description (sometimes another package's, as noise), sometimes an
/// error (apt, dpkg, network) instead, and a final answer. One trace in ten
/// is a banking support conversation over a τ²-bench document instead.
///
/// Queries: packages drawn (seeded) among those with at least one trace;
/// the query is the package's synopsis, which no trace contains; its
/// relevant traces are every trace built around that package.
///
/// Output: `traces.jsonl` (one trace per line, for `tracekv-bench ingest
/// --input` or `tracekv ingest`), and `queries.jsonl`, `qrels/test.tsv` and
/// an empty `corpus.jsonl` in BEIR layout (the corpus is the store), for
/// `tracekv-bench retrieval --store` (with `--corpus`, `corpus.jsonl` holds
/// every trace's conversation instead, for `tracekv-bench lexical`).
struct PrepareTracesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "traces-1m",
    abstract: "Generate N agent traces (default 1,000,000) from Debian and τ²-bench text, with queries and relevant traces.")

  @Option(help: "The Debian BEIR folder (`tracekv-bench prepare debian`).") var debian = "bench-data/debian"
  @Option(help: "The tau2-banking BEIR folder (`prepare tau2-banking`); empty: Debian traces only.")
  var tau2 = "bench-data/tau2-banking"
  @Option(help: "Traces to generate.") var traces = 1_000_000
  @Option(help: "Queries (package synopses).") var queries = 2_000
  @Option(help: "Seed of every draw.") var seed: UInt64 = 20_261_206
  @Option(help: "Output folder (default: bench-data/traces-N).") var output: String?
  @Option(help: "The TraceBrain samples, whose replicas the term distribution is compared with.")
  var samples = "Examples/tracebrain"
  @Flag(help: "Also write each trace's conversation as a BEIR document (for `tracekv-bench lexical`, in memory).")
  var corpus = false
  @Flag(help: "Rebuild even when the folder already holds a collection.") var force = false

  func run() throws {
    guard traces > 0, queries > 0 else { throw ValidationError("--traces and --queries must be at least 1") }
    let folder = output ?? "bench-data/traces-\(traces)"
    let tracesPath = folder + "/traces.jsonl"
    if FileManager.default.fileExists(atPath: tracesPath) && BEIRCollection.exists(at: folder) && !force {
      print("traces: already generated in \(folder) (--force rebuilds)")
      return
    }
    let packages = try Self.packages(from: debian)
    let banking = tau2.isEmpty ? [] : try BEIRCollection.load(from: tau2).documents.filter { !$0.text.isEmpty }
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

    var generator = TraceGenerator(packages: packages, banking: banking, seed: seed)
    guard FileManager.default.createFile(atPath: tracesPath + ".tmp", contents: nil) else {
      throw BenchmarkDataError("cannot create \(tracesPath).tmp")
    }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tracesPath + ".tmp"))
    var relevant: [Int: [String]] = [:]
    var statistics = TermStatistics()
    var buffer: [UInt8] = []
    var documents: [BEIRCollection.Document] = []
    var progress = ProgressLine("generate traces", total: traces)
    for number in 0..<traces {
      let trace = generator.trace(number: number)
      if let package = trace.package { relevant[package, default: []].append(trace.id) }
      // Term statistics on every 50th trace: enough for document frequencies of 1 % and up.
      if number % 50 == 0 { statistics.add(trace.conversation) }
      if corpus { documents.append(.init(id: trace.id, title: "", text: trace.conversation)) }
      buffer += JSONWriter.compactBytes(trace.json)
      buffer.append(UInt8(ascii: "\n"))
      if buffer.count > 1 << 22 {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
        progress.update(number + 1)
      }
    }
    try handle.write(contentsOf: buffer)
    try handle.close()
    progress.finish()
    try? FileManager.default.removeItem(atPath: tracesPath)
    try FileManager.default.moveItem(atPath: tracesPath + ".tmp", toPath: tracesPath)

    // Queries: a seeded sample of the packages that have traces, in name order.
    var used = relevant.keys.sorted()
    var sampler = SplitMix64(seed: seed ^ 0x5155_4552_5953)
    for index in stride(from: used.count - 1, to: 0, by: -1) {
      used.swapAt(index, Int(sampler.next() % UInt64(index + 1)))
    }
    let chosen = used.prefix(queries).sorted()
    let queryList = chosen.map { BEIRCollection.Query(id: "q-" + packages[$0].name, text: packages[$0].synopsis) }
    var qrels: [String: [String: Int]] = [:]
    for package in chosen {
      qrels["q-" + packages[package].name] = Dictionary(uniqueKeysWithValues: relevant[package]!.map { ($0, 1) })
    }
    try BEIRCollection(documents: documents, queries: queryList, qrels: qrels).write(to: folder)

    let judgments = qrels.values.reduce(0) { $0 + $1.count }
    print("traces: \(traces) traces over \(relevant.count) packages (\(packages.count) available), "
      + "\(queryList.count) queries, \(judgments) judgments → \(folder)")
    print(statistics.summary(label: "generated"))
    var replicated = TermStatistics()
    for conversation in try Self.sampleConversations(in: samples) { replicated.add(conversation) }
    print(replicated.summary(label: "replicated samples (each replica has its sample's frequencies)"))
  }

  /// The user messages, completions, tool outputs and answers of each sample trace.
  static func sampleConversations(in folder: String) throws -> [String] {
    let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
    return try files.map { file in
      let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
      let trace = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
      var texts: [String] = []
      for span in trace["spans"] as? [[String: Any]] ?? [] {
        let attributes = span["attributes"] as? [String: Any] ?? [:]
        if let content = attributes["tracebrain.llm.new_content"] as? String,
          let messages = try? JSONSerialization.jsonObject(with: Data(content.utf8)) as? [[String: Any]]
        {
          texts += messages.compactMap { $0["content"] as? String }
        }
        for key in ["tracebrain.llm.completion", "tracebrain.tool.output", "tracebrain.llm.final_answer"] {
          if let text = attributes[key] as? String { texts.append(text) }
        }
      }
      return texts.joined(separator: "\n")
    }
  }

  /// Debian packages with a synopsis and a description, in name order.
  static func packages(from folder: String) throws -> [TraceGenerator.Package] {
    let collection = try BEIRCollection.load(from: folder)
    let synopses = Dictionary(collection.queries.map { (String($0.id.dropFirst(2)), $0.text) }) { a, _ in a }
    // The Debian folder keeps synopses for its query sample only: the rest
    // are read again from the translation files it downloaded.
    var all = synopses
    let lists = folder + "/download/lists"
    if let files = try? FileManager.default.contentsOfDirectory(atPath: lists) {
      for file in files.sorted() where file.contains("_i18n_Translation-en") {
        let data = try DatasetTool.run(["/usr/lib/apt/apt-helper", "cat-file", lists + "/" + file])
        for entry in PrepareDebianCommand.parseTranslation(String(decoding: data, as: UTF8.self))
        where all[entry.name] == nil {
          all[entry.name] = entry.synopsis
        }
      }
    }
    let packages = collection.documents.compactMap { document -> TraceGenerator.Package? in
      guard let synopsis = all[document.id], !synopsis.isEmpty else { return nil }
      return TraceGenerator.Package(name: document.id, synopsis: synopsis, description: document.text)
    }
    guard !packages.isEmpty else { throw BenchmarkDataError("no Debian package with a synopsis in \(folder)") }
    return packages.sorted { $0.name < $1.name }
  }
}

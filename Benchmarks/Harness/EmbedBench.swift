import ArgumentParser
import Embeddings
import Foundation

/// `tracekv-bench embed`: MiniLM sentences/s and peak memory at several batch
/// sizes, with sentence-transformers on the same texts in the same run.
///
/// Texts: `--input FILE` (JSONL with a `text` field), else
/// `bench-data/embed-texts.jsonl`, built on first use from Debian's
/// `Translation-en` (2,000 package descriptions, synopsis + long description,
/// every k-th package by name so the sample spans the archive). The lists come
/// from `/var/lib/apt/lists` when present, else from those `prepare debian`
/// fetched into `bench-data/debian/download/lists`, else from `apt-get update
/// -o Acquire::Languages=en` into `bench-data/apt-lists`, leaving the
/// system's lists alone.
struct EmbedBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Embedding throughput (texts/s) and peak memory, native MiniLM vs sentence-transformers.",
    discussion: """
      Set OPENBLAS_NUM_THREADS before running (it is read when the library loads); \
      the peer runs with as many torch threads unless --peer-threads says otherwise. Example: \
      OPENBLAS_NUM_THREADS=2 tracekv-bench embed --batch 1,32 --json embed.json
      """)

  @Option(help: "Model directory (default: $TRACEKV_MODEL_DIR or the cache).")
  var model: String?

  @Option(help: "JSONL file of texts (a \"text\" field per line).")
  var input: String?

  @Option(help: "Comma-separated batch sizes.")
  var batch = "1,32"

  @Option(help: "Number of texts (the default file holds 2,000).")
  var limit = 2_000

  @OptionGroup var output: ReportOutput

  @Flag(inversion: .prefixedNo, help: "Run sentence-transformers on the same texts.")
  var peer = true

  @Option(help: "Python with sentence-transformers (default: .venv/bin/python if present, else python3).")
  var python: String?

  @Option(help: "torch threads for the peer (default: OPENBLAS_NUM_THREADS, else every core, as OpenBLAS does).")
  var peerThreads: Int?

  @Option(help: "Folder for the default texts and apt lists.")
  var dataDir = "bench-data"

  func run() throws {
    let batches = batch.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !batches.isEmpty, batches.allSatisfy({ $0 > 0 }) else { throw ValidationError("--batch needs positive integers, e.g. 1,32") }
    let textsPath = try input ?? DebianDescriptions.ensure(in: dataDir, count: 2_000)
    let texts = Array(try Self.readTexts(textsPath).prefix(limit))
    guard !texts.isEmpty else { throw ValidationError("no texts in \(textsPath)") }

    let embedder: MiniLMEmbedder
    do { embedder = try MiniLMEmbedder(files: ModelFiles(directory: model)) } catch {
      throw ValidationError(error.description)
    }
    let tokenCounts = texts.map { embedder.tokenIDs($0).count }
    let tokens = tokenCounts.reduce(0, +)
    let blasThreads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset"
    FileHandle.standardError.write(
      Data("\(texts.count) texts from \(textsPath), \(tokens) tokens (mean \(fixed(Double(tokens) / Double(texts.count), 1))); OPENBLAS_NUM_THREADS=\(blasThreads)\n".utf8))

    var rows: [EmbedReport.Row] = []
    for size in batches {
      var ours = try Self.measure(embedder, texts: texts, batch: size)
      ours.tokensPerSecond = Double(tokens) / ours.seconds
      let peerResult = peer ? runPeer(textsPath: textsPath, count: texts.count, batch: size) : nil
      ours.ratioVersusPeer = peerResult.map { ours.textsPerSecond / $0.textsPerSecond }
      rows.append(.init(batch: size, tracekv: ours, peer: peerResult))
    }
    let context = RunContext.current()
    let report = EmbedReport(
      textsFile: textsPath, model: embedder.files.directory, fingerprint: embedder.fingerprint, texts: texts.count,
      tokens: tokens, results: rows,
      hashingBatch32: try Self.measure(HashingEmbedder(), texts: texts, batch: 32), context: context)
    print(report.table.text)
    try output.write(report)
  }

  /// Embeds `texts` in batches of `batch` after one warm-up batch.
  static func measure(_ embedder: any TextEmbedder, texts: [String], batch: Int) throws -> EmbedReport.Figures {
    _ = try embedder.embed(Array(texts.prefix(batch)))
    PeakMemory.reset()
    var latencies: [Double] = []
    let start = nowNanoseconds()
    try embedInBatches(embedder, texts, batch: batch, label: "\(embedder.name) batch \(batch)") { _, milliseconds in
      latencies.append(milliseconds)
    }
    let seconds = secondsSince(start)
    let peak = PeakMemory.megabytes()
    return EmbedReport.Figures(
      batch: batch, texts: texts.count, seconds: seconds, textsPerSecond: Double(texts.count) / seconds,
      batchP50: percentile(latencies, 50), batchP99: percentile(latencies, 99), peakRSSMegabytes: peak.isFinite ? peak : nil)
  }

  /// The peer's torch threads: as many as OpenBLAS gives TraceKV, so the
  /// comparison is thread for thread.
  var resolvedPeerThreads: Int {
    peerThreads ?? ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap { Int($0) }
      ?? ProcessInfo.processInfo.activeProcessorCount
  }

  /// Runs `Benchmarks/peers/embed.py` for one batch size; nil (with a note on stderr) if it fails.
  func runPeer(textsPath: String, count: Int, batch: Int) -> EmbedReport.Peer? {
    let interpreter = python ?? (FileManager.default.isExecutableFile(atPath: ".venv/bin/python") ? ".venv/bin/python" : "python3")
    FileHandle.standardError.write(Data("peer: sentence-transformers batch \(batch) (\(interpreter))\n".utf8))
    do {
      return try DatasetTool.decode(
        EmbedReport.Peer.self,
        from: [
          interpreter, "Benchmarks/peers/embed.py", "--model", ModelFiles(directory: model).directory, "--input", textsPath,
          "--batch", String(batch), "--threads", String(resolvedPeerThreads), "--limit", String(count),
        ], what: "the peer")
    } catch {
      FileHandle.standardError.write(
        Data("peer failed (\(error)); install it with: python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/requirements-embed.txt\n".utf8))
      return nil
    }
  }

  /// The `text` field of each JSONL line.
  static func readTexts(_ path: String) throws -> [String] {
    struct Line: Decodable { var text: String }
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONDecoder().decode(Line.self, from: Data($0)).text }
  }
}

/// Embeds `texts` `batch` at a time behind a progress line (with the rate so
/// far), handing each batch's vectors and its milliseconds to `body`.
func embedInBatches(
  _ embedder: any TextEmbedder, _ texts: [String], batch: Int, label: String,
  _ body: (_ vectors: [[Float]], _ milliseconds: Double) throws -> Void
) throws {
  var progress = ProgressLine(label, total: texts.count)
  let start = nowNanoseconds()
  for first in stride(from: 0, to: texts.count, by: batch) {
    let batchStart = nowNanoseconds()
    let vectors = try embedder.embed(Array(texts[first..<min(first + batch, texts.count)]))
    try body(vectors, secondsSince(batchStart) * 1000)
    let done = min(first + batch, texts.count)
    progress.update(done, detail: "\(fixed(Double(done) / secondsSince(start), 1)) texts/s")
  }
  progress.finish()
}

/// The process's peak resident memory (Linux `VmHWM`), resettable between runs.
enum PeakMemory {
  /// Resets the high-water mark to the current RSS (writing 5 to `clear_refs`, Linux ≥ 4.0).
  static func reset() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
  }

  static func megabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return .nan }
    return kilobytes / 1024
  }
}

/// 2,000 Debian package descriptions as JSONL, built once from apt's `Translation-en`.
enum DebianDescriptions {
  static func ensure(in dataDir: String, count: Int) throws -> String {
    let path = (dataDir as NSString).appendingPathComponent("embed-texts.jsonl")
    if FileManager.default.fileExists(atPath: path) { return path }
    // The system's lists, else those `prepare debian` fetched, else our own.
    var lists = translationFiles(in: "/var/lib/apt/lists")
    if lists.isEmpty { lists = translationFiles(in: (dataDir as NSString).appendingPathComponent("debian/download/lists")) }
    if lists.isEmpty {
      let privateLists = (dataDir as NSString).appendingPathComponent("apt-lists")
      lists = translationFiles(in: privateLists)
      if lists.isEmpty {
        try FileManager.default.createDirectory(atPath: privateLists + "/partial", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: privateLists + "/lock", contents: nil)
        FileHandle.standardError.write(Data("fetching Debian's Translation-en into \(privateLists)\n".utf8))
        try run(["apt-get", "update", "-qq", "-o", "Acquire::Languages=en", "-o", "Dir::State::Lists=\(FileManager.default.currentDirectoryPath)/\(privateLists)"])
        lists = translationFiles(in: privateLists)
      }
    }
    guard let main = lists.first(where: { $0.contains("_dists_bookworm_main_") }) ?? lists.first else {
      throw ValidationError("no Translation-en list found; pass --input FILE")
    }
    // apt-helper decompresses whatever format apt stored the list in (lz4, gz, xz, none).
    let text = try run(["/usr/lib/apt/apt-helper", "cat-file", main])
    var records: [(package: String, text: String)] = []
    for record in text.components(separatedBy: "\n\n") {
      var package = "", synopsis = "", body: [String] = []
      for line in record.split(separator: "\n", omittingEmptySubsequences: true) {
        if line.hasPrefix("Package: ") {
          package = String(line.dropFirst(9))
        } else if line.hasPrefix("Description-en: ") {
          synopsis = String(line.dropFirst(16))
        } else if line.hasPrefix(" ") {
          body.append(line.trimmingCharacters(in: .whitespaces))
        }
      }
      if !package.isEmpty, !synopsis.isEmpty { records.append((package, ([synopsis] + body).joined(separator: " "))) }
    }
    records.sort { $0.package < $1.package }
    guard records.count >= count else { throw ValidationError("only \(records.count) descriptions in \(main)") }
    let step = records.count / count
    var lines: [String] = []
    for index in 0..<count {
      let record = records[index * step]
      let object: [String: Any] = ["_id": record.package, "text": record.text]
      let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
      lines.append(String(decoding: data, as: UTF8.self))
    }
    try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    FileHandle.standardError.write(Data("wrote \(count) descriptions to \(path) (every \(step)th of \(records.count))\n".utf8))
    return path
  }

  static func translationFiles(in directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
      .filter { $0.contains("Translation-en") && !$0.hasSuffix(".diff") }.sorted()
      .map { (directory as NSString).appendingPathComponent($0) }
  }

  @discardableResult
  static func run(_ arguments: [String]) throws -> String { String(decoding: try DatasetTool.run(arguments), as: UTF8.self) }
}

import ArgumentParser
import Foundation

/// `tracekv-bench scaling`: the vector and hybrid benchmarks at growing
/// sizes (10k, 100k, the full set by default), each run as its own child
/// process (`tracekv-bench ann`, `tracekv-bench retrieval`) so that memory
/// is that run's alone: build time, memory, queries/s and bytes per size.
///
/// Vectors: the first N base vectors (`ann --limit-base N`, exact truth
/// recomputed). Traces: the first N documents of a BEIR folder, with the
/// queries whose relevant documents are all among them, stored as traces
/// by `retrieval` (both indexes in the same transactions) and searched in
/// hybrid mode.
struct ScalingBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scaling",
    abstract: "ann and hybrid retrieval at 10k, 100k and full size: build time, memory, queries/s, bytes.")

  @Option(help: "Comma-separated sizes; `full` is the whole set; sizes above it are skipped.") var sizes = "10000,100000,full"
  @Option(help: "Base vectors (.fbin/.npy); no vector runs without it.") var base: String?
  @Option(help: "Query vectors (.fbin/.npy).") var queries: String?
  @Option(help: "Exact truth (.ibin) of the full base, used for the full size.") var truth: String?
  @Option(help: "innerProduct, cosine or l2.") var metric = "innerProduct"
  @Option(help: "Beam width of the vector queries.") var ef = 80
  @Option(help: "Vector queries per size.") var vectorQueries = 1_000
  @Option(help: "BEIR folder for the hybrid runs; none without it.") var beir: String?
  @Option(help: "The store's embedder for the hybrid runs: minilm or hashing.") var embedder = "minilm"
  @Option(help: "Hybrid queries per size (at most).") var hybridQueries = 500
  @Option(help: "Working folder for subsets, stores and the per-run reports.") var work = "bench-data/scaling"
  @OptionGroup var output: ReportOutput

  func run() throws {
    guard base != nil || beir != nil else { throw ValidationError("give --base/--queries (vectors), --beir (traces), or both") }
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    var report = ScalingReport(context: .current())

    if let base {
      guard let queries else { throw ValidationError("--base needs --queries") }
      let full = try vectorCount(base)
      var rows: [ScalingReport.Vector.Row] = []
      for n in try resolvedSizes(full: full) {
        let out = "\(work)/ann-\(n).json"
        var arguments = [
          "ann", "--base", base, "--queries", queries, "--metric", metric, "--ef", String(ef),
          "--limit-queries", String(vectorQueries), "--json", out,
        ]
        if n < full { arguments += ["--limit-base", String(n)] } else if let truth { arguments += ["--truth", truth] }
        let peak = try runChild(arguments)
        rows.append(.init(n: n, peakRSSBytes: peak, child: try ANNReport.read(from: out)))
      }
      report.vector = .init(
        dataset: (base as NSString).lastPathComponent, metric: metric, full: full, ef: ef, queries: vectorQueries, rows: rows)
      print(report.vector!.table.text)
    }

    if let beir {
      let collection = try BEIRCollection.load(from: beir)
      var rows: [ScalingReport.Hybrid.Row] = []
      for n in try resolvedSizes(full: collection.documents.count) {
        let folder = n < collection.documents.count ? "\(work)/beir-\(n)" : beir
        if n < collection.documents.count { try Self.subset(collection, documents: n).write(to: folder) }
        let store = "\(work)/hybrid-\(n)-\(embedder).tkv"
        for suffix in ["", "-lock"] { try? FileManager.default.removeItem(atPath: store + suffix) }
        let out = "\(work)/retrieval-\(n).json"
        let peak = try runChild([
          "retrieval", "--beir", folder, "--mode", "hybrid", "--embedder", embedder, "--store", store,
          "--query-limit", String(hybridQueries), "--json", out,
        ])
        let child = try RetrievalReport.read(from: out)
        guard let hybrid = child.modes.first else { throw ValidationError("\(out) holds no mode") }
        let storeBytes = ((try? FileManager.default.attributesOfItem(atPath: store))?[.size] as? Int) ?? 0
        rows.append(.init(n: n, peakRSSBytes: peak, storeBytes: storeBytes, child: child, mode: hybrid))
      }
      report.hybrid = .init(
        dataset: (beir as NSString).lastPathComponent, embedder: embedder, full: collection.documents.count, rows: rows)
      print(report.hybrid!.table.text)
    }
    try output.write(report)
  }

  /// The sizes to run, ascending: numbers up to `full`, and `full` itself.
  private func resolvedSizes(full: Int) throws -> [Int] {
    var result: Set<Int> = []
    for part in sizes.split(separator: ",") {
      let text = part.trimmingCharacters(in: .whitespaces).lowercased()
      if text == "full" {
        result.insert(full)
      } else if let n = Int(text.replacingOccurrences(of: "_", with: "")), n > 0 {
        if n <= full { result.insert(n) }
      } else {
        throw ValidationError("--sizes takes positive numbers and `full`, e.g. 10000,100000,full")
      }
    }
    return result.sorted()
  }

  /// The first `documents` documents, and the queries all of whose relevant documents are among them.
  static func subset(_ collection: BEIRCollection, documents: Int) -> BEIRCollection {
    let kept = Array(collection.documents.prefix(documents))
    let ids = Set(kept.map(\.id))
    let qrels = collection.qrels.filter { _, judged in
      let relevant = judged.filter { $0.value > 0 }.keys
      return !relevant.isEmpty && relevant.allSatisfy(ids.contains)
    }
    return BEIRCollection(documents: kept, queries: collection.queries.filter { qrels[$0.id] != nil }, qrels: qrels)
  }

  private func vectorCount(_ path: String) throws -> Int {
    if path.hasSuffix(".npy") { return try readVectors(path).rows }
    guard let handle = FileHandle(forReadingAtPath: path), let head = try handle.read(upToCount: 4), head.count == 4 else {
      throw ValidationError("cannot read the header of \(path)")
    }
    try handle.close()
    return Int(head.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) })
  }

  /// Runs this executable with `arguments` (its output goes to ours) and
  /// returns the child's peak resident bytes.
  private func runChild(_ arguments: [String]) throws -> Int {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    FileHandle.standardError.write(Data(("$ tracekv-bench " + arguments.joined(separator: " ") + "\n").utf8))
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv + environment { free(pointer) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, nil, nil, argv, environment)
    guard spawned == 0 else { throw ValidationError("cannot start \(executable): error \(spawned)") }
    // The child's own high-water mark, VmHWM of its address space, read until it exits.
    // (wait4's ru_maxrss would not do: Linux carries the parent's peak into a
    // spawned child across exec.)
    var peak = 0
    var status: Int32 = 0
    while true {
      peak = max(peak, Self.highWaterBytes(pid: pid) ?? 0)
      let done = waitpid(pid, &status, WNOHANG)
      if done == pid { break }
      if done == -1 && errno != EINTR { throw ValidationError("waitpid failed: errno \(errno)") }
      usleep(50_000)
    }
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    guard exited && code == 0 else {
      throw ValidationError("`tracekv-bench \(arguments.joined(separator: " "))` failed (status \(status))")
    }
    return peak
  }

  /// VmHWM of a running process, in bytes; nil once it has exited.
  static func highWaterBytes(pid: pid_t) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { return nil }
    return kilobytes * 1024
  }
}

/// `tracekv-bench subset`: the first N documents of a BEIR folder and the
/// queries they fully answer, as a new BEIR folder (what `scaling` measures
/// at each size; `make compare QUICK=1` uses it for small runs).
struct SubsetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "subset", abstract: "Write the first N documents of a BEIR folder, with the queries they answer.")

  @Option(help: "BEIR folder to read.") var beir: String
  @Option(help: "Documents to keep.") var documents: Int
  @Option(help: "Output BEIR folder.") var output: String

  func run() throws {
    let collection = ScalingBenchCommand.subset(try BEIRCollection.load(from: beir), documents: documents)
    if BEIRCollection.exists(at: output),
      let existing = try? BEIRCollection.load(from: output),
      existing.documents.count == collection.documents.count, existing.queries.count == collection.queries.count
    {
      print("\(output): already holds this subset")
      return
    }
    try collection.write(to: output)
    print("\(output): \(collection.documents.count) documents, \(collection.queries.count) queries")
  }
}

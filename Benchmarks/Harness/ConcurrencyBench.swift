import ArgumentParser
import Foundation
import VectorIndex
import TraceKV

/// `tracekv-bench concurrency`: one writer process ingesting while reader
/// processes search, export and rebuild traces, all on one store file.
/// Counts operations and errors per process, and checks that readers see
/// new traces without reopening and only whole batches (consistent
/// snapshots). With `--grow-to-mib`, the writer runs until the file passes
/// that size, from a 1 MiB map, while the readers read.
struct ConcurrencyBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "concurrency",
    abstract: "One writer process and N reader processes on one store: ops/s, errors, snapshot consistency, map growth.")

  @Option(help: "How long to run (the writer stops earlier with --grow-to-mib).")
  var seconds: Double = 30

  @Option(help: "Reader processes.")
  var readers = 3

  @Option(help: "Traces per write transaction.")
  var batch = 10

  @Option(help: "Stop writing once the store file passes this many MiB (map growth run).")
  var growToMib: Int?

  @Option(help: "Extra bytes of completion text per trace (makes a growth run reach its size sooner).")
  var padBytes = 0

  @OptionGroup var samples: SampleTraces
  @OptionGroup var data: ScratchFolder
  @OptionGroup var output: ReportOutput

  @Option(help: .hidden) var role: String?
  @Option(help: .hidden) var store: String?

  func run() throws {
    let workload = try TraceWorkload(samples: samples.load())
    switch role {
    case "writer": return try runWriter(workload)
    case "reader": return try runReader(workload)
    case nil: try data.use(prefix: "tracekv-concurrency") { try run(in: $0) }
    default: throw ValidationError("unknown role")
    }
  }

  private func run(in directory: String) throws {
    let path = (directory as NSString).appendingPathComponent("concurrency.tkv")
    for suffix in ["", "-lock", ".stop"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    var options = TraceStore.Options(embedder: .hashing)
    options.initialMapSize = 1 << 20
    let store = try TraceStore(path: path, options: options)

    func spawn(_ role: String) throws -> (Process, Pipe) {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
      var arguments = ["concurrency", "--role", role, "--store", path, "--seconds", String(seconds),
                       "--batch", String(batch), "--samples", samples.folder, "--pad-bytes", String(padBytes)]
      if let growToMib { arguments += ["--grow-to-mib", String(growToMib)] }
      process.arguments = arguments
      let pipe = Pipe()
      process.standardOutput = pipe
      try process.run()
      return (process, pipe)
    }
    let started = nowNanoseconds()
    let writer = try spawn("writer")
    let readerProcesses = try (0..<readers).map { _ in try spawn("reader") }
    let writerData = writer.1.fileHandleForReading.readDataToEndOfFile()
    writer.0.waitUntilExit()
    // The readers poll for this file; without it they would never stop.
    guard FileManager.default.createFile(atPath: path + ".stop", contents: Data()) else {
      readerProcesses.forEach { $0.0.terminate() }
      throw ValidationError("could not create \(path).stop to stop the readers")
    }
    func decoded(_ data: Data) -> ConcurrencyReport.Process {
      (try? JSONDecoder().decode(ConcurrencyReport.Process.self, from: data)) ?? .silent
    }
    var results: [ConcurrencyReport.Process] = []
    for (process, pipe) in readerProcesses {
      let data = pipe.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      results.append(decoded(data))
    }
    let elapsed = secondsSince(started)
    let problems = try store.verify()
    let finalTraces = try store.statistics().totalTraces

    let report = ConcurrencyReport(
      writer: decoded(writerData), readers: results, errors: decoded(writerData).errors + results.reduce(0) { $0 + $1.errors },
      finalTraces: finalTraces, fileBytes: try store.fileSize(), batch: batch, padBytes: padBytes,
      verifyProblems: problems.map(\.description), seconds: elapsed, growToMib: growToMib, context: .current())
    print(report.table.text)
    print("final: \(finalTraces) traces, file \(report.fileBytes >> 20) MiB, verify: \(problems.isEmpty ? "ok" : "\(problems.count) problems")")
    try output.write(report)
    let stale = results.contains { $0.lastSeen <= $0.firstSeen }
    if report.errors > 0 || !problems.isEmpty || stale { throw ExitCode.failure }
  }

  /// A child's report, on its standard output.
  private func report(_ process: ConcurrencyReport.Process) {
    FileHandle.standardOutput.write((try? JSONEncoder().encode(process)) ?? Data("{}".utf8))
  }

  private func runWriter(_ workload: TraceWorkload) throws {
    let opened = try TraceStore(path: store!)
    let options = TraceStore.IngestOptions(strict: true, batchSize: batch, layout: .jsonl)
    let pad = String(repeating: "x", count: padBytes)
    let limit = growToMib.map { $0 << 20 }
    let start = nowNanoseconds()
    var next = 0
    var ops = 0
    var errors = 0
    var firstError: String?
    var writeLatencies: [Double] = []
    while secondsSince(start) < seconds {
      if let limit, (try? opened.fileSize()) ?? 0 >= limit { break }
      var lines = ""
      for index in next..<(next + batch) {
        var line = workload.line(index)
        // The padding goes in an attribute search does not read, so the
        // indexes see the same texts as without it.
        if !pad.isEmpty, let range = line.range(of: #""tracebrain.llm.completion":"#) {
          line.insert(contentsOf: #""padding":"\#(pad)","#, at: range.lowerBound)
        }
        lines += line + "\n"
      }
      let begin = nowNanoseconds()
      do {
        let result = try opened.ingest(data: Data(lines.utf8), source: "writer", options: options)
        if result.added != batch { throw ValidationError("added \(result.added) of \(batch)") }
        next += batch
        ops += 1
      } catch {
        errors += 1
        if firstError == nil { firstError = "\(error)" }
      }
      writeLatencies.append(secondsSince(begin) * 1000)
    }
    let elapsed = secondsSince(start)
    report(
      ConcurrencyReport.Process(
        ops: ops, errors: errors, firstSeen: 0, lastSeen: next, seconds: elapsed, firstError: firstError,
        detail: "\(next) traces, \(fixed(Double(next) / elapsed, 0)) traces/s", traces: next,
        fileBytes: (try? opened.fileSize()) ?? 0, tracesPerSecond: Double(next) / elapsed,
        batchP50Milliseconds: percentile(writeLatencies, 50), batchP99Milliseconds: percentile(writeLatencies, 99)))
  }

  private func runReader(_ workload: TraceWorkload) throws {
    let path = store!
    let opened = try TraceStore(path: path, options: .init(readOnly: true))
    let start = nowNanoseconds()
    var random = SplitMix64(seed: UInt64(getpid()))
    var ops = [0, 0, 0, 0]
    var errors = 0
    var firstError: String?
    var firstSeen: Int?
    var lastSeen = 0
    func fail(_ message: String) {
      errors += 1
      if firstError == nil { firstError = message }
    }
    while secondsSince(start) < seconds + 5, !FileManager.default.fileExists(atPath: path + ".stop") {
      do {
        // One snapshot holds whole batches only, and the count never goes back.
        let total = try opened.list(limit: 0).total
        ops[0] += 1
        if total % batch != 0 { fail("a snapshot of \(total) traces: a batch of \(batch) seen half-written") }
        if total < lastSeen { fail("the count went back from \(lastSeen) to \(total)") }
        if firstSeen == nil { firstSeen = total }
        lastSeen = total
        guard total > 0 else {
          usleep(1000)
          continue
        }
        let index = Int(random.next() % UInt64(total))
        // Search: the trace's own token finds it.
        let hits = try opened.search(SearchQuery(text: workload.token(index), limit: 3)).hits
        ops[1] += 1
        if !hits.contains(where: { $0.traceID == workload.traceID(index) }) { fail("search missed trace \(index)") }
        // Reconstruction.
        let messages = try opened.messages(traceID: workload.traceID(index)) ?? []
        ops[2] += 1
        if messages.isEmpty { fail("trace \(index) rebuilt to no messages") }
        // Export of the newest traces: each one whole.
        var lines = 0
        var whole = 0
        try opened.export(format: .jsonl, limit: 20, to: { chunk in
          for line in chunk.split(separator: "\n") {
            lines += 1
            if line.contains("crashtoken") { whole += 1 }
          }
        })
        ops[3] += 1
        if lines != whole { fail("an export held \(lines - whole) traces without their last span") }
      } catch {
        fail("\(error)")
      }
    }
    let elapsed = secondsSince(start)
    report(
      ConcurrencyReport.Process(
        ops: ops[1] + ops[2] + ops[3], errors: errors, firstSeen: firstSeen ?? 0, lastSeen: lastSeen, seconds: elapsed,
        firstError: firstError, detail: "\(ops[1]) searches, \(ops[2]) rebuilds, \(ops[3]) exports, \(ops[0]) counts",
        counts: ops[0], searches: ops[1], reconstructions: ops[2], exports: ops[3]))
  }
}

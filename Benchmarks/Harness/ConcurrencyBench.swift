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

  @Option(help: "The TraceBrain sample folder.")
  var samples = "Examples/tracebrain"

  @Option(help: "Working folder (default: a fresh temporary one, removed afterwards).")
  var data: String?

  @Option(help: "Write the figures here as JSON.")
  var json: String?

  @Option(help: .hidden) var role: String?
  @Option(help: .hidden) var store: String?

  func run() throws {
    let workload = try TraceWorkload(samples: samples)
    switch role {
    case "writer": return try runWriter(workload)
    case "reader": return try runReader(workload)
    case nil: break
    default: throw ValidationError("unknown role")
    }
    let directory = data ?? NSTemporaryDirectory() + "tracekv-concurrency-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { if data == nil { try? FileManager.default.removeItem(atPath: directory) } }
    let path = (directory as NSString).appendingPathComponent("concurrency.tkv")
    for suffix in ["", "-lock", ".stop"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    var options = TraceStore.Options(embedder: .hashing)
    options.initialMapSize = 1 << 20
    let store = try TraceStore(path: path, options: options)

    func spawn(_ role: String) throws -> (Process, Pipe) {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
      var arguments = ["concurrency", "--role", role, "--store", path, "--seconds", String(seconds),
                       "--batch", String(batch), "--samples", samples, "--pad-bytes", String(padBytes)]
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
    var results: [[String: Any]] = []
    for (process, pipe) in readerProcesses {
      let data = pipe.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      results.append((try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? ["errors": 1, "first_error": "no report"])
    }
    let elapsed = secondsSince(started)
    let writerResult = (try? JSONSerialization.jsonObject(with: writerData) as? [String: Any]) ?? ["errors": 1, "first_error": "no report"]
    let problems = try store.verify()
    let finalTraces = try store.statistics().totalTraces

    var table = TextTable(["process", "seconds", "ops (batches | searches+rebuilds+exports)", "ops/s", "errors", "traces seen first → last", "detail"])
    func row(_ name: String, _ result: [String: Any]) {
      let ops = result["ops"] as? Int ?? 0
      let time = result["seconds"] as? Double ?? 0
      table.add([name, fixed(time, 1), String(ops), fixed(Double(ops) / max(time, 1e-9), 1), String(result["errors"] as? Int ?? 0),
                 "\(result["first_seen"] as? Int ?? 0) → \(result["last_seen"] as? Int ?? 0)",
                 (result["first_error"] as? String) ?? (result["detail"] as? String ?? "")])
    }
    row("writer", writerResult)
    for (index, result) in results.enumerated() { row("reader \(index + 1)", result) }
    print(table.render())
    let fileBytes = try store.fileSize()
    print("final: \(finalTraces) traces, file \(fileBytes >> 20) MiB, verify: \(problems.isEmpty ? "ok" : "\(problems.count) problems")")
    let errors = ((writerResult["errors"] as? Int) ?? 1) + results.reduce(0) { $0 + (($1["errors"] as? Int) ?? 1) }
    if let json {
      try writeJSON([
        "writer": writerResult, "readers": results, "errors": errors, "verify_problems": problems.map(\.description),
        "final_traces": finalTraces, "file_bytes": fileBytes, "seconds": elapsed, "batch": batch,
        "pad_bytes": padBytes, "grow_to_mib": growToMib as Any, "context": runContext(),
      ], to: json)
    }
    let stale = results.contains { ($0["last_seen"] as? Int ?? 0) <= ($0["first_seen"] as? Int ?? 0) }
    if errors > 0 || !problems.isEmpty || stale { throw ExitCode.failure }
  }

  private func report(_ object: [String: Any]) {
    let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
    FileHandle.standardOutput.write(data)
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
    report([
      "ops": ops, "traces": next, "errors": errors, "seconds": elapsed, "first_error": firstError as Any,
      "traces_per_second": Double(next) / elapsed, "p50_batch_ms": percentile(writeLatencies, 50),
      "p99_batch_ms": percentile(writeLatencies, 99), "file_bytes": (try? opened.fileSize()) ?? 0,
      "first_seen": 0, "last_seen": next, "detail": "\(next) traces, \(fixed(Double(next) / elapsed, 0)) traces/s",
    ])
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
    report([
      "ops": ops[1] + ops[2] + ops[3], "counts": ops[0], "searches": ops[1], "reconstructions": ops[2], "exports": ops[3],
      "errors": errors, "first_error": firstError as Any, "seconds": elapsed, "first_seen": firstSeen ?? 0,
      "last_seen": lastSeen,
      "detail": "\(ops[1]) searches, \(ops[2]) rebuilds, \(ops[3]) exports, \(ops[0]) counts",
    ])
  }
}

import ArgumentParser
import Foundation
import VectorIndex
import TraceKV

/// `tracekv-bench crash`: kills an ingesting child process with SIGKILL at
/// seeded random moments and, after each kill, reopens the store and checks
/// that every acknowledged trace is there, complete and in both indexes,
/// that nothing is half-present, and that search works.
struct CrashBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "crash",
    abstract: "Crash safety: SIGKILL an ingesting child N times; verify after each kill that nothing acknowledged was lost.")

  @Option(help: "How many times to kill the child.")
  var kills = 50

  @Option(help: "Seeds the kill moments (and so the whole run).")
  var seed: UInt64 = 1

  @Option(help: "Kill moments: 0...this many ms after the child starts (1 in 4) or after its first acknowledgement.")
  var maxDelayMs = 400

  @Option(help: "Traces per write transaction in the child.")
  var batch = 25

  @OptionGroup var samples: SampleTraces
  @OptionGroup var data: ScratchFolder
  @OptionGroup var output: ReportOutput

  @Flag(help: .hidden) var child = false
  @Option(help: .hidden) var store: String?
  @Option(help: .hidden) var start = 0

  func run() throws {
    let workload = try TraceWorkload(samples: samples.load())
    if child { return try runChild(workload) }
    try data.use(prefix: "tracekv-crash") { try run(workload, in: $0) }
  }

  private func run(_ workload: TraceWorkload, in directory: String) throws {
    let path = (directory as NSString).appendingPathComponent("crash.tkv")
    for suffix in ["", "-lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    // A tiny first map, so that kills also land while the map grows.
    var options = TraceStore.Options(embedder: .hashing)
    options.initialMapSize = 1 << 20
    let store = try TraceStore(path: path, options: options)

    var random = SplitMix64(seed: seed)
    var acknowledged = 0  // traces 0..<acknowledged were acknowledged
    var present = 0  // traces 0..<present are in the store
    var lost = 0
    var verifyFailures = 0
    var roundsWithoutAck = 0
    var failures: [String] = []
    let started = nowNanoseconds()
    for round in 0..<kills {
      let delay = Int(random.next() % UInt64(maxDelayMs + 1))
      let fromStart = random.next() % 4 == 0
      let (acked, ended) = try killChild(path: path, start: present, afterMilliseconds: delay, fromStart: fromStart)
      if acked == nil { roundsWithoutAck += 1 }
      // A child that ended before the kill was not a crash test: the round cannot be counted clean.
      if let ended { failures.append("round \(round): \(ended)") }
      acknowledged = max(acknowledged, acked ?? 0)

      // Reopened (this process's store sees the child's commits without reopening).
      let problems = try store.verify()
      if !problems.isEmpty {
        verifyFailures += 1
        failures.append("round \(round): verify: \(problems.prefix(5).map(\.description).joined(separator: "; "))")
      }
      let ids = Set(try store.traceIDs())
      var count = 0
      while ids.contains(workload.traceID(count)) { count += 1 }
      if ids.count != count {
        failures.append("round \(round): \(ids.count) traces but only 0..<\(count) contiguous: a batch is half-present")
      }
      // Every acknowledged trace, complete; the new ones findable in both indexes.
      var lostNow = 0
      for index in 0..<max(acknowledged, count) where index < acknowledged || index >= present {
        let id = workload.traceID(index)
        guard let trace = try store.trace(id: id), trace.spans.count == workload.spanCount(index) else {
          if index < acknowledged { lostNow += 1 } else { failures.append("round \(round): unacknowledged trace \(index) is incomplete") }
          continue
        }
        guard index >= present else { continue }
        let lexical = try store.search(SearchQuery(text: workload.token(index), mode: .lexical, limit: 1)).hits
        // Membership of the vector index, not relevance: no similarity floor.
        let vector = try store.search(
          SearchQuery(text: workload.token(index), mode: .vector, limit: 50, minSimilarity: 0)
        ).hits
        if lexical.first?.traceID != id || vector.isEmpty {
          failures.append("round \(round): trace \(index) is not found by search")
        }
      }
      lost += lostNow
      if lostNow > 0 { failures.append("round \(round): \(lostNow) acknowledged traces lost") }
      _ = try store.search(SearchQuery(text: "order status", mode: .hybrid, limit: 5))
      present = count
      FileHandle.standardError.write(Data(
        "\rcrash: kill \(round + 1)/\(kills) \(delay) ms after \(fromStart ? "start" : "first ack"): \(acknowledged) acknowledged, \(present) present, \(lost) lost, \(verifyFailures) verify failures   ".utf8))
    }
    FileHandle.standardError.write(Data("\n".utf8))
    let seconds = secondsSince(started)
    for failure in failures.prefix(20) { FileHandle.standardError.write(Data("crash: \(failure)\n".utf8)) }

    let report = CrashReport(
      kills: kills, acknowledged: acknowledged, present: present, lost: lost, verifyFailures: verifyFailures,
      roundsWithoutAck: roundsWithoutAck, failures: failures, seed: seed, maxDelayMilliseconds: maxDelayMs, batch: batch,
      mapBytes: try store.fileSize(), seconds: seconds, context: .current())
    print(report.table.text)
    try output.write(report)
    if lost > 0 || verifyFailures > 0 || !failures.isEmpty { throw ExitCode.failure }
  }

  /// Starts a child ingesting from trace `start` and kills it with SIGKILL:
  /// `delay` ms after it started (one kill in four, so that some land while
  /// it opens the store) or after its first acknowledgement. Returns the last
  /// count it acknowledged (nil: none) and, when the child ended before the
  /// kill (an error, e.g. finding its traces already there), how it ended.
  private func killChild(path: String, start: Int, afterMilliseconds delay: Int, fromStart: Bool) throws
    -> (acked: Int?, endedBeforeKill: String?)
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = ["crash", "--child", "--store", path, "--start", String(start), "--batch", String(batch),
                         "--samples", samples.folder]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let firstAck = DispatchSemaphore(value: 0)
    let collected = LockedBytes()
    let reader = Thread {
      var signalled = false
      while true {
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        collected.append(chunk)
        if !signalled, collected.contains("ack ") {
          signalled = true
          firstAck.signal()
        }
      }
      if !signalled { firstAck.signal() }
    }
    try process.run()
    reader.start()
    if !fromStart { firstAck.wait() }
    usleep(useconds_t(delay * 1000))
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    while !reader.isFinished { usleep(1000) }
    let lines = collected.text.split(separator: "\n")
    let acked = lines.last(where: { $0.hasPrefix("ack ") }).flatMap { Int($0.dropFirst(4)) }
    guard process.terminationReason == .uncaughtSignal, process.terminationStatus == SIGKILL else {
      let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        .split(separator: "\n").first.map(String.init) ?? ""
      return (acked, "the child ended before the kill (status \(process.terminationStatus)): \(message)")
    }
    return (acked, nil)
  }

  /// The child: ingest batches forever, acknowledging each after ingest returned.
  private func runChild(_ workload: TraceWorkload) throws {
    guard let store = self.store else { throw ValidationError("--child needs --store") }
    let opened = try TraceStore(path: store)
    var next = start
    let options = TraceStore.IngestOptions(strict: true, batchSize: batch, layout: .jsonl)
    while true {
      var lines = ""
      for index in next..<(next + batch) { lines += workload.line(index) + "\n" }
      let report = try opened.ingest(data: Data(lines.utf8), source: "crash", options: options)
      // Fewer new traces than sent: the store already held some, so the parent's count was wrong.
      guard report.added == batch else {
        throw BenchmarkDataError("the child added \(report.added) of \(batch) traces from \(next): the store already held some")
      }
      next += batch
      FileHandle.standardOutput.write(Data("ack \(next)\n".utf8))
    }
  }
}

/// Bytes a reader thread collects while the main thread waits.
final class LockedBytes: @unchecked Sendable {
  private let lock = NSLock()
  private var data = Data()
  func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
  func contains(_ text: String) -> Bool { lock.withLock { data.range(of: Data(text.utf8)) != nil } }
  var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

/// Traces for the reliability runs: the TraceBrain samples again and again,
/// each copy with a fresh id and one span carrying a token unique to it.
struct TraceWorkload {
  private let templates: [JSONObject]
  private let spanCounts: [Int]

  init(samples: [JSONObject]) {
    templates = samples
    // The marker span adds one to each sample's distinct span ids.
    spanCounts = samples.map { sample in
      Set((sample["spans"]?.arrayValue ?? []).compactMap { $0.objectValue?["span_id"]?.stringValue }).count + 1
    }
  }

  func traceID(_ index: Int) -> String { "crash-\(index)" }
  func token(_ index: Int) -> String { "crashtoken\(index)" }
  func spanCount(_ index: Int) -> Int { spanCounts[index % templates.count] }

  /// Trace `index` as one JSONL line.
  func line(_ index: Int) -> String {
    var object = templates[index % templates.count]
    object["trace_id"] = .string(traceID(index))
    let marker = JSONObject([
      "span_id": .string("marker"), "name": .string("marker"),
      "attributes": .object(JSONObject([
        "tracebrain.llm.completion": .string("\(token(index)) copy \(index) of sample \(index % templates.count)")
      ])),
    ])
    object["spans"] = .array((object["spans"]?.arrayValue ?? []) + [.object(marker)])
    return JSONWriter.compact(.object(object))
  }
}

import ArgumentParser
import Foundation
@_spi(Benchmarks) import TraceKV
import VectorIndex

/// `tracekv-bench fuzz`: seeded hostile inputs (`HostileSearchInputs`)
/// against a store of the samples: searches through the library, argument
/// lists through the `tracekv` CLI, and damaged copies of the store file
/// (cuts at page boundaries, flipped bits, zeroed pages, damaged meta pages)
/// opened by the CLI. Each case must end with a typed error or a sound
/// answer; a signal, a hang (a child still running after `--timeout`), an
/// untyped error, a wrong answer, a refused query within the limits or a
/// reader that changed the file fails the run. Signals on files `verify`
/// names as page-damaged are also counted apart: the fault guard's
/// territory (`Sources/LMDBFaultGuard`).
struct FuzzBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fuzz",
    abstract: "Hostile searches, CLI arguments and damaged store files: no crash, typed errors or sound answers.")

  @Option(help: "Cases in all: half searches, three tenths command lines, one fifth damaged files.")
  var cases = 10_000

  @Option(help: "Seeds every case.")
  var seed: UInt64 = 1

  @OptionGroup var samples: SampleTraces
  @OptionGroup var tracekv: TraceKVBinary
  @OptionGroup var output: ReportOutput

  @Option(help: "Keep each damaged file that failed a case in this folder, to replay it.")
  var keep: String?

  @Option(help: "Seconds a child may run before it counts as a hang and is killed.")
  var timeout = 60.0

  func run() throws {
    let binary = try tracekv.resolved()
    let directory = NSTemporaryDirectory() + "tracekv-fuzz-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = (directory as NSString).appendingPathComponent("fuzz.tkv")
    let store = try TraceStore(path: path, options: TraceStore.Options(embedder: .hashing))
    for sample in try samples.load() { _ = try store.ingest(json: JSONWriter.compact(.object(sample))) }
    let original = try Data(contentsOf: URL(fileURLWithPath: path))
    let pageSize = store.pageSize()

    var inputs = HostileSearchInputs(random: SplitMix64(seed: seed))
    var counts = ["search": 0, "command": 0, "damaged": 0]
    var outcomes = ["answered": 0, "refused": 0]
    var failures: [String] = []
    var stoppedOnDamagedPages = 0
    let started = nowNanoseconds()
    for number in 0..<cases {
      let kind = number % 10 < 5 ? "search" : number % 10 < 8 ? "command" : "damaged"
      counts[kind, default: 0] += 1
      switch kind {
      case "search":
        let query = inputs.query()
        do {
          let hits = try store.search(query).hits
          outcomes["answered", default: 0] += 1
          for problem in try store.problems(answering: query, with: hits) { failures.append("case \(number): \(problem)") }
        } catch let error as TraceKVError {
          outcomes["refused", default: 0] += 1
          if error.kind != .invalidInput || store.isWithinLimits(query) {
            failures.append("case \(number): refused (\(error.kind)): \(error.message)")
          }
        }
      case "command":
        let arguments = inputs.commandLine()
        let outcome = try runCLI(binary, ["--store", path, "--read-only"] + arguments)
        if let failure = outcome.failure(allowed: [0, 1, 2]) { failures.append("case \(number) \(arguments.map { String($0.prefix(40)) }): \(failure)") }
      default:
        let (name, bytes) = inputs.damage(original, pageSize: pageSize)
        let copy = (directory as NSString).appendingPathComponent("damaged-\(number % 4).tkv")
        try? FileManager.default.removeItem(atPath: copy + "-lock")
        try bytes.write(to: URL(fileURLWithPath: copy))
        var failed = false
        // verify reads every page in use before LMDB does: it must never die (a zeroed free page is harmless).
        let verify = try runCLI(binary, ["--store", copy, "--read-only", "verify", "--json"])
        if let failure = verify.failure(allowed: [0, 1]) {
          failures.append("case \(number) (\(name)) verify: \(failure)")
          failed = true
        }
        let pageDamage = verify.output.contains(#""table": "file""#)
        for command in [["search", "order status", "--explain"], ["list"]] {
          let outcome = try runCLI(binary, ["--store", copy, "--read-only"] + command)
          if pageDamage, outcome.signal != nil { stoppedOnDamagedPages += 1 }
          if let failure = outcome.failure(allowed: [0, 1]) {
            failures.append("case \(number) (\(name)) \(command[0]): \(failure)")
            failed = true
          }
        }
        if failed, let keep {
          try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
          try bytes.write(to: URL(fileURLWithPath: (keep as NSString).appendingPathComponent("case-\(number).tkv")))
        }
        if try Data(contentsOf: URL(fileURLWithPath: copy)) != bytes { failures.append("case \(number) (\(name)): a reader changed the file") }
      }
      if number % 100 == 99 || number == cases - 1 {
        FileHandle.standardError.write(Data("\rfuzz: \(number + 1)/\(cases) cases, \(failures.count) failures   ".utf8))
      }
    }
    FileHandle.standardError.write(Data("\n".utf8))
    if try Data(contentsOf: URL(fileURLWithPath: path)) != original { failures.append("the searches changed the store file") }
    let seconds = secondsSince(started)
    for failure in failures.prefix(30) { FileHandle.standardError.write(Data("fuzz: \(failure)\n".utf8)) }

    let report = FuzzReport(
      cases: cases, searches: counts["search"]!, answered: outcomes["answered"]!, refused: outcomes["refused"]!,
      commandLines: counts["command"]!, damagedFiles: counts["damaged"]!, stoppedOnDamagedPages: stoppedOnDamagedPages,
      seed: seed, failures: failures, seconds: seconds, context: .current())
    print(report.table.text)
    try output.write(report)
    if !failures.isEmpty { throw ExitCode.failure }
  }

  struct CLIOutcome {
    var signal: Int32?
    var status: Int32
    /// Killed after `--timeout` seconds.
    var hung = false
    var error: String
    var output: String

    /// Why the run fails the case: a signal, an unexpected status, or a
    /// failure without a message (on stderr, or on stdout as `verify` reports).
    func failure(allowed: Set<Int32>) -> String? {
      if hung { return "no exit within the timeout (a hang): \(error.suffix(300))" }
      if let signal { return "signal \(signal): \(error.suffix(300))" }
      if !allowed.contains(status) { return "exit status \(status): \(error.suffix(300))" }
      if status != 0 && error.isEmpty && output.isEmpty { return "exit status \(status) without a message" }
      return nil
    }
  }

  private func runCLI(_ binary: String, _ arguments: [String]) throws -> CLIOutcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    // stderr to a file, stdout through a pipe read to the end: neither can fill and stall the child.
    let errorFile = NSTemporaryDirectory() + "tracekv-fuzz-stderr-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errorFile) }
    let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
    let output = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // A hang is a failure too: kill the child after the timeout (its pipe then closes).
    let hung = HangFlag()
    let watchdog = DispatchWorkItem { [process] in
      if process.isRunning {
        hung.set()
        process.terminate()
        kill(process.processIdentifier, SIGKILL)
      }
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    let printed = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    try errors.close()
    let text = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
    let signalled = process.terminationReason == .uncaughtSignal
    return CLIOutcome(
      signal: signalled ? process.terminationStatus : nil, status: signalled ? -1 : process.terminationStatus,
      hung: hung.isSet, error: text,
      output: String(decoding: printed.prefix(4096), as: UTF8.self))
  }
}

/// Set by the watchdog thread, read once the child has exited.
private final class HangFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  func set() { lock.withLock { value = true } }
  var isSet: Bool { lock.withLock { value } }
}

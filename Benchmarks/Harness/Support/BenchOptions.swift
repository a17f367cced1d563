import ArgumentParser
import Foundation
import TraceKV

/// Options several subcommands share, each defined once (`@OptionGroup`).

/// `--json FILE`: where a subcommand writes its report.
struct ReportOutput: ParsableArguments {
  @Option(name: .customLong("json"), help: "Write the report as JSON to this file.")
  var path: String?

  /// Writes `report` when --json was given.
  func write(_ report: some BenchReport) throws {
    if let path { try report.write(to: path) }
  }
}

/// `--samples`: the TraceBrain samples the trace workloads replicate under fresh ids.
struct SampleTraces: ParsableArguments {
  @Option(name: .customLong("samples"), help: "The TraceBrain sample folder (the traces are its samples with fresh ids).")
  var folder = "Examples/tracebrain"

  /// Every sample, in file-name order.
  func load() throws -> [JSONObject] {
    let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
    let samples = try files.map { file -> JSONObject in
      let data = try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(file)))
      guard case .object(let object) = try JSONParser.parse(data) else { throw ValidationError("\(file) is not a trace") }
      return object
    }
    guard !samples.isEmpty else { throw ValidationError("no TraceBrain samples in \(folder)") }
    return samples
  }
}

/// `--data`: the working folder of a run that needs one only while it lasts.
struct ScratchFolder: ParsableArguments {
  @Option(name: .customLong("data"), help: "Working folder (default: a fresh temporary one, removed afterwards).")
  var path: String?

  /// Runs `body` with the folder, created first; a temporary one (named after `prefix`) is removed after.
  func use<T>(prefix: String, _ body: (String) throws -> T) throws -> T {
    let folder = path ?? NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { if path == nil { try? FileManager.default.removeItem(atPath: folder) } }
    return try body(folder)
  }
}

/// `--tracekv`: the `tracekv` executable a subcommand runs.
struct TraceKVBinary: ParsableArguments {
  @Option(name: .customLong("tracekv"), help: "The tracekv executable (default: the one beside this executable).")
  var path: String?

  /// The given path, else `tracekv` beside this executable; refused when it cannot be run.
  func resolved() throws -> String {
    let binary = path ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
      .deletingLastPathComponent().appendingPathComponent("tracekv").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
      throw BenchmarkDataError("no tracekv executable at \(binary): build it (swift build --product tracekv) or pass --tracekv")
    }
    return binary
  }
}

import Foundation
import TestSupport
@testable import TraceKV

/// Paths of the package, found from this file's location.
enum Paths {
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let samples = packageRoot.appendingPathComponent("Examples/tracebrain")
  static let expected = packageRoot.appendingPathComponent("Tests/TraceKVTests/Expected")
  static let edgeTraces = packageRoot.appendingPathComponent("Tests/TraceKVTests/Oracle/edge")

  /// The sample files, sorted by name.
  static func sampleFiles() throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: samples, includingPropertiesForKeys: nil)
      .filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
  }

  /// A binary built next to the test bundle (`tracekv`, `tracekv-bench`).
  static func product(_ name: String) -> URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
  }
}

/// A store in a fresh temporary folder, removed with it.
final class TemporaryStore {
  let directory: TemporaryDirectory
  let store: TraceStore
  var path: String { store.path }

  init(initialMapSize: Int? = nil, embedder: TraceStore.EmbedderChoice = .hashing) throws {
    directory = try TemporaryDirectory()
    // The hashing embedder keeps tests fast; MiniLM has tests of its own.
    var options = TraceStore.Options(embedder: embedder)
    if let initialMapSize { options.initialMapSize = initialMapSize }
    store = try TraceStore(path: directory.path("traces.tkv"), options: options)
  }

  /// A store holding the 20 TraceBrain samples.
  static func withSamples() throws -> TemporaryStore {
    let temporary = try TemporaryStore()
    for file in try Paths.sampleFiles() { try temporary.store.ingest(contentsOf: file, options: .init(strict: true)) }
    return temporary
  }
}

/// Parses a JSON test literal.
func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

/// How a child process ended: its exit status, or the signal that killed it.
struct ChildOutcome {
  /// Set when the child died of a signal (then `status` is -1).
  var signal: Int32?
  var status: Int32
  var output: String
  var error: String
}

/// Runs a product binary to its end, collecting its standard output and error.
func runChild(_ executable: URL, _ arguments: [String]) throws -> ChildOutcome {
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  let output = Pipe()
  let error = Pipe()
  process.standardOutput = output
  process.standardError = error
  try process.run()
  let outData = output.fileHandleForReading.readDataToEndOfFile()
  let errData = error.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let signalled = process.terminationReason == .uncaughtSignal
  return ChildOutcome(
    signal: signalled ? process.terminationStatus : nil, status: signalled ? -1 : process.terminationStatus,
    output: String(decoding: outData, as: UTF8.self), error: String(decoding: errData, as: UTF8.self))
}

/// Runs a product binary and returns its exit code (a signal's number when
/// it died of one) and standard output and error.
func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
  let outcome = try runChild(executable, arguments)
  return (outcome.signal ?? outcome.status, outcome.output, outcome.error)
}

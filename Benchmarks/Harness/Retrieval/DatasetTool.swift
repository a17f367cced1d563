import Foundation

/// Runs the external tools the `prepare` commands fetch data with (pip, apt,
/// Python for unzipping), failing with the tool's own message.
enum DatasetTool {
  /// Runs `arguments` (looked up on PATH) and returns its standard output;
  /// its standard error goes to ours.
  @discardableResult
  static func run(_ arguments: [String], in directory: String? = nil) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    // Read before waiting: a full pipe would otherwise block the child forever.
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw BenchmarkDataError("`\(arguments.joined(separator: " "))` failed with exit code \(process.terminationStatus)")
    }
    return data
  }

  /// Runs `arguments` and decodes the last line of its standard output as `T`
  /// (a child's or a peer's JSON report); `what` names it in the error.
  static func decode<T: Decodable>(_ type: T.Type, from arguments: [String], what: String) throws -> T {
    let output = try run(arguments)
    let line = output.split(separator: UInt8(ascii: "\n")).last.map { Data($0) } ?? Data()
    do { return try JSONDecoder().decode(type, from: line) } catch let error as DecodingError {
      throw BenchmarkDataError("\(what) printed no report: \(describe(error))")
    }
  }

  /// Prints a progress note on stderr.
  static func note(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
  }
}

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

  /// Prints a progress note on stderr.
  static func note(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
  }
}

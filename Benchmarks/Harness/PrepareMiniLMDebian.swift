import ArgumentParser
import Embeddings
import Foundation
import VectorIndex

/// `tracekv-bench prepare minilm-debian`: 384-d vectors of real text, for
/// ANN on text embeddings.
///
/// The first `--documents` documents of the Debian collection (`prepare
/// debian`) and the synopsis queries whose package is among them (chosen as
/// `tracekv-bench subset` chooses them), embedded by TraceKV's native
/// MiniLM (L2-normalized: inner product ranks as cosine), with exact top-k
/// truth by inner product. A manifest beside the files records the
/// collection's SHA-256, the counts and the model's fingerprint; a run
/// whose inputs match it, and whose files still have the recorded
/// SHA-256, does nothing.
///
/// Embedding is what costs: about 0.05 s per description per core, so
/// 10,000 documents take minutes and all 64,511 one to two hours on one core.
struct PrepareMiniLMDebianCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "minilm-debian",
    abstract:
      "Embed Debian descriptions and their synopsis queries with TraceKV's MiniLM; exact top-100 truth.",
    discussion: """
      Set OPENBLAS_NUM_THREADS to the cores to embed with (it is read when the library loads). \
      Writes NAME-base.fbin, NAME-queries.fbin, NAME-truth.ibin and NAME-manifest.json into --cache.
      """)

  @Option(help: "The Debian BEIR folder (`tracekv-bench prepare debian`).") var beir = "bench-data/debian"
  @Option(help: "Documents to embed, from the first: a number, or `all` (or 0) for every one.")
  var documents = "10000"
  @Option(help: "Output folder.") var cache = "bench-data"
  @Option(help: "Name of the prepared set (file prefix).") var name = "minilm-debian"
  @Option(help: "The MiniLM model folder (default: TRACEKV_MODEL_DIR or the cache).") var model: String?
  @Option(help: "Texts per embedding call.") var batch = 32
  @Option(help: "Ground-truth neighbours per query.") var truthK = 100
  @Flag(help: "Rebuild even when the files exist and match the manifest.") var force = false

  func validate() throws {
    _ = try documentLimit()
    guard batch > 0, truthK > 0 else { throw ValidationError("--batch and --truth-k must be positive") }
  }

  func run() throws {
    let embedder: MiniLMEmbedder
    do { embedder = try MiniLMEmbedder(files: ModelFiles(directory: model)) } catch {
      throw ValidationError(error.description)
    }
    let sourceFiles = BEIRCollection.files(in: beir)
    let sums = RunInputs.sha256(of: sourceFiles)
    guard sourceFiles.allSatisfy({ sums[$0] != nil }) else {
      throw BenchmarkDataError(
        "\(beir) is not a complete BEIR folder: run `tracekv-bench prepare debian --output \(beir)`")
    }
    let sourceSHA256 = Dictionary(
      uniqueKeysWithValues: zip(BEIRCollection.fileNames, sourceFiles.map { sums[$0]! }))
    let outputs = PreparedVectors(folder: URL(fileURLWithPath: cache), name: name)
    let manifestPath = (cache as NSString).appendingPathComponent("\(name)-manifest.json")
    let limit = try documentLimit()

    if !force, let recorded = Manifest.read(manifestPath), recorded.sourceSHA256 == sourceSHA256,
      recorded.documents == min(limit ?? recorded.sourceDocuments, recorded.sourceDocuments),
      recorded.modelFingerprint == embedder.fingerprint, recorded.truthK == truthK, outputs.exist,
      outputs.sha256ByFileName() == recorded.filesSHA256
    {
      print(
        "\(name) already prepared from \(beir): \(recorded.documents) documents, \(recorded.queries) queries "
          + "(--force rebuilds)")
      outputs.printPaths()
      return
    }

    let collection = try BEIRCollection.load(from: beir)
    let subset = ScalingBenchCommand.subset(collection, documents: limit ?? collection.documents.count)
    guard !subset.documents.isEmpty, !subset.queries.isEmpty else {
      throw ValidationError(
        "the first \(subset.documents.count) documents of \(beir) answer no query: ask for more --documents")
    }
    let blasThreads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset"
    DatasetTool.note(
      "\(name): \(subset.documents.count) of \(collection.documents.count) documents and \(subset.queries.count) queries "
        + "from \(beir), \(embedder.name) fingerprint \(embedder.fingerprint), OPENBLAS_NUM_THREADS=\(blasThreads)"
    )
    let base = try embed(subset.documents.map(\.indexedText), with: embedder, label: "embed documents")
    let queries = try embed(subset.queries.map(\.text), with: embedder, label: "embed queries")
    try outputs.write(base: base, queries: queries, metric: .innerProduct, k: truthK)

    let manifest = Manifest(
      source: beir, sourceSHA256: sourceSHA256, sourceDocuments: collection.documents.count,
      documents: subset.documents.count, queries: subset.queries.count, model: embedder.name,
      modelFingerprint: embedder.fingerprint, dimension: embedder.dimension, truthK: truthK,
      filesSHA256: outputs.sha256ByFileName())
    try manifest.write(to: manifestPath)
    print("manifest: \(manifestPath)")
  }

  /// `--documents` as a count; nil for every document.
  private func documentLimit() throws -> Int? {
    let text = documents.trimmingCharacters(in: .whitespaces).lowercased()
    if text == "all" { return nil }
    guard let count = Int(text.replacingOccurrences(of: "_", with: "")), count >= 0 else {
      throw ValidationError("--documents takes a number or `all`, e.g. 10000")
    }
    return count == 0 ? nil : count
  }

  /// The vectors of `texts` as rows, embedded `--batch` at a time.
  private func embed(_ texts: [String], with embedder: MiniLMEmbedder, label: String) throws -> Matrix<Float>
  {
    var values: [Float] = []
    values.reserveCapacity(texts.count * embedder.dimension)
    let start = nowNanoseconds()
    try embedInBatches(embedder, texts, batch: batch, label: label) { vectors, _ in
      for vector in vectors { values += vector }
    }
    let seconds = secondsSince(start)
    let rate = Double(texts.count) / seconds
    DatasetTool.note("\(label): \(texts.count) texts in \(fixed(seconds, 1)) s (\(fixed(rate, 1)) texts/s)")
    return Matrix(rows: texts.count, columns: embedder.dimension, values: values)
  }

  /// What a prepared set was made from, written beside its files.
  struct Manifest: Codable, Equatable {
    var source: String
    /// SHA-256 of the collection's files, by their name in the folder.
    var sourceSHA256: [String: String]
    var sourceDocuments: Int
    var documents: Int
    var queries: Int
    var model: String
    var modelFingerprint: String
    var dimension: Int
    var truthK: Int
    /// SHA-256 of the written files, by file name.
    var filesSHA256: [String: String]

    enum CodingKeys: String, CodingKey {
      case source, documents, queries, model, dimension
      case sourceSHA256 = "source_sha256"
      case sourceDocuments = "source_documents"
      case modelFingerprint = "model_fingerprint"
      case truthK = "truth_k"
      case filesSHA256 = "files_sha256"
    }

    /// The manifest at `path`; nil when absent or unreadable (the set is then rebuilt).
    static func read(_ path: String) -> Manifest? {
      guard let data = FileManager.default.contents(atPath: path) else { return nil }
      return try? JSONDecoder().decode(Manifest.self, from: data)
    }

    func write(to path: String) throws {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
  }
}

extension PreparedVectors {
  /// SHA-256 of the three files, by file name (absent files are left out).
  func sha256ByFileName() -> [String: String] {
    let sums = RunInputs.sha256(
      of: [base, queries, truth].map(\.path).filter { FileManager.default.fileExists(atPath: $0) })
    return Dictionary(uniqueKeysWithValues: sums.map { (($0.key as NSString).lastPathComponent, $0.value) })
  }
}

import Foundation

/// One JSON report of a results folder, decoded into its model.
///
/// A report names its subcommand under `benchmark`; the peers' files
/// (`Benchmarks/peers/*.py`) and reports written before that key existed
/// are told by their keys.
struct ResultFile {
  enum Content: Equatable {
    case ann(ANNReport), annComparison(ANNComparison)
    case lexical(LexicalReport), lexicalComparison(LexicalComparison), lexicalStrategies(LexicalStrategyReport)
    case retrieval(RetrievalReport), retrievalComparison(RetrievalComparison)
    case embed(EmbedReport), ingest(IngestBenchReport), searchLatency(SearchLatencyReport), scaling(ScalingReport)
    case crash(CrashReport), fuzz(FuzzReport), concurrency(ConcurrencyReport), live(LiveReport), serve(ServeReport)
    /// A JSON object of no known shape (listed, not rendered).
    case unknown
  }

  var name: String
  /// The file name after its first `-` (`ann-glove50.json` → glove50).
  var dataset: String
  var content: Content

  /// Every `.json` file at the top of `folder`, in name order. A file that
  /// looks like a report but does not decode as one is an error that names it.
  static func load(folder: String) throws -> [ResultFile] {
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
    return try names.compactMap { name in
      let data = try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(name)))
      guard let keys = try? JSONDecoder().decode(TopLevelKeys.self, from: data) else { return nil }
      let stem = String(name.dropLast(5))
      let dataset = stem.firstIndex(of: "-").map { String(stem[stem.index(after: $0)...]) } ?? ""
      do {
        return ResultFile(name: name, dataset: dataset, content: try decode(data, keys: keys))
      } catch let error as DecodingError {
        throw BenchmarkDataError("\(name): not a readable report: \(describe(error))")
      }
    }
  }

  /// Decodes `data` as the report its `benchmark` value, or else its keys, name.
  static func decode(_ data: Data, keys: TopLevelKeys) throws -> Content {
    let decoder = JSONDecoder()
    func read<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decode(type, from: data) }
    switch keys.benchmark ?? keys.shape {
    case ANNReport.benchmark: return .ann(try read(ANNReport.self))
    case "ann-comparison": return .annComparison(try read(ANNComparison.self))
    case LexicalReport.benchmark: return .lexical(try read(LexicalReport.self))
    case "lexical-comparison": return .lexicalComparison(try read(LexicalComparison.self))
    case LexicalStrategyReport.benchmark: return .lexicalStrategies(try read(LexicalStrategyReport.self))
    case RetrievalReport.benchmark: return .retrieval(try read(RetrievalReport.self))
    case "retrieval-comparison": return .retrievalComparison(try read(RetrievalComparison.self))
    case EmbedReport.benchmark: return .embed(try read(EmbedReport.self))
    case IngestBenchReport.benchmark: return .ingest(try read(IngestBenchReport.self))
    case SearchLatencyReport.benchmark: return .searchLatency(try read(SearchLatencyReport.self))
    case ScalingReport.benchmark: return .scaling(try read(ScalingReport.self))
    case CrashReport.benchmark: return .crash(try read(CrashReport.self))
    case FuzzReport.benchmark: return .fuzz(try read(FuzzReport.self))
    case ConcurrencyReport.benchmark: return .concurrency(try read(ConcurrencyReport.self))
    case LiveReport.benchmark: return .live(try read(LiveReport.self))
    case ServeReport.benchmark: return .serve(try read(ServeReport.self))
    default: return .unknown
    }
  }

  /// What the table of `report` calls it.
  var kind: String {
    switch content {
    case .ann: "ann"
    case .annComparison: "ann + peers"
    case .lexical: "lexical"
    case .lexicalComparison: "lexical + peers"
    case .lexicalStrategies: "lexical strategies"
    case .retrieval: "retrieval"
    case .retrievalComparison: "retrieval + reference"
    case .embed: "embed"
    case .ingest: "ingest"
    case .searchLatency: "search latency"
    case .scaling: "scaling"
    case .crash: "crash"
    case .fuzz: "fuzz"
    case .concurrency: "concurrency"
    case .live: "live"
    case .serve: "serve"
    case .unknown: "not recognized"
    }
  }

  /// The context of TraceKV's side of the run.
  var context: RunContext? {
    switch content {
    case .ann(let report): report.context
    case .annComparison(let report): report.tracekv.context
    case .lexical(let report): report.context
    case .lexicalComparison(let report): report.tracekvReport.context
    case .lexicalStrategies(let report): report.context
    case .retrieval(let report): report.context
    case .retrievalComparison(let report): report.tracekvReport?.context
    case .embed(let report): report.context
    case .ingest(let report): report.context
    case .searchLatency(let report): report.context
    case .scaling(let report): report.context
    case .crash(let report): report.context
    case .fuzz(let report): report.context
    case .concurrency(let report): report.context
    case .live(let report): report.context
    case .serve(let report): report.context
    case .unknown: nil
    }
  }
}

/// The top-level keys of a JSON object, and its `benchmark` value.
struct TopLevelKeys: Decodable {
  var keys: Set<String>
  var benchmark: String?

  private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Key.self)
    keys = Set(container.allKeys.map(\.stringValue))
    benchmark = try? container.decode(String.self, forKey: Key(stringValue: "benchmark"))
  }

  /// The report a file without `benchmark` holds, told by its keys: the
  /// peers' files, and reports written before the key existed.
  var shape: String {
    if keys.contains("peers") { return "ann-comparison" }
    if keys.contains("systems") { return "lexical-comparison" }
    if keys.contains("reference") { return "retrieval-comparison" }
    if keys.contains("per_query") { return LexicalStrategyReport.benchmark }
    if keys.contains("points") { return ANNReport.benchmark }
    if keys.contains("posting_bytes") { return LexicalReport.benchmark }
    if keys.contains("modes") { return RetrievalReport.benchmark }
    if keys.contains("traces_per_s") { return IngestBenchReport.benchmark }
    if keys.contains("search") && keys.contains("limit") { return SearchLatencyReport.benchmark }
    if keys.contains("kills") { return CrashReport.benchmark }
    if keys.contains("damaged_files") { return FuzzReport.benchmark }
    if keys.contains("readers") { return ConcurrencyReport.benchmark }
    if keys.contains("trace_write") { return LiveReport.benchmark }
    if keys.contains("write_load") || keys.contains("rest") { return ServeReport.benchmark }
    return ""
  }
}

/// A decoding error as one line: what was wrong, and where.
func describe(_ error: DecodingError) -> String {
  func path(_ context: DecodingError.Context) -> String {
    let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
    return keys.isEmpty ? "" : " at " + keys.joined(separator: ".")
  }
  switch error {
  case .keyNotFound(let key, let context): return "no \"\(key.stringValue)\"\(path(context))"
  case .typeMismatch(let type, let context): return "not a \(type)\(path(context)): \(context.debugDescription)"
  case .valueNotFound(let type, let context): return "null where a \(type) belongs\(path(context))"
  case .dataCorrupted(let context): return context.debugDescription + path(context)
  @unknown default: return "\(error)"
  }
}

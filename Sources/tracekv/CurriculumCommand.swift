import ArgumentParser
import Foundation
import TraceKV

struct CurriculumCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "curriculum",
    abstract:
      "Cluster the failed runs and write one remediation task per cluster (TraceBrain's curriculum JSONL).",
    discussion: """
      A run failed when a human rated it below 3, its status is failed or needs_review, its AI \
      evaluation names a critical error type, or the evaluation's confidence is below 0.75. Runs are \
      grouped by error type and failing tool, then by the cosine similarity of their stored embeddings. \
      No model is called.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @OptionGroup var filterOptions: FilterOptions

  @Option(help: "Report clusters of at least N runs (1-\(Limits.maximumCurriculumRuns)).")
  var minCluster = 1

  @Option(help: "Cosine similarity (0-1) at which a run joins a cluster of its error type and tool.")
  var similarity = CurriculumOptions.defaultSimilarity

  @Option(help: "Example tasks per cluster (0-\(Limits.maximumCurriculumExamples)).")
  var examples = 3

  @Option(help: "Cluster the newest N failed runs (1-\(Limits.maximumCurriculumRuns)).")
  var maxRuns = Limits.maximumCurriculumRuns

  @OptionGroup var format: OutputOptions

  @Option(name: .shortAndLong, help: "Also write the tasks here as JSONL ({id, role, content, metadata}).")
  var output: String?

  private var options: CurriculumOptions {
    CurriculumOptions(
      minClusterSize: minCluster, similarity: similarity, examples: examples, maximumRuns: maxRuns)
  }

  func validate() throws {
    do {
      try options.validate()
    } catch {
      throw ValidationError(error.message)
    }
  }

  func run() throws {
    let curriculum = try storeOptions.open().curriculum(try filterOptions.filter(), options: options)
    if let output {
      guard FileManager.default.createFile(atPath: output, contents: Data(curriculum.tasksJSONL.utf8)) else {
        throw CommandFailure("cannot create \(output)")
      }
      FileHandle.standardError.write(Data("wrote \(curriculum.clusters.count) tasks to \(output)\n".utf8))
    }
    if format.json {
      Console.printJSON(curriculum.json)
      return
    }
    // The human output lists the members of the JSON objects, in order.
    func fields(_ value: JSONValue) -> [Field] {
      (value.objectValue ?? JSONObject()).map {
        Field($0.key, $0.key.replacingOccurrences(of: "_", with: " "), $0.value)
      }
    }
    var summary = curriculum.json.objectValue ?? JSONObject()
    summary["clusters"] = .int(curriculum.clusters.count)
    var blocks = [Records.listing(fields(.object(summary)))]
    blocks += curriculum.clusters.map { Records.listing(fields($0.json)) }
    print(blocks.joined(separator: "\n\n"))
  }
}

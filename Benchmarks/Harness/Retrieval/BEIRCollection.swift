import Foundation

/// A retrieval collection in BEIR layout:
///
///     corpus.jsonl      {"_id", "title", "text"} per line
///     queries.jsonl     {"_id", "text"} per line
///     qrels/test.tsv    header row, then query-id <TAB> corpus-id <TAB> score
///
/// Read by every retrieval benchmark (lexical, vector, hybrid) and written
/// by the `prepare` commands.
struct BEIRCollection {
  struct Document: Codable {
    var id: String
    var title: String
    var text: String

    enum CodingKeys: String, CodingKey {
      case id = "_id"
      case title, text
    }

    init(id: String, title: String, text: String) {
      self.id = id
      self.title = title
      self.text = text
    }

    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      id = try container.decode(String.self, forKey: .id)
      title = try container.decodeIfPresent(String.self, forKey: .title) ?? ""
      text = try container.decodeIfPresent(String.self, forKey: .text) ?? ""
    }

    /// What a retriever indexes: the title, then the text (BEIR's convention).
    var indexedText: String { title.isEmpty ? text : title + "\n" + text }
  }

  struct Query: Codable {
    var id: String
    var text: String

    enum CodingKeys: String, CodingKey {
      case id = "_id"
      case text
    }
  }

  var documents: [Document]
  var queries: [Query]
  /// Relevance judgments: query id → document id → graded relevance.
  var qrels: [String: [String: Int]]

  /// Reads the collection in `directory`.
  static func load(from directory: String) throws -> BEIRCollection {
    let documents = try readJSONLines(Document.self, at: directory + "/corpus.jsonl")
    let queries = try readJSONLines(Query.self, at: directory + "/queries.jsonl")
    let qrelsPath = directory + "/qrels/test.tsv"
    guard let tsv = try? String(contentsOfFile: qrelsPath, encoding: .utf8) else {
      throw BenchmarkDataError("cannot read \(qrelsPath): is \(directory) a BEIR folder? (run `tracekv-bench prepare`)")
    }
    var qrels: [String: [String: Int]] = [:]
    for (number, line) in tsv.split(whereSeparator: \.isNewline).enumerated() {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
      if number == 0 && fields.first == "query-id" { continue }
      guard fields.count >= 3, let score = Int(fields[2].trimmingCharacters(in: .whitespaces)) else {
        throw BenchmarkDataError("\(qrelsPath):\(number + 1): expected query-id, corpus-id, score")
      }
      qrels[String(fields[0]), default: [:]][String(fields[1])] = score
    }
    return BEIRCollection(documents: documents, queries: queries, qrels: qrels)
  }

  /// Writes the collection into `directory` (created if needed).
  func write(to directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory + "/qrels", withIntermediateDirectories: true)
    try writeJSONLines(documents, to: directory + "/corpus.jsonl")
    try writeJSONLines(queries, to: directory + "/queries.jsonl")
    var tsv = "query-id\tcorpus-id\tscore\n"
    for query in qrels.keys.sorted() {
      for (document, score) in qrels[query]!.sorted(by: { $0.key < $1.key }) { tsv += "\(query)\t\(document)\t\(score)\n" }
    }
    try tsv.write(toFile: directory + "/qrels/test.tsv", atomically: true, encoding: .utf8)
  }

  /// The queries of a `queries.jsonl` file at `path`.
  static func queries(at path: String) throws -> [Query] {
    try readJSONLines(Query.self, at: path)
  }

  /// Writes `queries` alone as a `queries.jsonl` file at `path`.
  static func write(_ queries: [Query], to path: String) throws {
    try writeJSONLines(queries, to: path)
  }

  /// The three files of a collection, relative to its folder.
  static let fileNames = ["corpus.jsonl", "queries.jsonl", "qrels/test.tsv"]

  /// The paths of the collection's files in `directory`.
  static func files(in directory: String) -> [String] {
    fileNames.map { (directory as NSString).appendingPathComponent($0) }
  }

  /// Whether `directory` already holds a complete collection.
  static func exists(at directory: String) -> Bool {
    files(in: directory).allSatisfy { FileManager.default.fileExists(atPath: $0) }
  }
}

private func readJSONLines<T: Decodable>(_ type: T.Type, at path: String) throws -> [T] {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw BenchmarkDataError("cannot read \(path): is this a BEIR folder? (run `tracekv-bench prepare`)")
  }
  let decoder = JSONDecoder()
  var values: [T] = []
  var lineNumber = 0
  for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
    lineNumber += 1
    do {
      values.append(try decoder.decode(T.self, from: Data(line)))
    } catch {
      throw BenchmarkDataError("\(path):\(lineNumber): \(error)")
    }
  }
  return values
}

private func writeJSONLines<T: Encodable>(_ values: [T], to path: String) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  var data = Data()
  for value in values {
    data.append(try encoder.encode(value))
    data.append(UInt8(ascii: "\n"))
  }
  try data.write(to: URL(fileURLWithPath: path))
}

/// A benchmark input that is missing or malformed, with what to do about it.
struct BenchmarkDataError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

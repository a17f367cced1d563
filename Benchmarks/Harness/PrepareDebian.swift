import ArgumentParser
import Foundation
import VectorIndex

/// `tracekv-bench prepare debian`: Debian's package descriptions as a
/// known-item BEIR collection.
///
/// `apt-get update` fetches the archive's `Translation-en` into a private
/// lists folder (the system's lists, cache and lock are left alone). Each
/// package's long description, **without** its synopsis line, is a
/// document; 2,000 synopses sampled with a fixed seed are the queries; the
/// one relevant document of a query is its own package's description.
/// Leaving the synopsis out matters: otherwise the query is a substring of
/// the document and the benchmark measures string matching.
struct PrepareDebianCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "debian",
    abstract: "Fetch Debian's Translation-en with apt-get (private lists) and write a known-item BEIR folder.")

  @Option(help: "Output folder.") var output = "bench-data/debian"
  @Option(help: "Number of synopsis queries.") var queries = 2_000
  @Option(help: "Seed of the query sample.") var seed: UInt64 = 20_240_601
  @Flag(help: "Rebuild even when the folder already holds a collection.") var force = false

  func run() throws {
    if BEIRCollection.exists(at: output) && !force {
      print("debian: already prepared in \(output) (--force rebuilds)")
      return
    }
    let lists = try absolutePath(output + "/download/lists")
    let cache = try absolutePath(output + "/download/cache")
    for folder in [lists + "/partial", cache + "/archives/partial"] {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    if try translationFiles(in: lists).isEmpty {
      DatasetTool.note("debian: apt-get update into \(lists)")
      try DatasetTool.run([
        "apt-get", "update", "-qq",
        "-o", "Acquire::Languages=en",
        "-o", "Dir::State::Lists=\(lists)",
        "-o", "Dir::Cache=\(cache)",
        // No binary caches: apt would otherwise (re)build them from the private lists.
        "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
        // The system's lock guards the system's lists, which this run never touches.
        "-o", "Debug::NoLocking=1",
        // The _apt sandbox user may not be able to write into the private folder.
        "-o", "APT::Sandbox::User=root",
      ])
    }
    let files = try translationFiles(in: lists)
    guard !files.isEmpty else { throw BenchmarkDataError("apt-get update left no Translation-en in \(lists)") }

    var packages: [(name: String, synopsis: String, description: String)] = []
    var seen = Set<String>()
    for file in files {
      // apt keeps lists compressed (lz4 on bookworm); its helper decompresses any of its formats.
      let data = try DatasetTool.run(["/usr/lib/apt/apt-helper", "cat-file", file])
      for entry in Self.parseTranslation(String(decoding: data, as: UTF8.self)) where seen.insert(entry.name).inserted {
        packages.append(entry)
      }
    }
    packages.sort { $0.name < $1.name }
    let documents = packages.map { BEIRCollection.Document(id: $0.name, title: "", text: $0.description) }

    var generator = SplitMix64(seed: seed)
    var order = Array(packages.indices)
    // Fisher–Yates with our own generator: the same seed gives the same sample on every toolchain.
    for index in stride(from: order.count - 1, to: 0, by: -1) {
      order.swapAt(index, Int(generator.next() % UInt64(index + 1)))
    }
    let sample = order.prefix(queries).sorted()
    let queryList = sample.map { BEIRCollection.Query(id: "q-" + packages[$0].name, text: packages[$0].synopsis) }
    var qrels: [String: [String: Int]] = [:]
    for index in sample { qrels["q-" + packages[index].name] = [packages[index].name: 1] }

    try BEIRCollection(documents: documents, queries: queryList, qrels: qrels).write(to: output)
    print("debian: \(documents.count) documents (from \(files.count) Translation-en files), \(queryList.count) queries → \(output)")
  }

  /// Translation-en files, the largest (the main archive) first, so that a
  /// package listed again by an update or security suite keeps its main entry.
  private func translationFiles(in lists: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: lists)
      .filter { $0.contains("_i18n_Translation-en") }
      .map { lists + "/" + $0 }
      .sorted { (fileSize($0), $1) > (fileSize($1), $0) }
  }

  private func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
  }

  private func absolutePath(_ path: String) throws -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
  }

  /// Parses deb822 stanzas: `Package:`, then `Description-en:` whose first
  /// line is the synopsis and whose continuation lines (one leading space;
  /// " ." is an empty line) are the long description. Packages without a
  /// long description are left out: they would be empty documents.
  static func parseTranslation(_ text: String) -> [(name: String, synopsis: String, description: String)] {
    var entries: [(name: String, synopsis: String, description: String)] = []
    var name = ""
    var synopsis = ""
    var lines: [Substring] = []
    var inDescription = false
    func flush() {
      let description = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
      if !name.isEmpty && !description.isEmpty { entries.append((name, synopsis, description)) }
      name = ""
      synopsis = ""
      lines = []
      inDescription = false
    }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.isEmpty {
        flush()
      } else if line.hasPrefix(" ") {
        if inDescription { lines.append(line == " ." ? "" : line.dropFirst()) }
      } else if line.hasPrefix("Package:") {
        name = line.dropFirst("Package:".count).trimmingCharacters(in: .whitespaces)
        inDescription = false
      } else if line.hasPrefix("Description-en:") {
        synopsis = line.dropFirst("Description-en:".count).trimmingCharacters(in: .whitespaces)
        inDescription = true
      } else {
        inDescription = false
      }
    }
    flush()
    return entries
  }
}


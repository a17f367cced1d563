import ArgumentParser
import Foundation

/// `tracekv-bench report`: turns a folder of JSON reports (every subcommand's
/// `--json`, the peers' `--json`, `scaling`) into Markdown tables and SVG
/// charts, and replaces the generated section of `BENCHMARKS.md`.
///
/// Each file is decoded into its subcommand's model (`Reports/`), told by its
/// `benchmark` key (the peers' files by their keys), not by its name; its
/// name after the first `-` labels the dataset (`ann-glove50.json` →
/// glove50), which is how `make bench` and `make compare` name them.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write the tables and SVG charts of a results folder, and the generated section of BENCHMARKS.md.")

  @Option(help: "Folder of JSON reports (only its top level is read).") var results = "bench-results"
  @Option(help: "Folder for the SVG charts and results.md.") var output = "docs/bench"
  @Option(help: "Markdown file whose generated section is replaced (appended when it has no markers); empty: none.")
  var markdown = "BENCHMARKS.md"
  @Option(help: "A sentence printed above the tables (e.g. where and how the run was made).") var note: String?
  @Flag(help: "Print what was read and written as JSON instead of a table.") var json = false

  static let beginMarker = "<!-- BEGIN tracekv-bench report: generated from the JSON reports; do not edit by hand -->"
  static let endMarker = "<!-- END tracekv-bench report -->"

  func run() throws {
    let reports = try ResultFile.load(folder: results)
    guard !reports.isEmpty else { throw ValidationError("no JSON reports in \(results)") }
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)

    // Charts first: the Markdown refers to them by file name.
    var charts = ChartWriter(folder: output)
    let sections = ReportSections(reports: reports, note: note, charts: &charts)
    try charts.flush()

    let standalone = sections.markdown(imagePrefix: "")
    try standalone.write(toFile: (output as NSString).appendingPathComponent("results.md"), atomically: true, encoding: .utf8)
    if !markdown.isEmpty {
      let prefix = relativePath(from: (markdown as NSString).deletingLastPathComponent, to: output)
      try replaceSection(in: markdown, with: sections.markdown(imagePrefix: prefix.isEmpty ? "" : prefix + "/"))
    }
    let summary = ReportSummary(
      reports: reports.map { .init(name: $0.name, kind: $0.kind, dataset: $0.dataset) },
      charts: charts.written.map(\.name), output: output, markdown: markdown.isEmpty ? nil : markdown)
    print(json ? try summary.json() : summary.text)
  }

  /// Replaces the text between the markers, or appends a marked section.
  private func replaceSection(in path: String, with section: String) throws {
    let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    let block = Self.beginMarker + "\n\n" + section + "\n" + Self.endMarker
    let updated: String
    if let begin = existing.range(of: Self.beginMarker), let end = existing.range(of: Self.endMarker),
      begin.upperBound <= end.lowerBound
    {
      updated = existing.replacingCharacters(in: begin.lowerBound..<end.upperBound, with: block)
    } else {
      updated = existing + (existing.isEmpty || existing.hasSuffix("\n\n") ? "" : "\n") + block + "\n"
    }
    try updated.write(toFile: path, atomically: true, encoding: .utf8)
  }
}

/// The path of `target` relative to the folder `base` ("" when they are the same).
func relativePath(from base: String, to target: String) -> String {
  func components(_ path: String) -> [String] {
    let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    return URL(fileURLWithPath: absolute).standardizedFileURL.pathComponents
  }
  let from = components(base.isEmpty ? "." : base)
  let to = components(target)
  var shared = 0
  while shared < min(from.count, to.count) && from[shared] == to[shared] { shared += 1 }
  return (Array(repeating: "..", count: from.count - shared) + to[shared...]).joined(separator: "/")
}


/// What `report` read and wrote: its table, or with --json the same fields as JSON.
struct ReportSummary: Codable, Equatable {
  struct Report: Codable, Equatable {
    var name: String
    var kind: String
    var dataset: String
  }

  var reports: [Report]
  /// SVG files written into `output`.
  var charts: [String]
  var output: String
  /// The Markdown file whose generated section was replaced; nil: none.
  var markdown: String?

  var text: String {
    let table = ReportTable(["report", "kind", "dataset"], reports.map { [$0.name, $0.kind, $0.dataset] })
    return table.text + "\nwrote \(charts.count) charts and results.md to \(output)"
      + (markdown.map { "; updated \($0)" } ?? "")
  }

  func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }
}

// MARK: - Charts

/// Collects the SVG files of one report run.
struct ChartWriter {
  let folder: String
  var written: [(name: String, svg: String)] = []

  mutating func add(_ name: String, _ svg: String) -> String {
    written.append((name, svg))
    return name
  }

  func flush() throws {
    for (name, svg) in written {
      try svg.write(toFile: (folder as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
  }
}

/// A Markdown table ("|" in a cell escaped).
func markdownTable(_ header: [String], _ rows: [[String]]) -> String {
  func line(_ cells: [String]) -> String {
    "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
  }
  return line(header) + line(header.map { _ in "---" }) + rows.map(line).joined()
}

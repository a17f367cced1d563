import Foundation

/// A bench subcommand's result: the JSON it writes and `report` reads, one
/// `Codable` type per subcommand, so the writer and the reader cannot drift.
/// Every report names its subcommand under `benchmark`, which is how
/// `report` tells them apart.
protocol BenchReport: Codable, Equatable {
  /// The value of the `benchmark` key.
  static var benchmark: String { get }
}

extension BenchReport {
  /// Writes the report as pretty JSON with sorted keys.
  func write(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try encoder.encode(self).write(to: URL(fileURLWithPath: path))
  }

  /// Reads a report a subcommand wrote.
  static func read(from path: String) throws -> Self {
    try JSONDecoder().decode(Self.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
  }
}

/// The `benchmark` key every report carries: its value must be `Report.benchmark`.
struct BenchmarkName<Report: BenchReport>: Codable, Equatable {
  init() {}

  init(from decoder: any Decoder) throws {
    let value = try decoder.singleValueContainer().decode(String.self)
    guard value == Report.benchmark else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "a \(value) report, not \(Report.benchmark)"))
    }
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(Report.benchmark)
  }
}

/// p50 and p99 of a latency sample, in milliseconds.
struct Latency: Codable, Equatable {
  var p50: Double
  var p99: Double

  init(p50: Double, p99: Double) {
    self.p50 = p50
    self.p99 = p99
  }

  /// The nearest-rank percentiles of `milliseconds`.
  init(milliseconds samples: [Double]) {
    self.init(p50: percentile(samples, 50), p99: percentile(samples, 99))
  }

  enum CodingKeys: String, CodingKey {
    case p50 = "p50_ms", p99 = "p99_ms"
  }

  /// "p50 X ms, p99 Y ms" with `decimals` places.
  func text(_ decimals: Int = 3) -> String { "p50 \(fixed(p50, decimals)) ms, p99 \(fixed(p99, decimals)) ms" }
}

/// A table of a report, printed by its subcommand (plain text) and by
/// `report` (Markdown) from the same cells.
struct ReportTable: Equatable {
  var header: [String]
  var rows: [[String]] = []

  init(_ header: [String], _ rows: [[String]] = []) {
    self.header = header
    self.rows = rows
  }

  mutating func add(_ row: [String]) { rows.append(row) }

  /// Plain text: numbers right-aligned, text left-aligned.
  var text: String {
    var table = TextTable(header)
    table.rows = rows
    return table.render()
  }

  var markdown: String { markdownTable(header, rows) }
}

/// A number with `decimals` places, "-" when absent or not finite.
func fixed(_ value: Double?, _ decimals: Int) -> String {
  guard let value, value.isFinite else { return "-" }
  return fixed(value, decimals)
}

/// `ours / theirs` as "1.23×", "-" when either is absent, zero or not finite.
func ratio(_ ours: Double?, _ theirs: Double?) -> String {
  guard let ours, let theirs, theirs != 0, ours.isFinite, theirs.isFinite else { return "-" }
  return fixed(ours / theirs) + "×"
}

/// An integer with thousands separators (1,234,567).
func count(_ value: Int?) -> String {
  guard let value else { return "-" }
  let digits = String(value.magnitude)
  var grouped = ""
  for (offset, digit) in digits.enumerated() {
    if offset > 0 && (digits.count - offset) % 3 == 0 { grouped += "," }
    grouped.append(digit)
  }
  return (value < 0 ? "-" : "") + grouped
}

/// Bytes as megabytes (10^6) with one decimal.
func megabytes(_ bytes: Double?) -> String { fixed(bytes.map { $0 / 1e6 }, 1) }

/// Where and how a report was made, recorded in every report (`context`).
struct RunContext: Codable, Equatable {
  var cores: Int
  var cpu: String?
  /// What /etc/alternatives' libblas.so.3 points to.
  var libblas: String?
  var openBLASThreads: String
  /// `OPENBLAS_CORETYPE` ("unset": OpenBLAS picks the CPU's kernels). A
  /// pin to older kernels slows every embedding: on this project's AVX-512
  /// machine, `Haswell` (AVX2) embeds MiniLM at 0.6 times the rate of the
  /// kernels OpenBLAS picks itself.
  var openBLASCoreType: String?
  var date: String
  var swift: String
  /// Every argument given, the executable first.
  var command: [String]
  /// SHA-256 of each dataset file the command named.
  var datasetSHA256: [String: String]

  enum CodingKeys: String, CodingKey {
    case cores, cpu, libblas, date, swift, command
    case openBLASThreads = "openblas_num_threads", openBLASCoreType = "openblas_coretype"
    case datasetSHA256 = "dataset_sha256"
  }

  /// This run's context.
  static func current() -> RunContext {
    let environment = ProcessInfo.processInfo.environment
    var cpu: String?
    if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let model = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
    {
      cpu = model.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
    }
    return RunContext(
      cores: ProcessInfo.processInfo.activeProcessorCount, cpu: cpu,
      libblas: try? FileManager.default.destinationOfSymbolicLink(atPath: "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"),
      openBLASThreads: environment["OPENBLAS_NUM_THREADS"] ?? "unset",
      openBLASCoreType: environment["OPENBLAS_CORETYPE"] ?? "unset",
      date: ISO8601DateFormatter().string(from: Date()), swift: RunInputs.swiftVersion,
      // Every parameter given; the report's own fields hold the rest.
      command: CommandLine.arguments, datasetSHA256: RunInputs.checksums(of: CommandLine.arguments))
  }
}

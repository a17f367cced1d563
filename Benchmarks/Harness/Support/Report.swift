import Foundation

/// Shared pieces of every harness subcommand: a monotonic clock, latency
/// percentiles, a progress line on stderr, a plain-text table and the JSON file.

/// Monotonic nanoseconds.
@inline(__always) func nowNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Seconds elapsed since `start` (from `nowNanoseconds()`).
func secondsSince(_ start: UInt64) -> Double { Double(nowNanoseconds() - start) / 1e9 }

/// The `p`-th percentile (0...100) of `samples` by nearest rank; 0 when empty.
func percentile(_ samples: [Double], _ p: Double) -> Double {
  guard !samples.isEmpty else { return 0 }
  let sorted = samples.sorted()
  let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
  return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// A progress line on stderr: redrawn in place on a terminal, a plain line
/// every few seconds otherwise.
struct ProgressLine {
  private let label: String
  private let total: Int
  private let isTerminal = isatty(STDERR_FILENO) != 0
  private var lastPrint: UInt64 = 0

  init(_ label: String, total: Int) {
    self.label = label
    self.total = total
  }

  mutating func update(_ done: Int) {
    let now = nowNanoseconds()
    let interval: UInt64 = isTerminal ? 100_000_000 : 5_000_000_000
    guard done == total || now - lastPrint >= interval else { return }
    lastPrint = now
    let percent = total > 0 ? 100 * done / total : 100
    let line = "\(label): \(done)/\(total) (\(percent)%)"
    FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
  }

  func finish() {
    if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}

/// A plain-text table with right-aligned columns but the first.
struct TextTable {
  var header: [String]
  var rows: [[String]] = []

  init(_ header: [String]) { self.header = header }

  mutating func add(_ row: [String]) { rows.append(row) }

  func render() -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { column, cell in
        let pad = String(repeating: " ", count: widths[column] - cell.count)
        return column == 0 ? cell + pad : pad + cell
      }.joined(separator: "  ")
    }
    let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
    return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
  }
}

/// Formats a number with a fixed count of decimals.
func fixed(_ value: Double, _ decimals: Int = 2) -> String { String(format: "%.\(decimals)f", value) }

/// Writes `object` (dictionaries, arrays, numbers, strings) as pretty JSON with sorted keys.
func writeJSON(_ object: Any, to path: String) throws {
  let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
  try data.write(to: URL(fileURLWithPath: path))
}

/// The run's context, recorded in every JSON report.
func runContext() -> [String: Any] {
  var context: [String: Any] = ["cores": ProcessInfo.processInfo.activeProcessorCount]
  if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
    let model = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
  {
    context["cpu"] = model.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
  }
  if let blas = try? FileManager.default.destinationOfSymbolicLink(atPath: "/etc/alternatives/libblas.so.3-x86_64-linux-gnu") {
    context["libblas"] = blas
  }
  context["date"] = ISO8601DateFormatter().string(from: Date())
  return context
}

import Foundation

/// A progress line on stderr: redrawn in place on a terminal, a plain line
/// every few seconds otherwise.
public struct ProgressLine {
  private let label: String
  private let total: Int
  private let isTerminal = isatty(STDERR_FILENO) != 0
  private var lastPrint: UInt64 = 0

  public init(_ label: String, total: Int) {
    self.label = label
    self.total = total
  }

  /// Reports `done` of `total`; `detail` is appended (e.g. "1,200 traces").
  public mutating func update(_ done: Int, detail: String = "") {
    let now = DispatchTime.now().uptimeNanoseconds
    let interval: UInt64 = isTerminal ? 100_000_000 : 5_000_000_000
    guard done == total || now - lastPrint >= interval else { return }
    lastPrint = now
    let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
    let suffix = detail.isEmpty ? "" : " " + detail
    if isTerminal {
      let filled = Int(fraction * 30)
      let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
      FileHandle.standardError.write(Data("\r\u{1B}[K\(label) [\(bar)] \(Int(fraction * 100))%\(suffix)".utf8))
    } else {
      FileHandle.standardError.write(Data("\(label): \(Int(fraction * 100))%\(suffix)\n".utf8))
    }
  }

  public func finish() {
    if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}

/// A plain-text table with right-aligned columns but the first.
public struct TextTable {
  public var header: [String]
  public var rows: [[String]] = []

  public init(_ header: [String]) { self.header = header }

  public mutating func add(_ row: [String]) { rows.append(row) }

  public func render() -> String {
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


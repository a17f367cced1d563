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

/// A plain-text table: a column of numbers is right-aligned, any other
/// column left-aligned ("-" stands for a missing value in either).
public struct TextTable {
  public var header: [String]
  public var rows: [[String]] = []

  public init(_ header: [String]) { self.header = header }

  public mutating func add(_ row: [String]) { rows.append(row) }

  public func render() -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
    let numeric = header.indices.map { column in
      let cells = rows.compactMap { $0.indices.contains(column) ? $0[column] : nil }.filter { $0 != "-" && !$0.isEmpty }
      return !cells.isEmpty && cells.allSatisfy(Self.isNumber)
    }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { column, cell in
        let pad = String(repeating: " ", count: widths[column] - cell.count)
        return numeric[column] ? pad + cell : cell + pad
      }.joined(separator: "  ").trimmingSuffix(" ")
    }
    let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
    return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
  }

  /// A number as tables print them: digits with an optional sign, decimal
  /// point, exponent, and a unit suffix of `%`, `x` or `×` (ratios).
  static func isNumber(_ cell: String) -> Bool {
    var text = Substring(cell)
    if let last = text.last, "%x×".contains(last) { text = text.dropLast() }
    return Double(text) != nil
  }
}


extension String {
  /// The string without trailing `character`s (a table's last column is not padded).
  fileprivate func trimmingSuffix(_ character: Character) -> String {
    var end = endIndex
    while end > startIndex, self[index(before: end)] == character { end = index(before: end) }
    return String(self[..<end])
  }
}

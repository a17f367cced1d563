import Foundation

/// A plain-text table: a column of numbers is right-aligned, any other
/// column left-aligned ("-" stands for a missing value in either).
public struct TextTable {
  public var header: [String]
  public var rows: [[String]] = []
  /// Which columns hold numbers, when the caller knows (from the values'
  /// types); nil: told from the cells' text.
  public var numericColumns: [Bool]?

  public init(_ header: [String], numericColumns: [Bool]? = nil) {
    self.header = header
    self.numericColumns = numericColumns
  }

  public mutating func add(_ row: [String]) { rows.append(row) }

  public func render() -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
    let numeric = numericColumns ?? header.indices.map { column in
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

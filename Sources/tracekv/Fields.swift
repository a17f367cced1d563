import ConsoleSupport
import Foundation
import TraceKV

/// One field of a result, named once for both outputs: its JSON key, its
/// table header and its value. Every command that prints a table or a
/// key-value listing builds it from fields, so `--json` and the human
/// output cannot drift apart.
struct Field {
  let key: String
  let header: String
  let value: JSONValue
  /// Decimal places of a number in the table (JSON keeps the full value).
  var decimals = 2
  /// What the table shows for null.
  var nullCell = "-"

  init(_ key: String, _ header: String, _ value: JSONValue, decimals: Int = 2, nullCell: String = "-") {
    self.key = key
    self.header = header
    self.value = value
    self.decimals = decimals
    self.nullCell = nullCell
  }

  /// The member at `path` of a JSON object a library type wrote (its `json`),
  /// so the table shows exactly what `--json` prints; the key is the path
  /// joined by dots.
  init(_ path: [String], _ header: String, in object: JSONValue, decimals: Int = 2, nullCell: String = "-") {
    var value: JSONValue? = object
    for key in path { value = value?.objectValue?[key] }
    self.init(path.joined(separator: "."), header, value ?? .null, decimals: decimals, nullCell: nullCell)
  }

  init(_ key: String, _ header: String, _ text: String?) { self.init(key, header, text.map(JSONValue.string) ?? .null) }
  init(_ key: String, _ header: String, _ number: Int?) { self.init(key, header, number.map(JSONValue.int) ?? .null) }
  init(_ key: String, _ header: String, _ number: Double?, decimals: Int = 2) {
    self.init(key, header, number.map(JSONValue.double) ?? .null, decimals: decimals)
  }

  /// The value as a table cell: "-" for null.
  var cell: String {
    switch value {
    case .null: nullCell
    case .string(let text): text
    case .bool(let flag): flag ? "yes" : "no"
    case .number(let literal):
      if Int(literal) != nil { literal } else { Double(literal).map { String(format: "%.\(decimals)f", $0) } ?? literal }
    case .array, .object: JSONWriter.compact(value)
    }
  }
}

/// Records of fields: a table or a JSON array of objects, from the same fields.
struct Records {
  let rows: [[Field]]
  /// The headers when there are no rows (an empty table still has columns).
  let emptyHeaders: [String]

  init(_ rows: [[Field]], emptyHeaders: [String] = []) {
    self.rows = rows
    self.emptyHeaders = emptyHeaders
  }

  var json: JSONValue { .array(rows.map(Self.object)) }

  func table() -> String {
    // A column of numbers is one whose values are all numbers or null (a
    // trace id of digits is text, whatever it looks like).
    let numeric = rows.first?.indices.map { column in
      rows.allSatisfy { row in
        switch row[column].value {
        case .number, .null: true
        default: false
        }
      } && rows.contains { !$0[column].value.isNull }
    }
    var table = TextTable(rows.first?.map(\.header) ?? emptyHeaders, numericColumns: numeric)
    for row in rows { table.add(row.map(\.cell)) }
    return table.render()
  }

  static func object(_ fields: [Field]) -> JSONValue {
    var object = JSONObject()
    for field in fields { object[field.key] = field.value }
    return .object(object)
  }

  /// One record as aligned "header  value" lines (`stats`).
  static func listing(_ fields: [Field]) -> String {
    let width = fields.map(\.header.count).max() ?? 0
    return fields.map { $0.header.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.cell }
      .joined(separator: "\n")
  }
}

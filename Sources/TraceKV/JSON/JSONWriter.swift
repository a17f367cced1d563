/// Writes `JSONValue`s as JSON text: compact (storage, JSONL) or indented (humans).
public enum JSONWriter {
  /// Compact JSON with no insignificant whitespace.
  public static func compact(_ value: JSONValue) -> String {
    var out = ""
    write(value, into: &out, indent: nil, level: 0)
    return out
  }

  /// JSON indented by two spaces per level.
  public static func pretty(_ value: JSONValue) -> String {
    var out = ""
    write(value, into: &out, indent: "  ", level: 0)
    return out
  }

  static func write(_ value: JSONValue, into out: inout String, indent: String?, level: Int) {
    switch value {
    case .null: out += "null"
    case .bool(let flag): out += flag ? "true" : "false"
    case .number(let literal): out += literal
    case .string(let string): writeString(string, into: &out)
    case .array(let items):
      guard !items.isEmpty else { out += "[]"; return }
      out += "["
      for (position, item) in items.enumerated() {
        if position > 0 { out += "," }
        newline(&out, indent, level + 1)
        write(item, into: &out, indent: indent, level: level + 1)
      }
      newline(&out, indent, level)
      out += "]"
    case .object(let object):
      guard !object.isEmpty else { out += "{}"; return }
      out += "{"
      for (position, member) in object.enumerated() {
        if position > 0 { out += "," }
        newline(&out, indent, level + 1)
        writeString(member.key, into: &out)
        out += indent == nil ? ":" : ": "
        write(member.value, into: &out, indent: indent, level: level + 1)
      }
      newline(&out, indent, level)
      out += "}"
    }
  }

  private static func newline(_ out: inout String, _ indent: String?, _ level: Int) {
    guard let indent else { return }
    out += "\n"
    for _ in 0..<level { out += indent }
  }

  /// Escapes per RFC 8259: quotes, backslash and control characters; the rest as UTF-8.
  static func writeString(_ string: String, into out: inout String) {
    out += "\""
    var runStart = string.unicodeScalars.startIndex
    var index = runStart
    let scalars = string.unicodeScalars
    while index != scalars.endIndex {
      let scalar = scalars[index]
      let escape: String?
      switch scalar {
      case "\"": escape = "\\\""
      case "\\": escape = "\\\\"
      case "\n": escape = "\\n"
      case "\r": escape = "\\r"
      case "\t": escape = "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: escape = nil
      }
      if let escape {
        out.unicodeScalars.append(contentsOf: scalars[runStart..<index])
        out += escape
        runStart = scalars.index(after: index)
      }
      index = scalars.index(after: index)
    }
    out.unicodeScalars.append(contentsOf: scalars[runStart..<scalars.endIndex])
    out += "\""
  }
}

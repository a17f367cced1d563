/// Writes `JSONValue`s as JSON text: compact (storage, JSONL) or indented
/// (people). Works on UTF-8 bytes: building a `String` scalar by scalar was
/// the largest cost of ingest.
public enum JSONWriter {
  /// Compact JSON with no insignificant whitespace.
  public static func compact(_ value: JSONValue) -> String {
    String(decoding: compactBytes(value), as: UTF8.self)
  }

  /// Compact JSON as UTF-8 bytes.
  public static func compactBytes(_ value: JSONValue) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(256)
    write(value, into: &out, indent: nil, level: 0)
    return out
  }

  /// JSON indented by two spaces per level.
  public static func pretty(_ value: JSONValue) -> String {
    var out: [UInt8] = []
    write(value, into: &out, indent: 2, level: 0)
    return String(decoding: out, as: UTF8.self)
  }

  static func write(_ value: JSONValue, into out: inout [UInt8], indent: Int?, level: Int) {
    switch value {
    case .null: out += "null".utf8
    case .bool(let flag): out += (flag ? "true" : "false").utf8
    case .number(let literal): out += literal.utf8
    case .string(let string): writeString(string, into: &out)
    case .array(let items):
      writeList(items, "[", "]", into: &out, indent: indent, level: level) { item, out in
        write(item, into: &out, indent: indent, level: level + 1)
      }
    case .object(let object):
      writeList(object, "{", "}", into: &out, indent: indent, level: level) { member, out in
        writeString(member.key, into: &out)
        out.append(UInt8(ascii: ":"))
        if indent != nil { out.append(UInt8(ascii: " ")) }
        write(member.value, into: &out, indent: indent, level: level + 1)
      }
    }
  }

  /// Writes `elements` between `open` and `close`, comma-separated, one a
  /// line when indented (an empty list stays on its line: `[]`, `{}`).
  @inline(__always)
  private static func writeList<Elements: Sequence>(
    _ elements: Elements, _ open: Unicode.Scalar, _ close: Unicode.Scalar, into out: inout [UInt8], indent: Int?,
    level: Int, _ writeElement: (Elements.Element, inout [UInt8]) -> Void
  ) {
    out.append(UInt8(ascii: open))
    var empty = true
    for element in elements {
      if !empty { out.append(UInt8(ascii: ",")) }
      empty = false
      newline(&out, indent, level + 1)
      writeElement(element, &out)
    }
    if !empty { newline(&out, indent, level) }
    out.append(UInt8(ascii: close))
  }

  private static func newline(_ out: inout [UInt8], _ indent: Int?, _ level: Int) {
    guard let indent else { return }
    out.append(UInt8(ascii: "\n"))
    out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  /// Escapes per RFC 8259: quotes, backslash and control characters; other
  /// bytes are copied as they are (the string is valid UTF-8 already).
  static func writeString(_ string: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var string = string
    string.withUTF8 { utf8 in
      var runStart = 0
      for index in 0..<utf8.count {
        let byte = unsafe utf8[index]
        guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
        unsafe out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
        switch byte {
        case UInt8(ascii: "\""): out += "\\\"".utf8
        case UInt8(ascii: "\\"): out += "\\\\".utf8
        case 0x0A: out += "\\n".utf8
        case 0x0D: out += "\\r".utf8
        case 0x09: out += "\\t".utf8
        default:
          out += "\\u00".utf8
          out.append(hexDigits[Int(byte >> 4)])
          out.append(hexDigits[Int(byte & 0xF)])
        }
        runStart = index + 1
      }
      unsafe out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
    }
    out.append(UInt8(ascii: "\""))
  }
}

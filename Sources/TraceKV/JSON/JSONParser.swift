/// A strict RFC 8259 JSON parser over UTF-8 bytes.
///
/// Hand-written rather than Foundation's because ingest needs what Foundation
/// does not give: object key order, number literals kept as written, a nesting
/// limit, rejection of invalid UTF-8, and errors that say where.
@safe public struct JSONParser {
  /// The deepest nesting of arrays and objects accepted (hostile input guard).
  public static let maximumDepth = 128

  /// Parses one JSON document; whitespace may surround it.
  /// - Complexity: O(n) in the byte count.
  /// - Throws: `invalidInput`, saying what is wrong and at which byte.
  public static func parse(_ bytes: some Collection<UInt8>) throws(TraceKVError) -> JSONValue {
    let array = Array(bytes)
    return unsafe try array.withUnsafeBytes { buffer in Result { () throws(JSONParseError) in unsafe try parse(buffer) } }
      .mapError { TraceKVError($0) }.get()
  }

  /// Parses a JSON document held in a string.
  /// - Throws: `invalidInput`, saying what is wrong and at which byte.
  public static func parse(_ text: String) throws(TraceKVError) -> JSONValue {
    var text = text
    return try text.withUTF8 { utf8 in Result { () throws(JSONParseError) in unsafe try parse(UnsafeRawBufferPointer(utf8)) } }
      .mapError { TraceKVError($0) }.get()
  }

  /// Parses one JSON document lent by a store's transaction, without copying it.
  static func parse(_ bytes: RawSpan) throws(JSONParseError) -> JSONValue {
    try unsafe bytes.withUnsafeBytes { buffer throws(JSONParseError) in try unsafe parse(buffer) }
  }

  /// Parses one JSON document from lent bytes, without copying them (ingest's path).
  static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
    let buffer = unsafe bytes.bindMemory(to: UInt8.self)
    var parser = unsafe JSONParser(buffer: buffer)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.position == buffer.count else { throw parser.error("unexpected text after the JSON value") }
    return value
  }

  private let buffer: UnsafeBufferPointer<UInt8>
  private var position = 0

  private init(buffer: UnsafeBufferPointer<UInt8>) { unsafe self.buffer = unsafe buffer }

  private func error(_ message: String) -> JSONParseError {
    JSONParseError(message: message, offset: position)
  }

  private var current: UInt8? { unsafe position < buffer.count ? buffer[position] : nil }

  private mutating func skipWhitespace() {
    while unsafe position < buffer.count {
      switch unsafe buffer[position] {
      case 0x20, 0x0A, 0x0D, 0x09: position += 1
      default: return
      }
    }
  }

  private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
    guard let byte = current else { throw error("unexpected end of input") }
    switch byte {
    case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
    case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
    case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
    case UInt8(ascii: "n"): try expectLiteral("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
    default:
      if byte == UInt8(ascii: "N") || byte == UInt8(ascii: "I") {
        throw error("NaN and Infinity are not JSON numbers")
      }
      throw error("unexpected character '\(Character(Unicode.Scalar(byte)))'")
    }
  }

  private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
    let count = literal.utf8CodeUnitCount
    guard unsafe position + count <= buffer.count else { throw error("unexpected end of input") }
    for offset in 0..<count where unsafe buffer[position + offset] != literal.utf8Start[offset] {
      throw error("invalid literal, expected \(literal)")
    }
    position += count
  }

  private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
    guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
    position += 1
    var members: [JSONObject.Member] = []
    skipWhitespace()
    if current == UInt8(ascii: "}") { position += 1; return .object(JSONObject()) }
    while true {
      skipWhitespace()
      guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
      let key = try parseString()
      skipWhitespace()
      guard current == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
      position += 1
      skipWhitespace()
      members.append((key, try parseValue(depth: depth)))
      skipWhitespace()
      switch current {
      case UInt8(ascii: ","): position += 1
      case UInt8(ascii: "}"): position += 1; return .object(Self.object(members))
      case nil: throw error("unexpected end of input inside an object")
      default: throw error("expected ',' or '}' in an object")
      }
    }
  }

  /// An object from parsed members; a repeated key keeps its first position
  /// and its last value, as most parsers do.
  private static func object(_ members: [JSONObject.Member]) -> JSONObject {
    let hasDuplicates: Bool
    if members.count <= 12 {  // small: pairwise beats hashing
      hasDuplicates = members.indices.contains { i in (0..<i).contains { members[$0].key == members[i].key } }
    } else {
      var seen = Set<String>(minimumCapacity: members.count)
      hasDuplicates = members.contains { !seen.insert($0.key).inserted }
    }
    guard hasDuplicates else { return JSONObject(parsedMembers: members) }
    var object = JSONObject()
    for (key, value) in members { object[key] = value }
    return object
  }

  private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
    guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
    position += 1
    var items: [JSONValue] = []
    skipWhitespace()
    if current == UInt8(ascii: "]") { position += 1; return .array(items) }
    while true {
      skipWhitespace()
      items.append(try parseValue(depth: depth))
      skipWhitespace()
      switch current {
      case UInt8(ascii: ","): position += 1
      case UInt8(ascii: "]"): position += 1; return .array(items)
      case nil: throw error("unexpected end of input inside an array")
      default: throw error("expected ',' or ']' in an array")
      }
    }
  }

  private mutating func parseNumber() throws(JSONParseError) -> String {
    let start = position
    if current == UInt8(ascii: "-") { position += 1 }
    guard let first = current, isDigit(first) else { throw error("invalid number") }
    position += 1
    if first != UInt8(ascii: "0") { skipDigits() }
    if current == UInt8(ascii: ".") {
      position += 1
      guard let digit = current, isDigit(digit) else { throw error("invalid number: digits expected after '.'") }
      skipDigits()
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      position += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
      guard let digit = current, isDigit(digit) else { throw error("invalid number: exponent digits expected") }
      skipDigits()
    }
    return unsafe String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<position]), as: UTF8.self)
  }

  private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

  private mutating func skipDigits() {
    while let byte = current, isDigit(byte) { position += 1 }
  }

  private mutating func parseString() throws(JSONParseError) -> String {
    position += 1  // opening quote
    let start = position
    // Fast path: no escapes, so the bytes are the string; plain ASCII needs
    // no UTF-8 validation.
    var isASCII = true
    while unsafe position < buffer.count {
      let byte = unsafe buffer[position]
      if byte == UInt8(ascii: "\"") {
        let slice = unsafe UnsafeBufferPointer(rebasing: buffer[start..<position])
        position += 1
        if isASCII { return unsafe String(decoding: slice, as: UTF8.self) }
        guard let string = unsafe String(validating: slice, as: UTF8.self) else {
          throw JSONParseError(message: "invalid UTF-8 in a string", offset: start)
        }
        return string
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { throw error("unescaped control character in a string") }
      if byte >= 0x80 { isASCII = false }
      position += 1
    }
    // Slow path: decode escapes into a byte buffer.
    var bytes = unsafe Array(UnsafeBufferPointer(rebasing: buffer[start..<position]))
    while true {
      guard unsafe position < buffer.count else { throw error("unterminated string") }
      let byte = unsafe buffer[position]
      switch byte {
      case UInt8(ascii: "\""):
        position += 1
        guard let string = String(validating: bytes, as: UTF8.self) else {
          throw JSONParseError(message: "invalid UTF-8 in a string", offset: start)
        }
        return string
      case UInt8(ascii: "\\"):
        position += 1
        guard let escaped = current else { throw error("unterminated string") }
        position += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escaped)
        case UInt8(ascii: "b"): bytes.append(0x08)
        case UInt8(ascii: "f"): bytes.append(0x0C)
        case UInt8(ascii: "n"): bytes.append(0x0A)
        case UInt8(ascii: "r"): bytes.append(0x0D)
        case UInt8(ascii: "t"): bytes.append(0x09)
        case UInt8(ascii: "u"): bytes.append(contentsOf: try parseUnicodeEscape())
        default: throw error("invalid escape sequence")
        }
      default:
        if byte < 0x20 { throw error("unescaped control character in a string") }
        bytes.append(byte)
        position += 1
      }
    }
  }

  /// Decodes `XXXX` (after `\u`), joining a surrogate pair; a lone surrogate
  /// becomes U+FFFD as most decoders do.
  private mutating func parseUnicodeEscape() throws(JSONParseError) -> [UInt8] {
    var scalarValue = try parseHex4()
    if (0xD800...0xDBFF).contains(scalarValue) {
      if unsafe position + 6 <= buffer.count, unsafe buffer[position] == UInt8(ascii: "\\"), unsafe buffer[position + 1] == UInt8(ascii: "u") {
        let saved = position
        position += 2
        let low = try parseHex4()
        if (0xDC00...0xDFFF).contains(low) {
          scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
        } else {
          position = saved
          scalarValue = 0xFFFD
        }
      } else {
        scalarValue = 0xFFFD
      }
    } else if (0xDC00...0xDFFF).contains(scalarValue) {
      scalarValue = 0xFFFD
    }
    return Array(String(Unicode.Scalar(scalarValue) ?? "\u{FFFD}").utf8)
  }

  private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
    guard unsafe position + 4 <= buffer.count else { throw error("truncated \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = unsafe buffer[position]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw error("invalid hex digit in \\u escape")
      }
      value = value << 4 | UInt32(digit)
      position += 1
    }
    return value
  }
}

/// Why a JSON document was refused, and where (a byte offset into it).
struct JSONParseError: Error, Sendable, CustomStringConvertible {
  let message: String
  let offset: Int
  var description: String { "\(message) at byte \(offset)" }
}

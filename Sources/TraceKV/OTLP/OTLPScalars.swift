import Foundation

/// Readers for the scalar encodings of OTLP/JSON (the proto3 JSON mapping with
/// OTLP's deviations). Each names the field path it reads in its error, so a
/// user can find the bad value (`resourceSpans[0].scopeSpans[0].spans[3].spanId`).
enum OTLPScalars {
  static func fail(_ path: String, _ message: String) -> TraceKVError { .invalid("\(path): \(message)") }

  /// An object-valued field; absent or `null` reads as empty (proto3 default).
  static func object(_ value: JSONValue?, _ path: String) throws(TraceKVError) -> JSONObject {
    switch value {
    case nil, .null?: return JSONObject()
    case .object(let object)?: return object
    default: throw fail(path, "must be an object")
    }
  }

  /// A repeated field; absent or `null` reads as empty.
  static func array(_ value: JSONValue?, _ path: String) throws(TraceKVError) -> [JSONValue] {
    switch value {
    case nil, .null?: return []
    case .array(let items)?: return items
    default: throw fail(path, "must be an array")
    }
  }

  /// The messages of a repeated field, each with its path (`path[i]`).
  static func objects(_ value: JSONValue?, _ path: String) throws(TraceKVError) -> [(path: String, object: JSONObject)] {
    var objects: [(path: String, object: JSONObject)] = []
    for (index, item) in try array(value, path).enumerated() {
      let itemPath = "\(path)[\(index)]"
      objects.append((itemPath, try object(item, itemPath)))
    }
    return objects
  }

  /// The attributes of a resource envelope (`resource.attributes`).
  static func resourceAttributes(_ envelope: JSONObject, _ path: String) throws(TraceKVError) -> JSONObject {
    try OTLPAnyValue.keyValues(
      try object(envelope["resource"], "\(path).resource")["attributes"], "\(path).resource.attributes")
  }

  /// A string field; absent or `null` reads as "".
  static func string(_ value: JSONValue?, _ path: String) throws(TraceKVError) -> String {
    switch value {
    case nil, .null?: return ""
    case .string(let text)?: return text
    default: throw fail(path, "must be a string")
    }
  }

  /// A 64-bit integer: proto3 JSON sends it as a decimal string, and accepts a number too.
  static func int64(_ value: JSONValue?, _ path: String) throws(TraceKVError) -> Int64 {
    switch value {
    case nil, .null?: return 0
    case .string(let text)?:
      guard let number = Int64(text) else { throw fail(path, "must be a 64-bit integer, got \"\(text)\"") }
      return number
    case .number(let literal)?:
      if let number = Int64(literal) { return number }
      // `1e3` or `5.0`: integral values written as JSON numbers are accepted.
      guard let double = Double(literal), double.rounded() == double, abs(double) < 9.2e18 else {
        throw fail(path, "must be a 64-bit integer, got \(literal)")
      }
      return Int64(double)
    default: throw fail(path, "must be a 64-bit integer (a decimal string or a number)")
    }
  }

  /// A `fixed64` nanosecond time since the epoch; 0 (the proto3 default) means unset.
  static func time(_ value: JSONValue?, _ path: String) throws(TraceKVError) -> Timestamp? {
    let nanoseconds: UInt64
    switch value {
    case nil, .null?: return nil
    case .string(let text)?:
      guard let number = UInt64(text) else {
        throw fail(path, "must be nanoseconds since 1970 as a decimal string, got \"\(text)\"")
      }
      nanoseconds = number
    case .number(let literal)?:
      if let number = UInt64(literal) {
        nanoseconds = number
      } else if let double = Double(literal), double >= 0, double < 1.8e19, double.rounded() == double {
        nanoseconds = UInt64(double)
      } else {
        throw fail(path, "must be nanoseconds since 1970, got \(literal)")
      }
    default: throw fail(path, "must be nanoseconds since 1970 (a decimal string or a number)")
    }
    guard nanoseconds != 0 else { return nil }
    return Timestamp(microseconds: Int64(nanoseconds / 1000))
  }

  /// An enum: OTLP/JSON sends the integer; the protobuf name is accepted too,
  /// because some exporters write it. An unknown integer is kept as the default
  /// (proto3 keeps unknown enum values; TraceKV has nothing to map them to).
  static func enumeration<E: RawRepresentable & CaseIterable>(
    _ value: JSONValue?, _ path: String, name: (E) -> String
  ) throws(TraceKVError) -> E? where E.RawValue == Int {
    switch value {
    case nil, .null?: return nil
    case .number(let literal)?:
      guard let number = Int(literal) else {
        throw fail(path, "must be an integer enum value, got \(literal)")
      }
      return E(rawValue: number)
    case .string(let text)?:
      if let known = E.allCases.first(where: { name($0) == text }) { return known }
      if let number = Int(text) { return E(rawValue: number) }
      throw fail(path, "unknown enum value \"\(text)\"")
    default: throw fail(path, "must be an integer enum value")
    }
  }

  /// A trace or span id: case-insensitive hex of exactly `bytes` bytes (OTLP/JSON
  /// does not base64 ids). Returns lower-case hex, or nil for an empty or
  /// all-zero id (`allowMissing`: a parent id, where that means "root").
  static func hexID(_ value: JSONValue?, bytes: Int, _ path: String, allowMissing: Bool) throws(TraceKVError)
    -> String?
  {
    let text = try string(value, path)
    if text.isEmpty {
      if allowMissing { return nil }
      throw fail(path, "is missing")
    }
    if text.utf8.count != bytes * 2, let decoded = base64ID(text, bytes: bytes) {
      // The protobuf-JSON mapping writes bytes as base64, which OTLP/JSON
      // forbids for ids; a base64 text of the right length cannot be hex
      // (22 or 24 characters for a trace id, 11 or 12 for a span id).
      if decoded.allSatisfy({ $0 == 0 }) {
        if allowMissing { return nil }
        throw fail(path, "is all zeros, which OpenTelemetry defines as invalid")
      }
      return decoded.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
    guard text.utf8.count == bytes * 2 else {
      throw fail(
        path, "must be \(bytes * 2) hex characters (\(bytes) bytes), got \(text.utf8.count) characters")
    }
    guard text.utf8.allSatisfy(isHexDigit) else { throw fail(path, "must be hex, got \"\(text)\"") }
    if text.utf8.allSatisfy({ $0 == UInt8(ascii: "0") }) {
      if allowMissing { return nil }
      throw fail(path, "is all zeros, which OpenTelemetry defines as invalid")
    }
    return text.lowercased()
  }

  /// The bytes of an id written in base64, when it decodes to exactly `bytes` bytes.
  static func base64ID(_ text: String, bytes: Int) -> [UInt8]? {
    guard text.utf8.count != bytes * 2, text.utf8.count <= (bytes + 2) / 3 * 4 else { return nil }
    var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
    if standard.utf8.count % 4 != 0 { standard += String(repeating: "=", count: 4 - standard.utf8.count % 4) }
    guard let data = Data(base64Encoded: standard), data.count == bytes else { return nil }
    return Array(data)
  }

  private static func isHexDigit(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
      UInt8(ascii: "A")...UInt8(ascii: "F"):
      true
    default: false
    }
  }

  /// `bytes` in proto3 JSON: standard or URL-safe base64, padding optional.
  /// Returns the standard padded form, which is what TraceKV stores.
  static func base64(_ value: JSONValue?, _ path: String) throws(TraceKVError) -> String {
    let text = try string(value, path)
    var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
    if standard.utf8.count % 4 != 0 { standard += String(repeating: "=", count: 4 - standard.utf8.count % 4) }
    guard let data = Data(base64Encoded: standard) else { throw fail(path, "must be base64") }
    return data.base64EncodedString()
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}

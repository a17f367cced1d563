import Foundation

/// Decodes OTLP protobuf bodies (`ExportTraceServiceRequest`,
/// `ExportLogsServiceRequest`, and the collector's `TracesData`/`LogsData`,
/// which share their field numbers) into the OTLP/JSON value the JSON path
/// reads, so both encodings go through one decoder (`OTLPDecoder`,
/// `OTLPLogDecoder`) and ingest identically: ids become hex, 64-bit integers
/// and times decimal strings, enums integers, `bytes` base64.
///
/// Only the fields TraceKV uses are read; others are skipped, as proto3
/// requires. Field numbers are those of opentelemetry-proto
/// (`opentelemetry/proto/{collector/trace,trace,logs,common,resource}/v1/*.proto`).
enum OTLPProtobuf {
  /// Deepest nesting of messages accepted (`AnyValue` arrays and lists nest).
  static let maximumDepth = 64

  static func traces(_ bytes: [UInt8]) throws(TraceKVError) -> JSONValue {
    try request(bytes, .traceRequest, list: "resourceSpans")
  }

  static func logs(_ bytes: [UInt8]) throws(TraceKVError) -> JSONValue {
    try request(bytes, .logsRequest, list: "resourceLogs")
  }

  /// A request; with no resources it is the empty request (proto3 writes no empty list).
  private static func request(_ bytes: [UInt8], _ message: Message, list: String) throws(TraceKVError)
    -> JSONValue
  {
    var reader = ProtobufReader(bytes)
    guard case .object(var object) = try decode(&reader, message, path: "", depth: 0) else { return .null }
    if object[list] == nil { object[list] = .array([]) }
    return .object(object)
  }

  /// Which signal a protobuf body holds, from its first record: a span's
  /// field 1 is its 16-byte trace id (length-delimited), a log record's is
  /// its time (fixed64). nil when the body holds neither (or nothing).
  static func signal(of bytes: [UInt8]) -> TraceStore.OTLPSignal? {
    var reader = ProtobufReader(bytes)
    // resource_* (1) → scope_* (2) → spans / log_records (2) → field 1.
    for step in [1, 2, 2] {
      guard let inner = try? firstMessage(&reader, field: step) else { return nil }
      reader = inner
    }
    while let field = try? reader.nextField("") {
      if field.number == 1 {
        return field.wire == .lengthDelimited ? .traces : field.wire == .fixed64 ? .logs : nil
      }
      guard (try? reader.skip(field.wire, "")) != nil else { return nil }
    }
    return nil
  }

  private static func firstMessage(_ reader: inout ProtobufReader, field number: Int) throws(TraceKVError)
    -> ProtobufReader?
  {
    while let field = try reader.nextField("") {
      if field.number == number && field.wire == .lengthDelimited { return try reader.message("") }
      try reader.skip(field.wire, "")
    }
    return nil
  }

  private enum Kind {
    case message(Message)
    case string
    /// Trace and span ids: hex, as OTLP/JSON writes them.
    case id
    case base64
    /// fixed64 nanoseconds, written as a decimal string.
    case time
    case fixed32
    case uint32
    case enumeration
    case int64
    case double
    case bool
  }

  private struct Field {
    let name: String
    let kind: Kind
    let repeated: Bool

    init(_ name: String, _ kind: Kind, repeated: Bool = false) {
      self.name = name
      self.kind = kind
      self.repeated = repeated
    }
  }

  private enum Message {
    case traceRequest, resourceSpans, instrumentationLibrarySpans, scopeSpans, span, event, link, status
    case logsRequest, resourceLogs, scopeLogs, logRecord
    case resource, scope, keyValue, anyValue, arrayValue, keyValueList

    var fields: [Int: Field] {
      switch self {
      case .traceRequest: [1: Field("resourceSpans", .message(.resourceSpans), repeated: true)]
      case .resourceSpans:
        [
          1: Field("resource", .message(.resource)),
          2: Field("scopeSpans", .message(.scopeSpans), repeated: true), 3: Field("schemaUrl", .string),
          1000: Field("instrumentationLibrarySpans", .message(.instrumentationLibrarySpans), repeated: true),
        ]
      case .instrumentationLibrarySpans:
        [
          1: Field("instrumentationLibrary", .message(.scope)),
          2: Field("spans", .message(.span), repeated: true),
        ]
      case .scopeSpans:
        [
          1: Field("scope", .message(.scope)), 2: Field("spans", .message(.span), repeated: true),
          3: Field("schemaUrl", .string),
        ]
      case .span:
        [
          1: Field("traceId", .id), 2: Field("spanId", .id), 3: Field("traceState", .string),
          4: Field("parentSpanId", .id), 5: Field("name", .string), 6: Field("kind", .enumeration),
          7: Field("startTimeUnixNano", .time), 8: Field("endTimeUnixNano", .time),
          9: Field("attributes", .message(.keyValue), repeated: true),
          10: Field("droppedAttributesCount", .uint32), 11: Field("events", .message(.event), repeated: true),
          12: Field("droppedEventsCount", .uint32), 13: Field("links", .message(.link), repeated: true),
          14: Field("droppedLinksCount", .uint32), 15: Field("status", .message(.status)),
          16: Field("flags", .fixed32),
        ]
      case .event:
        [
          1: Field("timeUnixNano", .time), 2: Field("name", .string),
          3: Field("attributes", .message(.keyValue), repeated: true),
          4: Field("droppedAttributesCount", .uint32),
        ]
      case .link:
        [
          1: Field("traceId", .id), 2: Field("spanId", .id), 3: Field("traceState", .string),
          4: Field("attributes", .message(.keyValue), repeated: true),
          5: Field("droppedAttributesCount", .uint32),
          6: Field("flags", .fixed32),
        ]
      case .status: [2: Field("message", .string), 3: Field("code", .enumeration)]
      case .logsRequest: [1: Field("resourceLogs", .message(.resourceLogs), repeated: true)]
      case .resourceLogs:
        [
          1: Field("resource", .message(.resource)),
          2: Field("scopeLogs", .message(.scopeLogs), repeated: true), 3: Field("schemaUrl", .string),
        ]
      case .scopeLogs:
        [
          1: Field("scope", .message(.scope)), 2: Field("logRecords", .message(.logRecord), repeated: true),
          3: Field("schemaUrl", .string),
        ]
      case .logRecord:
        [
          1: Field("timeUnixNano", .time), 11: Field("observedTimeUnixNano", .time),
          2: Field("severityNumber", .enumeration), 3: Field("severityText", .string),
          5: Field("body", .message(.anyValue)), 6: Field("attributes", .message(.keyValue), repeated: true),
          7: Field("droppedAttributesCount", .uint32), 8: Field("flags", .fixed32), 9: Field("traceId", .id),
          10: Field("spanId", .id), 12: Field("eventName", .string),
        ]
      case .resource:
        [
          1: Field("attributes", .message(.keyValue), repeated: true),
          2: Field("droppedAttributesCount", .uint32),
        ]
      case .scope:
        [
          1: Field("name", .string), 2: Field("version", .string),
          3: Field("attributes", .message(.keyValue), repeated: true),
          4: Field("droppedAttributesCount", .uint32),
        ]
      case .keyValue: [1: Field("key", .string), 2: Field("value", .message(.anyValue))]
      case .anyValue:
        [
          1: Field("stringValue", .string), 2: Field("boolValue", .bool), 3: Field("intValue", .int64),
          4: Field("doubleValue", .double), 5: Field("arrayValue", .message(.arrayValue)),
          6: Field("kvlistValue", .message(.keyValueList)), 7: Field("bytesValue", .base64),
        ]
      case .arrayValue: [1: Field("values", .message(.anyValue), repeated: true)]
      case .keyValueList: [1: Field("values", .message(.keyValue), repeated: true)]
      }
    }
  }

  private static func decode(_ reader: inout ProtobufReader, _ message: Message, path: String, depth: Int)
    throws(TraceKVError) -> JSONValue
  {
    guard depth < maximumDepth else {
      throw ProtobufReader.fail(path, "messages nested deeper than \(maximumDepth)")
    }
    let fields = message.fields
    var object = JSONObject()
    var lists: [String: [JSONValue]] = [:]
    var order: [String] = []
    while let (number, wire) = try reader.nextField(path) {
      guard let field = fields[number] else {
        try reader.skip(wire, path)
        continue
      }
      let index = lists[field.name]?.count ?? 0
      let fieldPath =
        (path.isEmpty ? "" : path + ".") + field.name + (field.repeated ? "[\(index)]" : "")
      let value = try read(&reader, field.kind, wire: wire, path: fieldPath, depth: depth)
      if field.repeated {
        if lists[field.name] == nil { order.append(field.name) }
        lists[field.name, default: []].append(value)
      } else {
        object[field.name] = value  // proto3: the last value of a repeated scalar wins
      }
    }
    for name in order { object[name] = .array(lists[name]!) }
    return .object(object)
  }

  private static func read(
    _ reader: inout ProtobufReader, _ kind: Kind, wire: ProtobufReader.WireType, path: String, depth: Int
  ) throws(TraceKVError) -> JSONValue {
    func expect(_ expected: ProtobufReader.WireType) throws(TraceKVError) {
      guard wire == expected else {
        throw ProtobufReader.fail(path, "wire type \(wire.rawValue) where \(expected.rawValue) belongs")
      }
    }
    switch kind {
    case .message(let message):
      try expect(.lengthDelimited)
      var inner = try reader.message(path)
      return try decode(&inner, message, path: path, depth: depth + 1)
    case .string:
      try expect(.lengthDelimited)
      let bytes = try reader.lengthDelimited(path)
      guard let text = String(validating: bytes, as: UTF8.self) else {
        throw ProtobufReader.fail(path, "a string that is not UTF-8")
      }
      return .string(text)
    case .id:
      try expect(.lengthDelimited)
      return .string(
        try reader.lengthDelimited(path).map { byte in
          let hex = String(byte, radix: 16)
          return byte < 16 ? "0" + hex : hex
        }.joined())
    case .base64:
      try expect(.lengthDelimited)
      return .string(Data(try reader.lengthDelimited(path)).base64EncodedString())
    case .time:
      try expect(.fixed64)
      return .string(String(try reader.fixed64(path)))
    case .fixed32:
      try expect(.fixed32)
      return .int(Int(try reader.fixed32(path)))
    case .uint32, .enumeration:
      try expect(.varint)
      // int32 enums are sign-extended to 64 bits on the wire.
      return .number(String(Int32(truncatingIfNeeded: try reader.varint(path))))
    case .int64:
      try expect(.varint)
      return .string(String(Int64(bitPattern: try reader.varint(path))))
    case .double:
      try expect(.fixed64)
      let double = Double(bitPattern: try reader.fixed64(path))
      if double.isNaN { return .string("NaN") }
      if double.isInfinite { return .string(double > 0 ? "Infinity" : "-Infinity") }
      return .double(double)
    case .bool:
      try expect(.varint)
      return .bool(try reader.varint(path) != 0)
    }
  }
}

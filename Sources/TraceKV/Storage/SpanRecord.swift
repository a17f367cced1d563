/// The stored form of a span.
///
/// The string attributes that reconstruction and search read are kept as
/// fields of their own ("lifted"), so those paths never parse JSON; the rest
/// of the attributes is one compact JSON text, parsed only when the whole span
/// is asked for.
enum SpanRecord {
  /// Lifted attribute keys. Key `i` owns bits 2i (stored as a string) and
  /// 2i+1 (another JSON value, stored as its compact text) of the record's
  /// mask. Append only: the order is part of the format.
  static let liftedKeys = [
    SpanKey.type, SpanKey.newContent, SpanKey.completion, SpanKey.thought, SpanKey.toolCode,
    SpanKey.finalAnswer, SpanKey.toolName, SpanKey.toolInput, SpanKey.toolOutput, SpanKey.statusCode,
    SpanKey.statusDescription, SpanKey.model, SpanKey.contextFrom, SpanKey.fullPrompt,
    SpanKey.toolCaller, SpanKey.reply,
  ]
  private static let liftedIndex = Dictionary(uniqueKeysWithValues: liftedKeys.enumerated().map { ($1, $0) })

  static func encode(_ span: Span) -> [UInt8] {
    var writer = ByteWriter(capacity: 512)
    writer.string(span.spanID)
    writer.optionalString(span.parentID)
    writer.string(span.name)
    writer.optionalString(span.startTime?.text)
    writer.optionalString(span.endTime?.text)
    var mask: UInt64 = 0
    var lifted = [String?](repeating: nil, count: liftedKeys.count)
    var rest = JSONObject()
    for (key, value) in span.attributes {
      guard let index = liftedIndex[key], !value.isNull else {
        rest[key] = value
        continue
      }
      if case .string(let text) = value {
        mask |= 1 << UInt64(2 * index)
        lifted[index] = text
      } else {
        mask |= 1 << UInt64(2 * index + 1)
        lifted[index] = JSONWriter.compact(value)
      }
    }
    writer.varint(mask)
    for case let text? in lifted { writer.string(text) }
    if rest.isEmpty { writer.string("") } else { writer.json(.object(rest)) }
    return writer.bytes
  }

  static func decode(_ bytes: RawSpan) throws(TraceKVError) -> Span {
    var reader = ByteReader(bytes, what: "span")
    let head = try readHead(&reader)
    var attributes = JSONObject()
    for (index, text) in head.lifted.enumerated() {
      guard let text else { continue }
      if head.mask & (1 << UInt64(2 * index)) != 0 {
        attributes[liftedKeys[index]] = .string(text)
      } else {
        guard let value = try? JSONParser.parse(text) else {
          throw TraceKVError(.corrupted, "a damaged span record (attribute \(liftedKeys[index]) of span \(head.spanID))")
        }
        attributes[liftedKeys[index]] = value
      }
    }
    let restText = try reader.string()
    if !restText.isEmpty {
      guard case .object(let rest)? = try? JSONParser.parse(restText) else {
        throw TraceKVError(.corrupted, "a damaged span record (attributes of span \(head.spanID))")
      }
      attributes.merge(rest)
    }
    return Span(
      spanID: head.spanID, parentID: head.parentID, name: head.name, startTime: head.startTime,
      endTime: head.endTime, attributes: attributes)
  }

  /// The span's ids and its lifted attributes, decoded lazily: the record
  /// is copied once and fields become strings only when asked for.
  static func decodeView(_ bytes: RawSpan) throws(TraceKVError) -> SpanView {
    try SpanView(record: bytes.copiedBytes)
  }

  private static func readHead(_ reader: inout ByteReader) throws(TraceKVError) -> SpanHead {
    let spanID = try reader.string()
    let parentID = try reader.optionalString()
    let name = try reader.string()
    let start = try reader.optionalString()
    let end = try reader.optionalString()
    let mask = try reader.varint()
    var lifted = [String?](repeating: nil, count: liftedKeys.count)
    for index in liftedKeys.indices where mask & (0b11 << UInt64(2 * index)) != 0 {
      lifted[index] = try reader.string()
    }
    return SpanHead(
      spanID: spanID, parentID: parentID, name: name, startTime: start.flatMap(Timestamp.init(iso8601:)),
      endTime: end.flatMap(Timestamp.init(iso8601:)), mask: mask, lifted: lifted)
  }
}

/// The leading fields of a span record, decoded.
private struct SpanHead {
  let spanID: String
  let parentID: String?
  let name: String
  let startTime: Timestamp?
  let endTime: Timestamp?
  let mask: UInt64
  let lifted: [String?]
}

/// A span as reconstruction and indexing see it: its ids, start time and
/// the string attributes TraceKV gives meaning to, read from the record on
/// demand (reconstruction touches a few fields of many spans).
struct SpanView {
  let spanID: String
  let parentID: String?
  private let record: [UInt8]
  private let startRange: Range<Int>?
  private let mask: UInt64
  /// Where the lifted attributes begin in `record`.
  private let liftedStart: Int

  init(record: [UInt8]) throws(TraceKVError) {
    self.record = record
    var reader = ByteReader(RawSpan(_elements: record.span), what: "span")
    spanID = try reader.string()
    parentID = try reader.optionalString()
    try reader.skip(try reader.int())  // name
    startRange = try reader.byte() == 1 ? try reader.skip(try reader.int()) : nil
    if try reader.byte() == 1 { try reader.skip(try reader.int()) }  // end time
    mask = try reader.varint()
    liftedStart = reader.position
  }

  var startTime: Timestamp? {
    startRange.flatMap { Timestamp(iso8601: String(decoding: record[$0], as: UTF8.self)) }
  }

  /// The byte range of lifted attribute `index`, if present.
  private func liftedRange(_ index: Int) -> Range<Int>? {
    guard mask & (0b11 << UInt64(2 * index)) != 0 else { return nil }
    var reader = ByteReader(RawSpan(_elements: record.span), what: "span")
    guard (try? reader.skip(liftedStart)) != nil else { return nil }
    for earlier in 0..<index where mask & (0b11 << UInt64(2 * earlier)) != 0 {
      guard let count = try? reader.int(), (try? reader.skip(count)) != nil else { return nil }
    }
    guard let count = try? reader.int() else { return nil }
    return try? reader.skip(count)
  }

  /// Lifted attribute `index` as text (a non-string value as its compact JSON).
  private func lifted(_ index: Int) -> String? {
    liftedRange(index).map { String(decoding: record[$0], as: UTF8.self) }
  }

  /// Whether lifted attribute `index` is the string `value`, without making a String.
  private func lifted(_ index: Int, equals value: StaticString) -> Bool {
    guard mask & (1 << UInt64(2 * index)) != 0, let range = liftedRange(index) else { return false }
    return value.withUTF8Buffer { unsafe record[range].elementsEqual($0) }
  }

  var type: SpanType {
    if lifted(0, equals: "llm_inference") { return .llmInference }
    if lifted(0, equals: "tool_execution") { return .toolExecution }
    return SpanType(mask & 1 != 0 ? lifted(0) : nil)
  }
  var newContent: String? { lifted(1) }
  var completion: String? { lifted(2) }
  var thought: String? { lifted(3) }
  var toolCode: String? { lifted(4) }
  var finalAnswer: String? { lifted(5) }
  var toolName: String? { lifted(6) }
  var toolInput: String? { lifted(7) }
  var toolOutput: String? { lifted(8) }
  var isError: Bool { lifted(9, equals: "ERROR") }
  var errorDescription: String? { lifted(10) }
  // The TraceKV extensions read as `Span` reads them: a string id, a JSON `true`.
  var contextFrom: String? { mask & (1 << 24) != 0 ? lifted(12) : nil }
  var hasFullPrompt: Bool { mask & (1 << 27) != 0 && lifted(13) == "true" }
  var toolCaller: String? { mask & (1 << 28) != 0 ? lifted(14) : nil }
  var reply: String? { mask & (1 << 30) != 0 ? lifted(15) : nil }
}

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
    SpanKey.toolCaller,
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

  static func decode(_ bytes: UnsafeRawBufferPointer) throws(TraceKVError) -> Span {
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

  /// The span's ids, times and lifted attributes, without parsing the rest.
  static func decodeView(_ bytes: UnsafeRawBufferPointer) throws(TraceKVError) -> SpanView {
    var reader = ByteReader(bytes, what: "span")
    return try readHead(&reader)
  }

  private static func readHead(_ reader: inout ByteReader) throws(TraceKVError) -> SpanView {
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
    return SpanView(
      spanID: spanID, parentID: parentID, name: name, startTime: start.flatMap(Timestamp.init(iso8601:)),
      endTime: end.flatMap(Timestamp.init(iso8601:)), mask: mask, lifted: lifted)
  }
}

/// A span as reconstruction and indexing see it: ids, times, and the string
/// attributes TraceKV gives meaning to.
struct SpanView {
  let spanID: String
  let parentID: String?
  let name: String
  let startTime: Timestamp?
  let endTime: Timestamp?
  fileprivate let mask: UInt64
  /// Lifted attributes as text (a non-string value as its compact JSON),
  /// indexed like `SpanRecord.liftedKeys`.
  fileprivate let lifted: [String?]

  var type: SpanType { SpanType(mask & 1 != 0 ? lifted[0] : nil) }
  var newContent: String? { lifted[1] }
  var completion: String? { lifted[2] }
  var thought: String? { lifted[3] }
  var toolCode: String? { lifted[4] }
  var finalAnswer: String? { lifted[5] }
  var toolName: String? { lifted[6] }
  var toolInput: String? { lifted[7] }
  var toolOutput: String? { lifted[8] }
  var isError: Bool { mask & (1 << 18) != 0 && lifted[9] == "ERROR" }
  var errorDescription: String? { lifted[10] }
  // The TraceKV extensions read as `Span` reads them: a string id, a JSON `true`.
  var contextFrom: String? { mask & (1 << 24) != 0 ? lifted[12] : nil }
  var hasFullPrompt: Bool { mask & (1 << 27) != 0 && lifted[13] == "true" }
  var toolCaller: String? { mask & (1 << 28) != 0 ? lifted[14] : nil }
}

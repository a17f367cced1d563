/// The stored form of a trace without its spans (they live in `spans`,
/// keyed by document id and sequence number).
struct TraceRecord {
  /// The trace; `spans` is empty in a stored record.
  var trace: Trace
  var spanCount: Int
  /// The sequence number the next appended span gets.
  var nextSpanSequence: UInt32
  /// The instant the `by-time` index files the trace under (docs/trace-format.md §5).
  var eventTime: Int64

  private static let tag: UInt8 = 1

  func encode() -> [UInt8] {
    var writer = ByteWriter(capacity: 512)
    writer.byte(Self.tag)
    writer.byte(Self.statusCodes[trace.status]!)
    writer.byte(UInt8(trace.priority))
    writer.varint(spanCount)
    writer.varint(UInt64(nextSpanSequence))
    writer.signed(trace.createdAt.microseconds)
    writer.signed(eventTime)
    writer.string(trace.traceID)
    writer.optionalString(trace.systemPrompt)
    writer.optionalString(trace.episodeID)
    writer.optionalString(trace.governanceReason)
    writer.optionalJSON(trace.aiEvaluation.map { .object($0.object) })
    writer.optionalJSON(trace.feedback.map { .object(FeedbackFormat.encode($0)) })
    if trace.attributes.isEmpty { writer.string("") } else { writer.json(.object(trace.attributes)) }
    return writer.bytes
  }

  /// - Parameter withAttributes: false leaves `trace.attributes` empty,
  ///   their bytes neither read into a string nor parsed.
  static func decode(_ bytes: RawSpan, withAttributes: Bool = true) throws(TraceKVError) -> TraceRecord {
    var reader = ByteReader(bytes, what: "trace")
    let damaged = TraceKVError(.corrupted, "a damaged trace record")
    guard try reader.byte() == tag else { throw damaged }
    guard let status = statusByCode[try reader.byte()] else { throw damaged }
    let priority = Int(try reader.byte())
    let spanCount = try reader.int()
    let next = try reader.varint()
    guard next <= UInt64(UInt32.max) else { throw damaged }
    let createdAt = try reader.signed()
    let eventTime = try reader.signed()
    let traceID = try reader.string()
    let systemPrompt = try reader.optionalString()
    let episodeID = try reader.optionalString()
    let reason = try reader.optionalString()
    let evaluation = try reader.optionalString()
    let feedback = try reader.optionalString()
    // The last field: left unread when not wanted (search hits never show them).
    let attributes = withAttributes ? try reader.string() : ""

    func object(_ text: String) throws(TraceKVError) -> JSONObject {
      guard case .object(let object)? = try? JSONParser.parse(text) else { throw damaged }
      return object
    }
    var trace = Trace(
      traceID: traceID, attributes: attributes.isEmpty ? JSONObject() : try object(attributes),
      systemPrompt: systemPrompt, episodeID: episodeID, status: status, priority: priority,
      governanceReason: reason, createdAt: Timestamp(microseconds: createdAt))
    if let evaluation { trace.aiEvaluation = AIEvaluation(try object(evaluation)) }
    if let feedback {
      guard let decoded = FeedbackFormat.decode(try object(feedback)) else { throw damaged }
      trace.feedback = decoded
    }
    return TraceRecord(trace: trace, spanCount: spanCount, nextSpanSequence: UInt32(next), eventTime: eventTime)
  }

  private static let statusCodes: [TraceStatus: UInt8] = [.running: 0, .completed: 1, .needsReview: 2, .failed: 3]
  private static let statusByCode = Dictionary(uniqueKeysWithValues: statusCodes.map { ($1, $0) })
}

/// Human feedback as JSON: `{rating, comment, tags, metadata, created_at}`,
/// the shape it has in exports (`tracebrain.feedback`) and in storage.
enum FeedbackFormat {
  static func encode(_ feedback: Feedback) -> JSONObject {
    var object = JSONObject()
    object["rating"] = .int(feedback.rating)
    object["comment"] = feedback.comment.map(JSONValue.string) ?? .null
    object["tags"] = .array(feedback.tags.map(JSONValue.string))
    object["metadata"] = .object(feedback.metadata)
    object["created_at"] = .string(feedback.createdAt.text)
    return object
  }

  /// Nil when the object has no rating from 1 to 5.
  static func decode(_ object: JSONObject) -> Feedback? {
    guard let rating = object["rating"]?.intValue, (1...5).contains(rating) else { return nil }
    return Feedback(
      rating: rating, comment: object["comment"]?.stringValue,
      tags: object["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [],
      metadata: object["metadata"]?.objectValue ?? JSONObject(),
      createdAt: object["created_at"]?.stringValue.flatMap(Timestamp.init(iso8601:)) ?? .now)
  }
}

/// A trace as a producer sent it, before it meets what the store holds.
struct IncomingTrace {
  var trace: Trace
  /// The status the producer set, if it set a valid one.
  var statedStatus: TraceStatus?
  /// Whether the producer set a priority (merges keep the old one otherwise).
  var statedPriority: Bool
  var warnings: [String]
  /// OTLP ingest only: the whole prompt of each LLM span that recorded one, by
  /// span id, still to be delta-encoded against what the store holds
  /// (`DeltaEncoder`). nil for a TraceBrain trace, which arrives as deltas.
  var prompts: [String: [ChatMessage]]? = nil
  /// OTLP ingest only: the spans and log records the trace was assembled
  /// from, so log records waiting in the store can join it when it is written.
  var otlpSource: OTLPTraceSource? = nil
}

/// Reads and writes the TraceBrain trace format (docs/trace-format.md §1).
enum TraceBrainFormat {
  /// Reads one trace object. Throws `invalidInput` naming the offending field.
  static func decode(_ value: JSONValue, receivedAt: Timestamp = .now) throws(TraceKVError) -> IncomingTrace {
    guard case .object(let object) = value else { throw .invalid("a trace must be a JSON object") }
    let traceID = try identifier(object["trace_id"], field: "trace_id")
    func fail(_ message: String) -> TraceKVError { .invalid("trace \(traceID): \(message)") }
    var warnings: [String] = []

    var attributes = JSONObject()
    switch object["attributes"] {
    case .object(let given)?: attributes = given
    case nil, .null?: break
    default: throw fail("attributes must be an object")
    }
    guard !JSONValue.object(attributes).exceedsBytes(Limits.maximumAttributeBytes) else {
      throw fail("attributes larger than \(Limits.maximumAttributeBytes) bytes")
    }

    var spans: [Span] = []
    var seen = Set<String>()
    switch object["spans"] {
    case .array(let items)?:
      guard items.count <= Limits.maximumSpansPerTrace else {
        throw fail("more than \(Limits.maximumSpansPerTrace) spans")
      }
      for (position, item) in items.enumerated() {
        let span = try decodeSpan(item, position: position, traceID: traceID, warnings: &warnings)
        if seen.insert(span.spanID).inserted {
          spans.append(span)
        } else {
          warnings.append("trace \(traceID): span \(span.spanID) appears twice; the first is kept")
        }
      }
    case nil, .null?: break
    default: throw fail("spans must be an array")
    }

    var trace = Trace(traceID: traceID, spans: spans, createdAt: receivedAt)
    trace.systemPrompt = attributes[TraceKey.systemPrompt].flatMap { $0.isNull ? nil : $0.text }
    if let episode = attributes[TraceKey.episodeID], !episode.isNull {
      trace.episodeID = try identifier(episode, field: "attributes.\(TraceKey.episodeID)", traceID: traceID)
    }
    var statedStatus: TraceStatus?
    if let status = attributes[TraceKey.status], !status.isNull {
      statedStatus = status.stringValue.flatMap(TraceStatus.init(rawValue:))
      if statedStatus == nil { warnings.append("trace \(traceID): unknown status \(status.text) ignored") }
    }
    let statedPriority = attributes[TraceKey.priority].map { !$0.isNull } ?? false
    trace.priority = Priority.clamped(attributes[TraceKey.priority])
    switch attributes[TraceKey.aiEvaluation] {
    case .object(let evaluation)?: trace.aiEvaluation = AIEvaluation(evaluation)
    case nil, .null?: break
    default: throw fail("\(TraceKey.aiEvaluation) must be an object")
    }
    switch attributes[TraceKey.feedback] {
    case .object(let feedback)?:
      guard let decoded = FeedbackFormat.decode(feedback) else { throw fail("feedback needs a rating from 1 to 5") }
      trace.feedback = decoded
    case nil, .null?: break
    default: throw fail("\(TraceKey.feedback) must be an object")
    }
    trace.governanceReason = attributes[TraceKey.governanceReason]?.stringValue
    for key in TraceKey.lifted { attributes[key] = nil }
    trace.attributes = attributes
    return IncomingTrace(trace: trace, statedStatus: statedStatus, statedPriority: statedPriority, warnings: warnings)
  }

  private static func decodeSpan(_ value: JSONValue, position: Int, traceID: String, warnings: inout [String])
    throws(TraceKVError) -> Span
  {
    guard case .object(let object) = value else { throw .invalid("trace \(traceID): spans[\(position)] must be an object") }
    let field = "spans[\(position)]"
    let spanID = try identifier(object["span_id"], field: "\(field).span_id", traceID: traceID)
    var parentID: String?
    switch object["parent_id"] {
    case nil, .null?: break
    case .string(let parent)? where parent.isEmpty: break
    case let parent?: parentID = try identifier(parent, field: "\(field).parent_id", traceID: traceID)
    }
    let name: String
    switch object["name"] {
    case nil, .null?: name = ""
    case .string(let given)?: name = given
    default: throw .invalid("trace \(traceID): \(field).name must be a string")
    }
    var attributes = JSONObject()
    switch object["attributes"] {
    case .object(let given)?: attributes = given
    case nil, .null?: break
    default: throw .invalid("trace \(traceID): \(field).attributes must be an object")
    }
    guard !JSONValue.object(attributes).exceedsBytes(Limits.maximumAttributeBytes) else {
      throw .invalid("trace \(traceID): \(field).attributes larger than \(Limits.maximumAttributeBytes) bytes")
    }
    func time(_ key: String) -> Timestamp? {
      guard let value = object[key], !value.isNull else { return nil }
      if let text = value.stringValue, let time = Timestamp(iso8601: text) { return time }
      warnings.append("trace \(traceID): span \(spanID) has an unreadable \(key) \(value.text); stored as no time")
      return nil
    }
    return Span(
      spanID: spanID, parentID: parentID, name: name, startTime: time("start_time"), endTime: time("end_time"),
      attributes: attributes)
  }

  /// A non-empty string id of sane length without NUL.
  private static func identifier(_ value: JSONValue?, field: String, traceID: String? = nil) throws(TraceKVError)
    -> String
  {
    let place = traceID.map { "trace \($0): " } ?? ""
    guard let value, !value.isNull else { throw .invalid("\(place)\(field) is missing") }
    guard case .string(let id) = value else { throw .invalid("\(place)\(field) must be a string") }
    try validateID(id, what: "\(place)\(field)")
    return id
  }

  static func validateID(_ id: String, what: String) throws(TraceKVError) {
    guard !id.isEmpty else { throw .invalid("\(what) is empty") }
    guard !id.allSatisfy(\.isWhitespace) else { throw .invalid("\(what) is blank (only whitespace)") }
    guard id.utf8.count <= Limits.maximumIDBytes else {
      throw .invalid("\(what) is longer than \(Limits.maximumIDBytes) bytes")
    }
    guard !id.utf8.contains(0) else { throw .invalid("\(what) contains a NUL character") }
  }

  /// The trace in TraceBrain shape, with its governance state written into
  /// the trace attributes (status, priority, evaluation, feedback, reason), so
  /// that ingesting an export gives the same trace back.
  static func encode(_ trace: Trace) -> JSONObject {
    var attributes = JSONObject()
    if let prompt = trace.systemPrompt { attributes[TraceKey.systemPrompt] = .string(prompt) }
    if let episode = trace.episodeID { attributes[TraceKey.episodeID] = .string(episode) }
    attributes.merge(trace.attributes)
    attributes[TraceKey.status] = .string(trace.status.rawValue)
    attributes[TraceKey.priority] = .int(trace.priority)
    if let evaluation = trace.aiEvaluation { attributes[TraceKey.aiEvaluation] = .object(evaluation.object) }
    if let feedback = trace.feedback { attributes[TraceKey.feedback] = .object(FeedbackFormat.encode(feedback)) }
    if let reason = trace.governanceReason { attributes[TraceKey.governanceReason] = .string(reason) }
    var object = JSONObject()
    object["trace_id"] = .string(trace.traceID)
    object["attributes"] = .object(attributes)
    object["spans"] = .array(trace.spans.map { .object(encode($0)) })
    return object
  }

  static func encode(_ span: Span) -> JSONObject {
    var object = JSONObject()
    object["span_id"] = .string(span.spanID)
    object["parent_id"] = span.parentID.map(JSONValue.string) ?? .null
    object["name"] = .string(span.name)
    object["start_time"] = span.startTime.map { .string($0.text) } ?? .null
    object["end_time"] = span.endTime.map { .string($0.text) } ?? .null
    object["attributes"] = .object(span.attributes)
    return object
  }
}

extension Trace {
  /// The trace in TraceBrain shape (what `export` writes, and what ingest reads back).
  public var traceBrainJSON: JSONObject { TraceBrainFormat.encode(self) }
}

extension Span {
  /// The span in TraceBrain shape.
  public var traceBrainJSON: JSONObject { TraceBrainFormat.encode(self) }
}

extension Feedback {
  /// `{rating, comment, tags, metadata, created_at}`.
  public var json: JSONObject { FeedbackFormat.encode(self) }
}

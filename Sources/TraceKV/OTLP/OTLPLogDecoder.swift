/// Strict decoding of one OTLP `ExportLogsServiceRequest` in its JSON form
/// (`resourceLogs` → `scopeLogs` → `logRecords`); the protobuf form is first
/// turned into that JSON by `OTLPProtobuf`. A broken record refuses that
/// record only, naming the field path.
enum OTLPLogDecoder {
  /// Whether a JSON document looks like an OTLP logs request.
  static func isRequest(_ value: JSONValue) -> Bool {
    value.objectValue?["resourceLogs"] != nil
  }

  static func decode(_ request: JSONValue) throws(TraceKVError) -> OTLPDecoder.Decoded {
    guard case .object(let root) = request, root["resourceLogs"] != nil else {
      throw .invalid("resourceLogs: is missing; this is not an OTLP ExportLogsServiceRequest")
    }
    var decoded = OTLPDecoder.Decoded()
    for (resourcePath, envelope) in try OTLPScalars.objects(root["resourceLogs"], "resourceLogs") {
      let resource = try OTLPScalars.resourceAttributes(envelope, resourcePath)
      for (scopePath, scopeEnvelope) in try OTLPScalars.objects(envelope["scopeLogs"], "\(resourcePath).scopeLogs") {
        let scopeName = try OTLPScalars.string(
          try OTLPScalars.object(scopeEnvelope["scope"], "\(scopePath).scope")["name"],
          "\(scopePath).scope.name")
        for (index, record) in try OTLPScalars.array(scopeEnvelope["logRecords"], "\(scopePath).logRecords")
          .enumerated()
        {
          let path = "\(scopePath).logRecords[\(index)]"
          do throws(TraceKVError) {
            if let log = try decodeRecord(record, path, resource: resource, scope: scopeName) {
              decoded.logs.append(log)
            } else {
              decoded.note(
                "log records without a trace and span id were skipped: nothing joins them to a span")
            }
          } catch {
            decoded.problems.append(error)
          }
        }
      }
    }
    return decoded
  }

  private static func decodeRecord(_ value: JSONValue, _ path: String, resource: JSONObject, scope: String)
    throws(TraceKVError) -> OTLPLogRecord?
  {
    let object = try OTLPScalars.object(value, path)
    let traceID = try OTLPScalars.hexID(object["traceId"], bytes: 16, "\(path).traceId", allowMissing: true)
    let spanID = try OTLPScalars.hexID(object["spanId"], bytes: 8, "\(path).spanId", allowMissing: true)
    let attributes = try OTLPAnyValue.keyValues(object["attributes"], "\(path).attributes")
    let body = object["body"] == nil ? nil : try OTLPAnyValue.decode(object["body"], "\(path).body")
    // The event name: LogRecord.event_name (field 12), else the older `event.name` attribute.
    var name = try OTLPScalars.string(object["eventName"], "\(path).eventName")
    if name.isEmpty { name = attributes["event.name"]?.stringValue ?? "" }
    guard let traceID, let spanID else { return nil }
    let observed = try OTLPScalars.time(object["observedTimeUnixNano"], "\(path).observedTimeUnixNano")
    let time = try OTLPScalars.time(object["timeUnixNano"], "\(path).timeUnixNano") ?? observed
    var eventAttributes = attributes
    if let body, !body.isNull { eventAttributes[OTLPLogRecord.bodyKey] = body }
    if !scope.isEmpty { eventAttributes[OTLPLogRecord.scopeKey] = .string(scope) }
    return OTLPLogRecord(
      traceID: traceID, spanID: spanID, event: OTLPEvent(name: name, time: time, attributes: eventAttributes))
  }
}

/// A log record tied to a span, kept as an event of that span: its name
/// (`event_name`, else `event.name`), its time, its attributes, and its body
/// under `log.body` (the scope that wrote it under `log.scope`).
struct OTLPLogRecord {
  /// Most records one trace keeps waiting for spans that have not arrived;
  /// beyond it the oldest are dropped (with a warning), so records whose span
  /// never comes cannot grow the store without bound.
  static let maximumWaitingPerTrace = 10_000
  static let bodyKey = "log.body"
  static let scopeKey = "log.scope"

  var traceID: String
  var spanID: String
  var event: OTLPEvent

  /// The pending form kept in the store until its span arrives.
  var json: JSONValue {
    .object(
      JSONObject([
        "span_id": .string(spanID), "name": .string(event.name),
        "time": event.time.map { .string($0.text) } ?? .null,
        "attributes": .object(event.attributes),
      ]))
  }

  init(traceID: String, spanID: String, event: OTLPEvent) {
    self.traceID = traceID
    self.spanID = spanID
    self.event = event
  }

  init?(traceID: String, json: JSONValue) {
    guard let object = json.objectValue, let spanID = object["span_id"]?.stringValue,
      let name = object["name"]?.stringValue
    else { return nil }
    self.init(
      traceID: traceID, spanID: spanID,
      event: OTLPEvent(
        name: name, time: object["time"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
        attributes: object["attributes"]?.objectValue ?? JSONObject()))
  }
}

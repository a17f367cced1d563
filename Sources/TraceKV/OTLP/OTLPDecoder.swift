/// Strict decoding of one OTLP/HTTP JSON `ExportTraceServiceRequest`
/// (`resourceSpans` → `scopeSpans` → `spans`), as the OTLP specification
/// defines its JSON encoding: lowerCamelCase keys, hex ids, 64-bit integers as
/// strings or numbers, integer enums (names accepted too), unknown fields
/// ignored.
///
/// A broken envelope (`resourceSpans` not an array, a resource that is not an
/// object) refuses the whole request; a broken span (a wrong-length id, a bad
/// attribute) refuses that span only, so one bad span does not lose a batch.
enum OTLPDecoder {
  struct Decoded {
    var spans: [OTLPSpan] = []
    /// Log records tied to a span (logs requests).
    var logs: [OTLPLogRecord] = []
    /// One error per refused span or log record, each naming the field path.
    var problems: [TraceKVError] = []
    /// What was accepted although the OTLP/JSON specification does not allow it
    /// (older field names, base64 ids, enum names), once per kind.
    var warnings: [String] = []

    mutating func note(_ warning: String) {
      if !warnings.contains(warning) { warnings.append(warning) }
    }

    /// The refused spans as ingest reports them: with the file and the line
    /// (JSONL) or array item; for a request that is the whole file, the line
    /// of the offending field, found in `document`.
    func problems(source: String, line: Int?, document: UnsafeRawBufferPointer) -> [IngestProblem] {
      problems.map { problem in
        let path = problem.message.prefix { $0 != ":" }
        return unsafe IngestProblem(
          source: source, line: line ?? OTLPFieldLocator.line(of: String(path), in: document),
          message: problem.message)
      }
    }
  }

  /// Whether a JSON document looks like an OTLP trace request (for `--format auto`).
  static func isRequest(_ value: JSONValue) -> Bool {
    guard case .object(let object) = value else { return false }
    return object["resourceSpans"] != nil || object["batches"] != nil
  }

  static func decode(_ request: JSONValue) throws(TraceKVError) -> Decoded {
    guard case .object(let root) = request else {
      throw .invalid("an OTLP request must be a JSON object with resourceSpans")
    }
    var decoded = Decoded()
    // Older collectors (and Grafana Tempo's export) use the names OTLP had
    // before 0.9: `batches`, `instrumentationLibrarySpans`, `instrumentationLibrary`.
    func field(_ object: JSONObject, _ name: String, or old: String) -> (JSONValue?, String) {
      if object[name] == nil, let value = object[old] {
        decoded.note("the pre-1.0 OTLP field name \(old) was read as \(name)")
        return (value, old)
      }
      return (object[name], name)
    }
    let (allResources, resourcesName) = field(root, "resourceSpans", or: "batches")
    guard allResources != nil else {
      throw .invalid("resourceSpans: is missing; this is not an OTLP ExportTraceServiceRequest")
    }
    for (resourcePath, envelope) in try OTLPScalars.objects(allResources, resourcesName) {
      let resource = try OTLPScalars.resourceAttributes(envelope, resourcePath)
      let (allScopes, scopesName) = field(envelope, "scopeSpans", or: "instrumentationLibrarySpans")
      for (scopePath, scopeEnvelope) in try OTLPScalars.objects(allScopes, "\(resourcePath).\(scopesName)") {
        let (scopeValue, scopeName) = field(scopeEnvelope, "scope", or: "instrumentationLibrary")
        let scope = try decodeScope(scopeValue, "\(scopePath).\(scopeName)")
        for (index, span) in try OTLPScalars.array(scopeEnvelope["spans"], "\(scopePath).spans").enumerated()
        {
          for warning in tolerated(span) { decoded.note(warning) }
          do throws(TraceKVError) {
            decoded.spans.append(
              try decodeSpan(span, "\(scopePath).spans[\(index)]", resource: resource, scope: scope))
          } catch {
            decoded.problems.append(error)
          }
        }
      }
    }
    return decoded
  }

  /// The liberties a span takes that decoding accepts: base64 ids and enum
  /// names (the protobuf-JSON mapping, which OTLP/JSON departs from).
  private static func tolerated(_ span: JSONValue) -> [String] {
    guard case .object(let object) = span else { return [] }
    var warnings: [String] = []
    for (key, bytes) in [("traceId", 16), ("spanId", 8), ("parentSpanId", 8)] {
      if let text = object[key]?.stringValue, OTLPScalars.base64ID(text, bytes: bytes) != nil {
        warnings.append("ids written in base64 (the protobuf-JSON mapping; OTLP/JSON wants hex) were decoded")
      }
    }
    let status = object["status"]?.objectValue?["code"]
    if case .string(let name)? = object["kind"], Int(name) == nil { warnings.append(enumNames) }
    if case .string(let name)? = status, Int(name) == nil { warnings.append(enumNames) }
    return warnings
  }

  private static let enumNames = "enum names (SPAN_KIND_…, STATUS_CODE_…) were read for the integers OTLP/JSON wants"

  private static func decodeScope(_ value: JSONValue?, _ path: String) throws(TraceKVError) -> OTLPScope {
    let object = try OTLPScalars.object(value, path)
    return OTLPScope(
      name: try OTLPScalars.string(object["name"], "\(path).name"),
      version: try OTLPScalars.string(object["version"], "\(path).version"),
      attributes: try OTLPAnyValue.keyValues(object["attributes"], "\(path).attributes"))
  }

  private static func decodeSpan(_ value: JSONValue, _ path: String, resource: JSONObject, scope: OTLPScope)
    throws(TraceKVError) -> OTLPSpan
  {
    let object = try OTLPScalars.object(value, path)
    let traceID = try OTLPScalars.hexID(object["traceId"], bytes: 16, "\(path).traceId", allowMissing: false)!
    let spanID = try OTLPScalars.hexID(object["spanId"], bytes: 8, "\(path).spanId", allowMissing: false)!
    let status = try OTLPScalars.object(object["status"], "\(path).status")
    let traceState = try OTLPScalars.string(object["traceState"], "\(path).traceState")
    return OTLPSpan(
      traceID: traceID, spanID: spanID,
      parentSpanID: try OTLPScalars.hexID(
        object["parentSpanId"], bytes: 8, "\(path).parentSpanId", allowMissing: true),
      traceState: traceState.isEmpty ? nil : traceState,
      name: try OTLPScalars.string(object["name"], "\(path).name"),
      kind: try OTLPScalars.enumeration(object["kind"], "\(path).kind", name: \OTLPSpanKind.protoName)
        ?? .unspecified,
      startTime: try OTLPScalars.time(object["startTimeUnixNano"], "\(path).startTimeUnixNano"),
      endTime: try OTLPScalars.time(object["endTimeUnixNano"], "\(path).endTimeUnixNano"),
      attributes: try OTLPAnyValue.keyValues(object["attributes"], "\(path).attributes"),
      events: try OTLPScalars.array(object["events"], "\(path).events").enumerated().map {
        (index, event) throws(TraceKVError) in try decodeEvent(event, "\(path).events[\(index)]")
      },
      links: try OTLPScalars.array(object["links"], "\(path).links").enumerated().map {
        (index, link) throws(TraceKVError) in try decodeLink(link, "\(path).links[\(index)]")
      },
      status: OTLPStatus(
        code: try OTLPScalars.enumeration(
          status["code"], "\(path).status.code", name: \OTLPStatusCode.protoName) ?? .unset,
        message: try OTLPScalars.string(status["message"], "\(path).status.message")),
      resource: resource, scope: scope)
  }

  private static func decodeEvent(_ value: JSONValue, _ path: String) throws(TraceKVError) -> OTLPEvent {
    let object = try OTLPScalars.object(value, path)
    return OTLPEvent(
      name: try OTLPScalars.string(object["name"], "\(path).name"),
      time: try OTLPScalars.time(object["timeUnixNano"], "\(path).timeUnixNano"),
      attributes: try OTLPAnyValue.keyValues(object["attributes"], "\(path).attributes"))
  }

  private static func decodeLink(_ value: JSONValue, _ path: String) throws(TraceKVError) -> OTLPLink {
    let object = try OTLPScalars.object(value, path)
    let traceState = try OTLPScalars.string(object["traceState"], "\(path).traceState")
    return OTLPLink(
      traceID: try OTLPScalars.hexID(object["traceId"], bytes: 16, "\(path).traceId", allowMissing: false)!,
      spanID: try OTLPScalars.hexID(object["spanId"], bytes: 8, "\(path).spanId", allowMissing: false)!,
      traceState: traceState.isEmpty ? nil : traceState,
      attributes: try OTLPAnyValue.keyValues(object["attributes"], "\(path).attributes"))
  }
}

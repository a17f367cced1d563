/// The parts of an OTLP `ExportTraceServiceRequest` that TraceKV reads, after
/// strict decoding (ids checked and lower-cased, enums and 64-bit integers
/// resolved, `AnyValue`s turned into plain JSON) and before mapping to the
/// TraceKV model. One `OTLPSpan` carries its resource and scope so that spans
/// of one trace can be regrouped across requests and files.
struct OTLPSpan {
  /// 32 lower-case hex characters (16 bytes, not all zero).
  var traceID: String
  /// 16 lower-case hex characters (8 bytes, not all zero).
  var spanID: String
  /// nil for a root (absent, empty or all-zero `parentSpanId`).
  var parentSpanID: String?
  var traceState: String?
  var name: String
  var kind: OTLPSpanKind
  var startTime: Timestamp?
  var endTime: Timestamp?
  /// The span's attributes, `AnyValue`s as JSON, in the order sent.
  var attributes: JSONObject
  var events: [OTLPEvent]
  var links: [OTLPLink]
  var status: OTLPStatus
  /// The attributes of the span's `resource` (shared by its `resourceSpans`).
  var resource: JSONObject
  var scope: OTLPScope
}

/// `Span.Event`: something that happened at an instant, e.g. an `exception`.
struct OTLPEvent {
  var name: String
  var time: Timestamp?
  var attributes: JSONObject
}

/// `Span.Link`: a causal reference to a span of this or another trace.
struct OTLPLink {
  var traceID: String
  var spanID: String
  var traceState: String?
  var attributes: JSONObject
}

/// `InstrumentationScope`: the library that produced the spans.
struct OTLPScope {
  var name: String
  var version: String
  var attributes: JSONObject
}

/// `Status`.
struct OTLPStatus {
  var code: OTLPStatusCode
  var message: String
}

/// `Status.StatusCode`; the JSON encoding sends the integer, some producers the name.
enum OTLPStatusCode: Int, CaseIterable {
  case unset = 0
  case ok = 1
  case error = 2

  /// The protobuf enum name (`STATUS_CODE_ERROR`).
  var protoName: String {
    switch self {
    case .unset: "STATUS_CODE_UNSET"
    case .ok: "STATUS_CODE_OK"
    case .error: "STATUS_CODE_ERROR"
    }
  }
}

/// `Span.SpanKind`.
enum OTLPSpanKind: Int, CaseIterable {
  case unspecified = 0
  case `internal` = 1
  case server = 2
  case client = 3
  case producer = 4
  case consumer = 5

  /// The protobuf enum name (`SPAN_KIND_CLIENT`).
  var protoName: String { "SPAN_KIND_" + shortName }

  /// The name without its prefix, as stored in `otel.span_kind` (`CLIENT`).
  var shortName: String {
    switch self {
    case .unspecified: "UNSPECIFIED"
    case .internal: "INTERNAL"
    case .server: "SERVER"
    case .client: "CLIENT"
    case .producer: "PRODUCER"
    case .consumer: "CONSUMER"
    }
  }
}

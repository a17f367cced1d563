/// Groups OTLP spans by trace across every request of one ingest call (the
/// items of a JSON array, the lines of a collector file, the requests of
/// one body), because an exporter sends spans as they end, not trace by trace.
/// A trace is then written, and delta-encoded, once.
///
/// Log records join their span here as span events, whichever came first in
/// the input; a record whose span is not in this ingest travels with its
/// trace to the store, which keeps it until the span arrives
/// (`TraceStore.encodeDeltas`).
struct OTLPTraceAssembler {
  private var traceOrder: [String] = []
  private var spansByTrace: [String: [OTLPSpan]] = [:]
  private var logsByTrace: [String: [OTLPLogRecord]] = [:]
  private var seen: [String: Set<String>] = [:]
  /// Repeated spans, which are skipped.
  private(set) var warnings: [String] = []

  var isEmpty: Bool { traceOrder.isEmpty }

  /// Adds a span; a span id already seen in its trace keeps the first copy
  /// (exporters resend on retry).
  mutating func add(_ span: OTLPSpan) {
    guard seen[span.traceID, default: []].insert(span.spanID).inserted else {
      warnings.append("trace \(span.traceID): span \(span.spanID) appears twice; the first is kept")
      return
    }
    if spansByTrace[span.traceID] == nil && logsByTrace[span.traceID] == nil {
      traceOrder.append(span.traceID)
    }
    spansByTrace[span.traceID, default: []].append(span)
  }

  /// Adds a log record, to be joined to its span.
  mutating func add(_ log: OTLPLogRecord) {
    if spansByTrace[log.traceID] == nil && logsByTrace[log.traceID] == nil { traceOrder.append(log.traceID) }
    logsByTrace[log.traceID, default: []].append(log)
  }

  /// Traces over the span limit, which `traces()` refuses (cheap: no mapping).
  var oversized: [TraceKVError] {
    traceOrder.filter { (spansByTrace[$0]?.count ?? 0) > Limits.maximumSpansPerTrace }.map(Self.oversized)
  }

  private static func oversized(_ traceID: String) -> TraceKVError {
    .invalid("trace \(traceID): more than \(Limits.maximumSpansPerTrace) spans")
  }

  /// The traces, in the order first seen, mapped to the TraceKV model with
  /// their prompts still whole (the store delta-encodes them when it writes,
  /// against what it already holds of each trace).
  func traces(receivedAt: Timestamp = .now) -> [Result<IncomingTrace, TraceKVError>] {
    traceOrder.map { traceID in
      let spans = spansByTrace[traceID] ?? []
      guard spans.count <= Limits.maximumSpansPerTrace else { return .failure(Self.oversized(traceID)) }
      return .success(Self.assemble(traceID, spans, logs: logsByTrace[traceID] ?? [], receivedAt: receivedAt))
    }
  }

  /// One trace mapped to the TraceKV model, its log records joined to their
  /// spans as events (in time order, after the span's own events).
  static func assemble(_ traceID: String, _ spans: [OTLPSpan], logs: [OTLPLogRecord], receivedAt: Timestamp)
    -> IncomingTrace
  {
    let source = OTLPTraceSource(spans: spans, logs: logs)
    var spans = spans
    if !logs.isEmpty {
      let indexByID = Dictionary(
        spans.indices.map { (spans[$0].spanID, $0) }, uniquingKeysWith: { a, _ in a })
      let ordered = logs.enumerated().sorted { lhs, rhs in
        let left = lhs.element.event.time?.microseconds ?? .min
        let right = rhs.element.event.time?.microseconds ?? .min
        return left != right ? left < right : lhs.offset < rhs.offset
      }.map(\.element)
      for log in ordered { if let index = indexByID[log.spanID] { spans[index].events.append(log.event) } }
    }
    var incoming = trace(traceID, spans, receivedAt: receivedAt)
    incoming.otlpSource = source
    return incoming
  }

  private static func trace(_ traceID: String, _ spans: [OTLPSpan], receivedAt: Timestamp) -> IncomingTrace {
    var mapped = spans.map(OTLPMapping.map)
    LLMCallResolver.resolve(&mapped)
    var trace = Trace(
      traceID: traceID, spans: ToolCallLinker.linked(mapped.map(\.span)), createdAt: receivedAt)
    var warnings: [String] = []
    var resource = JSONObject()
    for span in spans { resource.merge(span.resource) }
    if !resource.isEmpty { trace.attributes["otel.resource"] = .object(resource) }
    let byStart = mapped.enumerated().sorted { lhs, rhs in
      let left = lhs.element.span.startTime?.microseconds ?? .min
      let right = rhs.element.span.startTime?.microseconds ?? .min
      return left != right ? left < right : lhs.offset < rhs.offset
    }.map(\.element)
    if let agent = byStart.lazy.compactMap(\.agentName).first {
      trace.attributes[OTLPMapping.agentNameKey] = .string(agent)
    }
    if let episode = byStart.lazy.compactMap(\.episodeID).first {
      do throws(TraceKVError) {
        try TraceBrainFormat.validateID(episode, what: "trace \(traceID): the conversation or session id")
        trace.episodeID = episode
      } catch {
        warnings.append("\(error.message); no episode was set")
      }
    }
    var prompts: [String: [ChatMessage]] = [:]
    for span in mapped where span.isLLM {
      if let prompt = span.prompt { prompts[span.span.spanID] = prompt }
    }
    return IncomingTrace(
      trace: trace, statedStatus: nil, statedPriority: false, warnings: warnings, prompts: prompts)
  }
}

/// The OTLP a trace was assembled from, kept until it is written so that log
/// records the store holds for it can join it then.
struct OTLPTraceSource {
  var spans: [OTLPSpan]
  var logs: [OTLPLogRecord]
}

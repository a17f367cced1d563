import LMDBKit

extension TraceStore {
  /// The OTLP signal a request body carries.
  public enum OTLPSignal: String, Sendable { case traces, logs }
  /// The OTLP/HTTP encodings.
  public enum OTLPEncoding: String, Sendable { case json, protobuf }

  /// Ingests one OTLP/HTTP request body (already un-gzipped): an
  /// `ExportTraceServiceRequest` or `ExportLogsServiceRequest`, as JSON or
  /// protobuf. Spans and log records of a trace may arrive over many calls,
  /// in any order: a log record whose span the store does not hold yet waits
  /// in the store and joins the span when it arrives. Returns what was
  /// committed and what was refused (a bad span or record refuses itself
  /// only); throws `invalidInput` for a body that is not such a request.
  /// - Throws: ``TraceKVError``: `.invalidInput` when `body` is not an OTLP request of `signal` in `encoding` (nothing
  ///   is written); `.embedderUnavailable` when embedding the new text fails; `.readOnly` for a store open read-only,
  ///   `.storeFull` when the map cannot grow, `.corrupted` for a damaged record or index, `.storage` for any other LMDB
  ///   failure.
  @discardableResult
  public func ingestOTLP(_ body: [UInt8], signal: OTLPSignal, encoding: OTLPEncoding, source: String)
    throws(TraceKVError) -> IngestReport
  {
    let request = OTLPRequestBody(bytes: body, signal: signal, encoding: encoding)
    return try ingestOTLP([request], source: source).combined.get()
  }

  /// One OTLP/HTTP request body, already un-gzipped.
  public struct OTLPRequestBody: Sendable {
    public var bytes: [UInt8]
    public var signal: OTLPSignal
    public var encoding: OTLPEncoding

    public init(bytes: [UInt8], signal: OTLPSignal, encoding: OTLPEncoding) {
      self.bytes = bytes
      self.signal = signal
      self.encoding = encoding
    }
  }

  /// What became of several request bodies written together.
  public struct OTLPBatchReport: Sendable {
    /// Per body, in order: its own refused spans or records and warnings, or
    /// the error that refused the whole body (it is not an OTLP request).
    public var bodies: [Result<IngestReport, TraceKVError>]
    /// What the one transaction committed, with the problems that belong to
    /// no single body (a trace assembled from several past a limit).
    public var committed: IngestReport

    /// Everything in one report, as the single-body call returns it; the
    /// error of the first refused body when any was refused.
    var combined: Result<IngestReport, TraceKVError> {
      var report = committed
      for body in bodies {
        switch body {
        case .success(let own): report.absorb(own)
        case .failure(let error): return .failure(error)
        }
      }
      return .success(report)
    }
  }

  /// Ingests several OTLP/HTTP request bodies in one write transaction, as a
  /// server groups concurrent requests: spans and log records of one trace
  /// spread over them are assembled together. A body that is not an OTLP
  /// request is refused alone; a store failure throws and writes nothing.
  /// - Throws: ``TraceKVError`` only when the write fails, and then nothing is written: `.embedderUnavailable` when
  ///   embedding the new text fails; `.readOnly` for a store open read-only, `.storeFull` when the map cannot grow,
  ///   `.corrupted` for a damaged record or index, `.storage` for any other LMDB failure. A body that is not an OTLP
  ///   request is its own `.failure` in `bodies`, not thrown.
  public func ingestOTLP(_ bodies: [OTLPRequestBody], source: String) throws(TraceKVError) -> OTLPBatchReport {
    try translatingErrors("ingest OTLP") { try ingestRequests(bodies, source: source) }
  }

  private func ingestRequests(_ bodies: [OTLPRequestBody], source: String) throws -> OTLPBatchReport {
    var assembler = OTLPTraceAssembler()
    var results: [Result<IngestReport, TraceKVError>] = []
    for body in bodies {
      let decoded: OTLPDecoder.Decoded
      do {
        decoded = try OTLPInput.decode(body.bytes, signal: body.signal, encoding: body.encoding)
      } catch {
        results.append(.failure(error))
        continue
      }
      for span in decoded.spans { assembler.add(span) }
      for log in decoded.logs { assembler.add(log) }
      var report = IngestReport()
      report.rejected = unsafe body.bytes.withUnsafeBytes { bytes in
        // Lines only mean something in JSON; a protobuf problem names its field path.
        unsafe decoded.problems(
          source: source, line: nil,
          document: body.encoding == .json ? bytes : UnsafeRawBufferPointer(rebasing: bytes[0..<0]))
      }
      report.warnings = decoded.warnings.map { "\(source): \($0)" }
      results.append(.success(report))
    }
    var committed = IngestReport()
    committed.warnings = assembler.warnings
    var batch: [IncomingTrace] = []
    for assembled in assembler.traces() {
      switch assembled {
      case .success(let incoming): batch.append(incoming)
      case .failure(let error):
        committed.rejected.append(IngestProblem(source: source, line: nil, message: error.message))
      }
    }
    if !batch.isEmpty { committed.absorb(try write(batch, source: source, skippingFailures: true)) }
    return OTLPBatchReport(bodies: results, committed: committed)
  }

  /// The merge-path hook of OTLP ingest, inside the write transaction that
  /// stores the result: joins the log records the store keeps for the trace
  /// to the spans that arrived, keeps the records whose span has not, then
  /// delta-encodes the trace's prompts against the trace as the store holds
  /// it (nil `doc`: a new trace).
  func encodeDeltas(
    _ incoming: inout IncomingTrace, storedAs doc: UInt32?, in transaction: borrowing LMDBTransaction
  )
    throws
  {
    if let source = incoming.otlpSource {
      try joinPendingLogs(&incoming, source, storedAs: doc, in: transaction)
    }
    guard incoming.prompts != nil else { return }
    var stored: Reconstruction<SpanView>?
    if let doc, let record = try record(doc, in: transaction) {
      stored = Reconstruction(
        systemPrompt: record.trace.systemPrompt, spans: try spanViews(of: doc, in: transaction))
    }
    DeltaEncoder.encode(&incoming, stored: stored)
  }

  /// Log records wait in `meta` under `otlp.pending-logs.` + trace id, as a
  /// JSON array, until their span arrives.
  private func pendingKey(_ traceID: String) -> [UInt8] { Array("otlp.pending-logs.\(traceID)".utf8) }

  private func joinPendingLogs(
    _ incoming: inout IncomingTrace, _ source: OTLPTraceSource, storedAs doc: UInt32?,
    in transaction: borrowing LMDBTransaction
  ) throws {
    let key = pendingKey(incoming.trace.traceID)
    let pending: [OTLPLogRecord] =
      try transaction.withValue(tables.meta, key: key) { bytes in
        guard case .array(let items)? = try? JSONParser.parse(bytes) else { return [] }
        return items.compactMap { OTLPLogRecord(traceID: incoming.trace.traceID, json: $0) }
      } ?? []
    let spanIDs = Set(source.spans.map(\.spanID))
    var waiting = (pending + source.logs).filter { !spanIDs.contains($0.spanID) }
    if let doc, !waiting.isEmpty {
      let applied = try applyLateLogs(waiting, to: doc, in: transaction)
      waiting.removeAll { applied.contains($0.spanID) }
    }
    if pending.contains(where: { spanIDs.contains($0.spanID) }) {
      let joined = OTLPTraceAssembler.assemble(
        incoming.trace.traceID, source.spans, logs: pending + source.logs,
        receivedAt: incoming.trace.createdAt)
      incoming.trace = joined.trace
      incoming.prompts = joined.prompts
      incoming.warnings += joined.warnings
    }
    if waiting.isEmpty {
      if !pending.isEmpty { _ = try transaction.delete(tables.meta, key: key) }
    } else if waiting.count != pending.count || !source.logs.isEmpty || doc != nil {
      let excess = waiting.count - OTLPLogRecord.maximumWaitingPerTrace
      if excess > 0 {
        waiting.removeFirst(excess)
        incoming.warnings.append(
          "trace \(incoming.trace.traceID): more than \(OTLPLogRecord.maximumWaitingPerTrace) log records wait for "
            + "spans; the \(excess) oldest were dropped")
      }
      let text = JSONWriter.compact(.array(waiting.map(\.json)))
      try transaction.put(tables.meta, key: key, value: Array(text.utf8))
      incoming.warnings.append(
        "trace \(incoming.trace.traceID): \(waiting.count) log records wait in the store for their span")
    }
  }
}

extension TraceStore {
  /// A protobuf file (`ingest(bytes:)` with `.otlpProtobuf`, or told by
  /// `OTLPInput.isProtobuf`): one request body or the collector file
  /// exporter's frames, each message traces or logs by its content. A
  /// problem names the file, the frame (as its line) and the field path.
  func ingestOTLPProtobuf(_ bytes: UnsafeRawBufferPointer, source: String, strict: Bool) throws
    -> IngestReport
  {
    var report = IngestReport()
    var assembler = OTLPTraceAssembler()
    for message in unsafe OTLPInput.messages(bytes) {
      do throws(TraceKVError) {
        guard let signal = OTLPProtobuf.signal(of: message.bytes) ?? (message.bytes.isEmpty ? nil : .traces)
        else {
          continue  // an empty request
        }
        let decoded = try OTLPInput.decode(message.bytes, signal: signal, encoding: .protobuf)
        report.rejected += decoded.problems.map {
          IngestProblem(source: source, line: message.position, message: $0.message)
        }
        report.warnings += decoded.warnings.map { "\(source): \($0)" }
        for span in decoded.spans { assembler.add(span) }
        for log in decoded.logs { assembler.add(log) }
      } catch {
        report.rejected.append(IngestProblem(source: source, line: message.position, message: error.message))
      }
    }
    report.rejected += assembler.oversized.map {
      IngestProblem(source: source, line: nil, message: $0.message)
    }
    if strict, let first = report.rejected.first {
      let more = report.rejected.count > 1 ? " (and \(report.rejected.count - 1) more problems)" : ""
      throw TraceKVError.invalid("\(first)\(more); nothing was written")
    }
    report.warnings += assembler.warnings
    var batch: [IncomingTrace] = []
    for case .success(let incoming) in assembler.traces() { batch.append(incoming) }
    if !batch.isEmpty { report.absorb(try write(batch)) }
    return report
  }
}

extension TraceStore {
  /// Log records whose span the store already holds: they become events of
  /// that span, and when they carry its messages (its span recorded none)
  /// the trace's prompts are delta-encoded again, all of them, from the
  /// prompts rebuilt exactly from the store, so that later steps continue
  /// the new ones. Returns the span ids that took records.
  fileprivate func applyLateLogs(
    _ logs: [OTLPLogRecord], to doc: UInt32, in transaction: borrowing LMDBTransaction
  )
    throws -> Set<String>
  {
    var keys: [[UInt8]] = []
    var spans: [Span] = []
    try transaction.scan(tables.spans, prefix: Keys.docID(doc)) { key, value in
      keys.append(key.copiedBytes)
      spans.append(try SpanRecord.decode(value))
      return true
    }
    let indexByID = Dictionary(spans.indices.map { (spans[$0].spanID, $0) }, uniquingKeysWith: { a, _ in a })
    let late = logs.filter { indexByID[$0.spanID] != nil }
    guard !late.isEmpty, var record = try record(doc, in: transaction) else { return [] }

    // Every recorded prompt as reconstruction gives it now (exact by construction).
    let before = Reconstruction(systemPrompt: record.trace.systemPrompt, spans: spans)
    var prompts: [String: [ChatMessage]] = [:]
    for span in spans where span.isLLM && span.newContent != nil {
      prompts[span.spanID] = before.prompt(of: span)
    }

    var changed = Set<Int>()
    var promptsChanged = false
    for (spanID, records) in Dictionary(grouping: late, by: \.spanID) {
      let index = indexByID[spanID]!
      var span = spans[index]
      var attributes = span.attributes
      // The span's events with the new ones, in time order (stable).
      let events =
        ((attributes["otel.events"]?.arrayValue ?? []).compactMap(OTLPMapping.event(fromJSON:))
        + records.map(\.event)).enumerated().sorted { lhs, rhs in
          let left = lhs.element.time?.microseconds ?? .min
          let right = rhs.element.time?.microseconds ?? .min
          return left != right ? left < right : lhs.offset < rhs.offset
        }.map(\.element)
      let (prompt, reply) = OTLPMapping.messages(inEvents: events)
      // A prompt from per-message records is rebuilt from all of them; one from attributes stays.
      let fromRecords = records.contains { OTLPMessages.messageEventRoles[$0.event.name] != nil }
      if span.isLLM, let prompt, prompts[spanID] == nil || fromRecords, prompts[spanID] != prompt {
        prompts[spanID] = prompt
        promptsChanged = true
      }
      attributes["otel.events"] = .array(events.map(OTLPMapping.eventJSON))
      if span.isLLM, let reply, attributes[SpanKey.reply] == nil {
        // The reply is appended after this step when later ones are rebuilt: they change too.
        OTLPMapping.setReply(reply, &attributes)
        promptsChanged = true
      }
      if span.isLLM && prompts[spanID] != nil { OTLPMapping.stripPrompt(&attributes) }
      span.attributes = attributes
      spans[index] = span
      changed.insert(index)
    }
    // Records without messages (an application's own logs) only add events.
    guard promptsChanged else {
      for index in changed {
        try transaction.put(tables.spans, key: keys[index], value: SpanRecord.encode(spans[index]))
      }
      return Set(late.map(\.spanID))
    }
    // Encode every prompt again, against nothing stored: the spans are rewritten.
    for index in spans.indices where spans[index].isLLM {
      for key in [SpanKey.newContent, SpanKey.contextFrom, SpanKey.fullPrompt]
      where spans[index].attributes[key] != nil {
        spans[index].attributes[key] = nil
        changed.insert(index)
      }
    }
    var incoming = IncomingTrace(
      trace: Trace(traceID: record.trace.traceID, spans: spans, createdAt: record.trace.createdAt),
      statedStatus: nil, statedPriority: false, warnings: [], prompts: prompts)
    DeltaEncoder.encode(&incoming, stored: nil)
    for index in changed {
      try transaction.put(
        tables.spans, key: keys[index], value: SpanRecord.encode(incoming.trace.spans[index]))
    }
    record.trace.systemPrompt = incoming.trace.systemPrompt
    try transaction.put(tables.traces, key: Keys.docID(doc), value: record.encode())
    return Set(late.map(\.spanID))
  }
}

import Embeddings
import Foundation
import LMDBKit

extension TraceStore {
  /// The trace format of an input.
  public enum IngestFormat: String, Sendable, CaseIterable {
    /// Each document by its shape: an object with `resourceSpans` is OTLP, anything else TraceBrain.
    case auto
    /// TraceBrain traces (docs/trace-format.md §1).
    case tracebrain
    /// OTLP `ExportTraceServiceRequest`s or `ExportLogsServiceRequest`s: JSON (one per file, a JSON
    /// array of them, or one per line) or protobuf (told by the file name or the first byte).
    case otlp
    /// OTLP protobuf: one request body (`.pb`, `.binpb`), or the collector file exporter's
    /// length-prefixed messages.
    case otlpProtobuf = "otlp-protobuf"
  }

  /// How to ingest a file.
  public struct IngestOptions: Sendable {
    /// Refuse the whole input, writing nothing, if any document is bad.
    public var strict = false
    /// Traces per write transaction.
    public var batchSize = 1000
    /// The file's layout; nil guesses it.
    public var layout: TraceFileLayout?
    /// The trace format; `.auto` tells it per document.
    public var format: IngestFormat = .auto
    /// Threads that parse, decode, build the search text and embed ahead of
    /// the one writer, 1 through `Limits.maximumIngestWorkers`; 1 does it
    /// all on the calling thread, between writes. The store's contents do
    /// not depend on it. Each worker's matrix products run on the threads
    /// OpenBLAS was given (`OPENBLAS_NUM_THREADS`, read when the library
    /// loads): set it to 1 when ingesting with several workers.
    public var workers = IngestOptions.defaultWorkers

    /// One worker per processor this process may use: embedding is the
    /// costly part and runs on the workers, while the writer mostly waits.
    public static var defaultWorkers: Int {
      min(ProcessInfo.processInfo.activeProcessorCount, Limits.maximumIngestWorkers)
    }

    public init(
      strict: Bool = false, batchSize: Int = 1000, layout: TraceFileLayout? = nil, format: IngestFormat = .auto,
      workers: Int = IngestOptions.defaultWorkers
    ) {
      self.strict = strict
      self.batchSize = max(1, batchSize)
      self.layout = layout
      self.format = format
      self.workers = min(max(1, workers), Limits.maximumIngestWorkers)
    }
  }

  /// Ingests TraceBrain JSON: one trace object or an array of them (OTLP JSON
  /// requests are read too, by their `resourceSpans`). Merges
  /// into traces the store holds (docs/trace-format.md §3). All or nothing: a bad
  /// trace throws `invalidInput` and nothing is written.
  /// - Throws: ``TraceKVError``: `.invalidInput` for malformed JSON or any bad or unmergeable trace (nothing is
  ///   written); `.embedderUnavailable` when embedding the new text fails; `.readOnly` for a store open read-only,
  ///   `.storeFull` when the map cannot grow, `.corrupted` for a damaged record or index, `.storage` for any other LMDB
  ///   failure.
  @discardableResult
  public func ingest(json: String) throws(TraceKVError) -> IngestReport {
    try ingest(data: Data(json.utf8), source: "input", options: IngestOptions(strict: true, layout: .json, workers: 1))
  }

  /// Ingests a file of traces: JSON (one trace or an array) or JSONL, each
  /// document a TraceBrain trace or an OTLP/HTTP JSON request
  /// (`options.format`). OTLP spans are grouped by trace over the whole file
  /// and their prompts stored as deltas (`DeltaEncoder`).
  ///
  /// A bad document is reported with its line (or array item) and the good
  /// ones are kept, unless `options.strict`, which refuses the whole file
  /// before anything is written. A trace the store refuses only when it
  /// writes it (a merge past `Limits.maximumSpansPerTrace`) is reported and
  /// skipped the same way, and the rest of its batch is kept. Writes one
  /// transaction per batch; `progress` hears of every commit.
  /// - Throws: ``TraceKVError``: `.invalidInput` when the file cannot be read (a missing file too, not `.notFound`)
  ///   and, with `options.strict`, for any bad document or refused trace (nothing is written); `.storeFull` also when
  ///   the store runs out of document ids; `.embedderUnavailable` when embedding the new text fails; `.readOnly` for a
  ///   store open read-only, `.storeFull` when the map cannot grow, `.corrupted` for a damaged record or index,
  ///   `.storage` for any other LMDB failure. Batches committed before the throw stay committed.
  @discardableResult
  public func ingest(
    contentsOf url: URL, options: IngestOptions = IngestOptions(),
    progress: ((IngestProgress) -> Void)? = nil
  ) throws(TraceKVError) -> IngestReport {
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw TraceKVError.invalid("cannot read \(url.path): \(error.localizedDescription)")
    }
    return try ingest(data: data, source: url.path, options: options, progress: progress)
  }

  /// Ingests bytes holding JSON or JSONL traces (a file's contents, a request
  /// body); `source` names them in reports and errors. Same rules as
  /// `ingest(contentsOf:options:progress:)`.
  /// - Throws: as `ingest(contentsOf:options:progress:)`, but there is no file to read.
  @discardableResult
  public func ingest(
    data: Data, source: String, options: IngestOptions = IngestOptions(),
    progress: ((IngestProgress) -> Void)? = nil
  ) throws(TraceKVError) -> IngestReport {
    try translatingErrors("ingest") {
      unsafe try data.withUnsafeBytes { bytes in
        unsafe try ingestDocuments(bytes, source: source, options: options, progress: progress)
      }
    }
  }

  /// The ingest of lent bytes; its errors are translated by the public callers.
  func ingestDocuments(
    _ bytes: UnsafeRawBufferPointer, source: String, options: IngestOptions,
    progress: ((IngestProgress) -> Void)?
  ) throws -> IngestReport {
    if unsafe options.format == .otlpProtobuf
      || (options.format != .tracebrain && options.layout == nil && OTLPInput.isProtobuf(bytes, fileName: source))
    {
      return unsafe try ingestOTLPProtobuf(bytes, source: source, strict: options.strict)
    }
    let layout = unsafe options.layout ?? TraceDocuments.layout(of: bytes, fileName: source)
    if options.strict {
      var problems: [IngestProblem] = []
      var otlp = OTLPTraceAssembler()
      unsafe TraceDocuments.forEach(in: bytes, layout: layout) { document, _ in
        switch Self.decode(document, source: source, format: options.format) {
        case .refused(let problem): problems.append(problem)
        case .otlp(let decoded):
          unsafe problems += decoded.problems(source: source, line: document.position, document: bytes)
          for span in decoded.spans { otlp.add(span) }
          for log in decoded.logs { otlp.add(log) }
        case .traceBrain: break
        }
      }
      problems += otlp.oversized.map { IngestProblem(source: source, line: nil, message: $0.message) }
      if let first = problems.first {
        let more = problems.count > 1 ? " (and \(problems.count - 1) more problems)" : ""
        throw TraceKVError.invalid("\(first)\(more); nothing was written")
      }
    }
    var report = IngestReport()
    var batch: [IncomingTrace] = []
    var lines: [Int?] = []
    var embeddings = PreparedEmbeddings()
    var documents = 0
    var bytesDone = 0
    // OTLP spans are gathered over the whole input: a trace may be spread over requests.
    var otlp = OTLPTraceAssembler()
    func flush() throws {
      guard !batch.isEmpty else { return }
      report.absorb(
        try write(batch, source: source, lines: lines, skippingFailures: !options.strict, embeddings: embeddings))
      batch.removeAll(keepingCapacity: true)
      lines.removeAll(keepingCapacity: true)
      embeddings = PreparedEmbeddings()
      progress?(IngestProgress(documentsDone: documents, bytesDone: bytesDone, bytesTotal: bytes.count, committed: report))
    }
    func append(_ incoming: IncomingTrace, line: Int?, embedded: PreparedVector?) throws {
      batch.append(incoming)
      lines.append(line)
      if let embedded { embeddings.add(embedded.vector, for: embedded.text) }
      if batch.count >= options.batchSize { try flush() }
    }
    // Workers parse, decode and embed chunks of documents; this thread writes
    // them in input order.
    // None when vectors wait for a background embedder: the write would not use them.
    let embedder = search.defersVectors ? nil : try? search.embedder()
    var splitter = unsafe TraceDocuments.Splitter(bytes, layout: layout)
    let pool = OrderedWorkers<[(TraceDocuments.Piece, bytesDone: Int)], [PreparedDocument]>(
      workers: options.workers, ahead: Self.chunksAhead(options),
      next: {
        var chunk: [(TraceDocuments.Piece, bytesDone: Int)] = []
        while chunk.count < Self.documentsPerChunk, let piece = splitter.next() { chunk.append(piece) }
        return chunk.isEmpty ? nil : chunk
      },
      prepare: { chunk in
        let parsed = chunk.map { piece, _ in unsafe piece.parsed(in: bytes) }
        let decoded = parsed.map { Self.decode($0, source: source, format: options.format) }
        let vectors = Self.embedAhead(decoded.map(\.traceBrain), with: embedder)
        return chunk.indices.map { index in
          PreparedDocument(
            position: parsed[index].position, bytesDone: chunk[index].bytesDone, decoded: decoded[index],
            embedded: vectors[index])
        }
      })
    try pool.forEach { chunk in
      for document in chunk {
        documents += 1
        bytesDone = document.bytesDone
        switch document.decoded {
        case .traceBrain(let incoming):
          try append(incoming, line: document.position, embedded: document.embedded)
        case .otlp(let decoded):
          unsafe report.rejected += decoded.problems(source: source, line: document.position, document: bytes)
          report.warnings += decoded.warnings.map { "\(source): \($0)" }
          for span in decoded.spans { otlp.add(span) }
          for log in decoded.logs { otlp.add(log) }
        case .refused(let problem):
          report.rejected.append(problem)
        }
      }
    }
    report.warnings += otlp.warnings
    var assembled = otlp.traces().makeIterator()
    let tail = OrderedWorkers<[Result<IncomingTrace, TraceKVError>], [(Result<IncomingTrace, TraceKVError>, PreparedVector?)]>(
      workers: options.workers, ahead: Self.chunksAhead(options),
      next: {
        var chunk: [Result<IncomingTrace, TraceKVError>] = []
        while chunk.count < Self.documentsPerChunk, let trace = assembled.next() { chunk.append(trace) }
        return chunk.isEmpty ? nil : chunk
      },
      prepare: { chunk in
        zip(chunk, Self.embedAhead(chunk.map { try? $0.get() }, with: embedder)).map { ($0, $1) }
      })
    try tail.forEach { chunk in
      for (trace, embedded) in chunk {
        switch trace {
        case .success(let incoming): try append(incoming, line: nil, embedded: embedded)
        case .failure(let error): report.rejected.append(IngestProblem(source: source, line: nil, message: error.message))
        }
      }
    }
    bytesDone = bytes.count
    try flush()
    progress?(IngestProgress(documentsDone: documents, bytesDone: bytes.count, bytesTotal: bytes.count, committed: report))
    return report
  }

  /// Documents a worker takes at once: one embedding batch (MiniLM runs
  /// 4,096 tokens a pass, 16 texts of its 256-token window).
  static let documentsPerChunk = 16

  /// Chunks prepared ahead of the writer: about one batch, at least two per
  /// worker. With the batch being written, an ingest holds about two
  /// batches of traces in memory whatever the input's size.
  private static func chunksAhead(_ options: IngestOptions) -> Int {
    max(2 * options.workers, options.batchSize / documentsPerChunk)
  }

  /// A vector embedded ahead of the write, with the text it embeds.
  struct PreparedVector {
    var text: String
    var vector: [Float]
  }

  /// The vectors of the texts `traces` will have if new, in one batch; none
  /// where there is no trace or no text, and none at all when embedding
  /// fails (the write embeds them again and reports the failure in order).
  private static func embedAhead(_ traces: [IncomingTrace?], with embedder: (any TextEmbedder)?) -> [PreparedVector?] {
    guard let embedder, embedder.dimension > 0 else { return Array(repeating: nil, count: traces.count) }
    let texts = traces.map { $0.map { SearchText.ofNew($0).semantic } ?? "" }
    guard texts.contains(where: { !$0.isEmpty }),
      let vectors = try? embedder.embed(texts.filter { !$0.isEmpty })
    else { return Array(repeating: nil, count: traces.count) }
    var next = vectors.makeIterator()
    return texts.map { $0.isEmpty ? nil : PreparedVector(text: $0, vector: next.next()!) }
  }

  /// A document read in its format: a TraceBrain trace, or the spans of an
  /// OTLP request; or refused, with the problem the report will show.
  private enum DecodedDocument {
    case traceBrain(IncomingTrace)
    case otlp(OTLPDecoder.Decoded)
    case refused(IngestProblem)

    var traceBrain: IncomingTrace? {
      if case .traceBrain(let trace) = self { trace } else { nil }
    }
  }

  /// A document as a worker leaves it for the writer.
  private struct PreparedDocument {
    var position: Int?
    var bytesDone: Int
    var decoded: DecodedDocument
    var embedded: PreparedVector?
  }

  private static func decode(_ document: TraceDocuments.Document, source: String, format: IngestFormat)
    -> DecodedDocument
  {
    func problem(_ message: String) -> DecodedDocument {
      .refused(IngestProblem(source: source, line: document.position, message: message))
    }
    switch document.value {
    case .failure(let error):
      return problem("malformed JSON: \(error)")
    case .success(let value):
      let signal = OTLPInput.signal(ofJSON: value)
      if format == .tracebrain && signal != nil {
        return problem("this is OpenTelemetry (OTLP) JSON, not a TraceBrain trace; ingest it with format otlp or auto")
      }
      do throws(TraceKVError) {
        if signal == .logs && format != .tracebrain { return .otlp(try OTLPLogDecoder.decode(value)) }
        if format == .otlp || format == .otlpProtobuf || (format == .auto && signal == .traces) {
          return .otlp(try OTLPDecoder.decode(value))
        }
        return .traceBrain(try TraceBrainFormat.decode(value))
      } catch {
        return problem(error.message)
      }
    }
  }

  /// Writes a batch of traces, one transaction when all are accepted.
  ///
  /// With `skippingFailures`, a trace refused as it is written
  /// (`invalidInput`, e.g. a merge past the span limit) is reported in
  /// `rejected` with its line (`lines`, parallel to `batch`) and skipped: the
  /// traces before it are written in one transaction, those after it in the
  /// next, so each trace is tried at most twice. Without, it is thrown and
  /// the batch is not written.
  ///
  /// The texts of traces new to the store are embedded before the
  /// transaction opens, unless `embeddings` comes with them (ingest's workers).
  func write(
    _ batch: [IncomingTrace], source: String = "input", lines: [Int?] = [], skippingFailures: Bool = false,
    embeddings prepared: PreparedEmbeddings? = nil
  ) throws -> IngestReport {
    let embeddings = try prepared ?? embedNew(batch)
    var report = IngestReport()
    var start = 0
    var refused: Int?  // the batch is written up to it, then resumes after it
    var reported = Set<Int>()
    while start < batch.count {
      let end = refused ?? batch.count
      do {
        if start < end { report.absorb(try writeAll(batch[start..<end], embeddings: embeddings)) }
        start = refused.map { $0 + 1 } ?? end
        refused = nil
      } catch let failure as RefusedTrace {
        guard skippingFailures else { throw failure.error }
        let index = start + failure.position
        if reported.insert(index).inserted {
          let line = lines.indices.contains(index) ? lines[index] : nil
          report.rejected.append(IngestProblem(source: source, line: line, message: failure.error.message))
        }
        refused = index
      }
    }
    return report
  }

  /// A trace of a batch that the store refused; `position` is its place in the slice written.
  private struct RefusedTrace: Error {
    var position: Int
    var error: TraceKVError
  }

  /// The vectors of the traces of `batch` the store does not hold yet (a
  /// merge's text depends on what is stored: it is embedded in the write).
  private func embedNew(_ batch: [IncomingTrace]) throws -> PreparedEmbeddings {
    let embeddings = PreparedEmbeddings()
    let embedder = try search.embedder()
    guard embedder.dimension > 0 else { return embeddings }
    let new = try environment.read { transaction in
      try batch.filter { try document(of: $0.trace.traceID, in: transaction) == nil }
    }
    try embeddings.embed(new.map { SearchText.ofNew($0).semantic }.filter { !$0.isEmpty }, with: embedder)
    return embeddings
  }

  /// Writes traces in one transaction, or none of them.
  private func writeAll(_ batch: ArraySlice<IncomingTrace>, embeddings: PreparedEmbeddings) throws -> IngestReport {
    try indexedWriteUntranslated(embeddings: embeddings) { transaction, index in
      var report = IngestReport()
      var nextDocument = try transaction.withValue(tables.meta, key: StoreSchema.MetaKey.nextDocument) {
        try Keys.document(in: $0)
      } ?? 0
      for (position, original) in batch.enumerated() {
        var incoming = original
        do {
          let doc = try document(of: incoming.trace.traceID, in: transaction)
          try encodeDeltas(&incoming, storedAs: doc, in: transaction)
          // Only OTLP log records, kept until their spans arrive: no trace yet.
          if incoming.otlpSource != nil && incoming.trace.spans.isEmpty && doc == nil {
            report.warnings += incoming.warnings
            continue
          }
          if let doc {
            report.spansWritten += try merge(incoming, into: doc, in: transaction, index: &index)
            report.merged += 1
          } else {
            guard nextDocument < UInt32.max else { throw TraceKVError(.storeFull, "the store ran out of document ids") }
            try add(incoming, as: nextDocument, in: transaction, index: &index)
            report.spansWritten += incoming.trace.spans.count
            report.added += 1
            nextDocument += 1
          }
        } catch let error as TraceKVError where error.kind == .invalidInput {
          throw RefusedTrace(position: position, error: error)
        }
        report.warnings += incoming.warnings
      }
      try transaction.put(tables.meta, key: StoreSchema.MetaKey.nextDocument, value: Keys.docID(nextDocument))
      return report
    }
  }

  /// Writes a trace the store did not hold.
  private func add(
    _ incoming: IncomingTrace, as doc: UInt32, in transaction: LMDBTransaction, index: inout IndexWriter
  ) throws {
    var trace = incoming.trace
    trace.status = incoming.statedStatus ?? .running
    // The rules flag new evidence, but a human's or a governance decision
    // carried by the trace itself (e.g. a re-imported export) stands.
    let decided = trace.feedback != nil || trace.governanceReason != nil
    if !decided && Governance.needsReview(trace) { trace.status = .needsReview }
    let spans = trace.spans
    trace.spans = []
    let record = TraceRecord(
      trace: trace, spanCount: spans.count, nextSpanSequence: UInt32(spans.count),
      eventTime: Trace.eventTime(spans.map { ($0.parentID, $0.startTime) }, fallback: trace.createdAt))
    try transaction.put(tables.traceIDs, key: Array(trace.traceID.utf8), value: Keys.docID(doc))
    try transaction.put(tables.traces, key: Keys.docID(doc), value: record.encode(), append: true)
    for (sequence, span) in spans.enumerated() {
      try transaction.put(tables.spans, key: Keys.span(doc, UInt32(sequence)), value: SpanRecord.encode(span), append: true)
    }
    try transaction.put(tables.byTime, key: Keys.byTime(record.eventTime, doc), value: [UInt8]())
    if let episode = trace.episodeID {
      try transaction.put(tables.byEpisode, key: Keys.byEpisode(episode, doc), value: [UInt8]())
    }
    index.textChanged(doc, record, isNew: true)
  }

  /// Merges a trace into the one the store holds (docs/trace-format.md §3); returns
  /// the number of new spans.
  private func merge(
    _ incoming: IncomingTrace, into doc: UInt32, in transaction: LMDBTransaction, index: inout IndexWriter
  ) throws -> Int {
    guard var record = try record(doc, in: transaction) else {
      throw TraceKVError(.corrupted, "trace \(incoming.trace.traceID) is in trace-ids but has no record")
    }
    let oldEventTime = record.eventTime
    let oldEpisode = record.trace.episodeID
    let existing = try spanViews(of: doc, in: transaction)
    let known = Set(existing.map(\.spanID))
    let newSpans = incoming.trace.spans.filter { !known.contains($0.spanID) }
    guard record.spanCount + newSpans.count <= Limits.maximumSpansPerTrace else {
      throw TraceKVError.invalid("trace \(incoming.trace.traceID): merging would exceed \(Limits.maximumSpansPerTrace) spans")
    }

    var trace = record.trace
    trace.attributes.merge(incoming.trace.attributes)
    if trace.systemPrompt == nil { trace.systemPrompt = incoming.trace.systemPrompt }
    if trace.episodeID == nil { trace.episodeID = incoming.trace.episodeID }
    let newEvaluation = trace.aiEvaluation == nil ? incoming.trace.aiEvaluation : nil
    if let newEvaluation { trace.aiEvaluation = newEvaluation }
    if let feedback = incoming.trace.feedback { trace.feedback = feedback }
    if let reason = incoming.trace.governanceReason { trace.governanceReason = reason }
    if incoming.statedPriority { trace.priority = incoming.trace.priority }
    if let stated = incoming.statedStatus, !(trace.status == .needsReview && stated == .running) {
      trace.status = stated
    }
    // Only new evidence sends a trace back to review: a human who cleared it
    // is not overruled by the spans they already saw.
    let newEvidence = Governance.asksForHelp(newSpans) || newSpans.contains(where: \.isError)
      || Governance.evaluationNeedsReview(newEvaluation)
    if newEvidence { trace.status = .needsReview }

    for span in newSpans {
      try transaction.put(tables.spans, key: Keys.span(doc, record.nextSpanSequence), value: SpanRecord.encode(span))
      record.nextSpanSequence += 1
    }
    record.trace = trace
    record.spanCount += newSpans.count
    record.eventTime = Trace.eventTime(
      existing.map { ($0.parentID, $0.startTime) } + newSpans.map { ($0.parentID, $0.startTime) },
      fallback: trace.createdAt)
    try transaction.put(tables.traces, key: Keys.docID(doc), value: record.encode())
    if record.eventTime != oldEventTime {
      try transaction.delete(tables.byTime, key: Keys.byTime(oldEventTime, doc))
      try transaction.put(tables.byTime, key: Keys.byTime(record.eventTime, doc), value: [UInt8]())
    }
    if oldEpisode == nil, let episode = trace.episodeID {
      try transaction.put(tables.byEpisode, key: Keys.byEpisode(episode, doc), value: [UInt8]())
    }
    index.textChanged(doc, record, isNew: false)
    return newSpans.count
  }
}

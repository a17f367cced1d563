import TraceKV

/// One request body waiting to be written.
struct IngestBody: Sendable {
  enum Kind: Sendable, Equatable {
    /// A TraceBrain trace object (`POST /api/v1/traces`, `/traces/init`).
    case traceBrain
    /// An OTLP/HTTP export request, already un-gzipped.
    case otlp(OTLPSignal, OTLPEncoding)
  }
  enum OTLPSignal: String, Sendable { case traces, logs }
  enum OTLPEncoding: String, Sendable { case json, protobuf }

  let kind: Kind
  let bytes: [UInt8]
}

/// What became of one body that was decoded.
struct BodyReport: Sendable, Equatable {
  /// Spans (or log records) refused inside an otherwise good body, for OTLP's partial success.
  var rejected = 0
  /// Why they were refused, or warnings; empty when all went in cleanly.
  var messages: [String] = []
}

/// THE seam between the server and the store's decoders: every body the
/// server writes goes through `ingest`, and `unsupported` says which kinds
/// this build cannot decode yet.
///
/// Today the TraceKV library decodes OTLP JSON traces only (through
/// `TraceStore.ingest(bytes:source:options:)`). When `TraceStore.ingestOTLP(_:signal:encoding:source:)`
/// lands, `unsupported` returns nil for every kind and the `.otlp` case of
/// `ingest` calls it once per body; nothing else in the server changes.
enum StoreIngest {
  /// Why this build cannot decode `kind` (the server answers 415), or nil.
  static func unsupported(_ kind: IngestBody.Kind) -> String? {
    switch kind {
    case .traceBrain, .otlp(.traces, .json): nil
    case .otlp(.traces, .protobuf):
      "this build of TraceKV decodes OTLP/HTTP JSON only; send Content-Type: application/json (protobuf support is coming)"
    case .otlp(.logs, _):
      "this build of TraceKV does not decode OTLP logs yet; send traces to /v1/traces"
    }
  }

  /// Writes `bodies` (all of one kind) in one ingest call, and says per body
  /// what happened. A body that cannot be read at all fails alone; a store
  /// failure fails them all (nothing of them was acknowledged).
  static func ingest(_ bodies: [IngestBody], into store: TraceStore) -> [Result<BodyReport, TraceKVError>] {
    guard let kind = bodies.first?.kind else { return [] }
    if let message = unsupported(kind) { return bodies.map { _ in .failure(TraceKVError(.invalidInput, message)) } }
    var results = [Result<BodyReport, TraceKVError>](repeating: .success(BodyReport()), count: bodies.count)
    // Each readable body becomes one item of a JSON array: one ingest call, one transaction.
    var items: [Int] = []
    var combined: [UInt8] = [UInt8(ascii: "[")]
    for (index, body) in bodies.enumerated() {
      if let problem = refusal(of: body) {
        results[index] = .failure(TraceKVError(.invalidInput, problem))
        continue
      }
      if !items.isEmpty { combined.append(UInt8(ascii: ",")) }
      combined += body.bytes
      items.append(index)
    }
    combined.append(UInt8(ascii: "]"))
    guard !items.isEmpty else { return results }
    let format: TraceStore.IngestFormat = kind == .traceBrain ? .tracebrain : .otlp
    let report: IngestReport
    do {
      report = try combined.withUnsafeBytes { bytes in
        try store.ingest(
          bytes: bytes, source: "request",
          options: TraceStore.IngestOptions(strict: false, batchSize: 1 << 20, layout: .json, format: format))
      }
    } catch {
      let failure = ServerErrors.storeError(error)
      for index in items { results[index] = .failure(failure) }
      return results
    }
    var unplaced: [String] = report.warnings
    for problem in report.rejected {
      // `line` is the 1-based array item, i.e. which request the problem came from.
      guard let item = problem.line, (1...items.count).contains(item) else {
        unplaced.append(problem.message)
        continue
      }
      let index = items[item - 1]
      if kind == .traceBrain {
        results[index] = .failure(TraceKVError(.invalidInput, problem.message))
      } else if case .success(var body) = results[index] {
        body.rejected += 1
        body.messages.append(problem.message)
        results[index] = .success(body)
      }
    }
    // Problems of traces assembled from several requests belong to none of them alone.
    if !unplaced.isEmpty {
      for index in items {
        if case .success(var body) = results[index] {
          body.messages += unplaced
          results[index] = .success(body)
        }
      }
    }
    return results
  }

  /// Why a body is refused whole before it reaches the store, or nil.
  private static func refusal(of body: IngestBody) -> String? {
    let value: JSONValue
    do { value = try JSONParser.parse(body.bytes) } catch { return "malformed JSON: \(error)" }
    guard case .object(let object) = value else { return "the body must be one JSON object" }
    if case .otlp = body.kind, object["resourceSpans"]?.arrayValue == nil {
      return "resourceSpans: is missing or not an array; this is not an OTLP ExportTraceServiceRequest"
    }
    return nil
  }
}

import Foundation
import TraceKV

/// One request body waiting to be written.
struct IngestBody: Sendable {
  enum Kind: Sendable, Equatable {
    /// A TraceBrain trace object (`POST /api/v1/traces`, `/traces/init`).
    case traceBrain
    /// An OTLP/HTTP export request, already un-gzipped.
    case otlp(OTLPSignal, OTLPEncoding)
  }
  typealias OTLPSignal = TraceStore.OTLPSignal
  typealias OTLPEncoding = TraceStore.OTLPEncoding

  let kind: Kind
  /// For `.traceBrain`, one JSON object: the routes parse each body (for its `trace_id`) before queueing it,
  /// and the writer joins a group's bodies into one JSON array, so the store parses each once more and no
  /// third time here.
  let bytes: [UInt8]
}

/// What became of one body that was decoded.
struct BodyReport: Sendable, Equatable {
  /// Spans (or log records) refused inside an otherwise good body, for OTLP's partial success.
  var rejected = 0
  /// Why they were refused, or warnings; empty when all went in cleanly.
  var messages: [String] = []
}

/// The seam between the server and the store's decoders: every body the
/// server writes goes through `ingest`, all bodies of one call in one write
/// transaction.
enum StoreIngest {
  /// Writes `bodies` (all of one kind) together, and says per body what
  /// happened. A body that cannot be read at all fails alone; a store
  /// failure fails them all (nothing of them was acknowledged).
  static func ingest(_ bodies: [IngestBody], into store: TraceStore) -> [Result<BodyReport, TraceKVError>] {
    guard let kind = bodies.first?.kind else { return [] }
    switch kind {
    case .traceBrain: return ingestTraceBrain(bodies, into: store)
    case .otlp: return ingestOTLP(bodies, into: store)
    }
  }

  /// OTLP bodies, JSON or protobuf, traces or logs: the library assembles
  /// spans and log records of one trace across them.
  private static func ingestOTLP(_ bodies: [IngestBody], into store: TraceStore) -> [Result<BodyReport, TraceKVError>] {
    let requests = bodies.map { body in
      guard case .otlp(let signal, let encoding) = body.kind else { preconditionFailure("bodies of one kind") }
      return TraceStore.OTLPRequestBody(bytes: body.bytes, signal: signal, encoding: encoding)
    }
    let batch: TraceStore.OTLPBatchReport
    do {
      batch = try store.ingestOTLP(requests, source: "request")
    } catch {
      let failure = ServerErrors.storeError(error)
      return bodies.map { _ in .failure(failure) }
    }
    // Problems of traces assembled from several requests belong to none of them alone.
    let unplaced = batch.committed.rejected.map(\.message) + batch.committed.warnings
    return batch.bodies.map { result in
      result.map { own in
        BodyReport(rejected: own.rejected.count, messages: own.rejected.map(\.message) + own.warnings + unplaced)
      }
    }
  }

  /// TraceBrain trace objects: each body becomes one item of a JSON array,
  /// so one ingest call and one transaction write them all.
  private static func ingestTraceBrain(_ bodies: [IngestBody], into store: TraceStore) -> [Result<BodyReport, TraceKVError>] {
    var results = [Result<BodyReport, TraceKVError>](repeating: .success(BodyReport()), count: bodies.count)
    var combined: [UInt8] = [UInt8(ascii: "[")]
    combined.reserveCapacity(bodies.reduce(2) { $0 + $1.bytes.count + 1 })
    for (index, body) in bodies.enumerated() {
      if index > 0 { combined.append(UInt8(ascii: ",")) }
      combined += body.bytes
    }
    combined.append(UInt8(ascii: "]"))
    let report: IngestReport
    do {
      report = try store.ingest(
        data: Data(combined), source: "request",
        // One worker: the writer thread parses a group this small faster than it could start threads for it.
        options: TraceStore.IngestOptions(
          strict: false, batchSize: 1 << 20, layout: .json, format: .tracebrain, workers: 1))
    } catch {
      let failure = ServerErrors.storeError(error)
      return bodies.map { _ in .failure(failure) }
    }
    for problem in report.rejected {
      // `line` is the 1-based array item, i.e. which request the problem came from.
      guard let item = problem.line, results.indices.contains(item - 1) else { continue }
      results[item - 1] = .failure(TraceKVError(.invalidInput, problem.message))
    }
    return results
  }
}

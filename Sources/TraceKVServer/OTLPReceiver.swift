import Hummingbird
import TraceKV

/// `POST /v1/traces` and `POST /v1/logs`, as the OTLP/HTTP specification
/// defines them. A 200 is sent only once the body is committed.
struct OTLPReceiver: Sendable {
  let writer: IngestWriter
  let configuration: ServerConfiguration

  func register(on router: Router<BasicRequestContext>) {
    router.post("v1/traces") { request, _ in await receive(request, signal: .traces) }
    router.post("v1/logs") { request, _ in await receive(request, signal: .logs) }
  }

  func receive(_ request: Request, signal: IngestBody.OTLPSignal) async -> Response {
    let mediaType = (request.headers[.contentType] ?? "").split(separator: ";").first
      .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    let encoding: IngestBody.OTLPEncoding
    switch mediaType {
    case "application/json": encoding = .json
    case "application/x-protobuf": encoding = .protobuf
    default:
      return HTTPReplies.bytes(
        .unsupportedMediaType,
        OTLPResponse.status(
          code: .invalidArgument,
          message: "Content-Type must be application/json or application/x-protobuf, not '\(mediaType)'",
          encoding: .json),
        contentType: "application/json")
    }
    func reply(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
      HTTPReplies.bytes(
        status,
        OTLPResponse.status(code: .init(httpStatus: status.code), message: message, encoding: encoding),
        contentType: mediaType, headers: headers)
    }
    let kind = IngestBody.Kind.otlp(signal, encoding)

    var body: [UInt8]
    do {
      body = try await HTTPReplies.collect(request, limit: configuration.maximumBodyBytes)
    } catch HTTPReplies.BodyFailure.tooLarge(let limit) {
      return reply(.contentTooLarge, "the body is larger than \(limit) bytes; send smaller batches")
    } catch {
      return reply(.badRequest, "the body could not be read: \(error)")
    }
    switch (request.headers[.contentEncoding] ?? "identity").lowercased() {
    case "identity", "": break
    case "gzip", "x-gzip":
      do throws(Gzip.Failure) {
        body = try Gzip.inflate(body, limit: configuration.maximumInflatedBytes)
      } catch .tooLarge(let limit) {
        return reply(.contentTooLarge, "the body inflates past \(limit) bytes; send smaller batches")
      } catch .malformed(let why) {
        return reply(.badRequest, "the gzip body is malformed: \(why)")
      } catch {
        preconditionFailure("Gzip.Failure has two cases")
      }
    case let other:
      return reply(.unsupportedMediaType, "Content-Encoding must be gzip or identity, not '\(other)'")
    }

    let outcome: IngestWriter.Outcome
    do {
      outcome = try await writer.submit(.ingest(IngestBody(kind: kind, bytes: body)))
    } catch {
      return reply(
        .serviceUnavailable, error.message(configuration),
        headers: [.retryAfter: String(configuration.retryAfterSeconds)])
    }
    switch outcome {
    case .ingested(let report):
      let message = report.messages.isEmpty ? nil : report.messages.prefix(20).joined(separator: "; ")
      return HTTPReplies.bytes(
        .ok, OTLPResponse.export(rejected: report.rejected, message: message, signal: signal, encoding: encoding),
        contentType: mediaType)
    case .failed(let error):
      return reply(ServerErrors.status(for: error.kind), error.message)
    case .operated:
      preconditionFailure("an ingest job answered as an operation")
    }
  }
}

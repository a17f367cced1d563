import Foundation
import HTTPTypes
import Hummingbird
import TraceKV

/// Building responses and reading bodies, shared by every route.
enum HTTPReplies {
  static func bytes(
    _ status: HTTPResponse.Status, _ bytes: [UInt8], contentType: String, headers extra: HTTPFields = [:]
  ) -> Response {
    var headers = extra
    headers[.contentType] = contentType
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
  }

  static func json(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
    bytes(status, JSONWriter.compactBytes(value), contentType: "application/json", headers: headers)
  }

  /// FastAPI's error shape, which TraceBrain's clients read: `{"detail": "..."}`.
  static func detail(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
    json(status, .object(JSONObject(["detail": .string(message)])), headers: headers)
  }

  /// A store failure, with the status its kind maps to.
  static func failure(_ error: any Error) -> Response {
    let error = ServerErrors.storeError(error)
    return detail(ServerErrors.status(for: error.kind), error.message)
  }

  enum BodyFailure: Error {
    case tooLarge(limit: Int)
  }

  /// The whole body, refusing one longer than `limit` bytes (by its
  /// Content-Length before reading, or while reading when it has none).
  static func collect(_ request: Request, limit: Int) async throws -> [UInt8] {
    if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
      throw BodyFailure.tooLarge(limit: limit)
    }
    var collected: [UInt8] = []
    for try await var chunk in request.body {
      guard collected.count + chunk.readableBytes <= limit else { throw BodyFailure.tooLarge(limit: limit) }
      collected += chunk.readBytes(length: chunk.readableBytes) ?? []
    }
    return collected
  }

  /// `offload`, also saying how long the work waited for a thread, how long
  /// it ran and how much of that its thread was on a processor (for a
  /// `Server-Timing` header: a wall time well above the CPU time is time
  /// the thread was preempted).
  static func offloadTimed<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> Timed<T> {
    let queued = ContinuousClock.now
    return try await offload {
      let began = ContinuousClock.now
      let cpuBefore = threadCPUTime()
      let value = try work()
      return Timed(value: value, waited: began - queued, ran: .now - began, cpu: threadCPUTime() - cpuBefore)
    }
  }

  struct Timed<T: Sendable>: Sendable {
    let value: T
    let waited: Duration
    let ran: Duration
    let cpu: Duration
  }

  /// The calling thread's CPU time so far.
  private static func threadCPUTime() -> Duration {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
  }

  static let serverTimingField = HTTPField.Name("Server-Timing")!

  /// A `Server-Timing` value (W3C Server Timing): each metric with its duration in milliseconds.
  static func serverTiming(_ metrics: KeyValuePairs<String, Duration>) -> String {
    metrics.map { name, duration in
      let (seconds, attoseconds) = duration.components
      let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
      return "\(name);dur=\((milliseconds * 1000).rounded() / 1000)"
    }.joined(separator: ", ")
  }

  /// Runs blocking store work (LMDB reads, query embedding) off the event
  /// loop, whose one thread serves every connection (`EventLoopTaskExecutor`).
  static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      DispatchQueue.global().async {
        continuation.resume(with: Result { try work() })
      }
    }
  }
}

import Hummingbird
import TraceKV

/// A request refused before it reaches the store, with its answer.
struct Refused: Error {
  let response: Response
  init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
    response = HTTPReplies.detail(status, message, headers: headers)
  }
}

/// Typed, range-checked query parameters; a bad one is a 422 as FastAPI answers it.
struct QueryParameters {
  let values: [String: String]

  init(_ request: Request) {
    var values: [String: String] = [:]
    for (key, value) in request.uri.queryParameters { values[String(key)] = String(value) }
    self.values = values
  }

  func string(_ name: String) -> String? {
    guard let value = values[name], !value.isEmpty else { return nil }
    return value
  }

  func int(_ name: String, in range: ClosedRange<Int>) throws(Refused) -> Int? {
    guard let text = string(name) else { return nil }
    guard let value = Int(text), range.contains(value) else {
      throw Refused(.unprocessableContent, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
    }
    return value
  }

  func double(_ name: String, in range: ClosedRange<Double>) throws(Refused) -> Double? {
    guard let text = string(name) else { return nil }
    guard let value = Double(text), range.contains(value) else {
      throw Refused(.unprocessableContent, "\(name) must be a number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
    }
    return value
  }

  func timestamp(_ name: String) throws(Refused) -> Timestamp? {
    guard let text = string(name) else { return nil }
    guard let value = Timestamp(iso8601: text) else {
      throw Refused(.unprocessableContent, "\(name) must be an ISO 8601 instant, not '\(text)'")
    }
    return value
  }

  /// TraceBrain's list and export filters: status, min_rating, error_type,
  /// min/max_confidence, start_time/end_time (TraceKV filters on event time).
  func traceFilter() throws(Refused) -> TraceFilter {
    var filter = TraceFilter()
    if let status = string("status") {
      guard let value = TraceStatus(rawValue: status) else {
        throw Refused(.unprocessableContent, "status must be one of running, completed, needs_review, failed, not '\(status)'")
      }
      filter.statuses = [value]
    }
    filter.minRating = try int("min_rating", in: ParameterBounds.rating)
    if let errorType = string("error_type") { filter.errorTypes = [ErrorType(producerValue: errorType)] }
    filter.minConfidence = try double("min_confidence", in: 0...1)
    filter.maxConfidence = try double("max_confidence", in: 0...1)
    filter.since = try timestamp("start_time")
    filter.until = try timestamp("end_time")
    return filter
  }
}

/// A JSON request body as an object, or a 422.
func jsonObjectBody(_ request: Request, limit: Int) async throws -> (JSONObject, [UInt8]) {
  let bytes: [UInt8]
  do {
    bytes = try await HTTPReplies.collect(request, limit: limit)
  } catch HTTPReplies.BodyFailure.tooLarge(let limit) {
    throw Refused(.contentTooLarge, "the body is larger than \(limit) bytes")
  }
  guard case .object(let object) = try? JSONParser.parse(bytes) else {
    throw Refused(.unprocessableContent, "the body must be a JSON object")
  }
  return (object, bytes)
}

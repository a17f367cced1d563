import TraceKV

/// OTLP/HTTP answers, in the request's encoding (OTLP specification,
/// "OTLP/HTTP Response"): an export response, empty on full success or with
/// `partial_success`, and a `google.rpc.Status` for 4xx/5xx.
enum OTLPResponse {
  /// `Export{Trace,Logs}ServiceResponse`: field 1 `partial_success`, whose
  /// field 1 is `rejected_spans` (or `rejected_log_records`) and field 2 `error_message`.
  static func export(
    rejected: Int, message: String?, signal: IngestBody.OTLPSignal, encoding: IngestBody.OTLPEncoding
  ) -> [UInt8] {
    guard rejected > 0 || message != nil else {
      return encoding == .json ? Array("{}".utf8) : []
    }
    switch encoding {
    case .json:
      var partial = JSONObject()
      // proto3 JSON writes int64 as a decimal string.
      partial[signal == .traces ? "rejectedSpans" : "rejectedLogRecords"] = .string(String(rejected))
      if let message { partial["errorMessage"] = .string(message) }
      return JSONWriter.compactBytes(.object(JSONObject(["partialSuccess": .object(partial)])))
    case .protobuf:
      var partial: [UInt8] = []
      if rejected > 0 { partial += Protobuf.varintField(1, UInt64(rejected)) }
      if let message { partial += Protobuf.bytesField(2, Array(message.utf8)) }
      return Protobuf.bytesField(1, partial)
    }
  }

  /// `google.rpc.Status`: field 1 `code` (a gRPC code), field 2 `message`.
  static func status(code: GRPCCode, message: String, encoding: IngestBody.OTLPEncoding) -> [UInt8] {
    switch encoding {
    case .json:
      return JSONWriter.compactBytes(
        .object(JSONObject(["code": .int(Int(code.rawValue)), "message": .string(message)])))
    case .protobuf:
      return Protobuf.varintField(1, UInt64(code.rawValue)) + Protobuf.bytesField(2, Array(message.utf8))
    }
  }

  /// The gRPC status codes an OTLP failure is reported with.
  enum GRPCCode: Int32 {
    case invalidArgument = 3
    case notFound = 5
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case `internal` = 13
    case unavailable = 14
    case unauthenticated = 16
    case unimplemented = 12

    /// The code matching an HTTP status.
    init(httpStatus: Int) {
      switch httpStatus {
      case 400, 413, 415: self = .invalidArgument
      case 401: self = .unauthenticated
      case 403: self = .permissionDenied
      case 404: self = .notFound
      case 429, 507: self = .resourceExhausted
      case 503, 504: self = .unavailable
      default: self = .internal
      }
    }
  }
}

/// The two protobuf wire types these responses need.
enum Protobuf {
  static func varint(_ value: UInt64) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    while value >= 0x80 {
      bytes.append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
    return bytes
  }

  /// Wire type 0.
  static func varintField(_ number: UInt64, _ value: UInt64) -> [UInt8] { varint(number << 3) + varint(value) }

  /// Wire type 2 (length-delimited: strings and messages).
  static func bytesField(_ number: UInt64, _ value: [UInt8]) -> [UInt8] {
    varint(number << 3 | 2) + varint(UInt64(value.count)) + value
  }
}

/// OTLP input in any of its forms, decoded to spans and log records:
/// JSON or protobuf, traces or logs, one request body or the OpenTelemetry
/// collector file exporter's protobuf file (`format: proto`), where each
/// message is preceded by its length as a 4-byte big-endian integer.
enum OTLPInput {
  /// One request body of a known signal and encoding.
  static func decode(_ body: [UInt8], signal: TraceStore.OTLPSignal, encoding: TraceStore.OTLPEncoding)
    throws(TraceKVError) -> OTLPDecoder.Decoded
  {
    guard body.count <= Limits.maximumDocumentBytes else {
      throw .invalid("a request longer than \(Limits.maximumDocumentBytes) bytes")
    }
    let request: JSONValue
    switch encoding {
    case .json:
      do {
        request = unsafe try body.withUnsafeBytes { bytes throws(JSONParseError) in unsafe try JSONParser.parse(bytes) }
      } catch {
        throw .invalid("malformed JSON: \(error)")
      }
    case .protobuf:
      request = signal == .traces ? try OTLPProtobuf.traces(body) : try OTLPProtobuf.logs(body)
    }
    return signal == .traces ? try OTLPDecoder.decode(request) : try OTLPLogDecoder.decode(request)
  }

  /// A protobuf file: by its name (`.pb`, `.binpb`), else by its first byte
  /// (an OTLP message opens with its field 1, `0x0A`; a file exporter frame
  /// with the high byte of its length, `0x00` below 16 MiB; JSON with `{`,
  /// `[` or white space). `0x0A` is also a newline: JSON that opens with a
  /// blank line is told by parsing it (whole, or its first line for JSONL).
  static func isProtobuf(_ bytes: UnsafeRawBufferPointer, fileName: String) -> Bool {
    if fileName.hasSuffix(".pb") || fileName.hasSuffix(".binpb") { return true }
    if fileName.hasSuffix(".json") || fileName.hasSuffix(".jsonl") || fileName.hasSuffix(".ndjson") {
      return false
    }
    guard let first = unsafe bytes.first else { return false }
    if first == 0x00 { return true }
    guard first == 0x0A else { return false }
    let blank: Set<UInt8> = [0x20, 0x0A, 0x0D, 0x09]
    guard let start = unsafe bytes.firstIndex(where: { !blank.contains($0) }),
      unsafe bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "[")
    else { return true }
    if unsafe (try? JSONParser.parse(bytes)) != nil { return false }
    let end = unsafe bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
    return unsafe (try? JSONParser.parse(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))) == nil
  }

  /// The protobuf messages of a file, each with its 1-based position in a
  /// framed file (nil for a file that is one message), and its signal.
  static func messages(_ bytes: UnsafeRawBufferPointer) -> [(position: Int?, bytes: [UInt8])] {
    if let frames = unsafe frames(bytes) { return frames.enumerated().map { ($0.offset + 1, $0.element) } }
    return unsafe [(nil, Array(bytes))]
  }

  /// The file exporter's frames, when the whole file parses as frames of
  /// at least one byte; nil otherwise (then it is one message).
  private static func frames(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]]? {
    guard unsafe bytes.first == 0x00 else { return nil }
    var frames: [[UInt8]] = []
    var offset = 0
    while offset < bytes.count {
      guard bytes.count - offset >= 4 else { return nil }
      let length = (0..<4).reduce(0) { unsafe $0 << 8 | Int(bytes[offset + $1]) }
      offset += 4
      guard length > 0, length <= bytes.count - offset else { return nil }
      unsafe frames.append(Array(bytes[offset..<offset + length]))
      offset += length
    }
    return frames
  }

  /// A JSON document's signal; nil when it is no OTLP request.
  static func signal(ofJSON value: JSONValue) -> TraceStore.OTLPSignal? {
    if OTLPDecoder.isRequest(value) { return .traces }
    if OTLPLogDecoder.isRequest(value) { return .logs }
    return nil
  }
}

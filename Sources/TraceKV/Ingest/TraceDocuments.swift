import Foundation

/// The layouts a trace file can have.
public enum TraceFileLayout: Sendable {
  /// One JSON document: a trace object or an array of them.
  case json
  /// One trace object per line (TraceBrain's export format).
  case jsonl
}

/// Splits a file's bytes into trace documents, each with its position, so an
/// error names the line (JSONL) or the item (JSON array).
enum TraceDocuments {
  struct Document {
    /// 1-based line (JSONL) or item (array); nil for a lone object.
    let position: Int?
    let value: Result<JSONValue, JSONParseError>
  }

  /// Guesses the layout: by extension first, else a file that parses as one
  /// JSON value is JSON and anything else JSONL. (A JSONL file fails the
  /// whole-file parse at the end of its first line, so guessing is cheap.)
  static func layout(of bytes: UnsafeRawBufferPointer, fileName: String) -> TraceFileLayout {
    if fileName.hasSuffix(".jsonl") || fileName.hasSuffix(".ndjson") { return .jsonl }
    if bytes.first(where: { !isWhitespace($0) }) != UInt8(ascii: "{") { return .json }
    return (try? JSONParser.parse(bytes)) != nil ? .json : .jsonl
  }

  /// Calls `body` for each document, in order. A JSON array yields its items.
  static func forEach(
    in bytes: UnsafeRawBufferPointer, layout: TraceFileLayout, _ body: (Document, _ bytesDone: Int) throws -> Void
  ) rethrows {
    switch layout {
    case .json:
      // One trace (not an array of them) obeys the document limit.
      if bytes.count > Limits.maximumDocumentBytes, bytes.first(where: { !isWhitespace($0) }) == UInt8(ascii: "{") {
        let tooLarge = JSONParseError(message: "a document longer than \(Limits.maximumDocumentBytes) bytes", offset: 0)
        try body(Document(position: nil, value: .failure(tooLarge)), bytes.count)
        return
      }
      let parsed = Result { () throws(JSONParseError) in try JSONParser.parse(bytes) }
      if case .success(.array(let items)) = parsed {
        for (index, item) in items.enumerated() {
          try body(Document(position: index + 1, value: .success(item)), bytes.count * (index + 1) / items.count)
        }
      } else {
        try body(Document(position: nil, value: parsed), bytes.count)
      }
    case .jsonl:
      var lineStart = 0
      var lineNumber = 0
      while lineStart < bytes.count {
        lineNumber += 1
        let lineEnd = newline(in: bytes, from: lineStart)
        let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd])
        if line.contains(where: { !isWhitespace($0) }) {
          let parsed: Result<JSONValue, JSONParseError> =
            line.count > Limits.maximumDocumentBytes
            ? .failure(JSONParseError(message: "line longer than \(Limits.maximumDocumentBytes) bytes", offset: 0))
            : Result { () throws(JSONParseError) in try JSONParser.parse(line) }
          try body(Document(position: lineNumber, value: parsed), lineEnd)
        }
        lineStart = lineEnd + 1
      }
    }
  }

  /// The offset of the next newline at or after `start`, or the end.
  private static func newline(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
    guard let base = bytes.baseAddress, start < bytes.count,
      let found = memchr(base + start, 0x0A, bytes.count - start)
    else { return bytes.count }
    return base.distance(to: UnsafeRawPointer(found))
  }

  private static func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
  }
}

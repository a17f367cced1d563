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
    if unsafe bytes.first(where: { !isWhitespace($0) }) != UInt8(ascii: "{") { return .json }
    return unsafe (try? JSONParser.parse(bytes)) != nil ? .json : .jsonl
  }

  /// Calls `body` for each document, in order. A JSON array yields its items.
  static func forEach(
    in bytes: UnsafeRawBufferPointer, layout: TraceFileLayout, _ body: (Document, _ bytesDone: Int) throws -> Void
  ) rethrows {
    var splitter = unsafe Splitter(bytes, layout: layout)
    while let (piece, done) = splitter.next() { unsafe try body(piece.parsed(in: bytes), done) }
  }

  /// A document found but not necessarily parsed yet: a JSONL line is
  /// parsed by `parsed(in:)`, which ingest's workers call in parallel.
  enum Piece {
    case line(position: Int, range: Range<Int>)
    case document(Document)

    func parsed(in bytes: UnsafeRawBufferPointer) -> Document {
      switch self {
      case .document(let document): return document
      case .line(let position, let range):
        let line = unsafe UnsafeRawBufferPointer(rebasing: bytes[range])
        let parsed: Result<JSONValue, JSONParseError> =
          line.count > Limits.maximumDocumentBytes
          ? .failure(JSONParseError(message: "line longer than \(Limits.maximumDocumentBytes) bytes", offset: 0))
          : Result { () throws(JSONParseError) in unsafe try JSONParser.parse(line) }
        return Document(position: position, value: parsed)
      }
    }
  }

  /// Finds the documents one at a time, in order: JSONL lines by their
  /// newlines (unparsed), a JSON file by parsing it whole (an array yields
  /// its items).
  @safe struct Splitter {
    private let bytes: UnsafeRawBufferPointer
    private var lineStart = 0
    private var lineNumber = 0
    private var documents: [Document]?  // a JSON file's, parsed at the start
    private var documentIndex = 0

    init(_ bytes: UnsafeRawBufferPointer, layout: TraceFileLayout) {
      unsafe self.bytes = unsafe bytes
      guard layout == .json else { return }
      // One trace (not an array of them) obeys the document limit.
      if bytes.count > Limits.maximumDocumentBytes, unsafe bytes.first(where: { !isWhitespace($0) }) == UInt8(ascii: "{") {
        let tooLarge = JSONParseError(message: "a document longer than \(Limits.maximumDocumentBytes) bytes", offset: 0)
        documents = [Document(position: nil, value: .failure(tooLarge))]
        return
      }
      let parsed = Result { () throws(JSONParseError) in unsafe try JSONParser.parse(bytes) }
      if case .success(.array(let items)) = parsed {
        documents = items.enumerated().map { Document(position: $0 + 1, value: .success($1)) }
      } else {
        documents = [Document(position: nil, value: parsed)]
      }
    }

    /// The next document and the bytes done once it is; nil at the end.
    mutating func next() -> (Piece, bytesDone: Int)? {
      if let documents {
        guard documentIndex < documents.count else { return nil }
        documentIndex += 1
        return unsafe (.document(documents[documentIndex - 1]), bytes.count * documentIndex / documents.count)
      }
      while unsafe lineStart < bytes.count {
        lineNumber += 1
        let lineEnd = unsafe newline(in: bytes, from: lineStart)
        let range = lineStart..<lineEnd
        lineStart = lineEnd + 1
        if unsafe bytes[range].contains(where: { !isWhitespace($0) }) {
          return (.line(position: lineNumber, range: range), lineEnd)
        }
      }
      return nil
    }
  }

  /// The offset of the next newline at or after `start`, or the end.
  private static func newline(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
    guard let base = bytes.baseAddress, start < bytes.count,
      let found = unsafe memchr(base + start, 0x0A, bytes.count - start)
    else { return bytes.count }
    return unsafe base.distance(to: UnsafeRawPointer(found))
  }

  private static func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
  }
}

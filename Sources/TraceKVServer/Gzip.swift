import CZlib

/// Inflates `Content-Encoding: gzip` request bodies with Debian's zlib.
enum Gzip {
  enum Failure: Error, Equatable {
    /// The inflated body would pass `limit` bytes (a decompression bomb, or just too large).
    case tooLarge(limit: Int)
    /// Not a gzip stream, or a damaged one.
    case malformed(String)
  }

  /// The inflated bytes of a gzip stream (several concatenated members are
  /// read as one, as `gunzip` does), refusing to grow past `limit` bytes.
  static func inflate(_ compressed: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
    var stream = z_stream()
    // 16 + MAX_WBITS: expect a gzip header and trailer, not a raw zlib stream.
    guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw .malformed("zlib could not start")
    }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    var input = compressed
    let result: Result<Void, Failure> = input.withUnsafeMutableBufferPointer { inputBuffer in
      stream.next_in = inputBuffer.baseAddress
      stream.avail_in = UInt32(inputBuffer.count)
      while true {
        let status = chunk.withUnsafeMutableBufferPointer { chunkBuffer -> Int32 in
          stream.next_out = chunkBuffer.baseAddress
          stream.avail_out = UInt32(chunkBuffer.count)
          return CZlib.inflate(&stream, Z_NO_FLUSH)
        }
        let produced = chunk.count - Int(stream.avail_out)
        if output.count + produced > limit { return .failure(.tooLarge(limit: limit)) }
        output.append(contentsOf: chunk[..<produced])
        switch status {
        case Z_STREAM_END:
          // Another gzip member may follow (RFC 1952 allows several).
          guard stream.avail_in > 0 else { return .success(()) }
          guard inflateReset(&stream) == Z_OK else { return .failure(.malformed("zlib could not restart")) }
        case Z_OK:
          if stream.avail_in == 0 && produced == 0 { return .failure(.malformed("the gzip stream ends early")) }
        case Z_BUF_ERROR:
          if stream.avail_in == 0 { return .failure(.malformed("the gzip stream ends early")) }
        default:
          let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
          return .failure(.malformed(message))
        }
      }
    }
    try result.get()
    return output
  }
}

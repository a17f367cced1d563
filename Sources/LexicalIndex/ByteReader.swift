import ByteCodecs

/// Reads LEB128 integers (`ByteCodecs.LEB128`) from borrowed bytes, checking
/// every bound: a chunk read from disk may be corrupted, and a corrupted chunk
/// must become an error, never an out-of-bounds read.
@unsafe
struct ByteReader {
  let bytes: UnsafeRawBufferPointer
  var offset: Int

  init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
    unsafe self.bytes = unsafe bytes
    unsafe self.offset = offset
  }

  var isAtEnd: Bool { unsafe offset == bytes.count }

  /// The next integer, or nil when the bytes end early or it overflows 32 bits.
  @inline(__always)
  mutating func readVarInt() -> UInt32? { unsafe LEB128.read(UInt32.self, from: bytes, at: &offset) }

  /// Reads `count` raw bytes.
  mutating func readBytes(_ count: Int) -> [UInt8]? {
    guard count >= 0, unsafe bytes.count - offset >= count else { return nil }
    defer { unsafe offset += count }
    return unsafe Array(bytes[offset..<(offset + count)])
  }
}

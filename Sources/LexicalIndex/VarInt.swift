/// LEB128 variable-length unsigned integers: 7 bits per byte, low bits first,
/// high bit set on every byte but the last. Doc-id deltas, term frequencies
/// and document lengths are small, so most take one byte.
enum VarInt {
  /// Appends `value` to `bytes`.
  @inline(__always)
  static func append(_ value: UInt32, to bytes: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
  }
}

/// Reads LEB128 integers from borrowed bytes, checking every bound: a chunk
/// read from disk may be corrupted, and a corrupted chunk must become an error,
/// never an out-of-bounds read.
struct ByteReader {
  let bytes: UnsafeRawBufferPointer
  var offset: Int

  init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
    self.bytes = bytes
    self.offset = offset
  }

  var isAtEnd: Bool { offset == bytes.count }

  /// The next integer, or nil when the bytes end early or it overflows 32 bits.
  @inline(__always)
  mutating func readVarInt() -> UInt32? {
    // Most values (deltas, frequencies, short lengths) fit in one byte, and
    // most of the rest (lengths of 128 to 16,383 tokens) in two.
    if offset < bytes.count {
      let byte = bytes[offset]
      if byte < 0x80 {
        offset += 1
        return UInt32(byte)
      }
      if offset + 1 < bytes.count {
        let second = bytes[offset + 1]
        if second < 0x80 {
          offset += 2
          return UInt32(byte & 0x7F) | UInt32(second) << 7
        }
      }
    }
    return readLongVarInt()
  }

  private mutating func readLongVarInt() -> UInt32? {
    var result: UInt32 = 0
    var shift: UInt32 = 0
    while offset < bytes.count {
      let byte = bytes[offset]
      offset += 1
      if shift == 28 && byte > 0x0F { return nil }
      result |= UInt32(byte & 0x7F) << shift
      if byte < 0x80 { return result }
      shift += 7
    }
    return nil
  }

  /// Reads `count` raw bytes.
  mutating func readBytes(_ count: Int) -> [UInt8]? {
    guard count >= 0, bytes.count - offset >= count else { return nil }
    defer { offset += count }
    return Array(bytes[offset..<(offset + count)])
  }
}

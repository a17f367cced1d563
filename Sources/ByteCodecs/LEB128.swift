/// LEB128 variable-length unsigned integers: 7 bits per byte, low bits
/// first, the high bit set on every byte but the last. The one varint of the
/// package: doc-id deltas, term frequencies and document lengths in posting
/// chunks, lengths and counts in the store's records.
public enum LEB128 {
  /// Appends `value` in as few bytes as it needs.
  @inlinable
  public static func append<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to bytes: inout [UInt8]) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(truncatingIfNeeded: rest))
  }

  /// The integer starting `offset` bytes into `bytes`, advancing `offset`
  /// past it; nil (with `offset` unspecified) when the bytes end before the
  /// last byte of the integer or its value does not fit in `T`.
  @inlinable
  public static func read<T: FixedWidthInteger & UnsignedInteger, Bytes: RandomAccessCollection<UInt8>>(
    _: T.Type, from bytes: Bytes, at offset: inout Int
  ) -> T? {
    // Most values (deltas, frequencies, short lengths) take one byte, and
    // most of the rest (lengths of 128 to 16,383 tokens) two.
    let start = bytes.startIndex
    if offset >= 0, offset < bytes.count {
      let first = bytes[bytes.index(start, offsetBy: offset)]
      if first < 0x80 {
        offset += 1
        return T(first)
      }
      if T.bitWidth >= 14, offset + 1 < bytes.count {
        let second = bytes[bytes.index(start, offsetBy: offset + 1)]
        if second < 0x80 {
          offset += 2
          return T(first & 0x7F) | T(second) << 7
        }
      }
    }
    return readLong(T.self, from: bytes, at: &offset)
  }

  // Inlinable too: a generic left unspecialized across the module boundary
  // costs a witness call per byte (measured: record decoding twice as slow).
  @inlinable
  static func readLong<T: FixedWidthInteger & UnsignedInteger, Bytes: RandomAccessCollection<UInt8>>(
    _: T.Type, from bytes: Bytes, at offset: inout Int
  ) -> T? {
    guard offset >= 0 else { return nil }
    var value: T = 0
    var shift = 0
    while offset < bytes.count {
      let byte = bytes[bytes.index(bytes.startIndex, offsetBy: offset)]
      offset += 1
      let payload = T(byte & 0x7F)
      // The bits that would be shifted out of `T` must be zero.
      guard shift < T.bitWidth, payload >> (T.bitWidth - shift) == 0 else { return nil }
      value |= payload << shift
      if byte < 0x80 { return value }
      shift += 7
    }
    return nil
  }
}

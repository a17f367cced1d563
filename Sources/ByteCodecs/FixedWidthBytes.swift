/// Fixed-width unsigned integers as bytes, in either byte order.
///
/// Keys of the store's tables are big-endian, so that LMDB's byte-wise order
/// is numeric order; record bodies read by the vector index are
/// little-endian, the order of the machines it runs on. Every reader takes an
/// offset from the collection's start and returns nil when fewer bytes than
/// the integer's width remain: a damaged record becomes an error, never an
/// out-of-bounds read. No pointer is involved: the shifts compile to a load
/// and a byte swap once specialized.
package enum BigEndian {
  /// Appends `value`, most significant byte first.
  @inlinable
  package static func append<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to bytes: inout [UInt8]) {
    var shift = T.bitWidth - 8
    while shift >= 0 {
      bytes.append(UInt8(truncatingIfNeeded: value >> shift))
      shift -= 8
    }
  }

  /// `value`'s bytes, most significant first.
  @inlinable
  package static func bytes<T: FixedWidthInteger & UnsignedInteger>(_ value: T) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(T.bitWidth / 8)
    append(value, to: &bytes)
    return bytes
  }

  /// The `T` whose bytes start `offset` bytes into `bytes`, or nil when they run short.
  @inlinable
  package static func read<T: FixedWidthInteger & UnsignedInteger, Bytes: Collection<UInt8>>(
    _: T.Type, from bytes: Bytes, at offset: Int = 0
  ) -> T? {
    let width = T.bitWidth / 8
    guard offset >= 0, bytes.count - offset >= width else { return nil }
    var value: T = 0
    for byte in bytes.dropFirst(offset).prefix(width) { value = value << 8 | T(byte) }
    return value
  }
}

/// See `BigEndian`; the least significant byte first.
package enum LittleEndian {
  /// Appends `value`, least significant byte first.
  @inlinable
  package static func append<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to bytes: inout [UInt8]) {
    var shift = 0
    while shift < T.bitWidth {
      bytes.append(UInt8(truncatingIfNeeded: value >> shift))
      shift += 8
    }
  }

  /// The `T` whose bytes start `offset` bytes into `bytes`, or nil when they run short.
  @inlinable
  package static func read<T: FixedWidthInteger & UnsignedInteger, Bytes: Collection<UInt8>>(
    _: T.Type, from bytes: Bytes, at offset: Int = 0
  ) -> T? {
    let width = T.bitWidth / 8
    guard offset >= 0, bytes.count - offset >= width else { return nil }
    var value: T = 0
    var shift = 0
    for byte in bytes.dropFirst(offset).prefix(width) {
      value |= T(byte) << shift
      shift += 8
    }
    return value
  }
}

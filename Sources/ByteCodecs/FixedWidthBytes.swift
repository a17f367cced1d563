/// Fixed-width unsigned integers as bytes, in either byte order.
///
/// `public` in a target that is no product, so still invisible outside the
/// package: `package` access would say so, but Swift 6.3 does not specialize
/// a `package` `@inlinable` generic in the calling module, and unspecialized
/// codecs made record decoding and search twice as slow (measured with
/// `tracekv-bench ingest --traces 10000`).
///
/// Keys of the store's tables are big-endian, so that LMDB's byte-wise order
/// is numeric order; record bodies read by the vector index are
/// little-endian, the order of the machines it runs on. Every reader takes an
/// offset from the collection's start and returns nil when fewer bytes than
/// the integer's width remain: a damaged record becomes an error, never an
/// out-of-bounds read. No pointer is involved: the shifts compile to a load
/// and a byte swap once specialized.
public enum BigEndian {
  /// Appends `value`, most significant byte first.
  @inlinable
  public static func append<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to bytes: inout [UInt8]) {
    var shift = T.bitWidth - 8
    while shift >= 0 {
      bytes.append(UInt8(truncatingIfNeeded: value >> shift))
      shift -= 8
    }
  }

  /// `value`'s bytes, most significant first.
  @inlinable
  public static func bytes<T: FixedWidthInteger & UnsignedInteger>(_ value: T) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(T.bitWidth / 8)
    append(value, to: &bytes)
    return bytes
  }

  /// The `T` whose bytes start `offset` bytes into `bytes`, or nil when they run short.
  @inlinable
  public static func read<T: FixedWidthInteger & UnsignedInteger, Bytes: Collection<UInt8>>(
    _: T.Type, from bytes: Bytes, at offset: Int = 0
  ) -> T? {
    readFixedWidth(T.self, from: bytes, at: offset) { value, byte, _ in value << 8 | byte }
  }
}

/// See `BigEndian`; the least significant byte first.
public enum LittleEndian {
  /// Appends `value`, least significant byte first.
  @inlinable
  public static func append<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to bytes: inout [UInt8]) {
    var shift = 0
    while shift < T.bitWidth {
      bytes.append(UInt8(truncatingIfNeeded: value >> shift))
      shift += 8
    }
  }

  /// The `T` whose bytes start `offset` bytes into `bytes`, or nil when they run short.
  @inlinable
  public static func read<T: FixedWidthInteger & UnsignedInteger, Bytes: Collection<UInt8>>(
    _: T.Type, from bytes: Bytes, at offset: Int = 0
  ) -> T? {
    readFixedWidth(T.self, from: bytes, at: offset) { value, byte, position in value | byte << (8 * position) }
  }
}

/// The bytes of a `T` at `offset`, folded in order by `combine(value, byte,
/// position)`; nil when fewer than `T`'s width remain.
@inlinable
func readFixedWidth<T: FixedWidthInteger & UnsignedInteger, Bytes: Collection<UInt8>>(
  _: T.Type, from bytes: Bytes, at offset: Int, _ combine: (T, T, Int) -> T
) -> T? {
  let width = T.bitWidth / 8
  guard offset >= 0, bytes.count - offset >= width else { return nil }
  var index = bytes.index(bytes.startIndex, offsetBy: offset)
  var value: T = 0
  for position in 0..<width {
    value = combine(value, T(bytes[index]), position)
    bytes.formIndex(after: &index)
  }
  return value
}

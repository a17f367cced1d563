/// Bounds-checked reading of lent bytes (`RawSpan`, e.g. a value lent from
/// LMDB's map), so that code reading a record never holds a pointer that could
/// outlive the lender. Each entry point is one bounds check around the
/// `Collection` codecs; the raw view exists only inside them.
extension RawSpan {
  /// The byte `offset` bytes from the start; traps past the end, as an
  /// array's subscript does.
  @inlinable
  public func byte(at offset: Int) -> UInt8 {
    precondition(offset >= 0 && offset < byteCount, "byte offset out of range")
    return unsafe unsafeLoad(fromByteOffset: offset, as: UInt8.self)
  }

  /// The bytes, copied out.
  @inlinable
  public var copiedBytes: [UInt8] { unsafe withUnsafeBytes { unsafe Array($0) } }

  /// The bytes in `range`, copied out; traps when `range` is out of bounds.
  @inlinable
  public func copiedBytes(_ range: Range<Int>) -> [UInt8] {
    precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "byte range out of range")
    return unsafe withUnsafeBytes { unsafe Array($0[range]) }
  }

  /// The bytes in `range` decoded as UTF-8 (a damaged sequence becomes U+FFFD).
  @inlinable
  public func utf8String(_ range: Range<Int>) -> String {
    precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "byte range out of range")
    return unsafe withUnsafeBytes { unsafe String(decoding: $0[range], as: UTF8.self) }
  }

  /// All the bytes decoded as UTF-8.
  @inlinable
  public func utf8String() -> String { utf8String(0..<byteCount) }

  /// Whether the bytes begin with `prefix`.
  @inlinable
  public func starts(with prefix: some Collection<UInt8>) -> Bool {
    unsafe withUnsafeBytes { unsafe $0.starts(with: prefix) }
  }

  /// Whether the bytes equal `other`, byte for byte.
  @inlinable
  public func elementsEqual(_ other: some Collection<UInt8>) -> Bool {
    unsafe withUnsafeBytes { unsafe $0.elementsEqual(other) }
  }
}

extension BigEndian {
  /// As `read(_:from:at:)` on a collection, for lent bytes.
  @inlinable
  public static func read<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, from bytes: RawSpan, at offset: Int = 0) -> T? {
    unsafe bytes.withUnsafeBytes { unsafe read(T.self, from: $0, at: offset) }
  }
}

extension LittleEndian {
  /// As `read(_:from:at:)` on a collection, for lent bytes.
  @inlinable
  public static func read<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, from bytes: RawSpan, at offset: Int = 0) -> T? {
    unsafe bytes.withUnsafeBytes { unsafe read(T.self, from: $0, at: offset) }
  }
}

extension LEB128 {
  /// As `read(_:from:at:)` on a collection, for lent bytes.
  @inlinable
  public static func read<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, from bytes: RawSpan, at offset: inout Int) -> T? {
    unsafe bytes.withUnsafeBytes { unsafe read(T.self, from: $0, at: &offset) }
  }
}

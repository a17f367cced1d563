/// Fixed-width fields: every value of a field takes the same number of
/// bytes, 0, 1, 2 or 4 (the fewest that hold the field's largest value),
/// little-endian.
///
/// Why: a posting chunk's deltas, frequencies and lengths share a small
/// range, so one width per field holds every value of the chunk, and reading
/// a field is a plain widening load per value, a loop the compiler
/// vectorizes. LEB128 spent a data-dependent branch per byte, and decoding
/// was more than half of term-at-a-time's cost on dense lists. Whole bytes
/// rather than bit packing: on the 100,000-trace store of `tracekv-bench
/// ingest`, bit-packed chunks gave a median 1.15× the hybrid p50 of whole
/// bytes over six alternating runs, for a store about 1 % smaller.
enum FixedWidth {
  /// Whether a field may be `width` bytes wide: 0, 1, 2 or 4.
  @inline(__always)
  static func isValid(_ width: Int) -> Bool { width == 0 || width == 1 || width == 2 || width == 4 }

  /// The fewest bytes that hold every value up to `maximum` (0 for 0).
  @inline(__always)
  static func width(of maximum: UInt32) -> Int {
    maximum == 0 ? 0 : maximum <= UInt32(UInt8.max) ? 1 : maximum <= UInt32(UInt16.max) ? 2 : 4
  }

  /// Appends `values`, each at most the maximum of `width` bytes.
  static func append(_ values: some Sequence<UInt32>, width: Int, to bytes: inout [UInt8]) {
    precondition(isValid(width), "a field is 0, 1, 2 or 4 bytes wide")
    for value in values {
      precondition(width == 4 || value >> (8 * width) == 0, "a value wider than its field")
      for byte in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * byte))) }
    }
  }

  /// Reads `count` values of `width` bytes starting at `offset` into
  /// `output`; a field of width 0 reads as zeros.
  /// - Precondition: `isValid(width)` and `offset + count · width ≤ bytes.count`
  ///   (checked by the caller once per chunk, not per value).
  /// - Complexity: O(count), no branch per value.
  @inline(__always)
  static func read(
    _ bytes: UnsafeRawBufferPointer, at offset: Int, count: Int, width: Int, into output: UnsafeMutablePointer<UInt32>
  ) {
    let base = unsafe bytes.baseAddress! + offset
    switch width {
    case 1:
      for index in 0..<count { unsafe output[index] = unsafe UInt32(base.load(fromByteOffset: index, as: UInt8.self)) }
    case 2:
      for index in 0..<count {
        unsafe output[index] = unsafe UInt32(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 &* index, as: UInt16.self)))
      }
    case 4:
      for index in 0..<count {
        unsafe output[index] = unsafe UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 &* index, as: UInt32.self))
      }
    default:
      unsafe output.update(repeating: 0, count: count)
    }
  }

  /// The value at position `index` of a field of `width` bytes at `base`.
  /// - Precondition: `isValid(width)` and the position lies inside the field
  ///   (checked by the caller once per chunk, not per value).
  @inline(__always)
  static func value(at index: Int, width: Int, of base: UnsafeRawPointer) -> UInt32 {
    switch width {
    case 1: return unsafe UInt32(base.load(fromByteOffset: index, as: UInt8.self))
    case 2: return unsafe UInt32(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 &* index, as: UInt16.self)))
    case 4: return unsafe UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 &* index, as: UInt32.self))
    default: return 0
    }
  }

  /// `read`, then adds `base` to every value; returns the largest value read
  /// (before the addition), so the caller can check the field against its
  /// header and that no sum overflowed.
  ///
  /// The largest value is taken at the field's own width, before widening:
  /// SSE2 has an unsigned byte maximum but none for 32-bit lanes, which the
  /// compiler emulated with five instructions per four values (a third of
  /// decoding a chunk's frequencies and lengths in term at a time's profile).
  @inline(__always)
  static func read(
    _ bytes: UnsafeRawBufferPointer, at offset: Int, count: Int, width: Int, adding base: UInt32,
    into output: UnsafeMutablePointer<UInt32>
  ) -> UInt32 {
    let source = unsafe bytes.baseAddress! + offset
    switch width {
    case 1: return unsafe widen(source, count: count, as: UInt8.self, adding: base, into: output)
    case 2: return unsafe widen(source, count: count, as: UInt16.self, adding: base, into: output)
    case 4: return unsafe widen(source, count: count, as: UInt32.self, adding: base, into: output)
    default:
      unsafe output.update(repeating: base, count: count)
      return 0
    }
  }

  /// `count` little-endian `Field`s at `source`, each plus `base`, into
  /// `output`; returns the largest field (at its own width, see `read`).
  @inline(__always)
  private static func widen<Field: FixedWidthInteger & UnsignedInteger>(
    _ source: UnsafeRawPointer, count: Int, as _: Field.Type, adding base: UInt32, into output: UnsafeMutablePointer<UInt32>
  ) -> UInt32 {
    var largest: Field = 0
    for index in 0..<count {
      let value = unsafe Field(
        littleEndian: source.loadUnaligned(fromByteOffset: MemoryLayout<Field>.size &* index, as: Field.self))
      largest = max(largest, value)
      unsafe output[index] = UInt32(value) &+ base
    }
    return UInt32(largest)
  }
}

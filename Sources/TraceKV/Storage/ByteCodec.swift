/// Little helpers to write and read the store's binary records: LEB128
/// varints, length-prefixed UTF-8 strings, fixed-width integers. Integer keys
/// are big-endian so that LMDB's byte order is numeric order.
struct ByteWriter {
  private(set) var bytes: [UInt8] = []

  init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

  mutating func byte(_ value: UInt8) { bytes.append(value) }

  mutating func varint(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }

  mutating func varint(_ value: Int) { varint(UInt64(value)) }

  /// A signed value, zigzag-encoded.
  mutating func signed(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

  mutating func string(_ value: String) {
    var value = value
    value.withUTF8 { utf8 in
      varint(utf8.count)
      bytes.append(contentsOf: utf8)
    }
  }

  /// A JSON value as compact text; reads back with `ByteReader.string()`.
  mutating func json(_ value: JSONValue) {
    let text = JSONWriter.compactBytes(value)
    varint(text.count)
    bytes.append(contentsOf: text)
  }

  mutating func optionalJSON(_ value: JSONValue?) {
    guard let value else { return byte(0) }
    byte(1)
    json(value)
  }

  mutating func optionalString(_ value: String?) {
    guard let value else { return byte(0) }
    byte(1)
    string(value)
  }

  mutating func bigEndian(_ value: UInt32) {
    withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
  }

  mutating func bigEndian(_ value: UInt64) {
    withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
  }

  mutating func raw(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }
}

/// Reads what `ByteWriter` wrote; every read checks bounds and throws
/// `corrupted` rather than trapping on a damaged record.
struct ByteReader {
  private let bytes: UnsafeRawBufferPointer
  private(set) var position = 0
  private let what: String

  /// Reads `bytes`, which must stay valid while the reader is used.
  init(_ bytes: UnsafeRawBufferPointer, what: String) {
    self.bytes = bytes
    self.what = what
  }

  var isAtEnd: Bool { position == bytes.count }

  private func damaged() -> TraceKVError { TraceKVError(.corrupted, "a damaged \(what) record (at byte \(position))") }

  mutating func byte() throws(TraceKVError) -> UInt8 {
    guard position < bytes.count else { throw damaged() }
    defer { position += 1 }
    return bytes[position]
  }

  mutating func varint() throws(TraceKVError) -> UInt64 {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let next = try byte()
      value |= UInt64(next & 0x7F) << shift
      if next & 0x80 == 0 { return value }
      shift += 7
      guard shift < 64 else { throw damaged() }
    }
  }

  mutating func int() throws(TraceKVError) -> Int {
    let value = try varint()
    guard value <= UInt64(Int.max) else { throw damaged() }
    return Int(value)
  }

  mutating func signed() throws(TraceKVError) -> Int64 {
    let value = try varint()
    return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
  }

  mutating func string() throws(TraceKVError) -> String {
    let count = try int()
    guard count <= bytes.count - position else { throw damaged() }
    let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    position += count
    // Written from valid Strings; a damaged byte decodes as U+FFFD rather
    // than trapping, and `verify` checks records in full.
    return String(decoding: slice.bindMemory(to: UInt8.self), as: UTF8.self)
  }

  mutating func optionalString() throws(TraceKVError) -> String? {
    switch try byte() {
    case 0: return nil
    case 1: return try string()
    default: throw damaged()
    }
  }

  /// The next `count` bytes, lent (valid as long as the reader's buffer).
  mutating func slice(_ count: Int) throws(TraceKVError) -> UnsafeRawBufferPointer {
    guard count <= bytes.count - position else { throw damaged() }
    defer { position += count }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
  }
}

/// Keys of the store's tables.
enum Keys {
  static func docID(_ doc: UInt32) -> [UInt8] {
    withUnsafeBytes(of: doc.bigEndian) { Array($0) }
  }

  static func readDocID(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt32 {
    precondition(bytes.count >= offset + 4, "a key shorter than a document id")
    var value: UInt32 = 0
    for index in 0..<4 { value = value << 8 | UInt32(bytes[offset + index]) }
    return value
  }

  /// doc ‖ sequence: a trace's spans, in the order received.
  static func span(_ doc: UInt32, _ sequence: UInt32) -> [UInt8] {
    var writer = ByteWriter(capacity: 8)
    writer.bigEndian(doc)
    writer.bigEndian(sequence)
    return writer.bytes
  }

  /// time ‖ doc, the time sign-flipped so that negative instants sort first.
  static func byTime(_ microseconds: Int64, _ doc: UInt32) -> [UInt8] {
    var writer = ByteWriter(capacity: 12)
    writer.bigEndian(UInt64(bitPattern: microseconds) ^ (1 << 63))
    writer.bigEndian(doc)
    return writer.bytes
  }

  /// episode ‖ 0x00 ‖ doc. Episode ids cannot contain NUL (ingest refuses it).
  static func byEpisode(_ episode: String, _ doc: UInt32) -> [UInt8] {
    episodePrefix(episode) + docID(doc)
  }

  static func episodePrefix(_ episode: String) -> [UInt8] { Array(episode.utf8) + [0] }
}

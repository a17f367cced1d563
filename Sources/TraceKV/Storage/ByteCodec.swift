import ByteCodecs

/// Writes and reads the store's binary records: LEB128 varints,
/// length-prefixed UTF-8 strings, fixed-width integers (the integer codecs
/// are `ByteCodecs`', shared with the indexes). Integer keys are big-endian
/// so that LMDB's byte order is numeric order.
struct ByteWriter {
  private(set) var bytes: [UInt8] = []

  init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

  mutating func byte(_ value: UInt8) { bytes.append(value) }

  mutating func varint(_ value: UInt64) { LEB128.append(value, to: &bytes) }

  mutating func varint(_ value: Int) { varint(UInt64(value)) }

  /// A signed value, zigzag-encoded.
  mutating func signed(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

  mutating func string(_ value: String) {
    var value = value
    value.withUTF8 { utf8 in
      varint(utf8.count)
      unsafe bytes.append(contentsOf: utf8)
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

  mutating func bigEndian(_ value: some FixedWidthInteger & UnsignedInteger) { BigEndian.append(value, to: &bytes) }

  mutating func raw(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }
}

/// Reads what `ByteWriter` wrote; every read checks bounds and throws
/// `corrupted` rather than trapping on a damaged record. It reads lent bytes
/// and is non-escapable itself, so neither it nor a slice it returns can
/// outlive the lender (an LMDB transaction, an array).
struct ByteReader: ~Escapable {
  private let bytes: RawSpan
  private(set) var position = 0
  private let what: String

  @_lifetime(copy bytes)
  init(_ bytes: RawSpan, what: String) {
    self.bytes = bytes
    self.what = what
  }

  var isAtEnd: Bool { position == bytes.byteCount }

  /// The bytes not read yet.
  var remaining: Int { bytes.byteCount - position }

  private func damaged() -> TraceKVError { TraceKVError(.corrupted, "a damaged \(what) record (at byte \(position))") }

  mutating func byte() throws(TraceKVError) -> UInt8 {
    guard position < bytes.byteCount else { throw damaged() }
    defer { position += 1 }
    return bytes.byte(at: position)
  }

  mutating func varint() throws(TraceKVError) -> UInt64 {
    var next = position
    guard let value = LEB128.read(UInt64.self, from: bytes, at: &next) else { throw damaged() }
    position = next
    return value
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
    let range = try skip(try int())
    // Written from valid Strings; a damaged byte decodes as U+FFFD rather
    // than trapping, and `verify` checks records in full.
    return bytes.utf8String(range)
  }

  mutating func optionalString() throws(TraceKVError) -> String? {
    switch try byte() {
    case 0: return nil
    case 1: return try string()
    default: throw damaged()
    }
  }

  /// Steps over the next `count` bytes; returns where they are.
  @discardableResult
  mutating func skip(_ count: Int) throws(TraceKVError) -> Range<Int> {
    guard count >= 0, count <= remaining else { throw damaged() }
    defer { position += count }
    return position..<position + count
  }

  /// The next `count` bytes, lent (valid as long as the reader's bytes).
  @_lifetime(copy self)
  mutating func slice(_ count: Int) throws(TraceKVError) -> RawSpan {
    let range = try skip(count)
    return bytes.extracting(range)
  }
}

/// Keys of the store's tables.
enum Keys {
  static func docID(_ doc: UInt32) -> [UInt8] { BigEndian.bytes(doc) }

  /// The document id written `offset` bytes into a key (or a value holding
  /// one); `corrupted` when the bytes are too short to hold it.
  static func document(in bytes: RawSpan, at offset: Int = 0) throws(TraceKVError) -> UInt32 {
    guard let doc = BigEndian.read(UInt32.self, from: bytes, at: offset) else {
      throw TraceKVError(.corrupted, "a key of \(bytes.byteCount) bytes, too short for a document id at byte \(offset)")
    }
    return doc
  }

  /// The sequence number of a span key (doc ‖ sequence); `corrupted` when the key is short.
  static func spanSequence(in key: RawSpan) throws(TraceKVError) -> UInt32 {
    guard let sequence = BigEndian.read(UInt32.self, from: key, at: 4) else {
      throw TraceKVError(.corrupted, "a span key of \(key.byteCount) bytes")
    }
    return sequence
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

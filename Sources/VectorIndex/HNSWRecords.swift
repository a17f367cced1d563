import ByteCodecs

/// The persisted records of an `HNSWIndex` and their byte encodings. The
/// layout is documented in README.md; every integer and float is little-endian
/// in values and big-endian in keys (so a B-tree's byte order is slot order).

/// The index-wide state: parameters, entry point, counts and the level
/// generator's random state (so a restored index keeps drawing the same
/// levels as one that never closed).
public struct HNSWHeader: Sendable, Equatable {
  /// The version of the record layout this header was written with:
  /// 2 adds tombstones (a node record's level byte with bit 7 set); 3 moves
  /// the vectors out of the node records into blocks (`HNSWVectorBlockRecord`).
  public static let formatVersion: UInt16 = 3
  /// The oldest layout this build reads (version 1 stores hold no tombstones).
  public static let oldestReadableVersion: UInt16 = 1
  /// Bytes in an encoded header.
  public static let encodedCount = 52

  public var dimension: Int
  public var metric: VectorMetric
  public var m: Int
  public var efConstruction: Int
  public var seed: UInt64
  /// One past the highest slot ever used: node records exist for live slots
  /// below it; the others are free.
  public var slotCount: UInt32
  /// Live nodes.
  public var count: UInt32
  /// The top-layer entry point; nil when the index is empty.
  public var entryPoint: UInt32?
  public var maxLevel: Int
  public var randomState: UInt64
  /// The layout of the records this header came with (`formatVersion` for
  /// a header of this build; a decoded one says what the store holds).
  public internal(set) var layoutVersion = HNSWHeader.formatVersion

  /// Whether the node records hold the vectors (layouts 1 and 2) rather
  /// than vector blocks.
  public var nodesHoldVectors: Bool { layoutVersion < 3 }

  /// Rows in a vector block of this dimension (layout 3).
  public var vectorBlockRows: Int { 1 << HNSWGraph.vectorShift(dimension: dimension) }
}

// In an extension, so that the memberwise initializer stays (internal: a header is built by the index).
extension HNSWHeader {
  /// The 52-byte encoding: "HNSW", format u16, metric u8, 0, dimension u32,
  /// M u32, efConstruction u32, slotCount u32, count u32, entry point u32
  /// (0xFFFF_FFFF when empty), max level u32, seed u64, random state u64.
  public func encoded() -> [UInt8] {
    var bytes: [UInt8] = Array("HNSW".utf8)
    bytes.reserveCapacity(HNSWHeader.encodedCount)
    LittleEndian.append(HNSWHeader.formatVersion, to: &bytes)
    bytes.append(metric.code)
    bytes.append(0)
    for field in [dimension, m, efConstruction] { LittleEndian.append(UInt32(field), to: &bytes) }
    LittleEndian.append(slotCount, to: &bytes)
    LittleEndian.append(count, to: &bytes)
    LittleEndian.append(entryPoint ?? .max, to: &bytes)
    LittleEndian.append(UInt32(maxLevel), to: &bytes)
    LittleEndian.append(seed, to: &bytes)
    LittleEndian.append(randomState, to: &bytes)
    return bytes
  }

  /// Decodes `encoded()`'s bytes; refuses another format version.
  /// - Throws: ``VectorIndexError`` `.corruptRecord` for bytes of the wrong length, a bad magic, another format version
  ///   or an unknown metric.
  public init<Bytes: Collection<UInt8>>(decoding bytes: Bytes) throws(VectorIndexError) {
    let reader = try LittleEndianReader(bytes, exactly: HNSWHeader.encodedCount, what: "header")
    guard reader.bytes.prefix(4).elementsEqual("HNSW".utf8) else { throw .corruptRecord("header: bad magic") }
    let version = reader.uint16(at: 4)
    guard (HNSWHeader.oldestReadableVersion...HNSWHeader.formatVersion).contains(version) else {
      throw .corruptRecord(
        "header: format version \(version), this build reads \(HNSWHeader.oldestReadableVersion)–\(HNSWHeader.formatVersion)")
    }
    layoutVersion = version
    guard let metric = VectorMetric(code: reader.bytes[6]) else { throw .corruptRecord("header: unknown metric") }
    self.metric = metric
    dimension = Int(reader.uint32(at: 8))
    m = Int(reader.uint32(at: 12))
    efConstruction = Int(reader.uint32(at: 16))
    slotCount = reader.uint32(at: 20)
    count = reader.uint32(at: 24)
    let entry = reader.uint32(at: 28)
    entryPoint = entry == .max ? nil : entry
    maxLevel = Int(reader.uint32(at: 32))
    seed = reader.uint64(at: 36)
    randomState = reader.uint64(at: 44)
  }
}

/// One node: its slot, external label and top level, and whether it is a
/// tombstone: a deleted node kept to route searches (its label no longer
/// belongs to it). Its vector is in its block (`HNSWVectorBlockRecord`).
public struct HNSWNodeRecord: Sendable, Equatable {
  public var slot: UInt32
  public var label: UInt32
  public var level: Int
  public var isTombstone: Bool

  public init(slot: UInt32, label: UInt32, level: Int, isTombstone: Bool = false) {
    self.slot = slot
    self.label = label
    self.level = level
    self.isTombstone = isTombstone
  }

  /// Bit 7 of the level byte marks a tombstone (levels stop at 30).
  static let tombstoneBit: UInt8 = 0x80
  /// Bytes in an encoded node (layout 3).
  public static let encodedCount = 5

  /// The key: the slot as 4 big-endian bytes.
  public var key: [UInt8] { HNSWNodeRecord.key(slot: slot) }

  /// The 4-byte big-endian key of the node in `slot`.
  public static func key(slot: UInt32) -> [UInt8] { BigEndian.bytes(slot) }

  /// Decodes a node key.
  /// - Throws: ``VectorIndexError`` `.corruptRecord` when `key` is not 4 bytes long.
  public static func slot<Bytes: Collection<UInt8>>(fromKey key: Bytes) throws(VectorIndexError) -> UInt32 {
    guard key.count == 4, let slot = BigEndian.read(UInt32.self, from: key) else {
      throw .corruptRecord("node key of \(key.count) bytes")
    }
    return slot
  }

  /// `slot(fromKey:)` for bytes lent by the store, non-generic: a generic
  /// call from another module is not specialized, and on a load of a million
  /// records its byte reads cost more than the copy of the vectors.
  /// - Throws: ``VectorIndexError`` `.corruptRecord` when `key` is not 4 bytes long.
  package static func slot(fromKey key: RawSpan) throws(VectorIndexError) -> UInt32 {
    guard key.byteCount == 4, let slot = BigEndian.read(UInt32.self, from: key) else {
      throw .corruptRecord("node key of \(key.byteCount) bytes")
    }
    return slot
  }

  /// The value: label u32, level u8 (bit 7: tombstone). Layouts 1 and 2
  /// followed it with the d float32 components of the vector.
  public func encoded() -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(HNSWNodeRecord.encodedCount)
    LittleEndian.append(label, to: &bytes)
    bytes.append(UInt8(level) | (isTombstone ? HNSWNodeRecord.tombstoneBit : 0))
    return bytes
  }

  /// Bytes of a node value under `header`'s layout (with the vector before layout 3).
  public static func encodedCount(under header: HNSWHeader) -> Int {
    header.nodesHoldVectors ? encodedCount + 4 * header.dimension : encodedCount
  }

  /// Decodes a node value written under `header`'s layout; the vector of an
  /// older layout's record comes back as the second element.
  /// - Throws: ``VectorIndexError`` `.corruptRecord` when `bytes` is not of that layout's length.
  public static func decode<Bytes: Collection<UInt8>>(
    slot: UInt32, _ bytes: Bytes, under header: HNSWHeader
  ) throws(VectorIndexError) -> (node: HNSWNodeRecord, vector: [Float]?) {
    let reader = try LittleEndianReader(bytes, exactly: encodedCount(under: header), what: "node \(slot)")
    let node = HNSWNodeRecord(
      slot: slot, label: reader.uint32(at: 0), level: Int(reader.bytes[4] & ~HNSWNodeRecord.tombstoneBit),
      isTombstone: reader.bytes[4] & HNSWNodeRecord.tombstoneBit != 0)
    guard header.nodesHoldVectors else { return (node, nil) }
    return (node, (0..<header.dimension).map { Float(bitPattern: reader.uint32(at: 5 + 4 * $0) ) })
  }
}

/// The vectors of `rows` consecutive slots (layout 3): block b holds slots
/// b·rows ..< (b + 1)·rows, each row d float32s, rows of free slots
/// included (their contents mean nothing). Rows per block:
/// `HNSWIndex.vectorBlockRows`. One block is one chunk of the in-memory
/// index, so a loaded index reads the stored blocks in place.
public struct HNSWVectorBlockRecord: Sendable, Equatable {
  public var block: UInt32
  /// rows × d components, row after row.
  public var vectors: [Float]

  public init(block: UInt32, vectors: [Float]) {
    self.block = block
    self.vectors = vectors
  }

  /// The key: the block number as 4 big-endian bytes.
  public var key: [UInt8] { BigEndian.bytes(block) }

  /// Decodes a block key.
  /// - Throws: ``VectorIndexError`` `.corruptRecord` when `key` is not 4 bytes long.
  public static func block<Bytes: Collection<UInt8>>(fromKey key: Bytes) throws(VectorIndexError) -> UInt32 {
    guard key.count == 4, let block = BigEndian.read(UInt32.self, from: key) else {
      throw .corruptRecord("vector block key of \(key.count) bytes")
    }
    return block
  }

  /// The value: the components as little-endian float32s.
  public func encoded() -> [UInt8] {
    #if _endian(little)
      // A block is 48 KiB at 384 dimensions and every insert writes one: one copy.
      return vectors.withUnsafeBytes { Array($0) }
    #else
      var bytes: [UInt8] = []
      bytes.reserveCapacity(4 * vectors.count)
      for component in vectors { LittleEndian.append(component.bitPattern, to: &bytes) }
      return bytes
    #endif
  }

  /// Decodes `encoded()`'s bytes for block `block` of an index with `header`.
  /// - Throws: ``VectorIndexError`` `.corruptRecord` when `bytes` is not rows · d floats long.
  public init<Bytes: Collection<UInt8>>(block: UInt32, decoding bytes: Bytes, header: HNSWHeader) throws(VectorIndexError) {
    let count = header.vectorBlockRows * header.dimension
    guard bytes.count == 4 * count else {
      throw .corruptRecord("vector block \(block): \(bytes.count) bytes, expected \(4 * count)")
    }
    self.block = block
    var vectors = [Float](repeating: 0, count: count)
    vectors.withUnsafeMutableBytes { _ = $0.copyBytes(from: bytes) }
    #if !_endian(little)
      for index in vectors.indices { vectors[index] = Float(bitPattern: UInt32(littleEndian: vectors[index].bitPattern)) }
    #endif
    self.vectors = vectors
  }

  /// The row of `slot` in an encoded block of `dimension`-float rows.
  /// - Throws: ``VectorIndexError`` `.corruptRecord` when `bytes` do not hold that row.
  public static func vector<Bytes: Collection<UInt8>>(
    ofRow row: Int, in bytes: Bytes, dimension: Int
  ) throws(VectorIndexError) -> [Float] {
    guard bytes.count >= 4 * dimension * (row + 1) else {
      throw .corruptRecord("vector block of \(bytes.count) bytes has no row \(row)")
    }
    let reader = try LittleEndianReader(
      bytes.dropFirst(4 * dimension * row).prefix(4 * dimension), exactly: 4 * dimension, what: "vector")
    return (0..<dimension).map { Float(bitPattern: reader.uint32(at: 4 * $0)) }
  }
}

/// The neighbours of one node on one level.
public struct HNSWLinkListRecord: Sendable, Equatable {
  public var slot: UInt32
  public var level: Int
  public var neighbours: [UInt32]

  public init(slot: UInt32, level: Int, neighbours: [UInt32]) {
    self.slot = slot
    self.level = level
    self.neighbours = neighbours
  }

  struct Key: Hashable {
    var slot: UInt32
    var level: Int
    init(_ slot: UInt32, _ level: Int) {
      self.slot = slot
      self.level = level
    }
  }

  /// The key: slot as 4 big-endian bytes, then the level as one byte, so all
  /// lists of a slot share its 4-byte prefix and sort by level.
  public var key: [UInt8] { HNSWLinkListRecord.key(slot: slot, level: level) }

  public static func key(slot: UInt32, level: Int) -> [UInt8] { BigEndian.bytes(slot) + [UInt8(level)] }

  /// Decodes a link-list key.
  /// - Throws: ``VectorIndexError`` `.corruptRecord` when `key` is not 5 bytes long.
  public static func slotAndLevel<Bytes: Collection<UInt8>>(
    fromKey key: Bytes
  ) throws(VectorIndexError) -> (slot: UInt32, level: Int) {
    guard key.count == 5, let slot = BigEndian.read(UInt32.self, from: key), let level = key.dropFirst(4).first else {
      throw .corruptRecord("link list key of \(key.count) bytes")
    }
    return (slot, Int(level))
  }

  /// `slotAndLevel(fromKey:)` for lent bytes, non-generic (see `HNSWNodeRecord.slot(fromKey:)`).
  /// - Throws: ``VectorIndexError`` `.corruptRecord` when `key` is not 5 bytes long.
  package static func slotAndLevel(fromKey key: RawSpan) throws(VectorIndexError) -> (slot: UInt32, level: Int) {
    guard key.byteCount == 5, let slot = BigEndian.read(UInt32.self, from: key) else {
      throw .corruptRecord("link list key of \(key.byteCount) bytes")
    }
    return (slot, Int(key.byte(at: 4)))
  }

  /// The value: the neighbour slots as u32 (4·count bytes; the count is the
  /// length / 4).
  public func encoded() -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(4 * neighbours.count)
    for neighbour in neighbours { LittleEndian.append(neighbour, to: &bytes) }
    return bytes
  }

  /// Decodes `encoded()`'s bytes.
  /// - Throws: ``VectorIndexError`` `.corruptRecord` when the length of `bytes` is not a multiple of 4.
  public init<Bytes: Collection<UInt8>>(slot: UInt32, level: Int, decoding bytes: Bytes) throws(VectorIndexError) {
    guard bytes.count % 4 == 0 else { throw .corruptRecord("link list \(slot)/\(level) of \(bytes.count) bytes") }
    let reader = try LittleEndianReader(bytes, exactly: bytes.count, what: "link list")
    self.slot = slot
    self.level = level
    neighbours = (0..<(bytes.count / 4)).map { reader.uint32(at: 4 * $0) }
  }
}

// MARK: Byte helpers

/// Little-endian reads at byte offsets of a record copied into an array
/// whose length was checked once, up front.
struct LittleEndianReader {
  let bytes: [UInt8]

  init<Bytes: Collection<UInt8>>(_ source: Bytes, exactly count: Int, what: String) throws(VectorIndexError) {
    guard source.count == count else {
      throw .corruptRecord("\(what): \(source.count) bytes, expected \(count)")
    }
    bytes = Array(source)
  }

  func uint16(at offset: Int) -> UInt16 { LittleEndian.read(UInt16.self, from: bytes, at: offset)! }
  func uint32(at offset: Int) -> UInt32 { LittleEndian.read(UInt32.self, from: bytes, at: offset)! }
  func uint64(at offset: Int) -> UInt64 { LittleEndian.read(UInt64.self, from: bytes, at: offset)! }
}

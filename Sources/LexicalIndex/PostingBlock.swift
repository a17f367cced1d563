import ByteCodecs

/// The byte codec of a posting block: up to `capacity` consecutive sealed
/// chunks of one term stored as one value, under the key of its first chunk
/// (`PostingChunkKey`).
///
/// Layout (tag 0xB5, written since 2026-12-07's ninth session):
///
///     0xB5                       the format tag (no chunk begins with it)
///     count − 1                  one byte, 1...capacity − 1 (a block holds 2 or more chunks)
///     maxTermFrequency           4 bytes, little-endian: the largest of its chunks'
///     minDocumentLength          4 bytes, little-endian: the smallest of its chunks'
///     count directory entries    11 bytes each, little-endian: the chunk's size
///                                (2 bytes), postings − 1 (1 byte), first and
///                                last document (4 bytes each)
///     the chunks' bytes          one after another, each as `PostingChunk` writes it
///
/// The first blocks (tag 0xB4) had no summary and a directory of sizes alone
/// (2 bytes a chunk); they are still read, their chunks' headers parsed to
/// learn what the directory now tells, and a write that unpacks one packs
/// its chunks again in this layout. A build that knows only those reads a
/// block of this layout as a chunk of the first format whose LEB128 count
/// (0xB5, then the count byte) is at least 181, past a chunk's 128: a
/// damaged chunk, a typed error, never postings.
///
/// Why blocks: a store keeps one entry per chunk, and a query lists every chunk
/// of each of its terms before it reads any. For a term in half of a million
/// documents that is about 4,000 entries spread over as many leaf positions,
/// and the walk from one to the next (a cache miss per entry) cost more than a
/// quarter of a hybrid search at a million traces. A block is one value: past
/// half a page LMDB keeps it on overflow pages of its own, contiguous in the
/// map, and below that it is one leaf entry. Either way the walk takes one
/// step per block, and the chunks it lends lie side by side.
///
/// Why the directory: with the walk gone, parsing every chunk's header (its
/// LEB128 fields) to learn the documents it spans was a fifth of a lexical
/// search at a million traces, though a query enters few of those chunks.
/// Fixed-width copies of those fields let a query list a term's chunks with
/// plain loads and parse a header only when it enters the chunk
/// (`PostingList`).
///
/// Only sealed chunks are packed (a term's last chunk, where new postings go,
/// stays a chunk of its own), so an insert rewrites what it did before; a
/// write that lands inside a block unpacks that block first.
public enum PostingBlock {
  /// The most chunks one block holds.
  public static let capacity = 32

  /// The first byte of a block with a directory, the layout written.
  static let tag: UInt8 = 0xB5

  /// The first byte of a block of the first layout (sizes only).
  static let sizesOnlyTag: UInt8 = 0xB4

  /// Bytes before the directory: tag, count − 1, the two summary fields.
  static let headerSize = 10

  /// Bytes of one directory entry.
  static let entrySize = 11

  /// Whether `bytes` (a stored value) is a block rather than a chunk.
  public static func isBlock(_ bytes: UnsafeRawBufferPointer) -> Bool {
    unsafe bytes.first == tag || bytes.first == sizesOnlyTag
  }

  /// One value holding `chunks` (2...`capacity` stored chunks of one term, in
  /// document order), or nil when a chunk's header does not parse.
  public static func encode(_ chunks: [[UInt8]]) -> [UInt8]? {
    precondition((2...capacity).contains(chunks.count), "a block holds 2...\(capacity) chunks")
    var headers: [PostingChunkHeader] = []
    for chunk in chunks {
      guard let header = unsafe chunk.withUnsafeBytes({ unsafe PostingChunkHeader($0) }) else { return nil }
      precondition(chunk.count <= Int(UInt16.max), "a chunk is far smaller than 64 KiB")
      headers.append(header)
    }
    var bytes: [UInt8] = [tag, UInt8(chunks.count - 1)]
    bytes.reserveCapacity(headerSize + entrySize * chunks.count + chunks.reduce(0) { $0 + $1.count })
    LittleEndian.append(headers.map(\.maxTermFrequency).max()!, to: &bytes)
    LittleEndian.append(headers.map(\.minDocumentLength).min()!, to: &bytes)
    for (chunk, header) in zip(chunks, headers) {
      LittleEndian.append(UInt16(chunk.count), to: &bytes)
      bytes.append(UInt8(header.count - 1))
      LittleEndian.append(header.firstDocument, to: &bytes)
      LittleEndian.append(header.lastDocument, to: &bytes)
    }
    for chunk in chunks { bytes += chunk }
    return bytes
  }

  /// A block of the current layout rewritten in the first one (tag 0xB4,
  /// sizes only), as stores written before directories hold it: what tests
  /// of reading such stores start from. Nil unless `bytes` is a block of the
  /// current layout.
  static func withoutDirectory(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.first == tag, let chunks = unsafe bytes.withUnsafeBytes({ unsafe chunks($0) }) else { return nil }
    var old: [UInt8] = [sizesOnlyTag, bytes[1]]
    for chunk in chunks { LittleEndian.append(UInt16(chunk.range.count), to: &old) }
    for chunk in chunks { old += bytes[chunk.range] }
    return old
  }

  /// The chunks of a block as its directory gives them, or nil when the block
  /// is damaged: a count out of range, sizes that do not add up to its
  /// length. In a block of the first layout, each chunk's header is parsed
  /// for what its directory lacks, and a header that does not parse makes
  /// the block damaged too. The chunks' other bytes are checked where they are read.
  /// - Complexity: O(count).
  public static func chunks(_ bytes: UnsafeRawBufferPointer) -> [Chunk]? {
    unsafe Directory(bytes)?.chunks
  }

  /// One chunk of a block: where its bytes lie in the block, and what the
  /// directory says of it (in a block of the first layout, its header).
  public struct Chunk: Sendable, Equatable {
    public var range: Range<Int>
    public var postings: Int
    public var firstDocument: UInt32
    public var lastDocument: UInt32
  }

  /// A block's chunks and summary, read in place.
  @unsafe
  struct Directory {
    private let bytes: UnsafeRawBufferPointer
    let count: Int
    /// The largest term frequency and the shortest document of the block's
    /// chunks (in a block of the first layout, from their headers).
    let summary: (frequency: UInt32, length: UInt32)
    /// The chunks of a block of the first layout, parsed from their headers.
    private let parsed: [Chunk]

    /// The directory of `bytes`, or nil when the block is damaged (see `chunks(_:)`).
    /// - Complexity: O(count).
    init?(_ bytes: UnsafeRawBufferPointer) {
      guard bytes.count >= 2 else { return nil }
      let count = unsafe Int(bytes[1]) + 1
      guard count >= 2, count <= capacity else { return nil }
      unsafe self.bytes = bytes
      unsafe self.count = count
      switch unsafe bytes[0] {
      case tag:
        let chunksStart = headerSize + entrySize * count
        guard bytes.count > chunksStart else { return nil }
        var total = chunksStart
        for index in 0..<count {
          let size = unsafe Int(bytes.loadUnaligned(fromByteOffset: headerSize + entrySize * index, as: UInt16.self).littleEndian)
          guard size > 0 else { return nil }
          total += size
        }
        guard total == bytes.count else { return nil }
        unsafe summary = unsafe (
          bytes.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian,
          bytes.loadUnaligned(fromByteOffset: 6, as: UInt32.self).littleEndian)
        unsafe parsed = []
      case sizesOnlyTag:
        guard bytes.count >= 2 + 2 * count else { return nil }
        var chunks: [Chunk] = []
        chunks.reserveCapacity(count)
        var summary = (frequency: UInt32(0), length: UInt32.max)
        var offset = 2 + 2 * count
        for index in 0..<count {
          let size = unsafe Int(bytes[2 + 2 * index]) | Int(bytes[3 + 2 * index]) << 8
          guard size > 0, offset + size <= bytes.count,
            let header = unsafe PostingChunkHeader(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)]))
          else { return nil }
          chunks.append(
            Chunk(
              range: offset..<(offset + size), postings: header.count, firstDocument: header.firstDocument,
              lastDocument: header.lastDocument))
          summary = (max(summary.frequency, header.maxTermFrequency), min(summary.length, header.minDocumentLength))
          offset += size
        }
        guard offset == bytes.count else { return nil }
        unsafe self.summary = summary
        unsafe parsed = chunks
      default:
        return nil
      }
    }

    /// Every chunk, in order.
    var chunks: [Chunk] {
      var chunks: [Chunk] = []
      chunks.reserveCapacity(unsafe count)
      unsafe forEach { chunks.append($0) }
      return chunks
    }

    /// Calls `body` with every chunk in order.
    /// - Complexity: O(count), loads only for a block with a directory.
    @inline(__always)
    func forEach<Failure: Error>(_ body: (Chunk) throws(Failure) -> Void) throws(Failure) {
      guard unsafe parsed.isEmpty else {
        for chunk in unsafe parsed { try body(chunk) }
        return
      }
      var offset = unsafe headerSize + entrySize * count
      for index in unsafe 0..<count {
        let chunk = unsafe chunk(index, at: offset)
        offset = chunk.range.upperBound
        try body(chunk)
      }
    }

    private func size(of index: Int) -> UInt16 {
      unsafe bytes.loadUnaligned(fromByteOffset: Self.entryOffset(index), as: UInt16.self).littleEndian
    }

    @inline(__always)
    private func chunk(_ index: Int, at offset: Int) -> Chunk {
      let entry = unsafe Self.entryOffset(index)
      return unsafe Chunk(
        range: offset..<(offset + Int(size(of: index))), postings: Int(bytes[entry + 2]) + 1,
        firstDocument: bytes.loadUnaligned(fromByteOffset: entry + 3, as: UInt32.self).littleEndian,
        lastDocument: bytes.loadUnaligned(fromByteOffset: entry + 7, as: UInt32.self).littleEndian)
    }

    private static func entryOffset(_ index: Int) -> Int { PostingBlock.headerSize + PostingBlock.entrySize * index }
  }
}

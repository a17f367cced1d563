/// The byte codec of a posting block: up to `capacity` consecutive sealed
/// chunks of one term stored as one value, under the key of its first chunk
/// (`PostingChunkKey`).
///
/// Layout:
///
///     0xB4                       the format tag (no chunk begins with it)
///     count − 1                  one byte, 1...capacity − 1 (a block holds 2 or more chunks)
///     count chunk sizes          two bytes each, little-endian
///     the chunks' bytes          one after another, each as `PostingChunk` writes it
///
/// Why blocks: a store keeps one entry per chunk, and a query lists every chunk
/// of each of its terms before it reads any. For a term in half of a million
/// documents that is about 4,000 entries spread over as many leaf positions,
/// and the walk from one to the next (a cache miss per entry) cost more than a
/// quarter of a hybrid search at a million traces. A block is one value: past
/// half a page LMDB keeps it on overflow pages of its own, contiguous in the
/// map, and below that it is one leaf entry. Either way the walk takes one
/// step per block, and the chunks it lends lie side by side.
/// Only sealed chunks are packed (a term's last chunk, where new postings go,
/// stays a chunk of its own), so an insert rewrites what it did before; a
/// write that lands inside a block unpacks that block first.
public enum PostingBlock {
  /// The most chunks one block holds.
  public static let capacity = 32

  /// The first byte of a block.
  static let tag: UInt8 = 0xB4

  /// Whether `bytes` (a stored value) is a block rather than a chunk.
  public static func isBlock(_ bytes: UnsafeRawBufferPointer) -> Bool {
    unsafe bytes.first == tag
  }

  /// One value holding `chunks` (2...`capacity` stored chunks of one term, in
  /// document order).
  public static func encode(_ chunks: [[UInt8]]) -> [UInt8] {
    precondition((2...capacity).contains(chunks.count), "a block holds 2...\(capacity) chunks")
    var bytes: [UInt8] = [tag, UInt8(chunks.count - 1)]
    bytes.reserveCapacity(2 + 2 * chunks.count + chunks.reduce(0) { $0 + $1.count })
    for chunk in chunks {
      precondition(chunk.count <= Int(UInt16.max), "a chunk is far smaller than 64 KiB")
      bytes.append(UInt8(truncatingIfNeeded: chunk.count))
      bytes.append(UInt8(truncatingIfNeeded: chunk.count >> 8))
    }
    for chunk in chunks { bytes += chunk }
    return bytes
  }

  /// Where each chunk lies in `bytes`, or nil when the block is damaged (its
  /// sizes do not add up to its length). The chunks themselves are checked
  /// where they are read.
  /// - Complexity: O(count).
  public static func chunkRanges(_ bytes: UnsafeRawBufferPointer) -> [Range<Int>]? {
    guard bytes.count >= 2, unsafe bytes[0] == tag else { return nil }
    let count = unsafe Int(bytes[1]) + 1
    guard count >= 2, count <= capacity, bytes.count >= 2 + 2 * count else { return nil }
    var ranges: [Range<Int>] = []
    ranges.reserveCapacity(count)
    var offset = 2 + 2 * count
    for index in 0..<count {
      let size = unsafe Int(bytes[2 + 2 * index]) | Int(bytes[3 + 2 * index]) << 8
      guard size > 0 else { return nil }
      ranges.append(offset..<(offset + size))
      offset += size
    }
    guard offset == bytes.count else { return nil }
    return ranges
  }

  /// The chunks of a block, each with its first and last document, or nil
  /// when the block or one of its chunk headers is damaged.
  /// - Complexity: O(count).
  public static func chunks(_ bytes: UnsafeRawBufferPointer) -> [(range: Range<Int>, firstDocument: UInt32, lastDocument: UInt32)]? {
    guard let ranges = unsafe chunkRanges(bytes) else { return nil }
    var chunks: [(range: Range<Int>, firstDocument: UInt32, lastDocument: UInt32)] = []
    chunks.reserveCapacity(ranges.count)
    for range in ranges {
      guard let header = unsafe PostingChunkHeader(UnsafeRawBufferPointer(rebasing: bytes[range])) else { return nil }
      chunks.append((range, header.firstDocument, header.lastDocument))
    }
    return chunks
  }
}

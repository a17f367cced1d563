@testable import LexicalIndex
import Testing

/// `PostingBlock`'s layout: chunks come back byte for byte with the spans
/// and summary their headers give, blocks of the first layout still read
/// alike, and a block whose count or sizes do not add up decodes to nil
/// rather than to wrong chunks.
@Suite struct PostingBlockCodecTests {
  /// `count` postings from `first`, three documents apart, tf 1...4 and lengths from 10 + `first % 7`.
  private static func chunk(from first: UInt32, count: Int) -> [UInt8] {
    PostingChunk.encode(
      (0..<count).map {
        Posting(document: first + UInt32($0) * 3, termFrequency: 1 + UInt32($0 % 4), documentLength: 10 + first % 7 + UInt32($0))
      })
  }

  @Test(arguments: [2, 7, PostingBlock.capacity])
  func chunksComeBackWhole(count: Int) throws {
    let sizes = (0..<count).map { 1 + ($0 * 37) % PostingChunk.capacity }
    let chunks = (0..<count).map { Self.chunk(from: UInt32($0) * 1_000, count: sizes[$0]) }
    let block = try #require(PostingBlock.encode(chunks))
    // Tag, count − 1, the summary's 8 bytes, 11 bytes of directory per chunk, then the chunks.
    #expect(block.count == 10 + 11 * count + chunks.reduce(0) { $0 + $1.count })
    #expect(Array(block.prefix(2)) == [0xB5, UInt8(count - 1)])
    let firsts: [UInt32] = (0..<count).map { UInt32($0) * 1_000 }
    let lasts: [UInt32] = (0..<count).map { firsts[$0] + UInt32(sizes[$0] - 1) * 3 }
    // The largest tf: 4 once a chunk has four postings; the shortest length: 10 + the least `first % 7`.
    let largestFrequency = UInt32(min(4, sizes.max()!))
    let shortestLength = 10 + firsts.map { $0 % 7 }.min()!

        // The first layout (sizes only), as stores written before directories hold the same chunks.
    let sizesOnly = try #require(PostingBlock.withoutDirectory(block))
    #expect(sizesOnly.count == 2 + 2 * count + chunks.reduce(0) { $0 + $1.count })
    for bytes in [block, sizesOnly] {
      let decoded = try #require(bytes.withUnsafeBytes { PostingBlock.chunks($0) })
      #expect(decoded.map { Array(bytes[$0.range]) } == chunks)
      #expect(decoded.map(\.postings) == sizes)
      #expect(decoded.map(\.firstDocument) == firsts)
      #expect(decoded.map(\.lastDocument) == lasts)
      let read = try #require(bytes.withUnsafeBytes { PostingBlock.Directory($0)?.summary })
      #expect(read.frequency == largestFrequency && read.length == shortestLength)
    }
  }

  @Test func damagedBlocksDoNotDecode() throws {
    let block = try #require(PostingBlock.encode([Self.chunk(from: 1, count: 5), Self.chunk(from: 100, count: 9)]))
    func decodes(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { PostingBlock.chunks($0) } != nil }
    #expect(decodes(block))
    #expect(!decodes(Array(block.dropLast())))  // sizes past the end
    #expect(!decodes(block + [0]))  // bytes no size accounts for
    var one = block
    one[1] = 0  // a block of one chunk is never written
    #expect(!decodes(one))
    var many = block
    many[1] = UInt8(PostingBlock.capacity)  // one past the capacity
    #expect(!decodes(many))
    var empty = block
    (empty[10], empty[11]) = (0, 0)  // a chunk of no bytes
    #expect(!decodes(empty))
    #expect(!decodes(Self.chunk(from: 1, count: 3)))  // a chunk is not a block
    #expect(!decodes(Array(block.prefix(12))))  // cut inside the directory
    let sizesOnly = try #require(PostingBlock.withoutDirectory(block))
    #expect(decodes(sizesOnly))
    var unparsable = sizesOnly
    unparsable[7] = 200  // the first chunk's count − 1, past a chunk's capacity: its header, which the old layout reads, fails
    #expect(!decodes(unparsable))
  }

  @Test func aChunkWhoseHeaderDoesNotParseIsNotPacked() {
    var damaged = Self.chunk(from: 100, count: 9)
    damaged[1] = 200  // a count past a chunk's capacity
    #expect(PostingBlock.encode([Self.chunk(from: 1, count: 5), damaged]) == nil)
  }
}

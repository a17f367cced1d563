@testable import LexicalIndex
import Testing

/// `PostingBlock`'s layout: chunks come back byte for byte, and a block
/// whose count or sizes do not add up decodes to nil rather than to wrong
/// chunks.
@Suite struct PostingBlockCodecTests {
  private static func chunk(from first: UInt32, count: Int) -> [UInt8] {
    PostingChunk.encode((0..<count).map { Posting(document: first + UInt32($0) * 3, termFrequency: 1 + UInt32($0 % 4), documentLength: 10 + UInt32($0)) })
  }

  @Test(arguments: [2, 7, PostingBlock.capacity])
  func chunksComeBackWhole(count: Int) throws {
    let chunks = (0..<count).map { Self.chunk(from: UInt32($0) * 1_000, count: 1 + $0 % PostingChunk.capacity) }
    let block = PostingBlock.encode(chunks)
    // Tag, count − 1, two bytes of size per chunk, then the chunks.
    #expect(block.count == 2 + 2 * count + chunks.reduce(0) { $0 + $1.count })
    #expect(Array(block.prefix(2)) == [0xB4, UInt8(count - 1)])
    let decoded = try #require(block.withUnsafeBytes { PostingBlock.chunks($0) })
    #expect(decoded.map { Array(block[$0.range]) } == chunks)
    #expect(decoded.map(\.firstDocument) == (0..<count).map { UInt32($0) * 1_000 })
    #expect(decoded.map(\.lastDocument) == (0..<count).map { UInt32($0) * 1_000 + UInt32($0 % PostingChunk.capacity) * 3 })
  }

  @Test func damagedBlocksDoNotDecode() {
    let block = PostingBlock.encode([Self.chunk(from: 1, count: 5), Self.chunk(from: 100, count: 9)])
    func decodes(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { PostingBlock.chunkRanges($0) } != nil }
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
    (empty[2], empty[3]) = (0, 0)  // a chunk of no bytes
    #expect(!decodes(empty))
    #expect(!decodes(Self.chunk(from: 1, count: 3)))  // a chunk is not a block
  }
}

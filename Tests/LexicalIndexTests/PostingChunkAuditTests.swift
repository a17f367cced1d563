import Testing

@testable import LexicalIndex

/// `PostingChunkAudit` names each damaged chunk a store's `verify` scans, in
/// key order, and passes sound ones with their postings.
@Suite struct PostingChunkAuditTests {
  private func postings(_ documents: [UInt32]) -> [Posting] {
    documents.map { Posting(document: $0, termFrequency: 1, documentLength: 5) }
  }

  @Test func soundChunksPassWithTheirPostings() {
    var audit = PostingChunkAudit()
    let term = Term("weather")
    let first = audit.check(key: PostingChunkKey.encode(term: term, firstDocument: 1), value: PostingChunk.encode(postings([1, 4, 9])))
    let second = audit.check(key: PostingChunkKey.encode(term: term, firstDocument: 10), value: PostingChunk.encode(postings([10, 12])))
    #expect(first.violations.isEmpty && second.violations.isEmpty)
    #expect(first.postings.map(\.document) == [1, 4, 9] && second.postings.map(\.document) == [10, 12])
    // Another term may start anywhere.
    let other = audit.check(key: PostingChunkKey.encode(term: Term("paris"), firstDocument: 2), value: PostingChunk.encode(postings([2])))
    #expect(other.violations.isEmpty)
  }

  @Test func eachDamageIsNamed() {
    var audit = PostingChunkAudit()
    let term = Term("weather")
    let wrongStart = audit.check(key: PostingChunkKey.encode(term: term, firstDocument: 1), value: PostingChunk.encode(postings([3, 4])))
    #expect(wrongStart.violations == ["the chunk of 'weather' at document 1 starts at document 3"])
    let overlap = audit.check(key: PostingChunkKey.encode(term: term, firstDocument: 4), value: PostingChunk.encode(postings([4, 8])))
    #expect(overlap.violations == ["the chunk of 'weather' at document 4 overlaps the chunk before it"])
    let garbage = audit.check(key: PostingChunkKey.encode(term: term, firstDocument: 20), value: [0xFF, 0x00, 0x01])
    #expect(garbage.violations == ["the chunk of 'weather' at document 20 does not decode (3 bytes)"] && garbage.postings.isEmpty)
    let badKey = audit.check(key: [0x01], value: PostingChunk.encode(postings([1])))
    #expect(badKey.violations == ["a key that is not a posting-chunk key (1 bytes)"])
  }
}

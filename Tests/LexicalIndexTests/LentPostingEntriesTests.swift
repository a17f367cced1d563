@testable import LexicalIndex
import ByteCodecs
import Testing

/// What a storage lends the index: every chunk of every asked term, in order,
/// as the bytes it stored (checked against the store's own decoded postings).
@Suite struct LentPostingChunksTests {
  let store: InMemoryLexicalStore

  init() throws {
    var store = InMemoryLexicalStore()
    // 2,000 documents over 300 words: the common words span several chunks.
    try BM25Index().add(randomCorpus(count: 2_000, seed: 3), to: &store)
    self.store = store
  }

  /// The postings of every chunk lent for term `term`, decoded one chunk at a time.
  private func decoded(_ lent: borrowing LentPostingEntries, term: Int) -> [Posting]? {
    var all: [Posting] = []
    for index in 0..<lent.entryCount(ofTerm: term) {
      guard let postings = PostingChunk.decode(lent.entry(index, ofTerm: term).copiedBytes) else { return nil }
      all += postings
    }
    return all
  }

  @Test func lendsEveryChunkOfEveryTermInOrder() throws {
    let multiChunk = try #require(store.terms.first { store.chunkFirstDocuments(of: $0).count > 1 })
    let asked = [store.terms[0], Term("absent-from-the-corpus"), multiChunk, store.terms[0]]
    let expected: [[Posting]?] = asked.map { store.postings(of: $0) }
    #expect(expected[1] == [])
    #expect(try #require(expected[2]).count > PostingChunk.capacity)

    let (counts, postings) = store.withPostingEntries(of: asked) { lent in
      ((0..<lent.termCount).map { lent.entryCount(ofTerm: $0) }, (0..<lent.termCount).map { decoded(lent, term: $0) })
    }
    #expect(counts == asked.map { store.chunkFirstDocuments(of: $0).count })
    #expect(postings == expected)

    // The protocol's default (one term at a time, copied) lends the same.
    let copied = try CopyingStore(inner: store).withPostingEntries(of: asked) { lent in
      (0..<lent.termCount).map { decoded(lent, term: $0) }
    }
    #expect(copied == expected)
  }

  @Test func lendsTheChunkCoveringADocument() throws {
    let term = try #require(store.terms.first { store.chunkFirstDocuments(of: $0).count > 2 })
    let firsts = store.chunkFirstDocuments(of: term)
    func covering(_ document: UInt32) -> (UInt32, Int)? {
      store.withPostingChunk(of: term, covering: document) { chunk -> (UInt32, Int)? in
        guard let chunk else { return nil }
        return (chunk.firstDocument, PostingChunk.decode(chunk.bytes.copiedBytes)?.count ?? -1)
      }
    }
    // Inside the second chunk, at its first document, before the first chunk, past the last.
    #expect(covering(firsts[1] + 1)?.0 == firsts[1])
    #expect(covering(firsts[2])?.0 == firsts[2])
    #expect(covering(.max)?.0 == firsts.last)
    #expect(covering(firsts[1])?.1 ?? 0 > 0)
    if firsts[0] > 0 { #expect(covering(firsts[0] - 1)?.0 == firsts[0]) }
    let lentForAbsent = store.withPostingChunk(of: Term("absent-from-the-corpus"), covering: 0) { chunk -> Bool in
      guard let _ = chunk else { return false }
      return true
    }
    #expect(!lentForAbsent)
  }
}

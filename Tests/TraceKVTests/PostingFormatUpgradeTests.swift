import Foundation
@testable import LexicalIndex
import TestSupport
import Testing
@testable import TraceKV

/// A store written before posting chunks held their impacts (tag 0xB2)
/// still verifies and answers alike, and `repair` rewrites every chunk in
/// the current format.
@Suite struct PostingFormatUpgradeTests {
  private func chunkTags(_ store: TraceStore) throws -> [UInt8: Int] {
    var tags: [UInt8: Int] = [:]
    try store.read { transaction in
      try transaction.scan(store.tables.termPostings) { _, value in
        tags[value.byte(at: 0), default: 0] += 1
        return true
      }
    }
    return tags
  }

  @Test func olderChunksServeAndRepairRewritesThem() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    // The samples, each written alone, wait in the BM25 write buffer: merge them into chunks.
    try store.repair()
    let queries = ["order status", "refund the customer", "weather in paris", "error timeout retry"]
    let modes: [SearchMode] = [.lexical, .hybrid]
    func answers() throws -> [[String]] {
      try queries.flatMap { text in
        try modes.map { mode in try store.search(SearchQuery(text: text, mode: mode, limit: 20)).hits.map(\.traceID) }
      }
    }
    let current = try answers()
    #expect(current.contains { !$0.isEmpty })
    let written = try chunkTags(store)
    #expect(written.keys.sorted() == [PostingChunk.impactsTag])

    try store.write { transaction in
      var rewritten: [([UInt8], [UInt8])] = []
      try transaction.scan(store.tables.termPostings) { key, value in
        rewritten.append((key.copiedBytes, try #require(PostingChunk.withoutImpacts(value.copiedBytes))))
        return true
      }
      for (key, value) in rewritten { try transaction.put(store.tables.termPostings, key: key, value: value) }
    }
    #expect(try chunkTags(store) == [PostingChunk.fixedWidthTag: written.values.reduce(0, +)])
    #expect(try store.verify() == [])
    #expect(try answers() == current)

    try store.repair()
    #expect(try chunkTags(store) == written)
    #expect(try store.verify() == [])
    #expect(try answers() == current)
  }
}

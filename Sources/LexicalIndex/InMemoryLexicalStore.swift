/// A `LexicalStorage` held in memory: the reference implementation, used by
/// the tests and the benchmark harness.
///
/// Each term's chunks live back to back in one byte array, so lending all of
/// them to a query is one pointer; rewriting the last chunk (what appending
/// a document does) only touches the tail.
public struct InMemoryLexicalStore: LexicalStorage, Sendable {
  struct TermChunks: Sendable {
    var firstDocuments: [UInt32] = []
    var ends: [Int] = []
    var arena: [UInt8] = []

    func range(at index: Int) -> Range<Int> { (index == 0 ? 0 : ends[index - 1])..<ends[index] }

    /// Index of the greatest first document ≤ `document`, or nil.
    func floorIndex(_ document: UInt32) -> Int? {
      var low = 0
      var high = firstDocuments.count
      while low < high {
        let middle = (low + high) / 2
        if firstDocuments[middle] <= document { low = middle + 1 } else { high = middle }
      }
      return low == 0 ? nil : low - 1
    }

    mutating func replace(at index: Int, with bytes: [UInt8]) {
      let old = range(at: index)
      arena.replaceSubrange(old, with: bytes)
      let delta = bytes.count - old.count
      if delta != 0 { for later in index..<ends.count { ends[later] += delta } }
    }

    mutating func insert(_ bytes: [UInt8], firstDocument: UInt32, at index: Int) {
      let start = index == 0 ? 0 : ends[index - 1]
      arena.insert(contentsOf: bytes, at: start)
      for later in index..<ends.count { ends[later] += bytes.count }
      ends.insert(start + bytes.count, at: index)
      firstDocuments.insert(firstDocument, at: index)
    }

    mutating func put(_ bytes: [UInt8], firstDocument: UInt32) {
      // Appending after the last chunk is what indexing new documents does.
      if let last = firstDocuments.last, last < firstDocument {
        arena.append(contentsOf: bytes)
        ends.append(arena.count)
        firstDocuments.append(firstDocument)
      } else if firstDocuments.isEmpty {
        arena = bytes
        ends = [bytes.count]
        firstDocuments = [firstDocument]
      } else if let index = floorIndex(firstDocument), firstDocuments[index] == firstDocument {
        replace(at: index, with: bytes)
      } else {
        insert(bytes, firstDocument: firstDocument, at: (floorIndex(firstDocument) ?? -1) + 1)
      }
    }

    mutating func delete(firstDocument: UInt32) {
      if let index = floorIndex(firstDocument), firstDocuments[index] == firstDocument { remove(at: index) }
    }

    mutating func remove(at index: Int) {
      let old = range(at: index)
      arena.removeSubrange(old)
      ends.remove(at: index)
      firstDocuments.remove(at: index)
      for later in index..<ends.count { ends[later] -= old.count }
    }
  }

  var chunks: [Term: TermChunks] = [:]
  var records: [UInt32: [UInt8]] = [:]
  var pending: [UInt32: [UInt8]] = [:]
  var statistics = CollectionStatistics.empty

  /// Bytes passed to the `put…` methods so far: what a persistent store
  /// would write. The benchmark uses it to show that adding a document
  /// writes O(its tokens) bytes.
  public private(set) var bytesWritten = 0

  /// An empty store.
  public init() {}

  /// The number of distinct terms.
  public var termCount: Int { chunks.count }

  /// The number of posting chunks over all terms.
  public var chunkCount: Int { chunks.values.reduce(0) { $0 + $1.firstDocuments.count } }

  /// Bytes held by posting chunks.
  public var postingBytes: Int { chunks.values.reduce(0) { $0 + $1.arena.count } }

  /// Every term, in byte order.
  public var terms: [Term] { chunks.keys.sorted() }

  /// The first documents of the chunks of `term`, in order (for tests and tools).
  public func chunkFirstDocuments(of term: Term) -> [UInt32] { chunks[term]?.firstDocuments ?? [] }

  /// All postings of `term`, decoded; nil when a chunk is corrupted.
  public func postings(of term: Term) -> [Posting]? {
    guard let entry = chunks[term] else { return [] }
    var all: [Posting] = []
    for index in entry.firstDocuments.indices {
      guard let postings = PostingChunk.decode(Array(entry.arena[entry.range(at: index)])) else { return nil }
      all += postings
    }
    return all
  }

  public func collectionStatistics() -> CollectionStatistics { statistics }

  /// - Throws: rethrows what `body` throws; the store itself never throws.
  public func withPostingEntries<Result>(
    of term: Term, _ body: (borrowing LentPostingEntries) throws -> Result
  ) rethrows -> Result {
    try withPostingEntries(of: [term], body)
  }

  /// - Throws: rethrows what `body` throws; the store itself never throws.
  public func withPostingEntries<Result>(
    of terms: [Term], _ body: (borrowing LentPostingEntries) throws -> Result
  ) rethrows -> Result {
    // Every arena is kept alive (and nothing can mutate `self`) until `body`
    // returns, so its storage does not move while its bytes are lent.
    let entries = terms.map { chunks[$0] }
    return try withExtendedLifetime(entries) {
      let lists = unsafe entries.map { entry -> [UnsafeRawBufferPointer] in
        guard let entry else { return unsafe [] }
        return unsafe entry.arena.withUnsafeBytes { arena in
          unsafe entry.firstDocuments.indices.map { unsafe UnsafeRawBufferPointer(rebasing: arena[entry.range(at: $0)]) }
        }
      }
      return try body(unsafe LentPostingEntries(unsafeBorrowing: lists))
    }
  }

  /// - Throws: rethrows what `body` throws; the store itself never throws.
  public func withPostingChunk<Result>(
    of term: Term, covering document: UInt32, _ body: (borrowing LentPostingChunk?) throws -> Result
  ) rethrows -> Result {
    guard let entry = chunks[term], !entry.firstDocuments.isEmpty else { return try body(nil) }
    let index = entry.floorIndex(document) ?? 0
    return try unsafe body(LentPostingChunk(firstDocument: entry.firstDocuments[index], bytes: entry.arena.span.bytes.extracting(entry.range(at: index))))
  }

  public func documentRecord(_ document: UInt32) -> [UInt8]? { records[document] }

  public func forEachPendingDocument(_ body: (UInt32, RawSpan) throws -> Void) rethrows {
    guard !pending.isEmpty else { return }
    for (document, bytes) in pending.sorted(by: { $0.key < $1.key }) { try unsafe body(document, bytes.span.bytes) }
  }

  /// - Complexity: O(documents): this store keeps no order of its records.
  public func lastIndexedDocument(below document: UInt32) -> UInt32? {
    records.keys.lazy.filter { $0 < document }.max()
  }

  public mutating func putPostingChunk(of term: Term, firstDocument: UInt32, bytes: [UInt8]) {
    bytesWritten += bytes.count
    // The defaulted subscript mutates the entry in place: one hash, no copy.
    chunks[term, default: TermChunks()].put(bytes, firstDocument: firstDocument)
  }

  public mutating func deletePostingChunk(of term: Term, firstDocument: UInt32) {
    guard chunks[term] != nil else { return }
    chunks[term]!.delete(firstDocument: firstDocument)
    if chunks[term]!.firstDocuments.isEmpty { chunks[term] = nil }
  }

  public mutating func putDocumentRecord(_ document: UInt32, bytes: [UInt8]) {
    bytesWritten += bytes.count
    records[document] = bytes
  }

  public mutating func deleteDocumentRecord(_ document: UInt32) {
    records[document] = nil
  }

  public mutating func putPendingDocument(_ document: UInt32, bytes: [UInt8]) {
    bytesWritten += bytes.count
    pending[document] = bytes
  }

  public mutating func deletePendingDocument(_ document: UInt32) {
    pending[document] = nil
  }

  public mutating func putCollectionStatistics(_ statistics: CollectionStatistics) {
    bytesWritten += 16
    self.statistics = statistics
  }
}

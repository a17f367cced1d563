/// One query term's posting list as a search walks it: every chunk's bytes
/// and the documents it spans, in document order.
///
/// Built from the stored values a storage lends (chunks, and blocks of
/// chunks, see `PostingBlock`). A block's directory gives its chunks' spans
/// with plain loads; a chunk's header is parsed only when a cursor or probe
/// enters it (`header(ofChunk:)`), and checked then against what the list
/// was told. A lone chunk, or a chunk of a block of the first layout, has
/// its header parsed here, as before directories.
///
/// - Important: holds the buffers lent by `LexicalStorageReader.withPostingEntries`;
///   a list must not outlive the closure that lent them.
@unsafe
struct PostingList {
  let term: Term
  /// Each chunk's bytes.
  let chunks: UnsafeBufferPointer<UnsafeRawBufferPointer>
  let firstDocuments: UnsafeBufferPointer<UInt32>
  /// Apart from `firstDocuments`: the array skipping searches through.
  let lastDocuments: UnsafeBufferPointer<UInt32>
  /// Each chunk's postings − 1.
  private let postingCounts: UnsafeBufferPointer<UInt8>
  /// Owns the four buffers above.
  private let columns: Columns
  /// The postings of all chunks: the term's document frequency.
  let documentFrequency: UInt64
  /// The largest term frequency and the shortest document of the list (its
  /// blocks' summaries and its other chunks' headers): the corner of every
  /// chunk's scores, which `header(ofChunk:)` holds each chunk to.
  let corner: (frequency: UInt32, length: UInt32)

  /// The list stored as `entries` (chunks and blocks, in key order).
  /// - Throws: `LexicalIndexError.corruptPostingChunk` for an entry that does
  ///   not parse, or chunks out of document order.
  /// - Complexity: O(chunks): fixed-width loads per chunk of a block with a
  ///   directory, a header parse per other chunk.
  init(term: Term, entries: [UnsafeRawBufferPointer]) throws(LexicalIndexError) {
    // Room for every block full. Counting the blocks first reads each
    // entry's first byte in a loop of independent loads, whose cache misses
    // (one an entry: each lies on pages of its own) overlap; the loop below
    // does too much per entry for the processor to run ahead to the next.
    let blocks = unsafe entries.reduce(0) { unsafe $0 + (PostingBlock.isBlock($1) ? 1 : 0) }
    let columns = unsafe Columns(capacity: blocks * PostingBlock.capacity + (entries.count - blocks))
    var count = 0
    var frequency: UInt64 = 0
    var largestFrequency: UInt32 = 0
    var shortestLength = UInt32.max

    func append(_ bytes: UnsafeRawBufferPointer, postings: Int, first: UInt32, last: UInt32) throws(LexicalIndexError) {
      let previousLast = unsafe count > 0 ? columns.lasts[count - 1] : nil
      guard (1...PostingChunk.capacity).contains(postings), first <= last, previousLast.map({ $0 < first }) ?? true else {
        throw .corruptPostingChunk(term: term.description, firstDocument: previousLast ?? first)
      }
      unsafe columns.chunks[count] = bytes
      unsafe columns.firsts[count] = first
      unsafe columns.lasts[count] = last
      unsafe columns.counts[count] = UInt8(postings - 1)
      count += 1
      frequency += UInt64(postings)
    }

    for unsafe entry in unsafe entries {
      let reached = unsafe count > 0 ? columns.lasts[count - 1] : 0
      if unsafe PostingBlock.isBlock(entry) {
        guard let directory = unsafe PostingBlock.Directory(entry) else {
          throw .corruptPostingChunk(term: term.description, firstDocument: reached)
        }
        largestFrequency = unsafe max(largestFrequency, directory.summary.frequency)
        shortestLength = unsafe min(shortestLength, directory.summary.length)
        try unsafe directory.forEach { (chunk) throws(LexicalIndexError) in
          try unsafe append(
            UnsafeRawBufferPointer(rebasing: entry[chunk.range]), postings: chunk.postings, first: chunk.firstDocument,
            last: chunk.lastDocument)
        }
      } else {
        guard let header = unsafe PostingChunkHeader(entry) else {
          throw .corruptPostingChunk(term: term.description, firstDocument: reached)
        }
        largestFrequency = max(largestFrequency, header.maxTermFrequency)
        shortestLength = min(shortestLength, header.minDocumentLength)
        try unsafe append(entry, postings: header.count, first: header.firstDocument, last: header.lastDocument)
      }
    }
    unsafe self.term = term
    unsafe self.columns = columns
    unsafe chunks = UnsafeBufferPointer(rebasing: columns.chunks[..<count])
    unsafe firstDocuments = UnsafeBufferPointer(rebasing: columns.firsts[..<count])
    unsafe lastDocuments = UnsafeBufferPointer(rebasing: columns.lasts[..<count])
    unsafe postingCounts = UnsafeBufferPointer(rebasing: columns.counts[..<count])
    unsafe documentFrequency = frequency
    unsafe corner = (largestFrequency, shortestLength)
  }

  /// The chunk table's memory, written once while the list is built.
  ///
  /// Why not arrays: appending to four arrays checks uniqueness and
  /// capacity per chunk for each; building a query's lists took twice as
  /// long (diverse million, drawn queries, by `perf`).
  @unsafe
  private final class Columns {
    let chunks: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>
    let firsts: UnsafeMutableBufferPointer<UInt32>
    let lasts: UnsafeMutableBufferPointer<UInt32>
    let counts: UnsafeMutableBufferPointer<UInt8>

    init(capacity: Int) {
      unsafe chunks = .allocate(capacity: capacity)
      unsafe firsts = .allocate(capacity: capacity)
      unsafe lasts = .allocate(capacity: capacity)
      unsafe counts = .allocate(capacity: capacity)
    }

    deinit {
      unsafe chunks.deallocate()
      unsafe firsts.deallocate()
      unsafe lasts.deallocate()
      unsafe counts.deallocate()
    }
  }

  var count: Int { unsafe chunks.count }

  /// The header of chunk `index`, parsed now.
  /// - Throws: `LexicalIndexError.corruptPostingChunk` when it does not parse,
  ///   or disagrees with the directory or the list's corner (whose bounds
  ///   would then not hold).
  /// - Complexity: O(1).
  func header(ofChunk index: Int) throws(LexicalIndexError) -> PostingChunkHeader {
    guard let header = unsafe PostingChunkHeader(chunks[index]),
      unsafe header.firstDocument == firstDocuments[index], unsafe header.lastDocument == lastDocuments[index],
      unsafe header.count == Int(postingCounts[index]) + 1,
      unsafe header.maxTermFrequency <= corner.frequency, unsafe header.minDocumentLength >= corner.length
    else { throw unsafe corrupt(chunk: index) }
    return header
  }

  /// The error for damage found in chunk `index`.
  func corrupt(chunk index: Int) -> LexicalIndexError {
    unsafe .corruptPostingChunk(term: term.description, firstDocument: firstDocuments[index])
  }

  /// The first chunk from `start` on whose last document is ≥ `target`
  /// (`count` when none is).
  ///
  /// Galloping, then binary search: a jump over m chunks reads O(log m)
  /// entries, so long skips over common terms stay cheap, while the next
  /// chunk (the usual case) is found at the first probe.
  func firstChunk(endingAtOrAfter target: UInt32, from start: Int) -> Int {
    var low = start
    guard low < lastDocuments.count, unsafe lastDocuments[low] < target else { return low }
    // lastDocuments[low] ends before target; find a bound `high` that does not.
    var step = 1
    var high = low + step
    while unsafe high < lastDocuments.count && lastDocuments[high] < target {
      low = high
      step <<= 1
      high = low + step
    }
    high = Swift.min(high, lastDocuments.count)
    // Invariant: lastDocuments[low] < target; lastDocuments[high] (if any) is not.
    while high - low > 1 {
      let middle = (low + high) / 2
      if unsafe lastDocuments[middle] < target { low = middle } else { high = middle }
    }
    return high
  }
}

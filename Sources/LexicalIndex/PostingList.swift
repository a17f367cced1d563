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
  let chunks: [UnsafeRawBufferPointer]
  let firstDocuments: [UInt32]
  /// Apart from `firstDocuments`: the array skipping searches through.
  let lastDocuments: [UInt32]
  /// Each chunk's postings − 1.
  private let postingCounts: [UInt8]
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
    var chunks: [UnsafeRawBufferPointer] = unsafe []
    var firsts: [UInt32] = []
    var lasts: [UInt32] = []
    var counts: [UInt8] = []
    // Most entries of a long list are full blocks.
    let expected = unsafe entries.count * PostingBlock.capacity
    unsafe chunks.reserveCapacity(expected)
    firsts.reserveCapacity(expected)
    lasts.reserveCapacity(expected)
    counts.reserveCapacity(expected)
    var frequency: UInt64 = 0
    var largestFrequency: UInt32 = 0
    var shortestLength = UInt32.max

    func append(_ bytes: UnsafeRawBufferPointer, postings: Int, first: UInt32, last: UInt32) throws(LexicalIndexError) {
      guard (1...PostingChunk.capacity).contains(postings), first <= last, lasts.last.map({ $0 < first }) ?? true else {
        throw .corruptPostingChunk(term: term.description, firstDocument: lasts.last ?? first)
      }
      unsafe chunks.append(bytes)
      firsts.append(first)
      lasts.append(last)
      counts.append(UInt8(postings - 1))
      frequency += UInt64(postings)
    }

    for unsafe entry in unsafe entries {
      if unsafe PostingBlock.isBlock(entry) {
        guard let directory = unsafe PostingBlock.Directory(entry) else {
          throw .corruptPostingChunk(term: term.description, firstDocument: lasts.last ?? 0)
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
          throw .corruptPostingChunk(term: term.description, firstDocument: lasts.last ?? 0)
        }
        largestFrequency = max(largestFrequency, header.maxTermFrequency)
        shortestLength = min(shortestLength, header.minDocumentLength)
        try unsafe append(entry, postings: header.count, first: header.firstDocument, last: header.lastDocument)
      }
    }
    unsafe self.term = term
    unsafe self.chunks = chunks
    unsafe firstDocuments = firsts
    unsafe lastDocuments = lasts
    unsafe postingCounts = counts
    unsafe documentFrequency = frequency
    unsafe corner = (largestFrequency, shortestLength)
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
    unsafe lastDocuments.withUnsafeBufferPointer { lasts in
      var low = start
      guard low < lasts.count, unsafe lasts[low] < target else { return low }
      // lasts[low] ends before target; find a bound `high` that does not.
      var step = 1
      var high = low + step
      while unsafe high < lasts.count && lasts[high] < target {
        low = high
        step <<= 1
        high = low + step
      }
      high = Swift.min(high, lasts.count)
      // Invariant: lasts[low] < target; lasts[high] (if any) is not.
      while high - low > 1 {
        let middle = (low + high) / 2
        if unsafe lasts[middle] < target { low = middle } else { high = middle }
      }
      return high
    }
  }
}

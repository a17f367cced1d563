import ByteCodecs

/// The postings of a batch of documents, accumulated in flat arrays before
/// they are merged into storage one term at a time.
///
/// Why batch: merging term by term touches each term's last chunk once per
/// batch instead of once per document, the way Lucene and tantivy buffer a
/// segment in memory.
struct IndexingBatch {
  struct Document {
    var id: UInt32
    var length: UInt32
    /// This document's postings in the flat arrays (one per distinct term).
    var postings: Range<Int>
  }

  var terms = TermTable()
  var documents: [Document] = []
  var postingTerm: [Int32] = []
  var postingTF: [UInt32] = []
  /// For each term id: the last document (batch index) that held it, and that posting's index.
  private var lastDocument: [Int32] = []
  private var lastPosting: [Int32] = []
  private(set) var totalLength: UInt64 = 0
  /// Whether ids arrived in strictly increasing order (then every term's
  /// postings are already sorted and no id repeats).
  private(set) var idsIncreasing = true

  /// Adds a tokenized document.
  /// - Complexity: O(tokens).
  mutating func add(id: UInt32, tokens: TokenBuffer) {
    let batchIndex = Int32(documents.count)
    let start = beginDocument(id)
    unsafe tokens.bytes.withUnsafeBufferPointer { bytes in
      for token in 0..<tokens.count {
        unsafe count(UnsafeBufferPointer(rebasing: bytes[tokens.range(at: token)]), batchIndex: batchIndex)
      }
    }
    endDocument(id, length: UInt32(tokens.count), postingsFrom: start)
  }

  /// Adds a document whose terms are counted already (a buffered one):
  /// distinct terms, in any order.
  /// - Complexity: O(its distinct terms).
  mutating func add(id: UInt32, length: UInt32, terms counted: [(term: Term, frequency: UInt32)]) {
    let start = beginDocument(id)
    for (term, frequency) in counted {
      postingTerm.append(Int32(unsafe term.utf8.withUnsafeBufferPointer { unsafe terms.id(of: $0) }))
      postingTF.append(frequency)
    }
    coverNewTerms()
    endDocument(id, length: length, postingsFrom: start)
  }

  /// Where the postings of document `id`, added next, begin.
  private mutating func beginDocument(_ id: UInt32) -> Int {
    if let previous = documents.last, previous.id >= id { idsIncreasing = false }
    return postingTerm.count
  }

  /// Records document `id`, whose postings run from `start` to the end of the arrays.
  private mutating func endDocument(_ id: UInt32, length: UInt32, postingsFrom start: Int) {
    totalLength += UInt64(length)
    documents.append(Document(id: id, length: length, postings: start..<postingTerm.count))
  }

  /// Gives the terms added without `count` their per-term state, which `count` reads for every term id.
  private mutating func coverNewTerms() {
    lastDocument.append(contentsOf: repeatElement(-1, count: terms.count - lastDocument.count))
    lastPosting.append(contentsOf: repeatElement(-1, count: terms.count - lastPosting.count))
  }

  /// Adds every document of `other`.
  mutating func add(contentsOf other: IndexingBatch) { add(other.documents.indices, of: other) }

  /// Adds documents `indices` of `other`, in that order.
  /// - Complexity: O(their postings), one term lookup per distinct term of `other`.
  mutating func add(_ indices: some Sequence<Int>, of other: IndexingBatch) {
    let mapped = unsafe other.terms.arena.withUnsafeBufferPointer { arena in
      (0..<other.terms.count).map { unsafe Int32(terms.id(of: UnsafeBufferPointer(rebasing: arena[other.terms.range(of: $0)]))) }
    }
    coverNewTerms()
    for index in indices {
      let document = other.documents[index]
      let start = beginDocument(document.id)
      for posting in document.postings {
        postingTerm.append(mapped[Int(other.postingTerm[posting])])
        postingTF.append(other.postingTF[posting])
      }
      endDocument(document.id, length: document.length, postingsFrom: start)
    }
  }

  /// The distinct terms of document `index` with their frequencies, in increasing byte order.
  func termFrequencies(of index: Int) -> [(term: Term, frequency: UInt32)] {
    documents[index].postings.map { posting in
      (terms.term(Int(postingTerm[posting])), postingTF[posting])
    }.sorted { $0.term < $1.term }
  }

  /// Counts one occurrence of `token` in document `batchIndex`.
  @inline(__always)
  private mutating func count(_ token: UnsafeBufferPointer<UInt8>, batchIndex: Int32) {
    let term = unsafe terms.id(of: token)
    if term == lastDocument.count {
      lastDocument.append(-1)
      lastPosting.append(-1)
    }
    if lastDocument[term] == batchIndex {
      postingTF[Int(lastPosting[term])] += 1
    } else {
      lastDocument[term] = batchIndex
      lastPosting[term] = Int32(postingTerm.count)
      postingTerm.append(Int32(term))
      postingTF.append(1)
    }
  }

  /// The storage record of document `index`: its length and distinct terms.
  func record(of index: Int) -> [UInt8] {
    let document = documents[index]
    var bytes: [UInt8] = []
    LEB128.append(document.length, to: &bytes)
    LEB128.append(UInt32(document.postings.count), to: &bytes)
    for posting in document.postings {
      let range = terms.range(of: Int(postingTerm[posting]))
      LEB128.append(UInt32(range.count), to: &bytes)
      bytes.append(contentsOf: terms.arena[range])
    }
    return bytes
  }

  /// Calls `body` for each term with its postings in increasing document order.
  /// - Complexity: O(postings) by a counting sort on term ids (plus a sort of
  ///   each term's postings when ids did not arrive in order).
  func forEachTerm(_ body: (Term, [Posting]) throws -> Void) rethrows {
    var starts = [Int](repeating: 0, count: terms.count + 1)
    for term in postingTerm { starts[Int(term) + 1] += 1 }
    for term in 0..<terms.count { starts[term + 1] += starts[term] }
    var fill = starts
    var ordered = [Posting](repeating: Posting(document: 0, termFrequency: 0, documentLength: 0), count: postingTerm.count)
    for document in documents {
      for posting in document.postings {
        let term = Int(postingTerm[posting])
        ordered[fill[term]] = Posting(document: document.id, termFrequency: postingTF[posting], documentLength: document.length)
        fill[term] += 1
      }
    }
    for term in 0..<terms.count {
      var postings = Array(ordered[starts[term]..<starts[term + 1]])
      if !idsIncreasing { postings.sort { $0.document < $1.document } }
      try body(self.terms.term(term), postings)
    }
  }
}

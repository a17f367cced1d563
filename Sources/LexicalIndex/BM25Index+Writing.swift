extension BM25Index {
  /// Indexes a batch of new documents.
  ///
  /// Postings are merged into storage term by term: a term whose new
  /// documents all come after its last posting (the usual case: ids grow)
  /// rewrites only its last chunk and appends new ones. With
  /// `pendingCapacity`, a small batch of new ids waits in the write buffer
  /// instead, and the batch that fills it merges the buffer with itself.
  ///
  /// - Important: when a call throws after it began writing (a storage or
  ///   corruption error), the store holds part of its changes: run it inside
  ///   a transaction and abort that.
  /// - Throws: `LexicalIndexError.documentExists` when an id is already
  ///   indexed or repeats in the batch (checked before anything is written);
  ///   `.corruptPostingChunk` when a chunk to extend does not decode; `.invalidParameters` for the id
  ///   `UInt32.max` (reserved); storage errors.
  /// - Complexity: O(t + u · c) for t tokens over u distinct (document, term)
  ///   pairs' terms, c = `PostingChunk.capacity`: independent of the size of
  ///   the collection, except when an id is lower than a term's last
  ///   posting (then that posting costs one chunk rewrite, O(c)).
  public func add(
    _ documents: [(id: UInt32, text: String)], to store: inout some LexicalStorage
  ) throws {
    var batch = IndexingBatch()
    var tokens = TokenBuffer()
    for (id, text) in documents {
      // The cursors' end sentinel.
      guard id != .max else { throw LexicalIndexError.invalidParameters("document id \(UInt32.max) is reserved") }
      tokenizer.tokenize(text, into: &tokens)
      batch.add(id: id, tokens: tokens)
    }
    guard !batch.documents.isEmpty else { return }
    if !batch.idsIncreasing {
      var seen = Set<UInt32>()
      for document in batch.documents where !seen.insert(document.id).inserted {
        throw LexicalIndexError.documentExists(document.id)
      }
    }
    for document in batch.documents where try store.documentRecord(document.id) != nil {
      throw LexicalIndexError.documentExists(document.id)
    }

    // Before the records: where the postings go depends on the records already there.
    try indexPostings(of: batch, in: &store)
    for index in batch.documents.indices {
      try store.putDocumentRecord(batch.documents[index].id, bytes: batch.record(of: index))
    }
    var statistics = try store.collectionStatistics()
    statistics.documentCount += UInt64(batch.documents.count)
    statistics.totalLength += batch.totalLength
    try store.putCollectionStatistics(statistics)
  }

  /// Indexes one new document.
  /// - Throws: ``LexicalIndexError``: `.documentExists` when `id` is already indexed (before anything is written),
  ///   `.corruptPostingChunk` when a chunk to extend does not decode; errors of `store` pass through unchanged. See
  ///   `add(_:to:)` on partial writes.
  /// - Complexity: O(its tokens + its distinct terms · `PostingChunk.capacity`).
  public func add(id: UInt32, text: String, to store: inout some LexicalStorage) throws {
    try add([(id: id, text: text)], to: &store)
  }

  /// Removes a document: its postings, its record and its share of the statistics.
  /// - Returns: false when the document was not indexed (nothing changes).
  /// - Throws: ``LexicalIndexError``: `.corruptDocumentRecord` when the record does not decode or a term it lists holds
  ///   no posting of the document, `.corruptPostingChunk` when a chunk does not decode, `.corruptStatistics` when the
  ///   statistics hold fewer documents or tokens than the record; errors of `store` pass through unchanged. A throw may
  ///   leave part of the changes written: run it inside a transaction.
  /// - Complexity: O(its distinct terms · `PostingChunk.capacity`).
  @discardableResult
  public func delete(_ document: UInt32, from store: inout some LexicalStorage) throws -> Bool {
    guard let bytes = try store.documentRecord(document) else { return false }
    guard let record = DocumentRecord(encoded: bytes) else {
      throw LexicalIndexError.corruptDocumentRecord(document: document)
    }
    var buffered = false
    try store.forEachPendingDocument { id, _ in buffered = buffered || id == document }
    if buffered {
      try store.deletePendingDocument(document)
    } else {
      try deletePostings(of: document, terms: record.terms, from: &store)
    }
    try store.deleteDocumentRecord(document)
    var statistics = try store.collectionStatistics()
    guard statistics.documentCount >= 1, statistics.totalLength >= UInt64(record.length) else {
      throw LexicalIndexError.corruptStatistics
    }
    statistics.documentCount -= 1
    statistics.totalLength -= UInt64(record.length)
    try store.putCollectionStatistics(statistics)
    return true
  }

  /// Replaces the text of a document (indexing it when it was not indexed).
  /// - Throws: what `delete(_:from:)` and `add(id:text:to:)` throw (never `.documentExists`); errors of `store` pass
  ///   through unchanged.
  /// - Complexity: a `delete` plus an `add`.
  public func update(id: UInt32, text: String, in store: inout some LexicalStorage) throws {
    try delete(id, from: &store)
    try add(id: id, text: text, to: &store)
  }

  // MARK: - The write buffer (`pendingCapacity`)

  /// Buffers the batch's documents, or merges them (with the buffer, when
  /// they fill it).
  ///
  /// A buffered document must come after every merged posting: a search
  /// appends the buffer's postings to each stored list. So a document at
  /// or below the greatest merged id (an update re-adding an old id) is
  /// merged at once; one above it is buffered.
  private func indexPostings(of batch: IndexingBatch, in store: inout some LexicalStorage) throws {
    // Read whatever the capacity: an index without a buffer still merges one a store holds.
    var pending: [UInt32] = []
    try store.forEachPendingDocument { id, _ in pending.append(id) }
    if pending.count + batch.documents.count >= pendingCapacity {
      guard !pending.isEmpty else { return try merge(batch, into: &store) }
      // Each term's last chunk is rewritten once for the buffer and the batch.
      var all = try takeBuffer(from: &store)
      all.add(contentsOf: batch)
      return try merge(all, into: &store)
    }
    // The greatest merged id: every record from the buffer's first id on is buffered.
    let ceiling = try store.lastIndexedDocument(below: pending.first ?? .max)
    var mergedNow: [Int] = []
    for index in batch.documents.indices {
      let document = batch.documents[index]
      if let ceiling, document.id <= ceiling {
        mergedNow.append(index)
      } else {
        let terms = batch.termFrequencies(of: index)
        try store.putPendingDocument(document.id, bytes: PendingDocument(length: document.length, terms: terms).encoded)
      }
    }
    guard !mergedNow.isEmpty else { return }
    var merged = IndexingBatch()
    merged.add(mergedNow, of: batch)
    try merge(merged, into: &store)
  }

  /// The buffered documents, read into a batch and removed from the buffer.
  private func takeBuffer(from store: inout some LexicalStorage) throws -> IndexingBatch {
    var batch = IndexingBatch()
    try store.forEachPendingDocument { id, bytes in
      guard let document = PendingDocument(encoded: bytes) else { throw LexicalIndexError.corruptDocumentRecord(document: id) }
      batch.add(id: id, length: document.length, terms: document.terms)
    }
    for document in batch.documents { try store.deletePendingDocument(document.id) }
    return batch
  }

  // MARK: - Chunk maintenance

  /// Merges every term's postings of `batch` into storage.
  private func merge(_ batch: IndexingBatch, into store: inout some LexicalStorage) throws {
    try batch.forEachTerm { term, postings in try merge(postings, of: term, into: &store) }
  }

  /// Removes the postings of `document` from the lists of its `terms`.
  private func deletePostings(of document: UInt32, terms: [Term], from store: inout some LexicalStorage) throws {
    for term in terms {
      guard let (first, existing) = try chunk(of: term, covering: document, in: store),
        let position = existing.firstIndex(where: { $0.document == document })
      else { throw LexicalIndexError.corruptDocumentRecord(document: document) }
      var postings = existing
      postings.remove(at: position)
      if postings.first?.document != first { try store.deletePostingChunk(of: term, firstDocument: first) }
      if !postings.isEmpty { try writeChunks(postings, of: term, into: &store) }
    }
  }

  /// Merges postings of one term (in increasing document order) into storage.
  private func merge(_ postings: [Posting], of term: Term, into store: inout some LexicalStorage) throws {
    guard let firstNew = postings.first?.document else { return }
    let last = try chunk(of: term, covering: .max, in: store)
    guard let (lastFirst, lastPostings) = last else {
      try writeChunks(postings, of: term, into: &store)
      return
    }
    if lastPostings.last!.document < firstNew {
      if lastPostings.count == PostingChunk.capacity {
        try writeChunks(postings, of: term, into: &store)
      } else {
        // The rewritten last chunk keeps its key (its first document is unchanged).
        precondition(lastPostings.first!.document == lastFirst)
        try writeChunks(lastPostings + postings, of: term, into: &store)
      }
      return
    }
    // Out of order (an update re-adding an old id): insert one by one.
    for posting in postings { try insert(posting, of: term, into: &store) }
  }

  /// Writes postings as consecutive full chunks, each keyed by its first document.
  private func writeChunks(_ postings: [Posting], of term: Term, into store: inout some LexicalStorage) throws {
    var start = 0
    while start < postings.count {
      let end = min(start + PostingChunk.capacity, postings.count)
      let slice = postings[start..<end]
      try store.putPostingChunk(of: term, firstDocument: slice.first!.document, bytes: PostingChunk.encode(slice))
      start = end
    }
  }

  /// Inserts one posting into the chunk that covers it, splitting a full chunk in two.
  private func insert(_ posting: Posting, of term: Term, into store: inout some LexicalStorage) throws {
    guard let (first, existing) = try chunk(of: term, covering: posting.document, in: store) else {
      try writeChunks([posting], of: term, into: &store)
      return
    }
    var postings = existing
    let position = postings.firstIndex(where: { $0.document >= posting.document }) ?? postings.count
    if position < postings.count && postings[position].document == posting.document {
      postings[position] = posting
    } else {
      postings.insert(posting, at: position)
    }
    if postings.first!.document != first { try store.deletePostingChunk(of: term, firstDocument: first) }
    if postings.count <= PostingChunk.capacity {
      try writeChunks(postings, of: term, into: &store)
    } else {
      let half = postings.count / 2
      try writeChunks(Array(postings[..<half]), of: term, into: &store)
      try writeChunks(Array(postings[half...]), of: term, into: &store)
    }
  }

  /// The decoded chunk of `term` covering `document` (see `LexicalStorageReader.withPostingChunk`).
  func chunk(
    of term: Term, covering document: UInt32, in store: some LexicalStorageReader
  ) throws -> (UInt32, [Posting])? {
    try store.withPostingChunk(of: term, covering: document) { chunk -> (UInt32, [Posting])? in
      guard let chunk else { return nil }
      var decoded = DecodedChunk()
      let intact = unsafe chunk.bytes.withUnsafeBytes { bytes in
        guard let header = unsafe PostingChunkHeader(bytes), header.firstDocument == chunk.firstDocument else { return false }
        return unsafe decoded.decode(bytes, header: header)
      }
      guard intact else { throw LexicalIndexError.corruptPostingChunk(term: term.description, firstDocument: chunk.firstDocument) }
      return (chunk.firstDocument, (0..<decoded.count).map {
        Posting(document: decoded.documents[$0], termFrequency: decoded.termFrequencies[$0],
                documentLength: decoded.documentLengths[$0])
      })
    }
  }
}

extension BM25Index {
  /// Checks the index entries of `documents` (every indexed document, for a
  /// full check) against each other and against the collection statistics.
  ///
  /// For each document: its record decodes, and each of its terms holds a
  /// posting for it with the recorded length (a buffered document: its
  /// buffered terms and length are the record's). Then: the statistics count
  /// exactly these documents and their lengths. Postings of documents that
  /// have no record are not found this way (that takes a scan of every
  /// chunk, which the store does with `PostingChunkAudit`).
  ///
  /// - Returns: one line per violation; empty when consistent.
  /// - Throws: only what `store` throws, unchanged; a record or chunk that does not decode is a violation, not a throw.
  /// - Complexity: O(Σ distinct terms · chunk size) over the documents.
  public func integrityViolations(
    documents: some Sequence<UInt32>, in store: some LexicalStorageReader
  ) throws -> [String] {
    var violations: [String] = []
    var count: UInt64 = 0
    var totalLength: UInt64 = 0
    // Buffered documents: decoded (nil: damaged), and each must have a record.
    var buffered: [UInt32: PendingDocument?] = [:]
    try store.forEachPendingDocument { document, bytes in buffered[document] = PendingDocument(encoded: bytes) }
    for document in buffered.keys.sorted() where try store.documentRecord(document) == nil {
      violations.append("buffered document \(document): no record")
    }
    for document in documents {
      guard let bytes = try store.documentRecord(document) else {
        violations.append("document \(document): no record")
        continue
      }
      guard let record = DocumentRecord(encoded: bytes) else {
        violations.append("document \(document): record does not decode")
        continue
      }
      count += 1
      totalLength += UInt64(record.length)
      if let entry = buffered[document] {
        if let entry {
          if entry.length != record.length || entry.terms.map(\.term) != record.terms.sorted() {
            violations.append("document \(document): the buffer's terms or length differ from its record")
          }
        } else {
          violations.append("document \(document): buffered entry does not decode")
        }
        continue
      }
      for term in record.terms {
        do {
          let posting = try chunk(of: term, covering: document, in: store)?.1.first { $0.document == document }
          if let posting {
            if posting.documentLength != record.length {
              violations.append(
                "document \(document), term '\(term)': posting says length \(posting.documentLength), record \(record.length)")
            }
          } else {
            violations.append("document \(document), term '\(term)': no posting")
          }
        } catch let error as LexicalIndexError {
          violations.append("document \(document), term '\(term)': \(error)")
        }
      }
    }
    let statistics = try store.collectionStatistics()
    if statistics != CollectionStatistics(documentCount: count, totalLength: totalLength) {
      violations.append(
        "statistics say \(statistics.documentCount) documents, \(statistics.totalLength) tokens; "
          + "records say \(count), \(totalLength)")
    }
    return violations
  }
}

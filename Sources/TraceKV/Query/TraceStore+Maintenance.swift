import LMDBKit
import Foundation
import LexicalIndex
import VectorIndex

/// A problem `verify` found.
public struct IntegrityProblem: Sendable, Equatable, CustomStringConvertible {
  public var table: String
  public var message: String
  public var description: String { "\(table): \(message)" }
}

extension TraceStore {
  /// Deletes traces by id, with their spans and index entries; returns the
  /// ids the store did not hold.
  /// - Throws: ``TraceKVError``, and then nothing is deleted: `.readOnly` for a store open read-only, `.storeFull` when
  ///   the map cannot grow, `.corrupted` for a damaged record or index, `.storage` for any other LMDB failure. Never
  ///   `.notFound`: unknown ids are returned.
  @discardableResult
  public func delete(traceIDs: [String]) throws(TraceKVError) -> (deleted: Int, unknown: [String]) {
    try indexedWrite { transaction, index in
      var deleted = 0
      var unknown: [String] = []
      for traceID in traceIDs {
        guard let doc = try document(of: traceID, in: transaction), let record = try record(doc, in: transaction) else {
          unknown.append(traceID)
          continue
        }
        try remove(doc, record, in: transaction, index: &index)
        deleted += 1
      }
      return (deleted, unknown)
    }
  }

  /// Deletes the traces whose event time is before `cutoff`, optionally only
  /// those with one of `statuses`; returns how many.
  /// - Throws: ``TraceKVError``, and then nothing is deleted: `.readOnly` for a store open read-only, `.storeFull` when
  ///   the map cannot grow, `.corrupted` for a damaged record or index, `.storage` for any other LMDB failure.
  @discardableResult
  public func delete(olderThan cutoff: Timestamp, statuses: Set<TraceStatus> = []) throws(TraceKVError) -> Int {
    // Nothing is older than the earliest instant (and one before it would overflow).
    guard cutoff.microseconds > .min else { return 0 }
    return try indexedWrite { transaction, index in
      var doomed: [(UInt32, TraceRecord)] = []
      let filter = TraceFilter(statuses: statuses, until: Timestamp(microseconds: cutoff.microseconds - 1))
      try forEachRecord(matching: filter, in: transaction) { doc, record in
        doomed.append((doc, record))
        return true
      }
      for (doc, record) in doomed { try remove(doc, record, in: transaction, index: &index) }
      return doomed.count
    }
  }

  private func remove(
    _ doc: UInt32, _ record: TraceRecord, in transaction: LMDBTransaction, index: inout IndexWriter
  ) throws {
    try index.removed(doc)
    try transaction.delete(tables.traceIDs, key: Array(record.trace.traceID.utf8))
    try transaction.delete(tables.traces, key: Keys.docID(doc))
    try transaction.deleteAll(tables.spans, prefix: Keys.docID(doc))
    try transaction.delete(tables.byTime, key: Keys.byTime(record.eventTime, doc))
    if let episode = record.trace.episodeID {
      try transaction.delete(tables.byEpisode, key: Keys.byEpisode(episode, doc))
    }
  }

  /// Walks every table and checks every cross-reference; returns the
  /// problems found (none for a sound store). One consistent snapshot.
  ///
  /// The indexes are checked too: every trace in the lexical index and,
  /// when the store has an embedder, in the vector index (unless it has no
  /// text to embed); no posting, document record or node for a missing
  /// trace; posting chunks that decode and agree with the document records;
  /// BM25 statistics equal to the sums; HNSW records that fit together and a
  /// graph that passes `HNSWIndex.checkIntegrity()`. `repair()` rebuilds both
  /// indexes from the traces.
  /// - Throws: ``TraceKVError`` as `verifyPages(path:)` (`.corrupted` for a truncated file, `.notAStore`, `.readOnly`,
  ///   `.storage`), and `.storage` when LMDB fails. Damage inside a complete file is returned as problems, not
  ///   thrown, except a span key of 5 to 7 bytes under a trace's prefix: that throws `.corrupted`.
  public func verify() throws(TraceKVError) -> [IntegrityProblem] {
    let pages = try Self.verifyPages(path: path)
    guard pages.isEmpty else { return pages }
    return try read { transaction in
      var problems: [IntegrityProblem] = []
      func problem(_ table: String, _ message: String) { problems.append(IntegrityProblem(table: table, message: message)) }
      let records = try verifyTraceRecords(in: transaction, problem: problem)
      try verifyReverseReferences(in: transaction, records: records, problem: problem)
      verifyLexicalIndex(in: transaction, traces: Set(records.keys), problem: problem)
      verifyVectorIndex(in: transaction, traces: Set(records.keys), problem: problem)
      return problems
    }
  }

  /// The filter column blocks, when current (`FilterColumnBlocks`), against
  /// the columns of the trace records: a wrong block would filter searches
  /// wrongly with nothing else failing.
  private func verifyFilterColumnBlocks(
    against columns: FilterColumns, in transaction: LMDBTransaction, problem: (String, String) -> Void
  ) throws {
    let generation = try SearchIndexes.generation(in: transaction, tables: tables)
    let stored: FilterColumns?
    do {
      stored = try FilterColumnBlocks.load(generation: generation, tables: tables, in: transaction)
    } catch {
      problem(tables.meta.name, "the filter column blocks do not read: \(error); `repair` rewrites them")
      return
    }
    if let stored, let block = stored.firstDifferentBlock(from: columns) {
      problem(tables.meta.name, "filter column block \(block) disagrees with the trace records; `repair` rewrites it")
    }
  }

  /// What `verify` keeps of each sound trace record, to check the entries pointing back at it.
  private typealias VerifiedRecord = (eventTime: Int64, episode: String?)

  /// Every trace record against next-document, trace-ids, by-time,
  /// by-episode and its spans; returns the records that decode.
  private func verifyTraceRecords(
    in transaction: LMDBTransaction, problem: (String, String) -> Void
  ) throws -> [UInt32: VerifiedRecord] {
    let nextDocument = try transaction.withValue(tables.meta, key: StoreSchema.MetaKey.nextDocument) {
      $0.byteCount == 4 ? try Keys.document(in: $0) : nil
    } ?? nil
    if nextDocument == nil { problem(tables.meta.name, "next-document is missing or malformed") }

    // traces → spans, by-time, by-episode, trace-ids
    var records: [UInt32: VerifiedRecord] = [:]
    var columns = FilterColumns()
    try transaction.scan(tables.traces) { key, value in
      guard key.byteCount == 4 else { problem(tables.traces.name, "a key of \(key.byteCount) bytes"); return true }
      let doc = try Keys.document(in: key)
      let record: TraceRecord
      do { record = try TraceRecord.decode(value) } catch {
        problem(tables.traces.name, "document \(doc): \(error)")
        return true
      }
      let id = record.trace.traceID
      records[doc] = (record.eventTime, record.trace.episodeID)
      columns.set(doc, record)
      if let next = nextDocument, doc >= next { problem(tables.traces.name, "trace \(id): document \(doc) ≥ next-document") }
      if try document(of: id, in: transaction) != doc { problem(tables.traceIDs.name, "trace \(id) does not map to document \(doc)") }
      if try !transaction.contains(tables.byTime, key: Keys.byTime(record.eventTime, doc)) {
        problem(tables.byTime.name, "trace \(id) is missing from the time index")
      }
      if let episode = record.trace.episodeID, try !transaction.contains(tables.byEpisode, key: Keys.byEpisode(episode, doc)) {
        problem(tables.byEpisode.name, "trace \(id) is missing from the episode index")
      }
      var spanCount = 0
      try transaction.scan(tables.spans, prefix: Keys.docID(doc)) { spanKey, spanValue in
        spanCount += 1
        guard let sequence = try? Keys.spanSequence(in: spanKey) else {
          problem(tables.spans.name, "trace \(id): a span key of \(spanKey.byteCount) bytes")
          return true
        }
        if sequence >= record.nextSpanSequence { problem(tables.spans.name, "trace \(id): span sequence \(sequence) past the end") }
        do { _ = try SpanRecord.decode(spanValue) } catch { problem(tables.spans.name, "trace \(id), span \(sequence): \(error)") }
        return true
      }
      if spanCount != record.spanCount {
        problem(tables.spans.name, "trace \(id) records \(record.spanCount) spans but has \(spanCount)")
      }
      return true
    }
    try verifyFilterColumnBlocks(against: columns, in: transaction, problem: problem)
    return records
  }

  /// Ids, spans and index entries that name no trace, or the wrong place.
  private func verifyReverseReferences(
    in transaction: LMDBTransaction, records: [UInt32: VerifiedRecord], problem: (String, String) -> Void
  ) throws {
    try transaction.scan(tables.traceIDs) { key, value in
      let doc = value.byteCount == 4 ? try Keys.document(in: value) : nil
      if doc.flatMap({ records[$0] }) == nil {
        problem(tables.traceIDs.name, "'\(key.utf8String())' names no trace record")
      }
      return true
    }
    var lastOrphan: UInt32?
    try transaction.scan(tables.spans) { key, _ in
      guard key.byteCount == 8 else { problem(tables.spans.name, "a key of \(key.byteCount) bytes"); return true }
      let doc = try Keys.document(in: key)
      if records[doc] == nil, lastOrphan != doc {
        lastOrphan = doc
        problem(tables.spans.name, "spans of document \(doc), which has no trace record")
      }
      return true
    }
    try transaction.scan(tables.byTime) { key, _ in
      guard key.byteCount == 12 else { problem(tables.byTime.name, "a key of \(key.byteCount) bytes"); return true }
      let doc = try Keys.document(in: key, at: 8)
      guard let entry = records[doc], key.elementsEqual(Keys.byTime(entry.eventTime, doc)) else {
        problem(tables.byTime.name, "an entry for document \(doc) that does not match its trace")
        return true
      }
      return true
    }
    try transaction.scan(tables.byEpisode) { key, _ in
      guard key.byteCount > 5 else { problem(tables.byEpisode.name, "a key of \(key.byteCount) bytes"); return true }
      let doc = try Keys.document(in: key, at: key.byteCount - 4)
      let episode = key.utf8String(0..<key.byteCount - 5)
      if records[doc]?.episode != episode {
        problem(tables.byEpisode.name, "an entry for document \(doc) in episode '\(episode)' that does not match its trace")
      }
      return true
    }
  }

  /// Every B-tree page of the file at `path`, read without LMDB (which
  /// trusts its pages and may end the process on a damaged one): the
  /// problems, each on the `file` table; empty when every page is sound.
  /// `verify()` starts with this; call it before opening a store that may be
  /// damaged.
  /// - Throws: ``TraceKVError``: `.corrupted` for a truncated file or an impossible page size, `.notAStore` for a file
  ///   that is not LMDB, `.readOnly` when the file may not be read, `.storage` when it cannot be read otherwise (a
  ///   missing file too).
  public static func verifyPages(path: String) throws(TraceKVError) -> [IntegrityProblem] {
    let problems = try translatingLMDB { () throws(LMDBError) in
      try LMDBMetaPages.checkComplete(path: path)
      return try LMDBPageCheck.problems(path: path)
    }
    return problems.map { IntegrityProblem(table: "file", message: $0) }
  }

  /// Writes a compacting copy of the live store to `destination`, which
  /// must not exist. Writers may go on meanwhile; the copy is one snapshot.
  /// - Throws: ``TraceKVError``: `.invalidInput` when `destination` exists; while writing the copy, `.readOnly` when
  ///   permission is denied, `.storeFull` when the disk fills up, `.storage` for any other failure (such as a missing
  ///   folder). A partial copy is removed.
  public func backup(to destination: String) throws(TraceKVError) {
    guard !FileManager.default.fileExists(atPath: destination) else {
      throw TraceKVError.invalid("\(destination) already exists; a backup never overwrites a file")
    }
    try translatingLMDB { () throws(LMDBError) in try environment.copyCompacted(to: destination) }
  }

  /// The store file's size in bytes.
  /// - Throws: ``TraceKVError`` with kind `.storage` when the file cannot be examined (e.g. it was removed).
  public func fileSize() throws(TraceKVError) -> Int {
    let attributes = try translatingErrors("stat \(path)") { try FileManager.default.attributesOfItem(atPath: path) }
    return (attributes[.size] as? NSNumber)?.intValue ?? 0
  }
}

// MARK: - Index verification

extension TraceStore {
  /// BM25: document records, posting chunks and statistics against each
  /// other and against the traces (`traces`: the documents with a record).
  func verifyLexicalIndex(
    in transaction: LMDBTransaction, traces: Set<UInt32>, problem: (String, String) -> Void
  ) {
    let docsTable = tables.lexicalDocuments.name
    let postingsTable = tables.termPostings.name
    let storage = LMDBLexicalStorage(transaction: transaction, tables: tables)
    do {
      // Document records: length and distinct terms of each indexed trace.
      var documents: [UInt32: (length: UInt32, terms: Int, postings: Int)] = [:]
      var totalLength: UInt64 = 0
      try transaction.scan(tables.lexicalDocuments) { key, _ in
        guard key.byteCount == 4 else { problem(docsTable, "a key of \(key.byteCount) bytes"); return true }
        let doc = try Keys.document(in: key)
        if !traces.contains(doc) { problem(docsTable, "a record for document \(doc), which has no trace") }
        do {
          guard let length = try search.lexical.documentLength(doc, in: storage),
            let terms = try search.lexical.terms(of: doc, in: storage)
          else { return true }
          documents[doc] = (length, terms.count, 0)
          totalLength += UInt64(length)
        } catch {
          problem(docsTable, "the record of document \(doc) is damaged: \(error)")
        }
        return true
      }
      for doc in traces.sorted() where documents[doc] == nil {
        if let id = try? traceID(of: doc, in: transaction), try transaction.contains(tables.lexicalDocuments, key: Keys.docID(doc)) == false {
          problem(docsTable, "trace \(id) is missing from the lexical index")
        }
      }
      // Posting chunks: LexicalIndex's audit says whether each is sound; here,
      // each posting must name an indexed trace with its length.
      var audit = PostingChunkAudit()
      var lastMerged: UInt32?
      try transaction.scan(tables.termPostings) { key, value in
        for finding in audit.checkEntry(key: key.copiedBytes, value: value.copiedBytes) {
          for violation in finding.violations { problem(postingsTable, violation) }
          let name = finding.name
          for posting in finding.postings {
            guard let entry = documents[posting.document] else {
              if !traces.contains(posting.document) {
                problem(postingsTable, "the \(name) holds document \(posting.document), which has no trace")
              } else {
                problem(postingsTable, "the \(name) holds document \(posting.document), which has no lexical record")
              }
              continue
            }
            documents[posting.document]!.postings += 1
            lastMerged = max(lastMerged ?? 0, posting.document)
            if posting.documentLength != entry.length {
              problem(postingsTable, "the \(name) gives document \(posting.document) length \(posting.documentLength), its record \(entry.length)")
            }
          }
        }
        return true
      }
      // The write buffer: each entry names an indexed trace, holds its terms, and comes after
      // every merged posting (a search appends the buffer to the lists).
      try storage.forEachPendingDocument { doc, bytes in
        guard let entry = documents[doc] else {
          problem(tables.meta.name, "the BM25 write buffer holds document \(doc), which has no lexical record")
          return
        }
        guard let buffered = PendingDocument(encoded: bytes) else {
          problem(tables.meta.name, "the BM25 write buffer's entry for document \(doc) is damaged")
          return
        }
        documents[doc]!.postings += buffered.terms.count
        if buffered.length != entry.length {
          problem(tables.meta.name, "the BM25 write buffer gives document \(doc) length \(buffered.length), its record \(entry.length)")
        }
        if let lastMerged, doc <= lastMerged {
          problem(tables.meta.name, "the BM25 write buffer holds document \(doc), not after the merged postings (up to \(lastMerged))")
        }
      }
      for (doc, entry) in documents.sorted(by: { $0.key < $1.key }) where entry.terms != entry.postings {
        problem(postingsTable, "document \(doc) has \(entry.terms) terms in its record but \(entry.postings) postings")
      }
      // Collection statistics: exactly the sums.
      let statistics = try storage.collectionStatistics()
      if statistics.documentCount != UInt64(documents.count) || statistics.totalLength != totalLength {
        problem(
          tables.meta.name,
          "lexical statistics say \(statistics.documentCount) documents of \(statistics.totalLength) tokens; "
            + "the index holds \(documents.count) of \(totalLength)")
      }
    } catch {
      problem(docsTable, "the lexical index could not be read: \(error)")
    }
  }

  /// HNSW: node and link-list records, the graph's integrity, and its labels
  /// against the traces.
  func verifyVectorIndex(
    in transaction: LMDBTransaction, traces: Set<UInt32>, problem: (String, String) -> Void
  ) {
    let nodesTable = tables.hnswNodes.name
    let linksTable = tables.hnswLinks.name
    do {
      let header: HNSWHeader? = try transaction.withValue(tables.meta, key: StoreSchema.MetaKey.hnswHeader) { bytes in
        do { return try HNSWHeader(decoding: bytes.copiedBytes) } catch {
          problem(tables.meta.name, "the HNSW header is damaged: \(error)")
          return nil
        }
      } ?? nil
      let dimension = search.identity.dimension
      guard let header else {
        var blocks = false
        try transaction.scan(tables.meta, prefix: VectorPersistence.blockPrefix) { _, _ in
          blocks = true
          return false
        }
        if try transaction.count(tables.hnswNodes) > 0 || transaction.count(tables.hnswLinks) > 0 || blocks {
          problem(nodesTable, "HNSW records without an HNSW header")
        }
        if dimension > 0 { try checkVectorMembership(labels: [], in: transaction, traces: traces, problem: problem) }
        return
      }
      if dimension > 0, header.dimension != dimension {
        problem(tables.meta.name, "the HNSW header has dimension \(header.dimension), the embedder \(dimension)")
      }
      // Records one by one, so that a damaged one is named (VectorIndex's audit).
      var audit = HNSWRecordAudit(header: header)
      var recordProblems = 0
      try transaction.scan(tables.hnswNodes) { key, value in
        if let violation = audit.checkNode(key: key.copiedBytes, value: value.copiedBytes) {
          recordProblems += 1
          problem(nodesTable, "\(violation)")
        }
        return true
      }
      let searchable = audit.nodes.filter { !audit.tombstones.contains($0.key) }
      for (slot, node) in searchable.sorted(by: { $0.key < $1.key }) where !traces.contains(node.label) {
        problem(nodesTable, "node \(slot) indexes document \(node.label), which has no trace")
      }
      if let violation = audit.nodeCountViolation() {
        recordProblems += 1
        problem(nodesTable, "\(violation)")
      }
      try transaction.scan(tables.meta, prefix: VectorPersistence.blockPrefix) { key, value in
        if let violation = audit.checkVectorBlock(key: key.copiedBytes.dropFirst(VectorPersistence.blockPrefix.count), value: value.copiedBytes) {
          recordProblems += 1
          problem(tables.meta.name, "\(violation)")
        }
        return true
      }
      for violation in audit.missingVectorViolations() {
        recordProblems += 1
        problem(tables.meta.name, "\(violation)")
      }
      try transaction.scan(tables.hnswLinks) { key, value in
        if let violation = audit.checkLinkList(key: key.copiedBytes, value: value.copiedBytes) {
          recordProblems += 1
          problem(linksTable, "\(violation)")
        }
        return true
      }
      // The whole graph, when its records are sound.
      if recordProblems == 0 {
        do {
          if let graph = try VectorPersistence.load(tables: tables, in: transaction) {
            // Unreachable nodes included: a trace no search can find is damage.
            for violation in graph.checkIntegrity() { problem(linksTable, "HNSW graph: \(violation)") }
          }
        } catch {
          problem(linksTable, "\(error)")
        }
      }
      if dimension > 0 { try checkVectorMembership(labels: Set(searchable.values.map(\.label)), in: transaction, traces: traces, problem: problem) }
    } catch {
      problem(nodesTable, "the vector index could not be read: \(error)")
    }
  }

  /// Every trace with text to embed (and a non-zero embedding) must be in
  /// the vector index, unless its vector waits (`PendingVectors`).
  private func checkVectorMembership(
    labels: Set<UInt32>, in transaction: LMDBTransaction, traces: Set<UInt32>, problem: (String, String) -> Void
  ) throws {
    var missing: [(doc: UInt32, id: String, text: String)] = []
    let waiting = Set(try PendingVectors.entries(tables: tables, in: transaction).map(\.doc))
    for doc in traces.sorted() where !labels.contains(doc) && !waiting.contains(doc) {
      guard let record = try? record(doc, in: transaction, withAttributes: false),
        let text = try SearchText.stored(doc, tables: tables, in: transaction)?.semantic
      else { continue }
      if !text.isEmpty { missing.append((doc, record.trace.traceID, text)) }
    }
    guard !missing.isEmpty else { return }
    // A trace whose text embeds to zero is rightly absent: ask the embedder.
    let vectors = (try? search.embedder().embed(missing.map(\.text))) ?? []
    for (index, entry) in missing.enumerated() {
      if index < vectors.count, !vectors[index].contains(where: { $0 != 0 }) { continue }
      problem(tables.hnswNodes.name, "trace \(entry.id) is missing from the vector index")
    }
  }

  /// The external id of a document, from its record.
  private func traceID(of doc: UInt32, in transaction: LMDBTransaction) throws -> String? {
    try record(doc, in: transaction)?.trace.traceID
  }
}

import LMDBKit
import Foundation

/// What `repair()` did.
public struct RepairReport: Sendable, Equatable {
  /// Traces indexed again (all the store holds after the repair).
  public var tracesIndexed = 0
  /// Traces whose damaged record was rebuilt from their id and spans: their
  /// spans are back, their trace attributes, feedback and evaluation are lost.
  public var salvaged: [String] = []
  /// Damaged trace records that no id names: removed with their spans.
  public var dropped: [UInt32] = []
  /// Spans that did not decode, removed.
  public var damagedSpans = 0
  /// Entries of trace-ids, spans, by-time and by-episode that pointed at no
  /// trace (or at the wrong place), removed or rewritten.
  public var strayEntries = 0

  public init() {}
}

extension TraceStore {
  /// Rebuilds everything that can be derived from the traces, in one write
  /// transaction: the BM25 and HNSW indexes, the time and episode indexes,
  /// and the id map; damaged trace records are salvaged from their spans
  /// when an id still names them, else dropped. Afterwards `verify()` finds
  /// nothing wrong in what the repair rebuilt.
  ///
  /// A crash during the repair leaves the store as it was (one transaction).
  /// - Throws: ``TraceKVError``, and then the store is left as it was: `.readOnly` for a store open read-only,
  ///   `.storeFull` when the map cannot grow, `.embedderUnavailable` when embedding the traces' text fails,
  ///   `.corrupted` when LMDB reports a damaged page, `.storage` for any other LMDB failure.
  /// - Complexity: reads every trace and span, embeds every trace's text.
  @discardableResult
  public func repair() throws(TraceKVError) -> RepairReport {
    try translatingErrors("repair") { try rebuild() }
  }

  private func rebuild() throws -> RepairReport {
    try search.writeLock.withLock {
      let (report, state) = try write { transaction -> (RepairReport, SearchState) in
        var report = RepairReport()
        var tableRebuild = TraceTablesRebuild(store: self, transaction: transaction)
        let rebuilt = try tableRebuild.run(into: &report)
        for table in [tables.hnswNodes, tables.hnswLinks, tables.termPostings, tables.lexicalDocuments] {
          try transaction.clear(table)
        }
        _ = try transaction.deleteAll(tables.meta, prefix: VectorPersistence.blockPrefix)
        _ = try transaction.deleteAll(tables.meta, prefix: StoreSchema.MetaKey.lexicalPendingPrefix)
        try transaction.delete(tables.meta, key: StoreSchema.MetaKey.hnswHeader)
        try transaction.delete(tables.meta, key: StoreSchema.MetaKey.lexicalStatistics)
        var writer = try IndexWriter(indexes: search, transaction: transaction, tables: tables, rebuilding: true)
        for (doc, record) in rebuilt { writer.textChanged(doc, record, isNew: true) }
        report.tracesIndexed = rebuilt.count
        return (report, try writer.finish())
      }
      search.install(state)
      return report
    }
  }
}

/// The first half of a repair: checks every trace record against its spans
/// and rebuilds trace-ids, by-time and by-episode from the records. One step
/// per table, in the order each needs the last one's findings.
private struct TraceTablesRebuild {
  typealias SpanSummary = (count: Int, next: UInt32, starts: [(parentID: String?, start: Timestamp?)])

  let store: TraceStore
  let transaction: LMDBTransaction
  var tables: StoreTables { store.tables }

  /// Sound records by document.
  private var records: [UInt32: TraceRecord] = [:]
  /// Documents whose record does not decode.
  private var damaged: [UInt32] = []
  /// The id still naming each damaged record (it can be salvaged).
  private var idOfDamaged: [UInt32: String] = [:]
  /// The decodable spans of each kept document.
  private var spansOf: [UInt32: SpanSummary] = [:]

  init(store: TraceStore, transaction: LMDBTransaction) {
    self.store = store
    self.transaction = transaction
  }

  /// Runs every step; returns the records kept, in document order.
  mutating func run(into report: inout RepairReport) throws -> [(UInt32, TraceRecord)] {
    try readRecords(&report)
    try reconcileIDs(&report)
    try collectSpans(&report)
    try settleDamagedRecords(&report)
    try rewriteSpanCounts()
    return try rebuildOrderIndexes()
  }

  /// Traces: sound records kept, damaged ones noted, keys of the wrong size removed.
  private mutating func readRecords(_ report: inout RepairReport) throws {
    var strayKeys: [[UInt8]] = []
    try transaction.scan(tables.traces) { key, value in
      guard key.byteCount == 4 else {
        strayKeys.append(key.copiedBytes)
        return true
      }
      let doc = try Keys.document(in: key)
      if let record = try? TraceRecord.decode(value) { records[doc] = record } else { damaged.append(doc) }
      return true
    }
    for key in strayKeys { try transaction.delete(tables.traces, key: key) }
    report.strayEntries += strayKeys.count
  }

  /// Ids: keep those naming a sound record with that id, or a damaged one;
  /// every sound record gets its id back.
  private mutating func reconcileIDs(_ report: inout RepairReport) throws {
    var strayIDs: [[UInt8]] = []
    try transaction.scan(tables.traceIDs) { key, value in
      let id = key.utf8String()
      guard value.byteCount == 4 else {
        strayIDs.append(key.copiedBytes)
        return true
      }
      let doc = try Keys.document(in: value)
      if let record = records[doc], record.trace.traceID == id { return true }
      if damaged.contains(doc), idOfDamaged[doc] == nil, key.elementsEqual(id.utf8) {
        idOfDamaged[doc] = id
        return true
      }
      strayIDs.append(key.copiedBytes)
      return true
    }
    for key in strayIDs { try transaction.delete(tables.traceIDs, key: key) }
    report.strayEntries += strayIDs.count
    for (doc, record) in records where try store.document(of: record.trace.traceID, in: transaction) != doc {
      try transaction.put(tables.traceIDs, key: Array(record.trace.traceID.utf8), value: Keys.docID(doc))
      report.strayEntries += 1
    }
  }

  /// Spans: drop the undecodable and those of no trace; count the rest.
  private mutating func collectSpans(_ report: inout RepairReport) throws {
    var doomedSpans: [[UInt8]] = []
    try transaction.scan(tables.spans) { key, value in
      guard key.byteCount == 8 else {
        doomedSpans.append(key.copiedBytes)
        report.strayEntries += 1
        return true
      }
      let doc = try Keys.document(in: key)
      let sequence = try Keys.spanSequence(in: key)
      guard records[doc] != nil || idOfDamaged[doc] != nil else {
        doomedSpans.append(key.copiedBytes)
        report.strayEntries += 1
        return true
      }
      guard let span = try? SpanRecord.decode(value) else {
        doomedSpans.append(key.copiedBytes)
        report.damagedSpans += 1
        return true
      }
      var entry = spansOf[doc] ?? (0, 0, [])
      entry.count += 1
      entry.next = max(entry.next, sequence + 1)
      entry.starts.append((span.parentID, span.startTime))
      spansOf[doc] = entry
      return true
    }
    for key in doomedSpans { try transaction.delete(tables.spans, key: key) }
  }

  /// Damaged records: salvaged from their id and spans, or dropped with their spans.
  private mutating func settleDamagedRecords(_ report: inout RepairReport) throws {
    for doc in damaged {
      guard let id = idOfDamaged[doc] else {
        try transaction.delete(tables.traces, key: Keys.docID(doc))
        try transaction.deleteAll(tables.spans, prefix: Keys.docID(doc))
        report.dropped.append(doc)
        continue
      }
      let spans = spansOf[doc] ?? (0, 0, [])
      let trace = Trace(traceID: id, status: .needsReview, governanceReason: "salvaged by repair: the trace record was damaged")
      records[doc] = TraceRecord(
        trace: trace, spanCount: spans.count, nextSpanSequence: spans.next,
        eventTime: Trace.eventTime(spans.starts, fallback: trace.createdAt))
      report.salvaged.append(id)
    }
  }

  /// Span counts of sound records made true; salvaged records written.
  private mutating func rewriteSpanCounts() throws {
    for (doc, var record) in records {
      let spans = spansOf[doc] ?? (0, 0, [])
      let salvaged = idOfDamaged[doc] != nil
      if salvaged || record.spanCount != spans.count || record.nextSpanSequence < spans.next {
        record.spanCount = spans.count
        record.nextSpanSequence = max(record.nextSpanSequence, spans.next)
        records[doc] = record
        try transaction.put(tables.traces, key: Keys.docID(doc), value: record.encode())
      }
    }
  }

  /// Time and episode indexes from the records, and a next-document past every record.
  private func rebuildOrderIndexes() throws -> [(UInt32, TraceRecord)] {
    try transaction.clear(tables.byTime)
    try transaction.clear(tables.byEpisode)
    let ordered = records.sorted { $0.key < $1.key }
    for (doc, record) in ordered {
      try transaction.put(tables.byTime, key: Keys.byTime(record.eventTime, doc), value: [UInt8]())
      if let episode = record.trace.episodeID {
        try transaction.put(tables.byEpisode, key: Keys.byEpisode(episode, doc), value: [UInt8]())
      }
    }
    let next = try transaction.withValue(tables.meta, key: StoreSchema.MetaKey.nextDocument) {
      $0.byteCount == 4 ? try Keys.document(in: $0) : 0
    } ?? 0
    let needed = (ordered.last.map { $0.key + 1 }) ?? 0
    if next < needed || next == 0 && needed == 0 {
      try transaction.put(tables.meta, key: StoreSchema.MetaKey.nextDocument, value: Keys.docID(max(next, needed)))
    }
    return ordered.map { ($0.key, $0.value) }
  }
}

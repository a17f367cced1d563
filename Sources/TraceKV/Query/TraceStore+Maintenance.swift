import Foundation

/// A problem `verify` found.
public struct IntegrityProblem: Sendable, Equatable, CustomStringConvertible {
  public var table: String
  public var message: String
  public var description: String { "\(table): \(message)" }
}

extension TraceStore {
  /// Deletes traces by id, with their spans and index entries; returns the
  /// ids the store did not hold.
  @discardableResult
  public func delete(traceIDs: [String]) throws -> (deleted: Int, unknown: [String]) {
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
  @discardableResult
  public func delete(olderThan cutoff: Timestamp, statuses: Set<TraceStatus> = []) throws -> Int {
    try indexedWrite { transaction, index in
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
  public func verify() throws -> [IntegrityProblem] {
    try read { transaction in
      var problems: [IntegrityProblem] = []
      func problem(_ table: String, _ message: String) { problems.append(IntegrityProblem(table: table, message: message)) }
      let nextDocument = try transaction.withValue(tables.meta, key: StoreSchema.MetaKey.nextDocument) {
        $0.count == 4 ? Keys.readDocID($0) : nil
      } ?? nil
      if nextDocument == nil { problem(tables.meta.name, "next-document is missing or malformed") }

      // traces → spans, by-time, by-episode, trace-ids
      var records: [UInt32: (eventTime: Int64, episode: String?)] = [:]
      try transaction.scan(tables.traces) { key, value in
        guard key.count == 4 else { problem(tables.traces.name, "a key of \(key.count) bytes"); return true }
        let doc = Keys.readDocID(key)
        let record: TraceRecord
        do { record = try TraceRecord.decode(value) } catch {
          problem(tables.traces.name, "document \(doc): \(error)")
          return true
        }
        let id = record.trace.traceID
        records[doc] = (record.eventTime, record.trace.episodeID)
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
          let sequence = Keys.readDocID(spanKey, at: 4)
          if sequence >= record.nextSpanSequence { problem(tables.spans.name, "trace \(id): span sequence \(sequence) past the end") }
          do { _ = try SpanRecord.decode(spanValue) } catch { problem(tables.spans.name, "trace \(id), span \(sequence): \(error)") }
          return true
        }
        if spanCount != record.spanCount {
          problem(tables.spans.name, "trace \(id) records \(record.spanCount) spans but has \(spanCount)")
        }
        return true
      }
      // Reverse references: ids, spans and index entries without a trace.
      try transaction.scan(tables.traceIDs) { key, value in
        let doc = value.count == 4 ? Keys.readDocID(value) : nil
        if doc.flatMap({ records[$0] }) == nil {
          problem(tables.traceIDs.name, "'\(String(decoding: key, as: UTF8.self))' names no trace record")
        }
        return true
      }
      var lastOrphan: UInt32?
      try transaction.scan(tables.spans) { key, _ in
        guard key.count == 8 else { problem(tables.spans.name, "a key of \(key.count) bytes"); return true }
        let doc = Keys.readDocID(key)
        if records[doc] == nil, lastOrphan != doc {
          lastOrphan = doc
          problem(tables.spans.name, "spans of document \(doc), which has no trace record")
        }
        return true
      }
      try transaction.scan(tables.byTime) { key, _ in
        guard key.count == 12 else { problem(tables.byTime.name, "a key of \(key.count) bytes"); return true }
        let doc = Keys.readDocID(key, at: 8)
        guard let entry = records[doc], Keys.byTime(entry.eventTime, doc).elementsEqual(key) else {
          problem(tables.byTime.name, "an entry for document \(doc) that does not match its trace")
          return true
        }
        return true
      }
      try transaction.scan(tables.byEpisode) { key, _ in
        guard key.count > 5 else { problem(tables.byEpisode.name, "a key of \(key.count) bytes"); return true }
        let doc = Keys.readDocID(key, at: key.count - 4)
        let episode = String(decoding: key.prefix(key.count - 5), as: UTF8.self)
        if records[doc]?.episode != episode {
          problem(tables.byEpisode.name, "an entry for document \(doc) in episode '\(episode)' that does not match its trace")
        }
        return true
      }
      return problems
    }
  }

  /// Writes a compacting copy of the live store to `destination`, which
  /// must not exist. Writers may go on meanwhile; the copy is one snapshot.
  public func backup(to destination: String) throws {
    guard !FileManager.default.fileExists(atPath: destination) else {
      throw TraceKVError.invalid("\(destination) already exists; a backup never overwrites a file")
    }
    try environment.copyCompacted(to: destination)
  }

  /// The store file's size in bytes.
  public func fileSize() throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.size] as? NSNumber)?.intValue ?? 0
  }
}

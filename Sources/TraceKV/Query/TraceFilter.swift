import LMDBKit

/// Which traces a list, export or delete applies to. Unset fields match all.
public struct TraceFilter: Sendable, Hashable {
  /// Any of these statuses (empty: any status).
  public var statuses: Set<TraceStatus> = []
  /// Rating at least this: the human rating, else the AI evaluation's.
  public var minRating: Int?
  /// Any of these AI-evaluated error types (empty: any, or none).
  public var errorTypes: Set<ErrorType> = []
  /// AI confidence in this inclusive range.
  public var minConfidence: Double?
  public var maxConfidence: Double?
  /// Event time in this inclusive range (docs/trace-format.md §5).
  public var since: Timestamp?
  public var until: Timestamp?
  public var episodeID: String?

  public init(
    statuses: Set<TraceStatus> = [], minRating: Int? = nil, errorTypes: Set<ErrorType> = [],
    minConfidence: Double? = nil, maxConfidence: Double? = nil, since: Timestamp? = nil, until: Timestamp? = nil,
    episodeID: String? = nil
  ) {
    self.statuses = statuses
    self.minRating = minRating
    self.errorTypes = errorTypes
    self.minConfidence = minConfidence
    self.maxConfidence = maxConfidence
    self.since = since
    self.until = until
    self.episodeID = episodeID
  }

  /// Whether the filter lets every trace through.
  public var isEmpty: Bool { self == TraceFilter() }

  /// Whether a trace (its record; spans are not consulted) passes.
  func matches(_ trace: Trace, eventTime: Int64) -> Bool {
    if !statuses.isEmpty && !statuses.contains(trace.status) { return false }
    if let minRating {
      guard let rating = trace.rating, rating >= minRating else { return false }
    }
    if !errorTypes.isEmpty {
      guard let errorType = trace.aiEvaluation?.errorType, errorTypes.contains(errorType) else { return false }
    }
    if minConfidence != nil || maxConfidence != nil {
      guard let confidence = trace.aiEvaluation?.confidence else { return false }
      if let minConfidence, confidence < minConfidence { return false }
      if let maxConfidence, confidence > maxConfidence { return false }
    }
    if let since, eventTime < since.microseconds { return false }
    if let until, eventTime > until.microseconds { return false }
    if let episodeID, trace.episodeID != episodeID { return false }
    return true
  }
}

/// One line of a trace list.
public struct TraceSummary: Sendable, Hashable {
  public var traceID: String
  public var status: TraceStatus
  public var priority: Int
  public var episodeID: String?
  public var rating: Int?
  public var createdAt: Timestamp
  public var eventTime: Timestamp
  public var spanCount: Int

  init(_ record: TraceRecord) {
    let trace = record.trace
    traceID = trace.traceID
    status = trace.status
    priority = trace.priority
    episodeID = trace.episodeID
    rating = trace.rating
    createdAt = trace.createdAt
    eventTime = Timestamp(microseconds: record.eventTime)
    spanCount = record.spanCount
  }
}

/// A page of a filtered list, with the number of all matches.
public struct TracePage: Sendable {
  public var total: Int
  public var traces: [TraceSummary]
}

extension TraceStore {
  /// Visits the matching traces newest first (by event time), until `body`
  /// returns false. Uses the episode index when the filter names an episode,
  /// else the time index, bounded by the filter's time range.
  func forEachRecord(
    matching filter: TraceFilter, in transaction: LMDBTransaction,
    _ body: (UInt32, TraceRecord) throws -> Bool
  ) throws {
    if let episode = filter.episodeID {
      var docs: [(UInt32, TraceRecord)] = []
      try transaction.scan(tables.byEpisode, prefix: Keys.episodePrefix(episode)) { key, _ in
        let doc = try Keys.document(in: key, at: key.byteCount - 4)
        if let record = try record(doc, in: transaction), filter.matches(record.trace, eventTime: record.eventTime) {
          docs.append((doc, record))
        }
        return true
      }
      docs.sort { ($0.1.eventTime, $0.0) > ($1.1.eventTime, $1.0) }
      for (doc, record) in docs where try !body(doc, record) { return }
      return
    }
    let start = filter.until.map { Keys.byTime($0.microseconds, .max) }
    let floor = filter.since?.microseconds
    try transaction.scan(tables.byTime, from: start, reverse: true) { key, _ in
      let doc = try Keys.document(in: key, at: 8)
      guard let record = try record(doc, in: transaction) else {
        throw TraceKVError(.corrupted, "by-time names document \(doc), which has no trace record")
      }
      if let floor, record.eventTime < floor { return false }
      guard filter.matches(record.trace, eventTime: record.eventTime) else { return true }
      return try body(doc, record)
    }
  }

  /// The matching traces, newest first, one page of them.
  /// - Throws: ``TraceKVError`` with kind `.corrupted` when a record or time-index entry does not decode or names a
  ///   trace without a record, `.storage` when LMDB fails.
  public func list(_ filter: TraceFilter = TraceFilter(), limit: Int = 20, offset: Int = 0) throws(TraceKVError) -> TracePage {
    try read { transaction in
      var page: [TraceSummary] = []
      if filter.isEmpty {
        // Every trace matches: the total is the table's count, and only the records up to the page's end are read.
        var seen = 0
        try forEachRecord(matching: filter, in: transaction) { _, record in
          if seen >= offset && page.count < limit { page.append(TraceSummary(record)) }
          seen += 1
          return page.count < limit
        }
        return TracePage(total: try transaction.count(tables.traces), traces: page)
      }
      var total = 0
      try forEachRecord(matching: filter, in: transaction) { _, record in
        if total >= offset && page.count < limit { page.append(TraceSummary(record)) }
        total += 1
        return true
      }
      return TracePage(total: total, traces: page)
    }
  }

  /// The ids of the matching traces, newest first.
  /// - Throws: ``TraceKVError`` with kind `.corrupted` when a record or time-index entry does not decode or names a
  ///   trace without a record, `.storage` when LMDB fails.
  public func traceIDs(matching filter: TraceFilter = TraceFilter(), limit: Int = .max) throws(TraceKVError) -> [String] {
    try read { transaction in
      var ids: [String] = []
      try forEachRecord(matching: filter, in: transaction) { _, record in
        ids.append(record.trace.traceID)
        return ids.count < limit
      }
      return ids
    }
  }
}

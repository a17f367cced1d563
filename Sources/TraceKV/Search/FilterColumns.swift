import VectorIndex

/// Per-trace filter fields in flat arrays indexed by document id, so a
/// search filter becomes a bitset in microseconds instead of a scan of
/// trace records (DESIGN.md, "Per-trace filter fields").
struct FilterColumns: Sendable {
  private static let absent: UInt8 = 0xFF
  private static let statusCodes: [TraceStatus: UInt8] = [.running: 0, .completed: 1, .needsReview: 2, .failed: 3]
  private static let errorCodes = Dictionary(uniqueKeysWithValues: ErrorType.allCases.enumerated().map { ($1, UInt8($0)) })

  private var status: [UInt8] = []
  private var rating: [Int8] = []
  private var errorType: [UInt8] = []
  private var eventTime: [Int64] = []
  private var confidence: [Double] = []
  private var episode: [UInt32] = []
  private var episodeIDs: [String: UInt32] = [:]
  private(set) var liveCount = 0

  /// Records (or replaces) a trace's fields.
  mutating func set(_ doc: UInt32, _ record: TraceRecord) {
    let index = Int(doc)
    if index >= status.count {
      let grow = index + 1 - status.count
      status += repeatElement(Self.absent, count: grow)
      rating += repeatElement(-1, count: grow)
      errorType += repeatElement(Self.absent, count: grow)
      eventTime += repeatElement(0, count: grow)
      confidence += repeatElement(.nan, count: grow)
      episode += repeatElement(.max, count: grow)
    }
    if status[index] == Self.absent { liveCount += 1 }
    let trace = record.trace
    status[index] = Self.statusCodes[trace.status]!
    // Clamped: an AI evaluation's rating is not range-checked (1000 once trapped here).
    rating[index] = Int8(clamping: trace.rating ?? -1)
    errorType[index] = trace.aiEvaluation?.errorType.flatMap { Self.errorCodes[$0] } ?? Self.absent
    eventTime[index] = record.eventTime
    confidence[index] = trace.aiEvaluation?.confidence ?? .nan
    if let episodeID = trace.episodeID {
      episode[index] = intern(episodeID)
    } else {
      episode[index] = .max
    }
  }

  mutating func remove(_ doc: UInt32) {
    let index = Int(doc)
    guard index < status.count, status[index] != Self.absent else { return }
    status[index] = Self.absent
    liveCount -= 1
  }

  private mutating func intern(_ episodeID: String) -> UInt32 {
    if let id = episodeIDs[episodeID] { return id }
    let id = UInt32(episodeIDs.count)
    episodeIDs[episodeID] = id
    return id
  }

  func contains(_ doc: UInt32) -> Bool { Int(doc) < status.count && status[Int(doc)] != Self.absent }

  /// The documents a filter allows, or nil when it allows every trace.
  /// - Complexity: O(documents), a few array reads each.
  func allowed(by filter: TraceFilter) -> LabelSet? {
    guard !filter.isEmpty else { return nil }
    let statuses = Set(filter.statuses.compactMap { Self.statusCodes[$0] })
    let errors = Set(filter.errorTypes.compactMap { Self.errorCodes[$0] })
    var episodeCode: UInt32?
    if let episodeID = filter.episodeID {
      guard let code = episodeIDs[episodeID] else { return LabelSet() }
      episodeCode = code
    }
    let since = filter.since?.microseconds ?? .min
    let until = filter.until?.microseconds ?? .max
    var allowed = LabelSet(capacity: status.count)
    for index in status.indices where status[index] != Self.absent {
      if !statuses.isEmpty && !statuses.contains(status[index]) { continue }
      if let minRating = filter.minRating, Int(rating[index]) < minRating { continue }
      if !errors.isEmpty && !errors.contains(errorType[index]) { continue }
      if eventTime[index] < since || eventTime[index] > until { continue }
      if filter.minConfidence != nil || filter.maxConfidence != nil {
        let value = confidence[index]
        // NaN (no evaluation) fails both comparisons, as TraceFilter.matches does.
        guard value >= (filter.minConfidence ?? -.infinity), value <= (filter.maxConfidence ?? .infinity) else { continue }
      }
      if let episodeCode, episode[index] != episodeCode { continue }
      allowed.insert(UInt32(index))
    }
    return allowed
  }
}

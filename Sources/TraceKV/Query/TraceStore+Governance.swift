/// One governance change of one trace: what `TraceStore.apply(_:)` writes,
/// several to a transaction.
public enum TraceChange: Sendable {
  /// A person's feedback, replacing any earlier one; marks the trace completed and, when given, sets its priority.
  case feedback(
    traceID: String, rating: Int, comment: String? = nil, tags: [String] = [], metadata: JSONObject = JSONObject(),
    priority: Int? = nil)
  /// A governance signal: the status and, when given, the priority (1–5) and the reason.
  case signal(traceID: String, status: TraceStatus = .needsReview, priority: Int? = nil, reason: String? = nil)
  /// An AI evaluation, attached or replaced, re-applying the needs_review rules.
  case evaluation(traceID: String, JSONObject)

  /// The trace it changes.
  public var traceID: String {
    switch self {
    case .feedback(let traceID, _, _, _, _, _), .signal(let traceID, _, _, _), .evaluation(let traceID, _): traceID
    }
  }
}

extension TraceStore {
  /// Records a person's feedback, replacing any earlier one, and marks the
  /// trace completed (docs/trace-format.md §3).
  /// - Throws: ``TraceKVError``: `.invalidInput` for a rating outside 1...5, `.notFound` when the store does not hold
  ///   `traceID`; `.readOnly` for a store open read-only, `.storeFull` when the map cannot grow, `.corrupted` for a
  ///   damaged record or index, `.storage` for any other LMDB failure.
  public func addFeedback(
    traceID: String, rating: Int, comment: String? = nil, tags: [String] = [], metadata: JSONObject = JSONObject()
  ) throws(TraceKVError) {
    try applyOne(.feedback(traceID: traceID, rating: rating, comment: comment, tags: tags, metadata: metadata))
  }

  /// Raises a governance signal: sets the status (default needs_review) and,
  /// when given, the priority (1–5), keeping the reason.
  /// - Throws: ``TraceKVError``: `.invalidInput` for a priority outside 1...5, `.notFound` when the store does not hold
  ///   `traceID`; `.readOnly` for a store open read-only, `.storeFull` when the map cannot grow, `.corrupted` for a
  ///   damaged record or index, `.storage` for any other LMDB failure.
  public func signal(traceID: String, status: TraceStatus = .needsReview, priority: Int? = nil, reason: String? = nil)
    throws(TraceKVError)
  {
    try applyOne(.signal(traceID: traceID, status: status, priority: priority, reason: reason))
  }

  /// Attaches (or replaces) the AI evaluation, re-applying the needs_review
  /// rules: an evaluation that calls for review sends the trace to review.
  /// - Throws: ``TraceKVError``: `.invalidInput` when the evaluation's `rating` is not in 1...5 or its `confidence` not
  ///   in 0...1, `.notFound` when the store does not hold `traceID`, `.embedderUnavailable` when embedding the trace's
  ///   text again fails; `.readOnly` for a store open read-only, `.storeFull` when the map cannot grow, `.corrupted`
  ///   for a damaged record or index, `.storage` for any other LMDB failure.
  public func attachEvaluation(traceID: String, _ evaluation: JSONObject) throws(TraceKVError) {
    try applyOne(.evaluation(traceID: traceID, evaluation))
  }

  /// Applies `changes` in order in one write transaction: one commit and one
  /// sync for all of them (a server groups concurrent requests this way).
  /// Each is checked and applied on its own: one that is refused (a value
  /// out of range, an unknown trace) is reported in its place and leaves
  /// the others applied. Changes of one trace see each other.
  /// - Returns: one result per change, in order.
  /// - Throws: ``TraceKVError`` only when the transaction itself fails, and
  ///   then none of the changes is applied: `.readOnly` for a store open read-only, `.storeFull` when the map cannot
  ///   grow, `.corrupted` for a damaged record or index, `.embedderUnavailable` when embedding an evaluated trace's
  ///   text again fails, `.storage` for any other LMDB failure.
  public func apply(_ changes: [TraceChange]) throws(TraceKVError) -> [Result<Void, TraceKVError>] {
    try apply(changes, operation: "apply")
  }

  private func apply(_ changes: [TraceChange], operation: String) throws(TraceKVError) -> [Result<Void, TraceKVError>] {
    let checked = changes.map { change in Result { () throws(TraceKVError) in try Self.check(change) } }
    guard checked.contains(where: { if case .success = $0 { true } else { false } }) else { return checked }
    return try indexedWrite(operation) { transaction, index in
      // Built inside: LMDB may run the body again after growing the map.
      var results = checked
      for (position, change) in changes.enumerated() where (try? checked[position].get()) != nil {
        guard let doc = try document(of: change.traceID, in: transaction), var record = try record(doc, in: transaction)
        else {
          results[position] = .failure(TraceKVError.notFound("no trace with id '\(change.traceID)' in the store"))
          continue
        }
        let textChanged = Self.change(&record.trace, change)
        try transaction.put(tables.traces, key: Keys.docID(doc), value: record.encode())
        if textChanged {
          index.textChanged(doc, record, isNew: false)
        } else {
          index.recordChanged(doc, record)
        }
      }
      return results
    }
  }

  /// `apply` of one change, its refusal thrown.
  private func applyOne(_ change: TraceChange, operation: String = #function) throws(TraceKVError) {
    guard let result = try apply([change], operation: operation).first else { preconditionFailure("one result per change") }
    do { try result.get() } catch {
      var named = error
      named.operation = operation
      throw named
    }
  }

  /// Refuses a change whose values are out of range, before any transaction.
  private static func check(_ change: TraceChange) throws(TraceKVError) {
    switch change {
    case .feedback(_, let rating, _, _, _, let priority):
      guard (1...5).contains(rating) else { throw TraceKVError.invalid("a rating must be from 1 to 5, not \(rating)") }
      try checkPriority(priority)
    case .signal(_, _, let priority, _):
      try checkPriority(priority)
    case .evaluation(_, let object):
      if let rating = object["rating"], !rating.isNull, !(rating.intValue.map { (1...5).contains($0) } ?? false) {
        throw TraceKVError.invalid("an evaluation's rating must be from 1 to 5")
      }
      if let confidence = object["confidence"], !confidence.isNull,
        !(confidence.doubleValue.map { (0...1).contains($0) } ?? false)
      {
        throw TraceKVError.invalid("an evaluation's confidence must be from 0 to 1")
      }
    }
  }

  private static func checkPriority(_ priority: Int?) throws(TraceKVError) {
    if let priority, !(1...5).contains(priority) {
      throw TraceKVError.invalid("a priority must be from 1 (critical) to 5 (trivial), not \(priority)")
    }
  }

  /// Applies a checked change to a trace; true when it alters what search indexes (the error type).
  private static func change(_ trace: inout Trace, _ change: TraceChange) -> Bool {
    switch change {
    case .feedback(_, let rating, let comment, let tags, let metadata, let priority):
      trace.feedback = Feedback(rating: rating, comment: comment, tags: tags, metadata: metadata)
      trace.status = .completed
      if let priority { trace.priority = priority }
      return false
    case .signal(_, let status, let priority, let reason):
      trace.status = status
      if let priority { trace.priority = priority }
      if let reason { trace.governanceReason = reason }
      return false
    case .evaluation(_, let object):
      let evaluation = AIEvaluation(object)
      trace.aiEvaluation = evaluation
      if Governance.evaluationNeedsReview(evaluation) { trace.status = .needsReview }
      return true
    }
  }
}

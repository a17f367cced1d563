extension TraceStore {
  /// Records a person's feedback, replacing any earlier one, and marks the
  /// trace completed (docs/trace-format.md §3).
  /// - Throws: ``TraceKVError``: `.invalidInput` for a rating outside 1...5, `.notFound` when the store does not hold
  ///   `traceID`; `.readOnly` for a store open read-only, `.storeFull` when the map cannot grow, `.corrupted` for a
  ///   damaged record or index, `.storage` for any other LMDB failure.
  public func addFeedback(
    traceID: String, rating: Int, comment: String? = nil, tags: [String] = [], metadata: JSONObject = JSONObject()
  ) throws(TraceKVError) {
    guard (1...5).contains(rating) else { throw TraceKVError.invalid("a rating must be from 1 to 5, not \(rating)") }
    try update(traceID) { trace in
      trace.feedback = Feedback(rating: rating, comment: comment, tags: tags, metadata: metadata)
      trace.status = .completed
    }
  }

  /// Raises a governance signal: sets the status (default needs_review) and,
  /// when given, the priority (1–5), keeping the reason.
  /// - Throws: ``TraceKVError``: `.invalidInput` for a priority outside 1...5, `.notFound` when the store does not hold
  ///   `traceID`; `.readOnly` for a store open read-only, `.storeFull` when the map cannot grow, `.corrupted` for a
  ///   damaged record or index, `.storage` for any other LMDB failure.
  public func signal(traceID: String, status: TraceStatus = .needsReview, priority: Int? = nil, reason: String? = nil)
    throws(TraceKVError)
  {
    if let priority, !(1...5).contains(priority) {
      throw TraceKVError.invalid("a priority must be from 1 (critical) to 5 (trivial), not \(priority)")
    }
    try update(traceID) { trace in
      trace.status = status
      if let priority { trace.priority = priority }
      if let reason { trace.governanceReason = reason }
    }
  }

  /// Attaches (or replaces) the AI evaluation, re-applying the needs_review
  /// rules: an evaluation that calls for review sends the trace to review.
  /// - Throws: ``TraceKVError``: `.invalidInput` when the evaluation's `rating` is not in 1...5 or its `confidence` not
  ///   in 0...1, `.notFound` when the store does not hold `traceID`, `.embedderUnavailable` when embedding the trace's
  ///   text again fails; `.readOnly` for a store open read-only, `.storeFull` when the map cannot grow, `.corrupted`
  ///   for a damaged record or index, `.storage` for any other LMDB failure.
  public func attachEvaluation(traceID: String, _ evaluation: JSONObject) throws(TraceKVError) {
    let evaluation = AIEvaluation(evaluation)
    if let rating = evaluation.object["rating"], !rating.isNull, !(rating.intValue.map { (1...5).contains($0) } ?? false) {
      throw TraceKVError.invalid("an evaluation's rating must be from 1 to 5")
    }
    if let confidence = evaluation.object["confidence"], !confidence.isNull,
      !(confidence.doubleValue.map { (0...1).contains($0) } ?? false)
    {
      throw TraceKVError.invalid("an evaluation's confidence must be from 0 to 1")
    }
    try update(traceID, textChanged: true) { trace in
      trace.aiEvaluation = evaluation
      if Governance.evaluationNeedsReview(evaluation) { trace.status = .needsReview }
    }
  }

  /// Changes a trace's record (not its spans) in one write transaction;
  /// `textChanged` when the change alters what search indexes (the error type).
  func update(
    _ traceID: String, textChanged: Bool = false, operation: String = #function, _ change: (inout Trace) -> Void
  ) throws(TraceKVError) {
    try indexedWrite(operation) { transaction, index in
      var (doc, record) = try requireRecord(traceID, in: transaction)
      change(&record.trace)
      try transaction.put(tables.traces, key: Keys.docID(doc), value: record.encode())
      if textChanged {
        index.textChanged(doc, record, isNew: false)
      } else {
        index.recordChanged(doc, record)
      }
    }
  }
}

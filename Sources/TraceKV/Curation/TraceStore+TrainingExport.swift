extension TraceStore {
  /// `export --format openai-chat`: one conversation per matching run,
  /// newest first, exact duplicates (same line) written once.
  func exportChats(
    _ filter: TraceFilter, limit: Int, to write: (String) throws -> Void, progress: ((Int) -> Void)?
  ) throws(TraceKVError) -> Int {
    try read { transaction in
      var count = 0
      var seen = Set<LineFingerprint>()
      try forEachRecord(matching: filter, in: transaction) { doc, record in
        guard count < limit else { return false }
        guard
          let conversation = ChatConversation(
            systemPrompt: record.trace.systemPrompt, spans: try spanViews(of: doc, in: transaction))
        else { return true }
        let line = JSONWriter.compact(OpenAIChatFormat.line(conversation))
        guard seen.insert(LineFingerprint(line)).inserted else { return true }
        try write(line + "\n")
        count += 1
        if count % 1000 == 0 { progress?(count) }
        return true
      }
      progress?(count)
      return count
    }
  }

  /// `export --format preference`: the pairs of every episode among the
  /// matching runs (`PreferencePairs`), episodes in the order of their
  /// newest run; exact duplicates written once.
  func exportPreferences(
    _ filter: TraceFilter, limit: Int, options: TrainingExportOptions, to write: (String) throws -> Void
  ) throws(TraceKVError) -> Int {
    try read { transaction in
      var episodes:
        [String: [(doc: UInt32, rating: Int, eventTime: Int64, traceID: String, system: String?)]] = [:]
      var order: [String] = []
      try forEachRecord(matching: filter, in: transaction) { doc, record in
        guard let episode = record.trace.episodeID, let rating = record.trace.rating else { return true }
        if episodes[episode] == nil { order.append(episode) }
        episodes[episode, default: []].append(
          (doc, rating, record.eventTime, record.trace.traceID, record.trace.systemPrompt))
        return true
      }
      var count = 0
      var seen = Set<LineFingerprint>()
      for episode in order where count < limit {
        let runs = episodes[episode]!
        guard runs.count > 1 else { continue }
        var attempts: [PreferencePairs.Attempt] = []
        for run in runs {
          guard
            let conversation = ChatConversation(
              systemPrompt: run.system, spans: try spanViews(of: run.doc, in: transaction)),
            let attempt = PreferencePairs.attempt(
              traceID: run.traceID, rating: run.rating, eventTime: run.eventTime, conversation)
          else { continue }
          attempts.append(attempt)
        }
        for pair in PreferencePairs.pairs(attempts, minimumGap: options.minimumRatingGap) where count < limit
        {
          let line = JSONWriter.compact(PreferencePairs.line(pair, style: options.preferenceStyle))
          guard seen.insert(LineFingerprint(line)).inserted else { continue }
          try write(line + "\n")
          count += 1
        }
      }
      return count
    }
  }
}

/// 128 bits that tell exported lines apart (two independent 64-bit hashes:
/// Swift's seeded SipHash and FNV-1a), so duplicates are found without
/// keeping the lines.
struct LineFingerprint: Hashable {
  let sip: Int
  let fnv: UInt64

  init(_ line: String) {
    sip = line.hashValue
    fnv = fnv1a64(line.utf8)
  }
}

/// FNV-1a, 64 bits: a hash that is the same in every process.
func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for byte in bytes {
    hash ^= UInt64(byte)
    hash &*= 0x100_0000_01b3
  }
  return hash
}

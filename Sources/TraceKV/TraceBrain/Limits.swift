/// Explicit limits on what ingest accepts, so hostile input is refused with a
/// clear error instead of exhausting memory or LMDB's key size (511 bytes).
public enum Limits {
  /// Longest trace, span or episode id, in UTF-8 bytes.
  public static let maximumIDBytes = 256
  /// Most spans one trace may hold (over all merges).
  public static let maximumSpansPerTrace = 100_000
  /// Deepest JSON nesting accepted.
  public static let maximumJSONDepth = JSONParser.maximumDepth
  /// Largest single JSON document (a trace, or one JSONL line), in bytes.
  public static let maximumDocumentBytes = 64 << 20
  /// Largest attributes object of one trace or one span, measured as its
  /// compact JSON would be (string escapes aside), in bytes.
  public static let maximumAttributeBytes = 16 << 20
  /// Most distinct terms the lexical side of one search takes (after
  /// tokenizing `keywords`, else `text`). Each term holds a posting cursor
  /// open for the whole search; a longer query is refused (`invalidInput`)
  /// rather than cut, because a cut query would rank by words the caller did
  /// not choose. An agent passing its whole context should pass `keywords`.
  public static let maximumQueryTerms = 1_024
  /// Largest `limit + offset` of a search, and largest fusion `depth`: each
  /// side gathers that many candidates before paging. As Elasticsearch's
  /// `index.max_result_window`; page deeper with a narrower filter.
  public static let maximumSearchWindow = 10_000
  /// Most step pairs (steps of one run × steps of the other) a run diff
  /// aligns: the alignment keeps one byte per pair (16 MiB here).
  public static let maximumDiffAlignmentCells = 4_096 * 4_096

  /// Most threads one ingest prepares documents on (`TraceStore.IngestOptions.workers`).
  public static let maximumIngestWorkers = 64
}

extension JSONValue {
  /// Whether the value, written as compact JSON, would take more than
  /// `limit` bytes (escapes not counted). Stops as soon as it knows.
  /// - Complexity: O(nodes visited), at most those within the limit.
  func exceedsBytes(_ limit: Int) -> Bool {
    var budget = limit
    func spend(_ value: JSONValue) -> Bool {
      switch value {
      case .null, .bool: budget -= 5
      case .number(let literal): budget -= literal.utf8.count
      case .string(let string): budget -= string.utf8.count + 2
      case .array(let items):
        budget -= 2 + items.count
        for item in items where budget >= 0 { if spend(item) { return true } }
      case .object(let object):
        budget -= 2
        for (key, member) in object where budget >= 0 {
          budget -= key.utf8.count + 4
          if spend(member) { return true }
        }
      }
      return budget < 0
    }
    return spend(self)
  }
}

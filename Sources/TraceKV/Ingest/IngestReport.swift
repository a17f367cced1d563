/// What an ingest did.
public struct IngestReport: Sendable, Equatable {
  /// Traces the store did not hold before.
  public var added = 0
  /// Traces merged into ones it held.
  public var merged = 0
  /// Spans written (new spans only; merges skip known span ids).
  public var spansWritten = 0
  /// Documents refused, each with where it was and why.
  public var rejected: [IngestProblem] = []
  /// Things accepted but worth knowing (unreadable times, duplicate span ids).
  public var warnings: [String] = []

  public init() {}

  public var accepted: Int { added + merged }

  /// Adds what `other` did (e.g. another file's ingest) to this report.
  public mutating func absorb(_ other: IngestReport) {
    added += other.added
    merged += other.merged
    spansWritten += other.spansWritten
    rejected += other.rejected
    warnings += other.warnings
  }
}

/// A document that ingest refused: data in the report, never thrown (what
/// fails a whole call is a `TraceKVError`).
public struct IngestProblem: Sendable, Equatable, CustomStringConvertible {
  /// The file (or "input").
  public var source: String
  /// The 1-based line of a JSONL file, or the 1-based item of a JSON array;
  /// for an OTLP request that is the whole file, the line of the bad field.
  public var line: Int?
  public var message: String

  public var description: String {
    "\(source)\(line.map { ":\($0)" } ?? ""): \(message)"
  }
}

/// Progress of a long ingest, for a progress bar.
public struct IngestProgress: Sendable {
  public var documentsDone: Int
  public var bytesDone: Int
  public var bytesTotal: Int
  /// What this input has committed so far: kept by the caller, it says what
  /// was written when a later batch fails (a full disk, a damaged store).
  public var committed = IngestReport()
}

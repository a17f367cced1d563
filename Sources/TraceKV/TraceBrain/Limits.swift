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
}

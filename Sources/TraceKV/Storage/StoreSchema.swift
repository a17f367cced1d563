/// The store's tables and `meta` keys: the on-disk layout, format version 1.
///
/// | table | key | value |
/// |---|---|---|
/// | `meta` | name (UTF-8) | see `MetaKey` |
/// | `trace-ids` | external trace id (UTF-8) | document id (u32 BE) |
/// | `traces` | document id (u32 BE) | `TraceRecord` |
/// | `spans` | document id ‖ sequence (u32 BE each) | `SpanRecord` |
/// | `by-time` | event time (i64 µs, sign-flipped BE) ‖ document id | empty |
/// | `by-episode` | episode id ‖ 0x00 ‖ document id | empty |
enum StoreSchema {
  /// The format this build writes. A store with another version is refused.
  static let formatVersion: UInt32 = 1
  /// Written under `MetaKey.magic` so that a stranger's LMDB file is told apart.
  static let magic = Array("TraceKV".utf8)

  enum Table {
    static let meta = "meta"
    static let traceIDs = "trace-ids"
    static let traces = "traces"
    static let spans = "spans"
    static let byTime = "by-time"
    static let byEpisode = "by-episode"
    static let all = [meta, traceIDs, traces, spans, byTime, byEpisode]
  }

  enum MetaKey {
    static let magic = Array("magic".utf8)
    static let formatVersion = Array("format-version".utf8)
    /// The next document id to hand out (u32 BE); ids are never reused.
    static let nextDocument = Array("next-document".utf8)
    static let createdAt = Array("created-at".utf8)
  }
}

/// The tables of an open store.
struct StoreTables: Sendable {
  let meta: LMDBDatabase
  let traceIDs: LMDBDatabase
  let traces: LMDBDatabase
  let spans: LMDBDatabase
  let byTime: LMDBDatabase
  let byEpisode: LMDBDatabase

  init(_ opened: [String: LMDBDatabase]) throws(TraceKVError) {
    func table(_ name: String) throws(TraceKVError) -> LMDBDatabase {
      guard let database = opened[name] else {
        throw TraceKVError(.corrupted, "the store has no '\(name)' table")
      }
      return database
    }
    typealias T = StoreSchema.Table
    meta = try table(T.meta)
    traceIDs = try table(T.traceIDs)
    traces = try table(T.traces)
    spans = try table(T.spans)
    byTime = try table(T.byTime)
    byEpisode = try table(T.byEpisode)
  }
}

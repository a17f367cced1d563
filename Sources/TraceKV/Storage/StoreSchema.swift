import LMDBKit

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
/// | `hnsw-nodes` | slot (u32 BE) | `HNSWNodeRecord` (label = document id, level) |
/// | `hnsw-links` | slot ‖ level (u8) | `HNSWLinkListRecord` |
/// | `term-postings` | term ‖ 0x00 ‖ first document (u32 BE) | `PostingChunk` (≤ 128 postings) |
/// | `lexical-docs` | document id | the lexical index's per-document record (length, terms) |
///
/// `meta` also holds the embedder (`EmbedderIdentity`), the HNSW header, the
/// BM25 collection statistics, the BM25 write buffer (`lexical-pending/` ‖
/// document id: the documents whose postings are not merged yet, at most
/// `SearchIndexes.lexicalPendingCapacity`), a generation number that every write
/// transaction advances, so that a process notices another's writes, the
/// change log (`ChangeLog`), and the filter columns in blocks of 256
/// documents (`FilterColumnBlocks`: `filter-columns/` ‖ block u32 BE, and the
/// generation they are current at), and the HNSW vectors in blocks
/// (`VectorPersistence`: `hnsw-vectors/` ‖ block u32 BE). A store without
/// current filter blocks (written before them) opens by decoding every trace
/// record; its next write adds them. A store whose HNSW node records still
/// hold the vectors (HNSW layout 2) is read as it is; its first write to the
/// vector index rewrites the graph's records in the new layout.
enum StoreSchema {
  /// The format this build writes. A store with another version is refused.
  static let formatVersion: UInt32 = 1
  /// Written under `MetaKey.magic` so that a stranger's LMDB file is told apart.
  static let magic = Array("TraceKV".utf8)

  /// The LMDB tables of a store, named once: opening, creating and
  /// checking a store all walk `allCases`.
  enum Table: String, CaseIterable {
    case meta
    case traceIDs = "trace-ids"
    case traces
    case spans
    case byTime = "by-time"
    case byEpisode = "by-episode"
    case hnswNodes = "hnsw-nodes"
    case hnswLinks = "hnsw-links"
    case termPostings = "term-postings"
    case lexicalDocuments = "lexical-docs"

    static var allNames: [String] { allCases.map(\.rawValue) }
  }

  enum MetaKey {
    static let magic = Array("magic".utf8)
    static let formatVersion = Array("format-version".utf8)
    /// The next document id to hand out (u32 BE); ids are never reused.
    static let nextDocument = Array("next-document".utf8)
    static let createdAt = Array("created-at".utf8)
    /// `EmbedderIdentity` as JSON `{name, dimension, fingerprint}`.
    static let embedder = Array("embedder".utf8)
    static let hnswHeader = Array("hnsw-header".utf8)
    static let lexicalStatistics = Array("lexical-statistics".utf8)
    /// ‖ document id (u32 BE): a document in the BM25 write buffer (`PendingDocument`).
    static let lexicalPendingPrefix = Array("lexical-pending/".utf8)
    /// u64 BE, advanced by every write transaction.
    static let generation = Array("generation".utf8)
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
  let hnswNodes: LMDBDatabase
  let hnswLinks: LMDBDatabase
  let termPostings: LMDBDatabase
  let lexicalDocuments: LMDBDatabase

  init(_ opened: [String: LMDBDatabase]) throws(TraceKVError) {
    func table(_ table: StoreSchema.Table) throws(TraceKVError) -> LMDBDatabase {
      guard let database = opened[table.rawValue] else {
        throw TraceKVError(.corrupted, "the store has no '\(table.rawValue)' table")
      }
      return database
    }
    meta = try table(.meta)
    traceIDs = try table(.traceIDs)
    traces = try table(.traces)
    spans = try table(.spans)
    byTime = try table(.byTime)
    byEpisode = try table(.byEpisode)
    hnswNodes = try table(.hnswNodes)
    hnswLinks = try table(.hnswLinks)
    termPostings = try table(.termPostings)
    lexicalDocuments = try table(.lexicalDocuments)
  }
}

extension StoreTables {
  /// The record of document `doc`, or nil.
  func record(_ doc: UInt32, in transaction: LMDBTransaction, withAttributes: Bool = true) throws -> TraceRecord? {
    try transaction.withValue(traces, key: Keys.docID(doc)) { try TraceRecord.decode($0, withAttributes: withAttributes) }
  }

  /// The spans of document `doc` as reconstruction and search read them, in
  /// the order received.
  func spanViews(of doc: UInt32, in transaction: LMDBTransaction) throws -> [SpanView] {
    var views: [SpanView] = []
    try transaction.scan(spans, prefix: Keys.docID(doc)) { _, value in
      views.append(try SpanRecord.decodeView(value))
      return true
    }
    return views
  }
}

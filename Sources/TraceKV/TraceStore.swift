import LMDBKit
import ByteCodecs
import CLMDB
import Embeddings
import Foundation

/// An embedded store of agent execution traces: one LMDB file holding the
/// traces, their delta-encoded spans and the indexes over them.
///
/// Thread-safe: share one instance. Reads run in parallel, writes are
/// serialized (across processes too), and every read sees the latest commit
/// of any process without reopening.
public final class TraceStore: Sendable {
  /// How to open a store.
  public struct Options: Sendable {
    /// Serve reads only; also chosen by itself for a file without write permission.
    public var readOnly = false
    /// Create the store when the file does not exist.
    public var create = true
    /// The map size of a new store; it grows by itself.
    public var initialMapSize = LMDBEnvironment.initialMapSize
    /// The embedder of a new store; an existing store must match it unless
    /// `.recorded` (the default), which uses what the store recorded.
    public var embedder: EmbedderChoice = .recorded
    /// Where the MiniLM model files are (default: `ModelFiles()`, which honours
    /// `TRACEKV_MODEL_DIR`).
    public var modelFiles = ModelFiles()
    /// Writes index a trace for BM25 at once and leave its vector waiting for
    /// `indexPendingVectors` (a server's background embedder), so that a write
    /// costs no embedding. Off: the write embeds, as `ingest` always did.
    public var defersVectors = false

    public init(readOnly: Bool = false, create: Bool = true, embedder: EmbedderChoice = .recorded) {
      self.readOnly = readOnly
      self.create = create
      self.embedder = embedder
    }
  }

  /// Which text embedder a store uses; one per store, recorded at creation.
  public enum EmbedderChoice: Sendable {
    /// Whatever the store recorded; for a new store, MiniLM when its model
    /// files are present, else the hashing embedder.
    case recorded
    case miniLM
    case hashing
    /// No embedder: no vector index; search is lexical only.
    case none
    /// Any embedder; its name, dimension and fingerprint are recorded.
    case custom(any TextEmbedder)
  }

  /// The store file.
  public let path: String
  /// Whether writes are refused (asked for, or the file is not writable).
  public let isReadOnly: Bool
  let environment: LMDBEnvironment
  let tables: StoreTables
  let search: SearchIndexes

  /// Opens the store at `path`, creating it if needed and allowed.
  /// - Throws: ``TraceKVError``: `.notAStore` for a file that is not a TraceKV store and `.unsupportedVersion` for a
  ///   store of another format version (in both cases the file is not modified); `.notFound` when there is no file and
  ///   `options` is read-only or forbids `create`; `.readOnly` when the file may not be read; `.embedderMismatch` when
  ///   `options.embedder` differs from the recorded one; `.embedderUnavailable` when the embedder chosen for a new
  ///   store cannot be loaded; `.storeFull` when a new store cannot be laid out; `.corrupted` or `.storage` when LMDB
  ///   refuses the file.
  public init(path: String, options: Options = Options()) throws(TraceKVError) {
    self.path = path
    let exists = FileManager.default.fileExists(atPath: path)
    if exists {
      try Self.checkLooksLikeLMDB(path)
    } else if options.readOnly || !options.create {
      throw TraceKVError(.notFound, "no store at \(path)")
    }
    let readOnly = unsafe options.readOnly || (exists && access(path, W_OK) != 0)
    let environment = try translatingLMDB { () throws(LMDBError) in
      try LMDBEnvironment.shared(path: path, readOnly: readOnly, initialMapSize: options.initialMapSize)
    }
    self.environment = environment
    self.isReadOnly = readOnly || environment.isReadOnly
    do {
      let tables = try StoreTables(try Self.openOrInitialize(environment))
      self.tables = tables
      search = try Self.openSearch(environment, tables, options, readOnly: isReadOnly)
    } catch {
      throw TraceKVError(translating: error, operation: "open \(path)")
    }
  }

  /// The store's embedder: the recorded one, or for a store without one the
  /// choice in `options`, recorded now. A different explicit choice is refused.
  private static func openSearch(
    _ environment: LMDBEnvironment, _ tables: StoreTables, _ options: Options, readOnly: Bool
  ) throws -> SearchIndexes {
    let files = options.modelFiles
    let recorded = try environment.read { transaction in
      try transaction.withValue(tables.meta, key: StoreSchema.MetaKey.embedder) { bytes in
        do { return try JSONDecoder().decode(EmbedderIdentity.self, from: Data(bytes.copiedBytes)) } catch {
          throw TraceKVError(.corrupted, "the embedder identity in 'meta' is damaged (\(error))")
        }
      }
    }
    @Sendable func embeddingError(_ error: any Error) -> TraceKVError {
      TraceKVError.embedding(error, by: "the store's embedder", operation: "open")
    }
    func chosen() throws -> any TextEmbedder {
      do {
        switch options.embedder {
        case .recorded: return try Embedders.makeDefault(modelFiles: files)
        case .miniLM: return try MiniLMEmbedder(files: files)
        case .hashing: return HashingEmbedder()
        case .none: return NoEmbedder()
        case .custom(let embedder): return embedder
        }
      } catch { throw embeddingError(error) }
    }
    if let recorded {
      if case .recorded = options.embedder {
      } else {
        let wanted = try chosen()
        guard wanted.identity == recorded else {
          throw TraceKVError(
            .embedderMismatch,
            "\(environment.path) was created with the embedder \(recorded); it cannot be searched with \(wanted.identity)")
        }
      }
      let custom: (any TextEmbedder)? = if case .custom(let embedder) = options.embedder { embedder } else { nil }
      return SearchIndexes(identity: recorded, defersVectors: options.defersVectors) {
        if let custom { return custom }
        if recorded == NoEmbedder().identity { return NoEmbedder() }
        do { return try Embedders.make(for: recorded, modelFiles: files) } catch { throw embeddingError(error) }
      }
    }
    let embedder = try chosen()
    if !readOnly {
      try environment.write { transaction in
        try transaction.put(
          tables.meta, key: StoreSchema.MetaKey.embedder, value: try JSONEncoder().encode(embedder.identity))
      }
    }
    return SearchIndexes(identity: embedder.identity, defersVectors: options.defersVectors) { embedder }
  }

  /// Refuses, before LMDB touches it, a file that is not an LMDB environment:
  /// LMDB's meta page starts with the magic 0xBEEFC0DE at byte 16.
  private static func checkLooksLikeLMDB(_ path: String) throws(TraceKVError) {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw TraceKVError(.readOnly, "cannot read \(path): permission denied")
    }
    defer { try? handle.close() }
    let header = (try? handle.read(upToCount: 24)) ?? Data()
    let magic: [UInt8] = [0xDE, 0xC0, 0xEF, 0xBE]
    guard header.count >= 20, Array(header[16..<20]) == magic else {
      throw TraceKVError(.notAStore, "\(path) is not a TraceKV store (not an LMDB file); it was left untouched")
    }
  }

  /// Opens the tables of a TraceKV store, or lays out a new one in an empty environment.
  private static func openOrInitialize(_ environment: LMDBEnvironment) throws -> [String: LMDBDatabase] {
    let metaName = StoreSchema.Table.meta.rawValue
    if let meta = try environment.openTables([metaName], create: false)[metaName] {
      try checkFormat(environment, meta: meta)
      return try environment.openTables(StoreSchema.Table.allNames, create: false)
    }
    guard try environment.mainTableEntryCount() == 0 else {
      throw TraceKVError(.notAStore, "\(environment.path) is an LMDB file but not a TraceKV store; it was left untouched")
    }
    guard !environment.isReadOnly else {
      throw TraceKVError(.notAStore, "\(environment.path) is an empty LMDB file, not a TraceKV store")
    }
    return try environment.write { transaction in
      let opened = try environment.openDatabases(StoreSchema.Table.allNames, in: transaction, create: true)
      let meta = opened[metaName]!
      var version = ByteWriter()
      version.bigEndian(StoreSchema.formatVersion)
      try transaction.put(meta, key: StoreSchema.MetaKey.magic, value: StoreSchema.magic)
      try transaction.put(meta, key: StoreSchema.MetaKey.formatVersion, value: version.bytes)
      try transaction.put(meta, key: StoreSchema.MetaKey.nextDocument, value: Keys.docID(0))
      try transaction.put(meta, key: StoreSchema.MetaKey.createdAt, value: Array(Timestamp.now.text.utf8))
      return opened
    }
  }

  private static func checkFormat(_ environment: LMDBEnvironment, meta: LMDBDatabase) throws {
    let (magic, version) = try environment.read { transaction in
      (try transaction.value(meta, key: StoreSchema.MetaKey.magic),
       try transaction.value(meta, key: StoreSchema.MetaKey.formatVersion))
    }
    guard magic == StoreSchema.magic, let version, version.count == 4, let number = BigEndian.read(UInt32.self, from: version)
    else {
      throw TraceKVError(.notAStore, "\(environment.path) is an LMDB file but not a TraceKV store; it was left untouched")
    }
    guard number == StoreSchema.formatVersion else {
      throw TraceKVError(
        .unsupportedVersion,
        "\(environment.path) is a TraceKV store of format version \(number); this build reads version \(StoreSchema.formatVersion) only. It was left untouched.")
    }
  }

  // MARK: Shared helpers for the extensions

  /// A read transaction over the latest commit; what `body` throws is
  /// translated at this boundary, named for the public call (`operation`).
  func read<R>(_ operation: String = #function, _ body: (LMDBTransaction) throws -> R) throws(TraceKVError) -> R {
    try translatingErrors(operation) { try environment.read(body) }
  }

  /// A write transaction; see `LMDBEnvironment.write` (the body may run twice).
  func write<R>(_ operation: String = #function, _ body: (LMDBTransaction) throws -> R) throws(TraceKVError) -> R {
    try requireWritable(operation)
    return try translatingErrors(operation) { try environment.write(body) }
  }

  /// Refuses a write to a store open read-only, before LMDB is asked.
  private func requireWritable(_ operation: String) throws(TraceKVError) {
    guard !isReadOnly else { throw TraceKVError(.readOnly, "the store \(path) is open read-only", operation: operation) }
  }

  /// A write transaction that keeps the search indexes in step: `body` tells
  /// the `IndexWriter` what it changed; the indexes change in the same
  /// transaction, and this process's search state is replaced after the commit.
  func indexedWrite<R>(
    _ operation: String = #function, _ body: (LMDBTransaction, inout IndexWriter) throws -> R
  ) throws(TraceKVError) -> R {
    try translatingErrors(operation) { try indexedWriteUntranslated(operation, body) }
  }

  /// `indexedWrite` whose errors, `body`'s own included, pass through as
  /// thrown: for an internal caller that catches errors of its own making
  /// (ingest's refused traces); a public caller translates what is left.
  /// `embeddings` holds vectors embedded before the transaction opened, and
  /// keeps what the body embeds should LMDB run it again.
  func indexedWriteUntranslated<R>(
    _ operation: String = #function, embeddings: PreparedEmbeddings = PreparedEmbeddings(),
    _ body: (LMDBTransaction, inout IndexWriter) throws -> R
  ) throws -> R {
    try requireWritable(operation)
    return try search.writeLock.withLock {
      let (result, state) = try environment.write { transaction in
        var writer = try IndexWriter(indexes: search, transaction: transaction, tables: tables, embeddings: embeddings)
        let result = try body(transaction, &writer)
        return (result, try writer.finish())
      }
      search.install(state)
      return result
    }
  }

  /// The document id of `traceID`, if the store holds it.
  func document(of traceID: String, in transaction: LMDBTransaction) throws -> UInt32? {
    try transaction.withValue(tables.traceIDs, key: Array(traceID.utf8)) { try Keys.document(in: $0) }
  }

  func record(_ doc: UInt32, in transaction: LMDBTransaction, withAttributes: Bool = true) throws -> TraceRecord? {
    try tables.record(doc, in: transaction, withAttributes: withAttributes)
  }

  /// The document and record of `traceID`, or `notFound`.
  func requireRecord(_ traceID: String, in transaction: LMDBTransaction) throws -> (UInt32, TraceRecord) {
    guard let doc = try document(of: traceID, in: transaction), let record = try record(doc, in: transaction) else {
      throw TraceKVError.notFound("no trace with id '\(traceID)' in the store")
    }
    return (doc, record)
  }

  /// The spans of a document in the order received.
  func spans(of doc: UInt32, in transaction: LMDBTransaction) throws -> [Span] {
    var spans: [Span] = []
    try transaction.scan(tables.spans, prefix: Keys.docID(doc)) { _, value in
      spans.append(try SpanRecord.decode(value))
      return true
    }
    return spans
  }

  /// The spans of a document as reconstruction sees them, without parsing attributes.
  func spanViews(of doc: UInt32, in transaction: LMDBTransaction) throws -> [SpanView] {
    try tables.spanViews(of: doc, in: transaction)
  }
}

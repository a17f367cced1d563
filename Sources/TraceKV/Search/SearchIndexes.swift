import LMDBKit
import ByteCodecs
import Embeddings
import Foundation
import LexicalIndex
import VectorIndex

/// What a process holds in memory to search a store, as of one generation
/// (the number every write transaction advances): the HNSW graph and the
/// filter columns. Posting lists are not here: BM25 reads them from the map.
struct SearchState: Sendable {
  var generation: UInt64
  /// Nil until the first vector is indexed.
  var vectors: HNSWIndex?
  var columns: FilterColumns
  /// Where the map was when the graph was loaded: its vector blocks are read
  /// in place there (`VectorPersistence.load`), so the state is only good
  /// for transactions that see the map at the same address (`rebased(to:)`).
  var mapStart: UInt
  /// The documents whose filter columns may differ from those of the state
  /// at an earlier generation (nil: not known, say after a load or a rebuild),
  /// so that a filter's allowed set can be brought up to date instead of built
  /// again (`AllowedSetCache`).
  var changedSince: ChangedDocuments?

  /// This state for a map that now starts at `newStart` (the map grew, here
  /// or in another process, and LMDB mapped the file again): the same file
  /// offsets at the new address, no block read or copied.
  func rebased(to newStart: UInt) -> SearchState {
    guard newStart != mapStart else { return self }
    var moved = self
    moved.mapStart = newStart
    unsafe moved.vectors?.rebaseBorrowedVectorBlocks(by: Int(bitPattern: newStart &- mapStart))
    return moved
  }
}

/// The documents changed since `generation` (see `SearchState.changedSince`).
struct ChangedDocuments: Sendable {
  var generation: UInt64
  var documents: Set<UInt32>
}

/// The search side of a store: the embedder, the BM25 index and the
/// in-memory state, kept current with the store.
///
/// Writes change a copy of the state inside their transaction and install
/// it after the commit, so a failed or retried write leaves nothing behind
/// and searches never wait for an ingest. The copy shares memory with the
/// installed state chunk by chunk (`ChunkedRows`), so a write costs what it
/// touches. A process notices another's writes by the generation and
/// replays the change log (`ChangeLog`), or reloads (one sequential pass, no
/// rebuild) when the log does not reach back far enough.
final class SearchIndexes: @unchecked Sendable {
  static let hnswM = 16
  static let hnswEfConstruction = 200

  /// Small writes (a server's requests) buffer this many traces' postings
  /// before merging them into the posting lists (`BM25Index.pendingCapacity`).
  static let lexicalPendingCapacity = 64

  let identity: EmbedderIdentity
  let lexical = BM25Index(pendingCapacity: lexicalPendingCapacity)
  /// Writes index text for BM25 only and leave the vector pending (`PendingVectors`).
  let defersVectors: Bool
  private let makeEmbedder: @Sendable () throws -> any TextEmbedder
  private let lock = NSLock()
  /// Serializes this process's indexed writes (taken before LMDB's writer lock).
  let writeLock = NSLock()
  private var state: SearchState?
  /// What recent filtered searches allowed, reused, and brought forward through writes.
  let allowedSets = AllowedSetCache()
  private var embedderInstance: (any TextEmbedder)?

  init(
    identity: EmbedderIdentity, defersVectors: Bool = false,
    makeEmbedder: @escaping @Sendable () throws -> any TextEmbedder
  ) {
    self.identity = identity
    self.defersVectors = defersVectors
    self.makeEmbedder = makeEmbedder
  }

  /// The store's embedder, loaded on first use (reading traces never needs it).
  func embedder() throws -> any TextEmbedder {
    try lock.withLock {
      if let embedderInstance { return embedderInstance }
      let made = try makeEmbedder()
      embedderInstance = made
      return made
    }
  }

  /// The state as of `transaction`'s snapshot: this process's, caught up
  /// through the change log when older, loaded when it has none (or the log
  /// does not reach back to it).
  func state(in transaction: LMDBTransaction, tables: StoreTables) throws -> SearchState {
    let generation = try Self.generation(in: transaction, tables: tables)
    var current = lock.withLock({ state })
    if let stale = current, stale.mapStart != transaction.mapStart {
      // The map moved (it grew): the blocks are read at their new address.
      current = stale.rebased(to: transaction.mapStart)
      install(current!)
    }
    if let current, current.generation == generation { return current }
    let loaded =
      try current.flatMap { try ChangeLog.catchUp($0, to: generation, tables: tables, in: transaction) }
      ?? Self.load(generation: generation, in: transaction, tables: tables)
    install(loaded)
    return loaded
  }

  /// Installs a state as of a later generation, or of a map that moved.
  func install(_ newState: SearchState) {
    lock.withLock {
      if state == nil || state!.generation <= newState.generation || state!.mapStart != newState.mapStart {
        state = newState
      }
    }
  }

  static func generation(in transaction: LMDBTransaction, tables: StoreTables) throws -> UInt64 {
    try transaction.withValue(tables.meta, key: StoreSchema.MetaKey.generation) { bytes in
      bytes.byteCount == 8 ? BigEndian.read(UInt64.self, from: bytes) ?? 0 : 0
    } ?? 0
  }

  static func setGeneration(_ generation: UInt64, in transaction: LMDBTransaction, tables: StoreTables) throws {
    var writer = ByteWriter(capacity: 8)
    writer.bigEndian(generation)
    try transaction.put(tables.meta, key: StoreSchema.MetaKey.generation, value: writer.bytes)
  }

  private static func load(generation: UInt64, in transaction: LMDBTransaction, tables: StoreTables) throws -> SearchState {
    if let columns = try FilterColumnBlocks.load(generation: generation, tables: tables, in: transaction) {
      return SearchState(
        generation: generation, vectors: try VectorPersistence.load(tables: tables, in: transaction), columns: columns,
        mapStart: transaction.mapStart)
    }
    // No current blocks (an older store): decode every trace record.
    var columns = FilterColumns()
    try transaction.scan(tables.traces) { key, value in
      columns.set(try Keys.document(in: key), try TraceRecord.decode(value, withAttributes: false))
      return true
    }
    return SearchState(
      generation: generation, vectors: try VectorPersistence.load(tables: tables, in: transaction), columns: columns,
      mapStart: transaction.mapStart)
  }
}

/// Keeps the indexes in step with the traces inside one write transaction.
///
/// Trace writes tell it which documents changed; `finish()` embeds the new
/// texts in one batch, updates HNSW and BM25, persists their changes and
/// advances the generation, all in the same transaction as the traces.
struct IndexWriter {
  private(set) var state: SearchState
  private let indexes: SearchIndexes
  private let transaction: LMDBTransaction
  private let tables: StoreTables
  /// What this transaction changed, for the change log (not kept by `repair()`,
  /// whose generation other processes must reload).
  private var changes: ChangeLogEntry? = ChangeLogEntry()
  /// Documents whose text must be (re)indexed, with whether they are new.
  private var pending: [(doc: UInt32, isNew: Bool)] = []
  private var pendingDocs = Set<UInt32>()
  /// Vectors embedded before the transaction opened; what is embedded here is added.
  private let embeddings: PreparedEmbeddings
  /// Whether vectors wait for `TraceStore.indexPendingVectors` (never while rebuilding).
  private let defersVectors: Bool
  /// The BM25 index this writer writes with: a rebuild merges every posting (no write buffer).
  private let lexical: BM25Index
  /// Until the first graph write of this transaction looks: the store's
  /// graph records may be of an older layout (`VectorPersistence.holdsOlderLayout`).
  private var storeMayHoldOlderLayout = true

  /// A writer over the current state, or with `rebuilding` over empty
  /// indexes (for `repair()`, which cleared their tables and must not load
  /// a possibly damaged graph).
  init(
    indexes: SearchIndexes, transaction: LMDBTransaction, tables: StoreTables, rebuilding: Bool = false,
    embeddings: PreparedEmbeddings = PreparedEmbeddings()
  ) throws {
    self.indexes = indexes
    self.embeddings = embeddings
    self.transaction = transaction
    self.tables = tables
    if rebuilding { changes = nil }
    defersVectors = indexes.defersVectors && !rebuilding && indexes.identity.dimension > 0
    var lexical = indexes.lexical
    if rebuilding { lexical.pendingCapacity = 0 }
    self.lexical = lexical
    state =
      rebuilding
      ? SearchState(
        generation: try SearchIndexes.generation(in: transaction, tables: tables), vectors: nil, columns: FilterColumns(),
        mapStart: transaction.mapStart)
      : try indexes.state(in: transaction, tables: tables)
  }

  /// A trace's filter fields changed (status, rating, …) but not its text.
  mutating func recordChanged(_ doc: UInt32, _ record: TraceRecord) {
    state.columns.set(doc, record)
    changes?.documents.insert(doc)
  }

  /// A trace was added or gained spans: its text is indexed at `finish()`.
  mutating func textChanged(_ doc: UInt32, _ record: TraceRecord, isNew: Bool) {
    state.columns.set(doc, record)
    changes?.documents.insert(doc)
    if pendingDocs.insert(doc).inserted { pending.append((doc, isNew)) }
  }

  /// A trace was deleted: it leaves both indexes now.
  mutating func removed(_ doc: UInt32) throws {
    state.columns.remove(doc)
    changes?.documents.insert(doc)
    var storage = LMDBLexicalStorage(transaction: transaction, tables: tables)
    try lexical.delete(doc, from: &storage)
    if state.vectors?.contains(label: doc) == true {
      try persist(try state.vectors!.delete(label: doc))
    }
    try PendingVectors.clear(doc, tables: tables, in: transaction)
  }

  /// Indexes the pending texts and advances the generation.
  mutating func finish() throws -> SearchState {
    if !pending.isEmpty { try indexPending() }
    state.changedSince = changes.map { ChangedDocuments(generation: state.generation, documents: $0.documents) }
    state.generation += 1
    try SearchIndexes.setGeneration(state.generation, in: transaction, tables: tables)
    // A rebuild (no change log) rewrites every block.
    try FilterColumnBlocks.write(
      state.columns, documents: changes?.documents, generation: state.generation, tables: tables, in: transaction)
    if let changes { try ChangeLog.write(changes, generation: state.generation, tables: tables, in: transaction) }
    return state
  }

  private mutating func indexPending() throws {
    var texts: [(doc: UInt32, isNew: Bool, text: SearchText)] = []
    for (doc, isNew) in pending {
      guard let text = try SearchText.stored(doc, tables: tables, in: transaction) else { continue }
      texts.append((doc, isNew, text))
    }

    // Lexical: new documents in one batch (ids ascend, so postings append),
    // merged ones replaced.
    var storage = LMDBLexicalStorage(transaction: transaction, tables: tables)
    try lexical.add(texts.filter(\.isNew).map { (id: $0.doc, text: $0.text.lexical) }, to: &storage)
    for entry in texts where !entry.isNew {
      try lexical.update(id: entry.doc, text: entry.text.lexical, in: &storage)
    }

    // Vectors: later (`PendingVectors`), or now: those embedded before the
    // transaction, the rest in one batch. A trace with no text has no vector.
    if defersVectors {
      let generation = state.generation + 1
      for entry in texts where !entry.text.semantic.isEmpty {
        try PendingVectors.mark(entry.doc, generation: generation, tables: tables, in: transaction)
      }
      return finishPending()
    }
    let embedder = try indexes.embedder()
    guard embedder.dimension > 0 else { return finishPending() }  // no vector index
    let embeddable = texts.filter { !$0.text.semantic.isEmpty }
    try embeddings.embed(embeddable.map(\.text.semantic), with: embedder)
    for entry in embeddable {
      try setVector(embeddings.vector(for: entry.text.semantic)!, of: entry.doc)
      try PendingVectors.clear(entry.doc, tables: tables, in: transaction)
    }
    finishPending()
  }

  /// Inserts or replaces the vector of `doc`; an all-zero vector (text the
  /// embedder has no features for) is not indexed.
  mutating func setVector(_ vector: [Float], of doc: UInt32) throws {
    guard vector.contains(where: { $0 != 0 }) else { return }
    if state.vectors == nil {
      state.vectors = try HNSWIndex(
        dimension: vector.count, metric: .cosine, m: SearchIndexes.hnswM,
        efConstruction: SearchIndexes.hnswEfConstruction)
    }
    // Each change set is written as it comes: a link list touched by several
    // inserts is simply put again (merging sets first costs more).
    let change =
      state.vectors!.contains(label: doc)
      ? try state.vectors!.update(vector, label: doc) : try state.vectors!.insert(vector, label: doc)
    try persist(change)
  }

  private mutating func finishPending() {
    pending = []
    pendingDocs = []
  }

  private mutating func persist(_ changes: HNSWChangeSet) throws {
    if storeMayHoldOlderLayout {
      // Asked once per transaction: after this write the store holds layout 3.
      storeMayHoldOlderLayout = false
      if try VectorPersistence.holdsOlderLayout(tables: tables, in: transaction) {
        try VectorPersistence.writeAll(state.vectors!, tables: tables, in: transaction)
        self.changes?.record(changes)
        return
      }
    }
    try VectorPersistence.write(changes, tables: tables, in: transaction)
    self.changes?.record(changes)
  }
}

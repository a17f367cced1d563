import ByteCodecs
import LMDBKit
import Embeddings

/// Traces whose text BM25 already indexes but whose vector waits. A store
/// opened with `Options.defersVectors` writes traces so (the write costs no
/// embedding), and `TraceStore.indexPendingVectors` embeds them later,
/// outside any write transaction, once per trace however many writes
/// changed it meanwhile.
///
/// Kept in `meta` under `vector-pending/` + document id (u32 BE), in the
/// transaction that changed the text, so the set is exact after a crash or a
/// restart. The value: the generation of that transaction (u64 BE), which
/// tells whether the trace was written again while it was being embedded,
/// and its wall-clock time (i64 µs BE), from which the trace's quiet time is counted.
enum PendingVectors {
  static let prefix = Array("vector-pending/".utf8)

  struct Entry: Equatable {
    let doc: UInt32
    let generation: UInt64
    let writtenAt: Int64
  }

  static func key(_ doc: UInt32) -> [UInt8] { prefix + Keys.docID(doc) }

  /// Marks `doc`'s vector as waiting for the text written by `generation`.
  static func mark(_ doc: UInt32, generation: UInt64, tables: StoreTables, in transaction: LMDBTransaction) throws {
    var writer = ByteWriter(capacity: 16)
    writer.bigEndian(generation)
    writer.bigEndian(UInt64(bitPattern: Timestamp.now.microseconds))
    try transaction.put(tables.meta, key: key(doc), value: writer.bytes)
  }

  /// `doc` no longer waits (its vector was indexed, or it was deleted).
  static func clear(_ doc: UInt32, tables: StoreTables, in transaction: LMDBTransaction) throws {
    try transaction.delete(tables.meta, key: key(doc))
  }

  static func entry(_ doc: UInt32, tables: StoreTables, in transaction: LMDBTransaction) throws -> Entry? {
    try transaction.withValue(tables.meta, key: key(doc)) { decode(doc, $0) } ?? nil
  }

  /// Every waiting trace, in document order.
  static func entries(tables: StoreTables, in transaction: LMDBTransaction) throws -> [Entry] {
    var entries: [Entry] = []
    try transaction.scan(tables.meta, prefix: prefix) { key, value in
      if key.byteCount == prefix.count + 4,
        let entry = decode(try Keys.document(in: key, at: prefix.count), value)
      {
        entries.append(entry)
      }
      return true
    }
    return entries
  }

  private static func decode(_ doc: UInt32, _ value: RawSpan) -> Entry? {
    guard value.byteCount == 16, let generation = BigEndian.read(UInt64.self, from: value),
      let time = BigEndian.read(UInt64.self, from: value, at: 8)
    else { return nil }
    return Entry(doc: doc, generation: generation, writtenAt: Int64(bitPattern: time))
  }
}

/// What one `TraceStore.indexPendingVectors` call did.
public struct VectorCatchUp: Sendable, Equatable {
  /// Traces whose vector was indexed by this call.
  public var indexed = 0
  /// Traces whose vector still waits: not quiet yet, past the call's limit,
  /// or written again while this call embedded them.
  public var pending = 0
  /// Seconds until the next waiting trace has been quiet long enough; nil
  /// when none waits for its quiet time (0 when some are due now).
  public var nextDueIn: Double?

  public init(indexed: Int = 0, pending: Int = 0, nextDueIn: Double? = nil) {
    self.indexed = indexed
    self.pending = pending
    self.nextDueIn = nextDueIn
  }
}

extension TraceStore {
  /// How many traces wait for their vector (written with `Options.defersVectors`).
  /// A waiting trace is found by lexical search, not yet by vector search.
  public func pendingVectorCount() throws(TraceKVError) -> Int {
    try read { transaction in try PendingVectors.entries(tables: tables, in: transaction).count }
  }

  /// Embeds and indexes the vectors of waiting traces that are due: quiet
  /// (not written) for `quietPeriod` seconds, or whose root span has
  /// arrived (a span without a parent: OTLP exports a span once it ended).
  /// At most `limit` traces, oldest write first, in one embedding batch made
  /// outside any transaction, then one write transaction. A trace written
  /// again while it was embedded keeps waiting, for its new text.
  ///
  /// Any process may call it, on a store opened either way.
  /// - Complexity: reads every waiting entry and the spans of those not yet
  ///   quiet; embeds at most `limit` texts.
  public func indexPendingVectors(quietPeriod: Double, limit: Int = 64) throws(TraceKVError) -> VectorCatchUp {
    guard limit > 0, quietPeriod >= 0 else {
      throw TraceKVError.invalid("indexPendingVectors needs a limit of 1 or more and a quiet period of 0 s or more")
    }
    let quietMicroseconds = Int64(quietPeriod * 1_000_000)
    let (due, waiting, nextDue) = try read { transaction in
      let now = Timestamp.now.microseconds
      var due: [(entry: PendingVectors.Entry, text: String)] = []
      var waiting = 0
      var nextDue: Int64?
      for entry in try PendingVectors.entries(tables: tables, in: transaction).sorted(by: { $0.writtenAt < $1.writtenAt }) {
        let quietAt = entry.writtenAt + quietMicroseconds
        let isDue = try quietAt <= now || tables.spanViews(of: entry.doc, in: transaction).contains { $0.parentID == nil }
        guard isDue, due.count < limit else {
          waiting += 1
          nextDue = min(nextDue ?? .max, isDue ? 0 : quietAt - now)
          continue
        }
        due.append((entry, try SearchText.stored(entry.doc, tables: tables, in: transaction)?.semantic ?? ""))
      }
      return (due, waiting, nextDue)
    }
    var report = VectorCatchUp(pending: waiting, nextDueIn: nextDue.map { Double($0) / 1_000_000 })
    guard !due.isEmpty else { return report }

    let embedder: any TextEmbedder
    do { embedder = try search.embedder() } catch { throw TraceKVError(translating: error, operation: "index pending vectors") }
    let vectors: [[Float]]
    do {
      vectors = embedder.dimension > 0 ? try embedder.embed(due.map(\.text)) : due.map { _ in [] }
    } catch {
      throw TraceKVError.embedding(error, by: embedder.name, operation: "index pending vectors")
    }
    report.indexed = try indexedWrite("index pending vectors") { transaction, writer in
      var indexed = 0
      for ((entry, _), vector) in zip(due, vectors) {
        guard try PendingVectors.entry(entry.doc, tables: tables, in: transaction) == entry else {
          // Written again (or deleted) since it was read: its newer text waits for a later call.
          continue
        }
        if !vector.isEmpty { try writer.setVector(vector, of: entry.doc) }
        try PendingVectors.clear(entry.doc, tables: tables, in: transaction)
        indexed += 1
      }
      return indexed
    }
    report.pending += due.count - report.indexed
    if due.count > report.indexed { report.nextDueIn = 0 }
    return report
  }
}

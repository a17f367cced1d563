import LMDBKit
import VectorIndex

/// What one write transaction changed in the search state: the documents
/// whose filter fields were set or removed, and the HNSW slots whose node or
/// link lists were written or freed. Keys only; the values are read from the
/// store when another process catches up, so one pass over many entries
/// reads each record once, as of its snapshot.
struct ChangeLogEntry: Equatable {
  var documents: Set<UInt32> = []
  var slots: Set<UInt32> = []

  mutating func record(_ changes: HNSWChangeSet) {
    for node in changes.nodes { slots.insert(node.slot) }
    for list in changes.linkLists { slots.insert(list.slot) }
    for slot in changes.freedSlots { slots.insert(slot) }
  }

  mutating func formUnion(_ other: ChangeLogEntry) {
    documents.formUnion(other.documents)
    slots.formUnion(other.slots)
  }

  /// Version byte 1, then each set as a count and ascending deltas (varints).
  func encoded() -> [UInt8] {
    var writer = ByteWriter()
    writer.byte(1)
    for set in [documents, slots] {
      writer.varint(set.count)
      var previous: UInt32 = 0
      for value in set.sorted() {
        writer.varint(UInt64(value - previous))
        previous = value
      }
    }
    return writer.bytes
  }

  init() {}

  init(decoding bytes: RawSpan) throws {
    var reader = ByteReader(bytes, what: "change log")
    guard try reader.byte() == 1 else { throw TraceKVError(.corrupted, "a change log entry of an unknown version") }
    var sets: [Set<UInt32>] = []
    for _ in 0..<2 {
      let count = try reader.int()
      guard count <= bytes.byteCount else { throw TraceKVError(.corrupted, "a damaged change log entry") }
      var set = Set<UInt32>(minimumCapacity: count)
      var value: UInt64 = 0
      for _ in 0..<count {
        value += try reader.varint()
        guard value <= UInt64(UInt32.max) else { throw TraceKVError(.corrupted, "a damaged change log entry") }
        set.insert(UInt32(value))
      }
      sets.append(set)
    }
    documents = sets[0]
    slots = sets[1]
  }
}

/// The change log: one `ChangeLogEntry` per generation, in the meta table
/// under `change-log/` + the generation (u64 BE), written in the same
/// transaction as the changes. It keeps the last `retained` generations, so a
/// process up to that many writes behind catches up by reading only what
/// changed; a process further behind, or facing a generation with no entry
/// (written by `repair`, the benchmark's bulk graph load, or an older
/// build), reloads everything.
enum ChangeLog {
  /// Generations kept. An entry is a few hundred bytes (about 20 slots and
  /// one document per trace), so the log stays under a megabyte.
  static let retained: UInt64 = 1_024
  static let prefix = Array("change-log/".utf8)

  static func key(_ generation: UInt64) -> [UInt8] {
    var writer = ByteWriter(capacity: prefix.count + 8)
    writer.raw(prefix)
    writer.bigEndian(generation)
    return writer.bytes
  }

  /// Stores the entry of `generation` and drops the one falling out of the window.
  static func write(
    _ entry: ChangeLogEntry, generation: UInt64, tables: StoreTables, in transaction: LMDBTransaction
  ) throws {
    try transaction.put(tables.meta, key: key(generation), value: entry.encoded())
    if generation > retained { _ = try transaction.delete(tables.meta, key: key(generation - retained)) }
  }

  /// `state` brought to `generation` by re-reading what the log says changed,
  /// or nil when the log does not cover every generation in between (the
  /// caller reloads).
  /// - Complexity: O(entries + changed documents + changed slots · M + their vector blocks · rows · d).
  static func catchUp(
    _ state: SearchState, to generation: UInt64, tables: StoreTables, in transaction: LMDBTransaction
  ) throws -> SearchState? {
    guard state.generation < generation, generation - state.generation <= retained else { return nil }
    var changes = ChangeLogEntry()
    for entryGeneration in (state.generation + 1)...generation {
      guard let entry = try transaction.withValue(tables.meta, key: key(entryGeneration), { try ChangeLogEntry(decoding: $0) })
      else { return nil }
      changes.formUnion(entry)
    }
    var next = state
    next.generation = generation
    next.changedSince = ChangedDocuments(generation: state.generation, documents: changes.documents)
    for doc in changes.documents.sorted() {
      let record = try transaction.withValue(tables.traces, key: Keys.docID(doc)) {
        try TraceRecord.decode($0, withAttributes: false)
      }
      if let record { next.columns.set(doc, record) } else { next.columns.remove(doc) }
    }
    guard !changes.slots.isEmpty else { return next }
    // The first graph of a store is loaded whole.
    guard next.vectors != nil, let header = try VectorPersistence.storedHeader(tables: tables, in: transaction) else {
      return nil
    }
    var stored: [HNSWStoredSlot] = []
    stored.reserveCapacity(changes.slots.count)
    var blocks: Set<UInt32> = []
    for slot in changes.slots.sorted() {
      let node = try transaction.withValue(tables.hnswNodes, key: HNSWNodeRecord.key(slot: slot)) {
        try HNSWNodeRecord.decode(slot: slot, $0.copiedBytes, under: header)
      }
      if node != nil, !header.nodesHoldVectors { blocks.insert(slot / UInt32(header.vectorBlockRows)) }
      var lists: [HNSWLinkListRecord] = []
      try transaction.scan(tables.hnswLinks, prefix: HNSWNodeRecord.key(slot: slot)) { key, value in
        let (slot, level) = try HNSWLinkListRecord.slotAndLevel(fromKey: key)
        lists.append(try HNSWLinkListRecord(slot: slot, level: level, decoding: value.copiedBytes))
        return true
      }
      stored.append(HNSWStoredSlot(slot: slot, node: node.map { ($0.node, $0.vector) }, linkLists: lists))
    }
    var vectorBlocks: [HNSWVectorBlockRecord] = []
    for block in blocks.sorted() {
      // A node without its block: reload, which reports it.
      guard let stored = try VectorPersistence.storedVectorBlock(block, header: header, tables: tables, in: transaction)
      else { return nil }
      vectorBlocks.append(stored)
    }
    do {
      try next.vectors!.applyStored(header: header, slots: stored, vectorBlocks: vectorBlocks)
    } catch {
      return nil  // records that do not continue this graph: reload it
    }
    return next
  }
}

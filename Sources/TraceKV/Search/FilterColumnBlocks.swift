import ByteCodecs
import LMDBKit

/// The filter columns persisted as packed blocks of 256 documents in `meta`
/// (`FilterColumns.encodedBlock`), so opening a store reads a few thousand
/// block records instead of decoding every trace record.
///
/// Each indexed write rewrites the blocks of the documents it changed and
/// stamps the generation it wrote. Blocks whose stamp is not the store's
/// generation (a store from before the blocks, or one an older build wrote
/// to since) are not trusted: the columns are then rebuilt from the trace
/// records, and the next write rewrites every block.
enum FilterColumnBlocks {
  static let keyPrefix = Array("filter-columns/".utf8)
  /// u64 BE: the generation the blocks are current at.
  static let stampKey = Array("filter-columns-generation".utf8)

  static func key(_ block: Int) -> [UInt8] { keyPrefix + BigEndian.bytes(UInt32(block)) }

  /// The generation the blocks were last written at, or nil.
  static func stamp(tables: StoreTables, in transaction: LMDBTransaction) throws -> UInt64? {
    try transaction.withValue(tables.meta, key: stampKey) { bytes in
      bytes.byteCount == 8 ? BigEndian.read(UInt64.self, from: bytes) : nil
    } ?? nil
  }

  /// The columns as of `generation`, from the blocks and `by-episode`; nil
  /// when the blocks are not current at it.
  /// - Complexity: O(documents / 256) block reads plus O(documents with an episode).
  static func load(generation: UInt64, tables: StoreTables, in transaction: LMDBTransaction) throws -> FilterColumns? {
    guard try stamp(tables: tables, in: transaction) == generation else { return nil }
    var columns = FilterColumns()
    try transaction.scan(tables.meta, prefix: keyPrefix) { key, value in
      guard key.byteCount == keyPrefix.count + 4, let block = BigEndian.read(UInt32.self, from: key, at: keyPrefix.count)
      else { throw TraceKVError(.corrupted, "a filter column block key of \(key.byteCount) bytes") }
      try columns.setBlock(Int(block), from: value)
      return true
    }
    // Episode ids are kept as codes local to this process: rebuilt from the
    // episode index (episode ‖ 0x00 ‖ document), one entry per trace that has one.
    try transaction.scan(tables.byEpisode) { key, _ in
      guard key.byteCount >= 5, key.byte(at: key.byteCount - 5) == 0,
        let doc = BigEndian.read(UInt32.self, from: key, at: key.byteCount - 4)
      else { throw TraceKVError(.corrupted, "an episode index key of \(key.byteCount) bytes") }
      columns.setEpisode(doc, key.utf8String(0..<key.byteCount - 5))
      return true
    }
    return columns
  }

  /// Brings the blocks to `generation`: those of `documents` when they were
  /// current at `generation − 1`, else (or when `documents` is nil) all of them.
  /// - Complexity: O(blocks of `documents`), or O(documents / 256) when all are written.
  static func write(
    _ columns: FilterColumns, documents: Set<UInt32>?, generation: UInt64, tables: StoreTables,
    in transaction: LMDBTransaction
  ) throws {
    if let documents, try stamp(tables: tables, in: transaction) == generation - 1 {
      for block in Set(documents.map { Int($0) / FilterColumns.blockSize }).sorted() {
        try transaction.put(tables.meta, key: key(block), value: columns.encodedBlock(block))
      }
    } else {
      _ = try transaction.deleteAll(tables.meta, prefix: keyPrefix)
      for block in 0..<columns.blockCount {
        try transaction.put(tables.meta, key: key(block), value: columns.encodedBlock(block))
      }
    }
    try transaction.put(tables.meta, key: stampKey, value: BigEndian.bytes(generation))
  }
}

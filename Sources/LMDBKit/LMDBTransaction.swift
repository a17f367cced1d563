import ByteCodecs
import CLMDB
import Foundation
import LMDBFaultGuard

/// Owns one LMDB transaction: it cannot be copied, it is aborted when it goes
/// out of scope unless `commit()` consumed it. Only `LMDBEnvironment` makes
/// one; the code inside `read { }` / `write { }` sees the `LMDBTransaction`
/// it lends.
struct OwnedTransaction: ~Copyable {
  let transaction: LMDBTransaction

  init(handle: OpaquePointer, isWritable: Bool, map: tkv_map) {
    transaction = unsafe LMDBTransaction(handle: handle, isWritable: isWritable, map: map)
  }

  deinit { unsafe mdb_txn_abort(transaction.handle) }

  /// Commits and ends the transaction.
  consuming func commit() throws(LMDBError) {
    let handle = unsafe transaction.handle
    var map = unsafe transaction.map
    discard self
    // The path, for the translation of a short write; read before the commit frees the transaction.
    var path: UnsafePointer<CChar>?
    let pathKnown = unsafe mdb_env_get_path(mdb_txn_env(handle), &path) == 0
    let file = unsafe pathKnown ? path.map { unsafe String(cString: $0) } : nil
    let code = unsafe tkv_commit(handle, &map)  // frees the transaction even when it fails
    guard code == 0 else { throw .lmdb(code, "commit", path: file) }
  }
}

/// The operations of an LMDB transaction, lent to the body of
/// `LMDBEnvironment.read` or `.write` and valid only while it runs (never
/// store one). Bytes it reads are lent only inside closures too, because
/// LMDB's pointers into the memory map are valid only until the next write in
/// the transaction or its end. A transaction belongs to one body at a time.
@safe package struct LMDBTransaction {
  fileprivate let handle: OpaquePointer
  package let isWritable: Bool
  /// The map and the file's extent when the transaction began: every call
  /// below goes through the fault guard with it (`LMDBFaultGuard`).
  fileprivate let map: tkv_map

  fileprivate init(handle: OpaquePointer, isWritable: Bool, map: tkv_map) {
    unsafe self.handle = unsafe handle
    self.isWritable = isWritable
    unsafe self.map = unsafe map
  }

  // MARK: Reads

  /// Lends the value stored under `key` to `body`, straight from the map; nil
  /// when the key is absent. A `RawSpan` cannot outlive `body`, so the bytes
  /// cannot outlive the transaction either.
  package func withValue<R>(
    _ database: LMDBDatabase, key: some ContiguousBytes, _ body: (RawSpan) throws -> R
  ) throws -> R? {
    var value = unsafe MDB_val()
    let code = unsafe key.withUnsafeBytes { keyBytes in
      var keyValue = unsafe MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
      var map = unsafe map
      return unsafe tkv_get(handle, database.handle, &keyValue, &value, &map)
    }
    if code == MDB_NOTFOUND { return nil }
    guard code == 0 else { throw LMDBError.lmdb(code, "get", table: database.name) }
    return unsafe try body(RawSpan(_unsafeStart: value.mv_data, byteCount: value.mv_size))
  }

  /// A copy of the value stored under `key`.
  package func value(_ database: LMDBDatabase, key: some ContiguousBytes) throws -> [UInt8]? {
    try withValue(database, key: key) { $0.copiedBytes }
  }

  /// Whether `key` is present.
  package func contains(_ database: LMDBDatabase, key: some ContiguousBytes) throws -> Bool {
    try withValue(database, key: key) { _ in true } ?? false
  }

  /// The number of entries in `database`.
  package func count(_ database: LMDBDatabase) throws(LMDBError) -> Int {
    var stat = MDB_stat()
    var map = unsafe map
    let code = unsafe tkv_stat(handle, database.handle, &stat, &map)
    guard code == 0 else { throw .lmdb(code, "stat", table: database.name) }
    return stat.ms_entries
  }

  /// The number of entries in the unnamed main table.
  package func mainTableEntryCount() throws(LMDBError) -> Int {
    var dbi: MDB_dbi = 0
    var map = unsafe map
    var code = unsafe tkv_dbi_open(handle, nil, 0, &dbi, &map)
    guard code == 0 else { throw .lmdb(code, "open main table") }
    var stat = MDB_stat()
    code = unsafe tkv_stat(handle, dbi, &stat, &map)
    guard code == 0 else { throw .lmdb(code, "stat main table") }
    return stat.ms_entries
  }

  /// Pages used by `database` (branch, leaf and overflow).
  package func pageCount(_ database: LMDBDatabase) throws(LMDBError) -> Int {
    var stat = MDB_stat()
    var map = unsafe map
    let code = unsafe tkv_stat(handle, database.handle, &stat, &map)
    guard code == 0 else { throw .lmdb(code, "stat", table: database.name) }
    return stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages
  }

  /// Visits entries in key order, starting at the first key ≥ `start` (or the
  /// first key), until `body` returns false. Keys and values are lent, as in
  /// `withValue`.
  /// - Complexity: O(log n + visited).
  package func scan(
    _ database: LMDBDatabase, from start: [UInt8]? = nil, reverse: Bool = false,
    _ body: (_ key: RawSpan, _ value: RawSpan) throws -> Bool
  ) throws {
    var cursor: OpaquePointer?
    var map = unsafe map
    var code = unsafe tkv_cursor_open(handle, database.handle, &cursor, &map)
    guard code == 0, let cursor = unsafe cursor else { throw LMDBError.lmdb(code, "cursor open", table: database.name) }
    defer { unsafe mdb_cursor_close(cursor) }
    var key = unsafe MDB_val()
    var value = unsafe MDB_val()
    var startBytes = start ?? []
    code = unsafe startBytes.withUnsafeMutableBytes { bytes in
      if start == nil { return unsafe tkv_cursor_get(cursor, &key, &value, reverse ? MDB_LAST : MDB_FIRST, &map) }
      unsafe key = unsafe MDB_val(mv_size: bytes.count, mv_data: bytes.baseAddress)
      let found = unsafe tkv_cursor_get(cursor, &key, &value, MDB_SET_RANGE, &map)
      guard reverse else { return found }
      // Reverse from `start`: the last key ≤ start.
      if found == MDB_NOTFOUND { return unsafe tkv_cursor_get(cursor, &key, &value, MDB_LAST, &map) }
      if found == 0, unsafe UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size).elementsEqual(bytes) { return 0 }
      return unsafe found == 0 ? tkv_cursor_get(cursor, &key, &value, MDB_PREV, &map) : found
    }
    while code == 0 {
      let keyBytes = unsafe RawSpan(_unsafeStart: key.mv_data, byteCount: key.mv_size)
      let valueBytes = unsafe RawSpan(_unsafeStart: value.mv_data, byteCount: value.mv_size)
      guard try body(keyBytes, valueBytes) else { return }
      code = unsafe tkv_cursor_get(cursor, &key, &value, reverse ? MDB_PREV : MDB_NEXT, &map)
    }
    guard code == MDB_NOTFOUND else { throw LMDBError.lmdb(code, "cursor step", table: database.name) }
  }

  /// Visits the entries whose keys start with `prefix`, in key order.
  package func scan(
    _ database: LMDBDatabase, prefix: [UInt8],
    _ body: (_ key: RawSpan, _ value: RawSpan) throws -> Bool
  ) throws {
    try scan(database, from: prefix) { key, value in
      guard key.starts(with: prefix) else { return false }
      return try body(key, value)
    }
  }

  /// The values of every entry whose key starts with `prefix`, as pointers
  /// into the map, for a reader that must hold many values at once (the
  /// lexical index's posting cursors; Swift 6.3 has no array of spans).
  /// Valid until this transaction writes or ends: the caller keeps that promise.
  @unsafe package func unsafeValues(_ database: LMDBDatabase, prefix: [UInt8]) throws -> [UnsafeRawBufferPointer] {
    var values: [UnsafeRawBufferPointer] = unsafe []
    try scan(database, prefix: prefix) { _, value in
      // Escapes the span on purpose: the map's pages stay put until the transaction writes or ends.
      unsafe value.withUnsafeBytes { unsafe values.append($0) }
      return true
    }
    return unsafe values
  }

  /// Where the map starts for this transaction. Pinned values
  /// (`unsafePinnedValues`) stay valid only while it is the same.
  package var mapStart: UInt { unsafe UInt(bitPattern: map.start) }

  /// The values of every entry whose key starts with `prefix`, for a reader
  /// that keeps them **after this transaction ends**: a pointer into the
  /// map for each value that LMDB will not move until its own key is
  /// written or deleted, nil for the others (the caller copies those).
  ///
  /// Why such values stay put: a value larger than half a page never fits a
  /// leaf page, so LMDB stores it in overflow pages of its own and copies
  /// the leaf that points at them, never the pages themselves, when other
  /// keys change; it frees them only when this key is written or deleted,
  /// and reuses freed pages only once no reader can still see them. So a
  /// pointer is good for every later snapshot in which its key is unchanged,
  /// as long as the map stays where it is (`mapStart`). Values in pages this
  /// transaction wrote, or past the commit it began with, are not pinned.
  /// The caller keeps that promise: it re-reads a key once it is written.
  @unsafe package func unsafePinnedValues(
    _ database: LMDBDatabase, prefix: [UInt8], _ body: (_ key: RawSpan, _ value: RawSpan, _ pinned: UnsafeRawPointer?) throws -> Void
  ) throws {
    let start = unsafe UInt(bitPattern: map.start)
    let pinnable = Int(unsafe map.page_size) / 2
    let extent = unsafe map.extent
    try scan(database, prefix: prefix) { key, value in
      let pinned: UnsafeRawPointer? = unsafe value.withUnsafeBytes { bytes in
        guard bytes.count > pinnable, let base = bytes.baseAddress else { return nil }
        let offset = UInt(bitPattern: base) &- start
        guard start != 0, offset < UInt(extent), UInt(bytes.count) <= UInt(extent) - offset else { return nil }
        return unsafe base
      }
      try unsafe body(key, value, pinned)
      return true
    }
  }

  // MARK: Writes

  /// Stores `value` under `key`, replacing what was there. `append` is a hint
  /// that the key sorts after every key in the table (LMDB then fills pages
  /// completely instead of splitting them in half).
  package func put(_ database: LMDBDatabase, key: some ContiguousBytes, value: some ContiguousBytes, append: Bool = false)
    throws(LMDBError)
  {
    precondition(isWritable, "put in a read-only transaction")
    let code = unsafe key.withUnsafeBytes { keyBytes in
      unsafe value.withUnsafeBytes { valueBytes in
        var keyValue = unsafe MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
        var dataValue = unsafe MDB_val(
          mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
        var map = unsafe map
        return unsafe tkv_put(handle, database.handle, &keyValue, &dataValue, append ? UInt32(MDB_APPEND) : 0, &map)
      }
    }
    if code == MDB_KEYEXIST, append {
      // The hint was wrong (the key is not past the end): store normally.
      return try put(database, key: key, value: value)
    }
    guard code == 0 else { throw .lmdb(code, "put", table: database.name) }
  }

  /// Removes `key`; returns whether it was present.
  @discardableResult
  package func delete(_ database: LMDBDatabase, key: some ContiguousBytes) throws(LMDBError) -> Bool {
    precondition(isWritable, "delete in a read-only transaction")
    let code = unsafe key.withUnsafeBytes { keyBytes in
      var keyValue = unsafe MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
      var map = unsafe map
      return unsafe tkv_del(handle, database.handle, &keyValue, &map)
    }
    if code == MDB_NOTFOUND { return false }
    guard code == 0 else { throw .lmdb(code, "delete", table: database.name) }
    return true
  }

  /// Removes every entry whose key starts with `prefix`; returns how many.
  @discardableResult
  package func deleteAll(_ database: LMDBDatabase, prefix: [UInt8]) throws -> Int {
    var keys: [[UInt8]] = []
    try scan(database, prefix: prefix) { key, _ in
      keys.append(key.copiedBytes)
      return true
    }
    for key in keys { try delete(database, key: key) }
    return keys.count
  }

  /// Removes every entry of `database`.
  package func clear(_ database: LMDBDatabase) throws(LMDBError) {
    var map = unsafe map
    let code = unsafe tkv_drop(handle, database.handle, 0, &map)
    guard code == 0 else { throw .lmdb(code, "clear", table: database.name) }
  }
}

extension LMDBEnvironment {
  /// Opens (creating when writable and missing) the named tables inside `transaction`.
  package func openDatabases(_ names: [String], in transaction: LMDBTransaction, create: Bool)
    throws(LMDBError) -> [String: LMDBDatabase]
  {
    var result: [String: LMDBDatabase] = [:]
    for name in names {
      var dbi: MDB_dbi = 0
      var map = unsafe transaction.map
      let code = unsafe tkv_dbi_open(transaction.handle, name, create ? UInt32(MDB_CREATE) : 0, &dbi, &map)
      if code == MDB_NOTFOUND { continue }
      guard code == 0 else { throw .lmdb(code, "open table", table: name, path: path) }
      result[name] = LMDBDatabase(name: name, handle: dbi)
    }
    return result
  }
}

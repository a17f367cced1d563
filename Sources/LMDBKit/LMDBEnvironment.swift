import CLMDB
import Foundation
import LMDBFaultGuard

/// An LMDB environment holding one store: a single file (`MDB_NOSUBDIR`) and
/// its `-lock` file, created with mode 0600.
///
/// Thread-safe. Readers run in parallel, writers one at a time (LMDB's writer
/// lock also serializes writers of other processes). Transactions are not
/// bound to threads (`MDB_NOTLS`), so they work under Swift concurrency, but
/// they are synchronous: never suspend inside one.
///
/// The map grows by itself: a write that fills it is aborted, the map doubled
/// and the write run again. Another process's growth is adopted when LMDB
/// reports `MDB_MAP_RESIZED`.
@safe package final class LMDBEnvironment: @unchecked Sendable {
  package static let initialMapSize = 64 << 20
  package static let maximumMapSize = 1 << 40

  package let path: String
  package let isReadOnly: Bool
  let handle: OpaquePointer
  /// Serializes this process's writers, so a resize never races a write.
  let writerLock = NSLock()
  /// The lock file, opened for `repairStaleLock` (under `writerLock`) and
  /// kept open until LMDB has closed: closing any descriptor of a file drops
  /// every POSIX lock this process holds on it, LMDB's included.
  private var lockDescriptor: Int32 = -1
  /// Shared by transactions, exclusive while the map size changes: LMDB
  /// requires that no transaction of this process is active then.
  private let mapLock = ReadWriteLock()
  /// Where the map lies, for the fault guard (`LMDBFaultGuard`); set at
  /// open and after each resize, read by transactions under `mapLock`.
  private var map = unsafe tkv_map()

  /// Opens the environment at `path`; `initialMapSize` applies to a new file
  /// (an existing one keeps its recorded size when that is larger).
  package init(path: String, readOnly: Bool, initialMapSize: Int = LMDBEnvironment.initialMapSize, maxTables: Int = 32)
    throws(LMDBError)
  {
    // A truncated file would fault (SIGBUS) at the first read of a missing page.
    var attributes = stat()
    if unsafe stat(path, &attributes) == 0, attributes.st_size > 0 { try LMDBMetaPages.checkComplete(path: path) }
    let lockPath = path + "-lock"
    var flags = UInt32(MDB_NOSUBDIR | MDB_NOTLS)
    if readOnly { flags |= UInt32(MDB_RDONLY) }
    var (environment, code) = unsafe try Self.openEnvironment(path, flags: flags, mapSize: initialMapSize, maxTables: maxTables)
    if code == EACCES || code == EROFS, readOnly, !FileManager.default.fileExists(atPath: lockPath) {
      // A read-only folder without the lock file: read without a lock. LMDB
      // then keeps no reader table, so a writer elsewhere could reuse pages
      // this process still reads; but no writer can start without creating
      // the lock file, which this folder forbids (to us, and most likely to all).
      unsafe mdb_env_close(environment)
      unsafe (environment, code) = unsafe try Self.openEnvironment(path, flags: flags | UInt32(MDB_NOLOCK), mapSize: initialMapSize, maxTables: maxTables)
    }
    guard code == 0 else {
      unsafe mdb_env_close(environment)
      if code == EACCES || code == EROFS, !FileManager.default.fileExists(atPath: lockPath) {
        throw LMDBError(
          .readOnly,
          unsafe "cannot create the lock file \(lockPath) (\(String(cString: strerror(code)))): LMDB needs it to open \(path) for writing; open the store read-only, or make its folder writable",
          code: code)
      }
      throw .lmdb(code, "open", path: path)
    }
    unsafe self.handle = unsafe environment
    self.path = path
    self.isReadOnly = readOnly
    // Not found (not Linux): guarded calls still run, but catch no fault.
    _ = unsafe tkv_map_locate(environment, &map)
    // Clear reader slots left by processes that died (e.g. SIGKILL); without
    // a lock file (MDB_NOLOCK) LMDB has no reader table and returns 0.
    var dead: Int32 = 0
    let check = unsafe mdb_reader_check(environment, &dead)
    guard check == 0 else {
      unsafe mdb_env_close(environment)
      throw .lmdb(check, "reader check", path: path)
    }
  }

  /// A configured environment and `mdb_env_open`'s code (the caller closes it on failure).
  private static func openEnvironment(_ path: String, flags: UInt32, mapSize: Int, maxTables: Int) throws(LMDBError)
    -> (OpaquePointer, Int32)
  {
    var created: OpaquePointer?
    let code = unsafe mdb_env_create(&created)
    guard code == 0, let environment = unsafe created else { throw .lmdb(code, "create environment", path: path) }
    // LMDB trusts its pages: a damaged one can make it fault or fail an
    // assertion. The guard turns those into TKV_PAGE_FAULT (`corrupted`).
    unsafe tkv_guard_install(environment)
    for (setting, code) in unsafe [
      ("set max tables", mdb_env_set_maxdbs(environment, MDB_dbi(maxTables))),
      ("set max readers", mdb_env_set_maxreaders(environment, 512)),
      ("set map size", mdb_env_set_mapsize(environment, mapSize)),
    ] where code != 0 {
      unsafe mdb_env_close(environment)
      throw .lmdb(code, setting, path: path)
    }
    return unsafe (environment, mdb_env_open(environment, path, flags, 0o600))
  }

  deinit {
    unsafe mdb_env_close(handle)
    if lockDescriptor >= 0 { close(lockDescriptor) }
  }

  /// The lock file's descriptor, opened once; call with `writerLock` held.
  func lockFileDescriptor() -> Int32? {
    if lockDescriptor < 0 { lockDescriptor = unsafe open(path + "-lock", O_RDWR | O_CLOEXEC) }
    return lockDescriptor >= 0 ? lockDescriptor : nil
  }

  /// LMDB forbids opening one environment twice in a process (its locks are
  /// per process), so every opener of a file shares one instance.
  private static let registry = Registry()

  private final class Registry: @unchecked Sendable {
    private let lock = NSLock()
    private var open: [String: WeakEnvironment] = [:]

    struct WeakEnvironment { weak var environment: LMDBEnvironment? }

    func environment(
      for path: String, readOnly: Bool, make: () throws(LMDBError) -> LMDBEnvironment
    ) throws(LMDBError) -> LMDBEnvironment {
      lock.lock()
      defer { lock.unlock() }
      let key = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
      if let existing = open[key]?.environment {
        guard readOnly || !existing.isReadOnly else {
          throw LMDBError(.readOnly, "\(path) is already open read-only in this process")
        }
        return existing
      }
      let created = try make()
      open[key] = WeakEnvironment(environment: created)
      return created
    }
  }

  /// The process's environment for `path`, opening it if needed.
  package static func shared(path: String, readOnly: Bool, initialMapSize: Int) throws(LMDBError) -> LMDBEnvironment {
    try registry.environment(for: path, readOnly: readOnly) { () throws(LMDBError) in
      try LMDBEnvironment(path: path, readOnly: readOnly, initialMapSize: initialMapSize)
    }
  }

  /// The current map size in bytes.
  package var mapSize: Int {
    var info = unsafe MDB_envinfo()
    unsafe mdb_env_info(handle, &info)
    return unsafe info.me_mapsize
  }

  /// The page size of the file.
  package var pageSize: Int {
    var stat = MDB_stat()
    unsafe mdb_env_stat(handle, &stat)
    return Int(stat.ms_psize)
  }

  /// Runs `body` in a read-only transaction that sees the latest commit of any process.
  @available(*, noasync, message: "LMDB transactions are synchronous; call from a synchronous context")
  package func read<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
    var repaired = false
    while true {
      var stale = false
      let outcome: R? = try mapLock.withShared {
        // Read before the transaction begins, so that a commit landing meanwhile is not taken for damage.
        let newest = repaired || isReadOnly ? 0 : newestCommit
        var transaction: OpaquePointer?
        let code = unsafe mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction)
        if code == MDB_MAP_RESIZED { return nil }
        guard code == 0, let transaction = unsafe transaction else { throw LMDBError.lmdb(code, "begin read", path: path) }
        let owned = unsafe OwnedTransaction(handle: transaction, isWritable: false, map: transactionMap())
        // Older than a commit made before it began: a writer was killed mid-commit (LMDBLockFile).
        if unsafe UInt64(mdb_txn_id(transaction)) < newest {
          stale = true
          return nil
        }
        return try body(owned.transaction)  // aborted (LMDB's way to end a reader) when it goes out of scope
      }
      if let outcome { return outcome }
      if stale {
        repairStaleLock()
        repaired = true
      } else {
        try adoptGrownMap()
      }
    }
  }

  /// Runs `body` in a write transaction and commits it.
  ///
  /// When the map is full, the transaction is aborted, the map doubled and
  /// **`body` runs again**: it must have no effects outside the transaction
  /// that a second run would repeat wrongly. A throw from `body` aborts.
  @available(*, noasync, message: "LMDB transactions are synchronous; call from a synchronous context")
  package func write<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
    guard !isReadOnly else { throw LMDBError(.readOnly, "the store \(path) is open read-only") }
    writerLock.lock()
    defer { writerLock.unlock() }
    while true {
      var transaction: OpaquePointer?
      let code = unsafe mdb_txn_begin(handle, nil, 0, &transaction)
      if code == MDB_MAP_RESIZED {
        try resize(to: 0)
        continue
      }
      guard code == 0, let transaction = unsafe transaction else { throw LMDBError.lmdb(code, "begin write", path: path) }
      do {
        let owned = unsafe OwnedTransaction(handle: transaction, isWritable: true, map: transactionMap())
        let result = try body(owned.transaction)
        try owned.commit()
        return result
      } catch let error as any LMDBCoded where error.lmdbCode == MDB_MAP_FULL {
        try grow()
      }
    }
  }


  /// Doubles the map (up to `maximumMapSize`). Called with the writer lock held.
  private func grow() throws(LMDBError) {
    let current = mapSize
    guard current < Self.maximumMapSize else {
      throw LMDBError(.storeFull, "the store \(path) reached its maximum size of \(current >> 30) GiB")
    }
    try resize(to: min(current * 2, Self.maximumMapSize))
  }

  /// Sets the map size (0 adopts the size another process set), with no
  /// transaction of this process active. Called with the writer lock held.
  private func resize(to size: Int) throws(LMDBError) {
    let code = mapLock.withExclusive {
      let code = unsafe mdb_env_set_mapsize(handle, size)
      // LMDB mapped the file anew, maybe elsewhere.
      _ = unsafe tkv_map_locate(handle, &map)
      return code
    }
    guard code == 0 else { throw .lmdb(code, "resize map", path: path) }
  }

  /// The map as a transaction beginning now sees it (call under `mapLock`, shared).
  private func transactionMap() -> tkv_map {
    var copy = unsafe map
    unsafe tkv_map_set_extent(handle, &copy)
    return unsafe copy
  }

  /// A reader saw `MDB_MAP_RESIZED`: adopt the new size.
  private func adoptGrownMap() throws(LMDBError) {
    writerLock.lock()
    defer { writerLock.unlock() }
    try resize(to: 0)
  }

  /// Writes a compacting copy of the live environment to `destination`
  /// (which must not exist). Readers and writers may go on meanwhile.
  /// The copy is created 0600, as the store is (`mdb_env_copy2` would create
  /// it 0666 less the umask, readable by others).
  package func copyCompacted(to destination: String) throws(LMDBError) {
    // LMDB's copy walks every page in use and trusts them, partly in a thread
    // of its own that the fault guard cannot reach: check the pages first
    // (`verify`'s walk, a read of each page, as the copy makes anyway), under
    // a reader that keeps the newest commit's pages from being reused meanwhile.
    do {
      try read { _ in
        let problems = try LMDBPageCheck.problems(path: path)
        guard problems.isEmpty else {
          throw LMDBError(
            .corrupted, "the store \(path) is corrupted (\(problems[0])); no backup was written: run `tracekv verify`",
            operation: "backup", path: path)
        }
        try copyUnchecked(to: destination)
      }
    } catch let error as LMDBError {
      throw error
    } catch {
      throw LMDBError(.storage, "backup of \(path) failed: \(error)", operation: "backup", path: path)
    }
  }

  private func copyUnchecked(to destination: String) throws(LMDBError) {
    let descriptor = unsafe open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw .lmdb(errno, "backup", path: destination) }
    let code = unsafe mdb_env_copyfd2(handle, descriptor, UInt32(MDB_CP_COMPACT))
    let closed = close(descriptor) == 0 ? 0 : errno
    guard code == 0, closed == 0 else {
      unsafe unlink(destination)
      throw .lmdb(code != 0 ? code : closed, "backup", path: destination)
    }
  }

  /// Flushes buffers to disk (commits already sync; this is for `MDB_NOSYNC` use).
  package func sync() throws(LMDBError) {
    let code = unsafe mdb_env_sync(handle, 1)
    guard code == 0 else { throw .lmdb(code, "sync", path: path) }
  }

  /// Opens the named tables with a transaction of its own, creating the
  /// missing ones when `create` (and writable); absent tables are left out.
  ///
  /// The transaction is committed even when read-only: LMDB shares a table
  /// handle with later transactions only after the opening one commits.
  package func openTables(_ names: [String], create: Bool) throws -> [String: LMDBDatabase] {
    if create && !isReadOnly {
      return try write { transaction in try openDatabases(names, in: transaction, create: true) }
    }
    return try mapLock.withShared {
      var transaction: OpaquePointer?
      let code = unsafe mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction)
      guard code == 0, let transaction = unsafe transaction else { throw LMDBError.lmdb(code, "begin read", path: path) }
      let owned = unsafe OwnedTransaction(handle: transaction, isWritable: false, map: transactionMap())
      let opened = try openDatabases(names, in: owned.transaction, create: false)
      try owned.commit()
      return opened
    }
  }

  /// The number of entries in the unnamed main table (where LMDB lists the
  /// named ones): zero for a fresh environment.
  package func mainTableEntryCount() throws -> Int {
    try read { transaction in try transaction.mainTableEntryCount() }
  }
}

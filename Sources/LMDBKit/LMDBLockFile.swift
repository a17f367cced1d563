import CLMDB
import Foundation

/// Repairs a lock file whose last-transaction id fell behind the meta pages.
///
/// A commit writes the new meta page, then the lock file's `mti_txnid`
/// (`mdb_txn_commit` → `mdb_env_write_meta`). A writer killed between the two
/// leaves the id one behind. Readers pick the meta page by that id
/// (`mdb_txn_renew0`: `me_metas[mti_txnid & 1]`), so every process keeps
/// reading the state before the last commit until a writer repairs the id —
/// which LMDB does when it takes the writer mutex from the dead owner
/// (`mdb_mutex_failed` re-reads the newest meta), or which is done here,
/// holding the writer mutex, when that path did not run.
///
/// Layout (LMDB 0.9, `mdb.c`, `MDB_txbody`): `mtb_magic` u32, `mtb_format`
/// u32, the reader mutex (`pthread_mutex_t`, as this platform's glibc lays
/// it out, the one LMDB was built against), then `mtb_txnid`.
package enum LMDBLockFile {
  package static let transactionIDOffset = unsafe 8 + MemoryLayout<pthread_mutex_t>.size

  /// Sets the lock file's last-transaction id to `newest` if it holds
  /// `stale`, through `descriptor` (open on the lock file); the caller holds
  /// LMDB's writer mutex (an open write transaction). Returns whether it wrote.
  static func repairTransactionID(_ descriptor: Int32, stale: UInt64, newest: UInt64) -> Bool {
    var current: UInt64 = 0
    let count = unsafe withUnsafeMutableBytes(of: &current) { unsafe pread(descriptor, $0.baseAddress, 8, off_t(transactionIDOffset)) }
    // Write only where the layout is confirmed: the field holds the id the readers see.
    guard count == 8, UInt64(littleEndian: current) == stale else { return false }
    var value = newest.littleEndian
    return unsafe withUnsafeBytes(of: &value) { unsafe pwrite(descriptor, $0.baseAddress, 8, off_t(transactionIDOffset)) } == 8
  }
}

extension LMDBEnvironment {
  /// The id of the newest commit, from the meta pages.
  package var newestCommit: UInt64 {
    var info = unsafe MDB_envinfo()
    unsafe mdb_env_info(handle, &info)
    return unsafe UInt64(info.me_last_txnid)
  }

  /// A reader saw a commit older than the newest: the lock file's id is
  /// stale (or a writer is between its two steps). Takes the writer mutex,
  /// which lets LMDB repair the id if the last writer died holding it, and
  /// repairs it here otherwise. Skipped while this process writes (its
  /// commit sets the id).
  func repairStaleLock() {
    guard writerLock.try() else { return }
    defer { writerLock.unlock() }
    var transaction: OpaquePointer?
    guard unsafe mdb_txn_begin(handle, nil, 0, &transaction) == 0, let transaction = unsafe transaction else { return }
    defer { unsafe mdb_txn_abort(transaction) }
    let next = unsafe UInt64(mdb_txn_id(transaction))  // the lock file's id + 1
    let newest = newestCommit
    if next <= newest, let descriptor = lockFileDescriptor() {
      _ = LMDBLockFile.repairTransactionID(descriptor, stale: next - 1, newest: newest)
    }
  }
}

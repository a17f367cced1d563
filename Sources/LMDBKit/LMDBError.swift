import CLMDB
import Foundation
import LMDBFaultGuard

/// What went wrong in the LMDB layer: the one place where LMDB's return codes
/// (and the `errno`s it passes on) become kinds. TraceKV turns it into its
/// public `TraceKVError` at its boundary, kind for kind.
package struct LMDBError: Error, Sendable, Equatable, CustomStringConvertible {
  package enum Kind: Sendable, Equatable {
    /// The file is not an LMDB environment TraceKV can open (it was not modified).
    case notAStore
    /// LMDB reported corruption, or the file's meta pages contradict its size.
    case corrupted
    /// The map could not grow further (its limit, the disk, the file-size limit).
    case storeFull
    /// A write to an environment opened read-only, or permission denied.
    case readOnly
    /// Any other failure of LMDB or the file system.
    case storage
  }

  package let kind: Kind
  package let message: String
  /// LMDB's return code (or an errno), when LMDB or a system call reported the failure.
  package var code: Int32?
  package var operation: String?
  package var table: String?
  package var path: String?

  package init(
    _ kind: Kind, _ message: String, code: Int32? = nil, operation: String? = nil, table: String? = nil,
    path: String? = nil
  ) {
    self.kind = kind
    self.message = message
    self.code = code
    self.operation = operation
    self.table = table
    self.path = path
  }

  package var description: String { message }

  /// Translates an LMDB return code, or an `errno` LMDB passed on.
  package static func lmdb(_ code: Int32, _ operation: String, table: String? = nil, path: String? = nil) -> LMDBError {
    let text = code == TKV_PAGE_FAULT ? pageFault() : unsafe String(cString: mdb_strerror(code))
    let place = [table.map { "table '\($0)'" }, path].compactMap { $0 }.joined(separator: " ")
    let context = operation + (place.isEmpty ? "" : " on " + place)
    func error(_ kind: Kind, _ message: String) -> LMDBError {
      LMDBError(kind, message, code: code, operation: operation, table: table, path: path)
    }
    switch code {
    case MDB_INVALID, MDB_VERSION_MISMATCH, MDB_INCOMPATIBLE:
      return error(.notAStore, "\(path ?? "the file") is not a TraceKV store (\(text)); it was left untouched")
    // MDB_CURSOR_FULL: a descent deeper than LMDB's 32 levels, which only a page pointing back up the tree makes.
    case MDB_CORRUPTED, MDB_PANIC, MDB_PAGE_NOTFOUND, MDB_CURSOR_FULL, TKV_PAGE_FAULT:
      return error(.corrupted, "the store is corrupted: \(context): \(text)")
    case MDB_MAP_FULL:
      return error(.storeFull, "the store's map is full: \(context)")
    case ENOSPC:
      return error(.storeFull, "no space left on the device: \(context)")
    case EFBIG:
      // A write past RLIMIT_FSIZE or the file system's largest file: as full as a full disk.
      return error(.storeFull, "the store file reached the file-size limit: \(context)")
    case EACCES, EROFS:
      return error(.readOnly, "permission denied: \(context): \(text)")
    case EIO:
      return outOfSpace(code: code, operation: operation, path: path)
        ?? error(.storage, "\(context) failed: \(text) (LMDB code \(code))")
    default:
      return error(.storage, "\(context) failed: \(text) (LMDB code \(code))")
    }
  }

  /// What the fault guard caught on this thread (`LMDBFaultGuard`), in words.
  private static func pageFault() -> String {
    let fault = unsafe tkv_last_fault().pointee
    let page = fault.page_size > 0 ? ", page \(fault.offset / Int64(fault.page_size))" : ""
    let place = fault.offset >= 0 ? " at byte \(fault.offset)\(page)" : ""
    let what: String
    switch fault.signal {
    case SIGBUS: what = "LMDB read past the end of the file\(place) (SIGBUS, caught)"
    case SIGSEGV where fault.offset < 0: what = "LMDB followed a null pointer a damaged node led it to (SIGSEGV, caught)"
    case SIGSEGV: what = "LMDB read outside the map\(place) (SIGSEGV, caught)"
    case SIGABRT:
      let message = unsafe withUnsafeBytes(of: fault.message) { unsafe String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      what = "LMDB found a malformed page (\(message))"
    default: what = "LMDB lent bytes outside the file\(place)"
    }
    return "\(what): a damaged page; run `tracekv verify`, restore the store from a backup"
  }

  /// A system call on `path` failed with the current `errno`.
  static func system(_ operation: String, path: String) -> LMDBError {
    let code = errno
    return LMDBError(
      code == EACCES ? .readOnly : .storage, unsafe "cannot \(operation) \(path): \(String(cString: strerror(code)))",
      code: code, operation: operation, path: path)
  }

  /// Why a write came up short, when it is a full disk or the file-size
  /// limit: LMDB reports a short write as `EIO`, which is what both give.
  private static func outOfSpace(code: Int32, operation: String, path: String?) -> LMDBError? {
    guard let path else { return nil }
    var attributes = stat()
    guard unsafe stat(path, &attributes) == 0 else { return nil }
    let margin = UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 4096))
    var limit = rlimit()
    if unsafe getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
      UInt64(attributes.st_size) + margin * 64 >= UInt64(limit.rlim_cur)
    {
      return LMDBError(
        .storeFull, "the store file \(path) reached the file-size limit (\(limit.rlim_cur) bytes); the write was not committed",
        code: code, operation: operation, path: path)
    }
    var space = statvfs()
    if unsafe statvfs(path, &space) == 0, UInt64(space.f_bavail) * UInt64(space.f_frsize) < margin * 256 {
      return LMDBError(
        .storeFull, "no space left on the device holding \(path); the write was not committed", code: code,
        operation: operation, path: path)
    }
    return nil
  }
}

/// An error that may carry an LMDB return code, whichever layer wraps it: a
/// write transaction recognizes a full map by the code even when the body
/// translated the error on its way out.
package protocol LMDBCoded: Error {
  var lmdbCode: Int32? { get }
}

extension LMDBError: LMDBCoded {
  package var lmdbCode: Int32? { code }
}

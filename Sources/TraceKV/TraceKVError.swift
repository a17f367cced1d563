import CLMDB
import Foundation

/// The one error type of the TraceKV module.
///
/// `kind` is stable and meant for code; `message` is one line for a person and,
/// where the caller can do something about it, says what. Failures that come
/// from LMDB carry its return code and the operation and table involved.
public struct TraceKVError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable, Equatable {
    /// The file exists but is not a TraceKV store (it was not modified).
    case notAStore
    /// A TraceKV store of a format version this build does not know.
    case unsupportedVersion
    /// The store failed an integrity check or LMDB reported corruption.
    case corrupted
    /// Input the caller can fix: malformed JSON, empty ids, bad values.
    case invalidInput
    /// A trace id (or other named thing) that the store does not hold.
    case notFound
    /// A write to a store opened read-only.
    case readOnly
    /// The map could not grow further (its limit, or the disk).
    case storeFull
    /// The store's recorded embedder differs from the one offered.
    case embedderMismatch
    /// The store's embedder cannot be loaded (e.g. its model files are missing).
    case embedderUnavailable
    /// Any other failure of LMDB or the file system.
    case storage
  }

  public let kind: Kind
  public let message: String
  /// LMDB's return code (or an errno), when LMDB reported the failure.
  public let lmdbCode: Int32?

  public init(_ kind: Kind, _ message: String, lmdbCode: Int32? = nil) {
    self.kind = kind
    self.message = message
    self.lmdbCode = lmdbCode
  }

  public var description: String { message }

  /// Translates an LMDB return code; the single place where codes become kinds.
  static func lmdb(_ code: Int32, _ operation: String, table: String? = nil, path: String? = nil) -> TraceKVError {
    let text = String(cString: mdb_strerror(code))
    let place = [table.map { "table '\($0)'" }, path].compactMap { $0 }.joined(separator: " ")
    let context = operation + (place.isEmpty ? "" : " on " + place)
    switch code {
    case MDB_INVALID, MDB_VERSION_MISMATCH, MDB_INCOMPATIBLE:
      return TraceKVError(.notAStore, "\(path ?? "the file") is not a TraceKV store (\(text)); it was left untouched", lmdbCode: code)
    case MDB_CORRUPTED, MDB_PANIC, MDB_PAGE_NOTFOUND:
      return TraceKVError(.corrupted, "the store is corrupted: \(context): \(text)", lmdbCode: code)
    case MDB_MAP_FULL:
      return TraceKVError(.storeFull, "the store's map is full: \(context)", lmdbCode: code)
    case ENOSPC:
      return TraceKVError(.storeFull, "no space left on the device: \(context)", lmdbCode: code)
    case EFBIG:
      // A write past RLIMIT_FSIZE or the file system's largest file: as full as a full disk.
      return TraceKVError(.storeFull, "the store file reached the file-size limit: \(context)", lmdbCode: code)
    case EACCES, EROFS:
      return TraceKVError(.readOnly, "permission denied: \(context): \(text)", lmdbCode: code)
    default:
      return TraceKVError(.storage, "\(context) failed: \(text) (LMDB code \(code))", lmdbCode: code)
    }
  }

  static func invalid(_ message: String) -> TraceKVError { TraceKVError(.invalidInput, message) }
  static func notFound(_ message: String) -> TraceKVError { TraceKVError(.notFound, message) }
}

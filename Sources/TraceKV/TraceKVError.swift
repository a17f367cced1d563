import CLMDB
import Embeddings
import Foundation
import LexicalIndex
import RRF
import VectorIndex

/// The one error type of the TraceKV module; every public throwing API of
/// `TraceStore` throws it and nothing else.
///
/// `kind` is stable and meant for code; `message` is one line for a person and,
/// where the caller can do something about it, says what. The context a
/// program may want (which operation, table and file; the error of the layer
/// below) is kept in fields, not only in the text.
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
    /// The store's embedder cannot be loaded or failed to embed.
    case embedderUnavailable
    /// Any other failure of LMDB or the file system.
    case storage
  }

  /// The error of a lower layer that this one translates.
  public enum Cause: Sendable, Equatable {
    /// An LMDB return code, or an `errno` LMDB passed on.
    case lmdb(code: Int32)
    case vectorIndex(VectorIndexError)
    case lexicalIndex(LexicalIndexError)
    case embedding(EmbeddingError)
    case fusion(FusionError)
    /// Malformed JSON: what and the byte offset where.
    case json(message: String, offset: Int)
    /// Any other error, by its description.
    case other(String)
  }

  public let kind: Kind
  public let message: String
  /// What TraceKV was doing, e.g. "mdb_put" or "search".
  public var operation: String?
  /// The LMDB table involved, when one was.
  public var table: String?
  /// The file involved, when one was.
  public var path: String?
  /// The translated error of the layer below, when there was one.
  public var cause: Cause?

  /// LMDB's return code (or an errno), when LMDB reported the failure.
  public var lmdbCode: Int32? {
    if case .lmdb(let code)? = cause { code } else { nil }
  }

  public init(
    _ kind: Kind, _ message: String, lmdbCode: Int32? = nil, operation: String? = nil, table: String? = nil,
    path: String? = nil
  ) {
    self.init(kind, message, cause: lmdbCode.map { .lmdb(code: $0) }, operation: operation, table: table, path: path)
  }

  public init(
    _ kind: Kind, _ message: String, cause: Cause?, operation: String? = nil, table: String? = nil,
    path: String? = nil
  ) {
    self.kind = kind
    self.message = message
    self.cause = cause
    self.operation = operation
    self.table = table
    self.path = path
  }

  public var description: String { message }

  static func invalid(_ message: String) -> TraceKVError { TraceKVError(.invalidInput, message) }
  static func notFound(_ message: String) -> TraceKVError { TraceKVError(.notFound, message) }
}

// MARK: - The one boundary: errors of the layers below become TraceKVError here

extension TraceKVError {
  /// Translates an LMDB return code; the single place where LMDB codes (and
  /// the `errno`s LMDB passes on) become kinds.
  static func lmdb(_ code: Int32, _ operation: String, table: String? = nil, path: String? = nil) -> TraceKVError {
    let text = String(cString: mdb_strerror(code))
    let place = [table.map { "table '\($0)'" }, path].compactMap { $0 }.joined(separator: " ")
    let context = operation + (place.isEmpty ? "" : " on " + place)
    func error(_ kind: Kind, _ message: String) -> TraceKVError {
      TraceKVError(kind, message, lmdbCode: code, operation: operation, table: table, path: path)
    }
    switch code {
    case MDB_INVALID, MDB_VERSION_MISMATCH, MDB_INCOMPATIBLE:
      return error(.notAStore, "\(path ?? "the file") is not a TraceKV store (\(text)); it was left untouched")
    case MDB_CORRUPTED, MDB_PANIC, MDB_PAGE_NOTFOUND:
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

  /// Why a write came up short, when it is a full disk or the file-size
  /// limit: LMDB reports a short write as `EIO`, which is what both give.
  private static func outOfSpace(code: Int32, operation: String, path: String?) -> TraceKVError? {
    guard let path else { return nil }
    var attributes = stat()
    guard stat(path, &attributes) == 0 else { return nil }
    let margin = UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 4096))
    var limit = rlimit()
    if getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
      UInt64(attributes.st_size) + margin * 64 >= UInt64(limit.rlim_cur)
    {
      return TraceKVError(
        .storeFull, "the store file \(path) reached the file-size limit (\(limit.rlim_cur) bytes); the write was not committed",
        lmdbCode: code, operation: operation, path: path)
    }
    var space = statvfs()
    if statvfs(path, &space) == 0, UInt64(space.f_bavail) * UInt64(space.f_frsize) < margin * 256 {
      return TraceKVError(
        .storeFull, "no space left on the device holding \(path); the write was not committed", lmdbCode: code,
        operation: operation, path: path)
    }
    return nil
  }

  /// A vector-index error: a damaged record is `corrupted`, anything a
  /// caller passed (a vector of the wrong shape, a bad parameter) `invalidInput`.
  public init(_ error: VectorIndexError, operation: String? = nil) {
    switch error {
    case .corruptRecord:
      self.init(.corrupted, "the vector index in the store is damaged: \(error)", cause: .vectorIndex(error), operation: operation)
    case .dimensionMismatch, .nonFiniteComponent, .zeroVector, .duplicateLabel, .unknownLabel, .invalidParameter:
      self.init(.invalidInput, "\(error)", cause: .vectorIndex(error), operation: operation)
    }
  }

  /// A lexical-index error: a damaged chunk, record or statistics is
  /// `corrupted`, a bad parameter or id `invalidInput`.
  public init(_ error: LexicalIndexError, operation: String? = nil) {
    switch error {
    case .corruptPostingChunk, .corruptDocumentRecord, .corruptStatistics:
      self.init(.corrupted, "\(error)", cause: .lexicalIndex(error), operation: operation)
    case .documentExists, .invalidParameters:
      self.init(.invalidInput, "\(error)", cause: .lexicalIndex(error), operation: operation)
    }
  }

  /// An embedder failure is `embedderUnavailable` wherever it happens (opening,
  /// ingest, a query); model files that differ from the recorded ones are
  /// `embedderMismatch`.
  public init(_ error: EmbeddingError, operation: String? = nil) {
    switch error {
    case .fingerprintMismatch:
      self.init(.embedderMismatch, "\(error)", cause: .embedding(error), operation: operation)
    case .modelMissing, .modelCorrupt, .unsupportedModel, .fetchFailed, .unknownEmbedder:
      self.init(.embedderUnavailable, "\(error)", cause: .embedding(error), operation: operation)
    }
  }

  /// A failure of `embedder` to embed: `embedderUnavailable` whether it
  /// happens at ingest or for a query, whatever embedder it is.
  static func embedding(_ error: any Error, by embedder: String, operation: String) -> TraceKVError {
    if let error = error as? EmbeddingError { return TraceKVError(error, operation: operation) }
    return TraceKVError(
      .embedderUnavailable, "embedding with \(embedder) failed: \(error)", cause: .other("\(error)"), operation: operation)
  }

  /// A fusion parameter out of range (RRF k, depth, a weight) is `invalidInput`.
  public init(_ error: FusionError, operation: String? = nil) {
    self.init(.invalidInput, "\(error)", cause: .fusion(error), operation: operation)
  }

  /// Malformed JSON handed to a public API is `invalidInput`.
  init(_ error: JSONParseError, operation: String? = nil) {
    self.init(
      .invalidInput, "malformed JSON: \(error)", cause: .json(message: error.message, offset: error.offset),
      operation: operation)
  }

  /// Any error raised under a public API, translated by its type; an error of
  /// no known type is a storage failure that keeps its description.
  init(translating error: any Error, operation: String) {
    switch error {
    case let error as TraceKVError: self = error
    case let error as VectorIndexError: self.init(error, operation: operation)
    case let error as LexicalIndexError: self.init(error, operation: operation)
    case let error as EmbeddingError: self.init(error, operation: operation)
    case let error as FusionError: self.init(error, operation: operation)
    case let error as JSONParseError: self.init(error, operation: operation)
    default: self.init(.storage, "\(operation) failed: \(error)", cause: .other("\(error)"), operation: operation)
    }
  }
}

/// Runs `body`, translating whatever it throws at the public boundary.
func translatingErrors<R>(_ operation: String, _ body: () throws -> R) throws(TraceKVError) -> R {
  do { return try body() } catch { throw TraceKVError(translating: error, operation: operation) }
}

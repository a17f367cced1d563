import Embeddings
import Foundation
import LMDBKit
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
    _ kind: Kind, _ message: String, cause: Cause? = nil, operation: String? = nil, table: String? = nil,
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
  /// An error of the LMDB layer, kind for kind (that layer is where LMDB's
  /// codes and the `errno`s it passes on become kinds).
  init(_ error: LMDBError) {
    let kind: Kind =
      switch error.kind {
      case .notAStore: .notAStore
      case .corrupted: .corrupted
      case .storeFull: .storeFull
      case .readOnly: .readOnly
      case .storage: .storage
      }
    self.init(
      kind, error.message, cause: error.code.map { .lmdb(code: $0) }, operation: error.operation, table: error.table,
      path: error.path)
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
    case let error as LMDBError: self.init(error)
    case let error as VectorIndexError: self.init(error, operation: operation)
    case let error as LexicalIndexError: self.init(error, operation: operation)
    case let error as EmbeddingError: self.init(error, operation: operation)
    case let error as FusionError: self.init(error, operation: operation)
    case let error as JSONParseError: self.init(error, operation: operation)
    default: self.init(.storage, "\(operation) failed: \(error)", cause: .other("\(error)"), operation: operation)
    }
  }
}

/// A full map is recognized by its code after translation too (`LMDBEnvironment.write` retries it).
extension TraceKVError: LMDBCoded {}

/// Runs `body`, translating whatever it throws at the public boundary.
func translatingErrors<R>(_ operation: String, _ body: () throws -> R) throws(TraceKVError) -> R {
  do { return try body() } catch { throw TraceKVError(translating: error, operation: operation) }
}

/// Runs `body`, an LMDB-layer call, translating its typed error.
func translatingLMDB<R>(_ body: () throws(LMDBError) -> R) throws(TraceKVError) -> R {
  do { return try body() } catch { throw TraceKVError(error) }
}

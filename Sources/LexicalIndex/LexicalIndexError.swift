/// The errors of the lexical index itself. Errors thrown by a storage
/// implementation pass through unchanged.
public enum LexicalIndexError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A posting chunk's bytes do not decode: the store is corrupted.
  case corruptPostingChunk(term: String, firstDocument: UInt32)
  /// A document record's bytes do not decode: the store is corrupted.
  case corruptDocumentRecord(document: UInt32)
  /// The collection statistics do not decode, or disagree with an operation
  /// (e.g. removing more tokens than the collection holds).
  case corruptStatistics
  /// `add` was given a document id that is already indexed; use `update`.
  case documentExists(UInt32)
  /// BM25 parameters out of range.
  case invalidParameters(String)

  public var description: String {
    switch self {
    case .corruptPostingChunk(let term, let first):
      "lexical index corrupted: posting chunk of term '\(term)' starting at document \(first) does not decode"
    case .corruptDocumentRecord(let document):
      "lexical index corrupted: record of document \(document) does not decode"
    case .corruptStatistics:
      "lexical index corrupted: collection statistics are invalid"
    case .documentExists(let document):
      "document \(document) is already indexed: update it instead of adding it"
    case .invalidParameters(let message):
      "invalid BM25 parameters: \(message)"
    }
  }
}

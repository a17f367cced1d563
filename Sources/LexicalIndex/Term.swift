/// One indexed term: the case-folded UTF-8 bytes of a token.
///
/// Terms never contain a 0x00 byte (the tokenizer keeps only letters, digits
/// and underscores), which is what lets `PostingChunkKey` separate the term
/// from the document id with a single 0x00.
public struct Term: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The term's UTF-8 bytes.
  public var utf8: [UInt8]

  /// A term from its UTF-8 bytes.
  public init(utf8: [UInt8]) {
    self.utf8 = utf8
  }

  /// A term from a string, taken as is (no tokenization, no folding).
  public init(_ string: String) {
    self.utf8 = Array(string.utf8)
  }

  public var description: String { String(decoding: utf8, as: UTF8.self) }

  /// Byte order, which is LMDB's key order.
  public static func < (lhs: Term, rhs: Term) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
  }
}

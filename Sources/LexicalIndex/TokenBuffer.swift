/// The tokens of one text, stored back to back as UTF-8 bytes.
///
/// A `TokenBuffer` is reused from document to document: its storage only
/// grows, so tokenizing a corpus allocates once, not once per token.
public struct TokenBuffer: Sendable {
  /// Folded token bytes, one token after another.
  @usableFromInline var bytes: [UInt8] = []
  /// `ends[i]` is the end offset of token `i` in `bytes`.
  @usableFromInline var ends: [Int] = []
  /// Code points and character classes of the text being segmented.
  var scratch = ScalarScratch()

  /// An empty buffer.
  public init() {}

  /// The number of tokens.
  @inlinable public var count: Int { ends.count }

  /// The total number of UTF-8 bytes over all tokens.
  public var byteCount: Int { bytes.count }

  /// The range of token `index` in `bytes`.
  @inlinable func range(at index: Int) -> Range<Int> {
    (index == 0 ? 0 : ends[index - 1])..<ends[index]
  }

  /// Token `index` as a string.
  public func string(at index: Int) -> String {
    String(decoding: bytes[range(at: index)], as: UTF8.self)
  }

  /// Token `index` as a term.
  public func term(at index: Int) -> Term {
    Term(utf8: Array(bytes[range(at: index)]))
  }

  mutating func removeAll() {
    bytes.removeAll(keepingCapacity: true)
    ends.removeAll(keepingCapacity: true)
  }

  /// Closes the token whose bytes were appended since `start`, or discards
  /// them when empty or too long.
  mutating func closeToken(from start: Int, maximumBytes: Int) {
    let length = bytes.count - start
    if length == 0 { return }
    if length > maximumBytes {
      bytes.removeSubrange(start...)
      return
    }
    ends.append(bytes.count)
  }
}

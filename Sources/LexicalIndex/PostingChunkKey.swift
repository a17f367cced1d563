import ByteCodecs

/// The storage key of a posting chunk: the term's bytes, one 0x00, then the
/// chunk's first document id in big-endian order.
///
/// Byte order of these keys (LMDB's default) is therefore: all chunks of a
/// term together, in increasing document order; and a term's chunks never
/// interleave with those of a longer term it prefixes (`ab\0…` < `abc…`,
/// because 0x00 is below every byte a term can hold).
public enum PostingChunkKey {
  /// The key of the chunk of `term` starting at `firstDocument`.
  public static func encode(term: Term, firstDocument: UInt32) -> [UInt8] {
    var key = prefix(of: term)
    key.reserveCapacity(key.count + 4)
    BigEndian.append(firstDocument, to: &key)
    return key
  }

  /// The prefix shared by every chunk key of `term` (its bytes and the 0x00):
  /// a cursor positioned there and stopped when keys no longer start with it
  /// visits exactly the term's chunks, in document order.
  public static func prefix(of term: Term) -> [UInt8] {
    term.utf8 + [0]
  }

  /// The term and first document of a key, or nil when it is not a chunk key.
  public static func decode(_ key: some Collection<UInt8>) -> (term: Term, firstDocument: UInt32)? {
    let bytes = Array(key)
    guard bytes.count >= 6, bytes[bytes.count - 5] == 0 else { return nil }
    let termBytes = Array(bytes[..<(bytes.count - 5)])
    guard !termBytes.contains(0) else { return nil }
    guard let document = BigEndian.read(UInt32.self, from: bytes, at: bytes.count - 4) else { return nil }
    return (Term(utf8: termBytes), document)
  }
}

import ByteCodecs

/// What the index remembers about one document so that deleting it is exact:
/// its length (to subtract from the statistics) and its distinct terms (to
/// find the postings to remove without scanning the vocabulary).
///
/// Layout (LEB128 integers): length, term count, then per term its byte
/// count and bytes, in the order the document first uses them.
struct DocumentRecord: Hashable, Sendable {
  var length: UInt32
  var terms: [Term]

  var encoded: [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + terms.reduce(0) { $0 + $1.utf8.count + 1 })
    LEB128.append(length, to: &bytes)
    LEB128.append(UInt32(terms.count), to: &bytes)
    for term in terms {
      LEB128.append(UInt32(term.utf8.count), to: &bytes)
      bytes.append(contentsOf: term.utf8)
    }
    return bytes
  }

  init(length: UInt32, terms: [Term]) {
    self.length = length
    self.terms = terms
  }

  /// Decodes a record; nil when corrupted.
  init?(encoded: [UInt8]) {
    let decoded = unsafe encoded.withUnsafeBytes { raw -> (UInt32, [Term])? in
      var reader = unsafe ByteReader(raw)
      guard let length = unsafe reader.readVarInt(), let count = unsafe reader.readVarInt(), Int(count) <= raw.count else {
        return nil
      }
      var terms: [Term] = []
      terms.reserveCapacity(Int(count))
      for _ in 0..<count {
        guard let size = unsafe reader.readVarInt(), size > 0, let bytes = unsafe reader.readBytes(Int(size)) else { return nil }
        terms.append(Term(utf8: bytes))
      }
      return unsafe reader.isAtEnd ? (length, terms) : nil
    }
    guard let decoded else { return nil }
    (length, terms) = decoded
  }
}

import ByteCodecs

/// The collection-wide numbers BM25 needs: how many documents, how many
/// tokens in all (for the average length). Kept exact under add and delete.
public struct CollectionStatistics: Hashable, Sendable {
  /// Indexed documents.
  public var documentCount: UInt64
  /// Sum of the lengths of the indexed documents, in tokens.
  public var totalLength: UInt64

  /// Statistics of an empty collection.
  public static let empty = CollectionStatistics(documentCount: 0, totalLength: 0)

  public init(documentCount: UInt64, totalLength: UInt64) {
    self.documentCount = documentCount
    self.totalLength = totalLength
  }

  /// The average document length (avgdl); 0 for an empty collection.
  public var averageLength: Double {
    documentCount == 0 ? 0 : Double(totalLength) / Double(documentCount)
  }

  /// The 16-byte storage form: both counts, big-endian.
  public var encoded: [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(16)
    BigEndian.append(documentCount, to: &bytes)
    BigEndian.append(totalLength, to: &bytes)
    return bytes
  }

  /// Decodes the storage form; nil when `bytes` is not 16 bytes long.
  public init?(encoded bytes: some Collection<UInt8>) {
    guard bytes.count == 16, let documents = BigEndian.read(UInt64.self, from: bytes, at: 0),
      let length = BigEndian.read(UInt64.self, from: bytes, at: 8)
    else { return nil }
    documentCount = documents
    totalLength = length
  }
}

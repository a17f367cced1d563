/// Turns texts into fixed-size, L2-normalized vectors.
///
/// A store records `identity` when it is created and refuses to be opened with
/// an embedder whose identity differs: vectors of two embedders (or of two
/// versions of one model) are not comparable, and mixing them silently ruins
/// search.
public protocol TextEmbedder: Sendable {
  /// A stable name that selects the implementation (`all-MiniLM-L6-v2`, `hashing`).
  var name: String { get }
  /// The length of every vector.
  var dimension: Int { get }
  /// Changes whenever the vectors for the same text would change (model files,
  /// tokenizer settings, hashing parameters); a short hex string.
  var fingerprint: String { get }
  /// One unit-length vector of `dimension` floats per text, in input order.
  ///
  /// Batching is the caller's choice: larger batches amortize the matrix
  /// products, so pass many texts at once when you have them.
  /// - Throws: ``EmbeddingError`` when the embedder cannot embed (a custom one's failure); MiniLM and hashing never
  ///   throw.
  func embed(_ texts: [String]) throws(EmbeddingError) -> [[Float]]
}

extension TextEmbedder {
  /// What a store records about its embedder.
  public var identity: EmbedderIdentity {
    EmbedderIdentity(name: name, dimension: dimension, fingerprint: fingerprint)
  }

  /// The vector of a single text.
  /// - Throws: what `embed(_:)` throws for the batch of one.
  public func embed(_ text: String) throws(EmbeddingError) -> [Float] {
    try embed([text])[0]
  }
}

/// Name, dimension and fingerprint of an embedder: what a store records and checks.
public struct EmbedderIdentity: Hashable, Codable, Sendable, CustomStringConvertible {
  public var name: String
  public var dimension: Int
  public var fingerprint: String

  public init(name: String, dimension: Int, fingerprint: String) {
    self.name = name
    self.dimension = dimension
    self.fingerprint = fingerprint
  }

  public var description: String { "\(name) (\(dimension)-d, fingerprint \(fingerprint))" }
}

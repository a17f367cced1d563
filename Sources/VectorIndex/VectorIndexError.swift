/// Everything a caller can get wrong with a vector index, or a persisted record
/// that cannot be read. Broken internal invariants are preconditions, not
/// errors.
public enum VectorIndexError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The vector has `actual` components; the index holds `expected`.
  case dimensionMismatch(expected: Int, actual: Int)
  /// Component `index` is NaN or infinite.
  case nonFiniteComponent(index: Int)
  /// A zero vector has no direction, so it cannot be compared under cosine.
  case zeroVector
  /// The label is already in the index (use `update`).
  case duplicateLabel(UInt32)
  /// The label is not in the index.
  case unknownLabel(UInt32)
  /// A construction or search parameter is out of range.
  case invalidParameter(String)
  /// A persisted record could not be decoded or does not fit the index.
  case corruptRecord(String)

  public var description: String {
    switch self {
    case .dimensionMismatch(let expected, let actual):
      "vector has \(actual) components but the index holds \(expected)-dimensional vectors; embed with the index's model"
    case .nonFiniteComponent(let index):
      "vector component \(index) is NaN or infinite; check the embedder's output"
    case .zeroVector:
      "a zero vector cannot be indexed under the cosine metric; it has no direction"
    case .duplicateLabel(let label):
      "label \(label) is already indexed; use update to replace its vector"
    case .unknownLabel(let label):
      "label \(label) is not in the index"
    case .invalidParameter(let message):
      "invalid parameter: \(message)"
    case .corruptRecord(let message):
      "corrupt vector index record: \(message)"
    }
  }
}

/// Checks `vector` against the index's dimension and metric before anything
/// is written.
func validate(_ vector: [Float], dimension: Int, metric: VectorMetric) throws(VectorIndexError) {
  guard vector.count == dimension else {
    throw .dimensionMismatch(expected: dimension, actual: vector.count)
  }
  // Double, so that large but finite components do not overflow the norm.
  var squaredNorm = 0.0
  for (index, component) in vector.enumerated() {
    guard component.isFinite else { throw .nonFiniteComponent(index: index) }
    squaredNorm += Double(component) * Double(component)
  }
  if metric == .cosine, !(squaredNorm > 0) { throw .zeroVector }
}

/// How two vectors are compared. Every metric is turned into a distance where
/// smaller is better, so the graph code has one ordering:
/// - `innerProduct`: 1 − a·b (hnswlib's "ip" space);
/// - `cosine`: vectors are normalized once on insert and on query, then 1 − a·b;
/// - `l2`: the squared Euclidean distance ‖a‖² + ‖b‖² − 2a·b, with the stored
///   vectors' squared norms cached so a distance is still one dot product.
public enum VectorMetric: String, Sendable, CaseIterable {
  case innerProduct
  case cosine
  case l2

  /// A stable one-byte code used in the persisted header.
  var code: UInt8 {
    switch self {
    case .innerProduct: 0
    case .cosine: 1
    case .l2: 2
    }
  }

  init?(code: UInt8) {
    switch code {
    case 0: self = .innerProduct
    case 1: self = .cosine
    case 2: self = .l2
    default: return nil
    }
  }
}

/// One search hit: the caller's label and its distance to the query (smaller
/// is closer; see `VectorMetric`).
public struct SearchResult: Hashable, Sendable {
  /// The external label given on insert (TraceKV's dense trace id).
  public var label: UInt32
  /// The distance to the query under the index's metric.
  public var distance: Float

  public init(label: UInt32, distance: Float) {
    self.label = label
    self.distance = distance
  }

  /// The similarity for inner-product and cosine indexes (a·b = 1 − distance).
  public var similarity: Float { 1 - distance }
}

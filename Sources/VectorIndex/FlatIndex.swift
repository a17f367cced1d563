/// Exact nearest-neighbour search: every stored vector is scored, in blocks,
/// with BLAS `sgemv` (one query) or `sgemm` (a batch of queries). It is the
/// recall oracle for `HNSWIndex`, the ground-truth generator of the benchmark
/// harness, and the right index for small collections.
///
/// Labels are not checked for uniqueness: the index returns whatever labels
/// it was given.
public struct FlatIndex: Sendable {
  public let dimension: Int
  public let metric: VectorMetric
  /// The stored vectors, row-major (normalized under cosine).
  public private(set) var vectors: [Float] = []
  public private(set) var labels: [UInt32] = []
  private var squaredNorms: [Float] = []

  /// Rows scored per BLAS call: a block of scores stays in cache while the
  /// top k are picked from it.
  static let rowBlock = 8192
  /// Queries scored per `sgemm` in a batch.
  static let queryBlock = 64

  /// An empty index of `dimension`-component vectors compared by `metric`.
  /// - Throws: ``VectorIndexError`` `.invalidParameter` when `dimension` is not positive.
  public init(dimension: Int, metric: VectorMetric) throws(VectorIndexError) {
    guard dimension > 0 else { throw .invalidParameter("dimension must be positive") }
    self.dimension = dimension
    self.metric = metric
  }

  public var count: Int { labels.count }

  /// Adds `vector` under `label`.
  /// - Throws: `VectorIndexError` for a wrong dimension, a non-finite
  ///   component, or a zero vector under cosine, before anything changes.
  /// - Complexity: amortized O(d).
  public mutating func add(_ vector: [Float], label: UInt32) throws(VectorIndexError) {
    try validate(vector, dimension: dimension, metric: metric)
    let prepared = normalizedIfCosine(vector)
    vectors.append(contentsOf: prepared)
    squaredNorms.append(Self.squaredNorm(prepared))
    labels.append(label)
  }

  /// Adds `rows` (row-major, `labels.count` rows) under `labels`; all are
  /// validated before any is added.
  /// - Throws: ``VectorIndexError``, before anything is added: `.dimensionMismatch` when `rows` is not `labels.count`
  ///   rows of `dimension`, `.nonFiniteComponent` for a NaN or infinite component, `.zeroVector` for an all-zero row
  ///   under cosine.
  /// - Complexity: O(rows · d).
  public mutating func add(contentsOf rows: [Float], labels newLabels: [UInt32]) throws(VectorIndexError) {
    guard rows.count == newLabels.count * dimension else {
      throw .dimensionMismatch(expected: dimension, actual: newLabels.isEmpty ? rows.count : rows.count / newLabels.count)
    }
    for row in 0..<newLabels.count {
      try validate(Array(rows[(row * dimension)..<((row + 1) * dimension)]), dimension: dimension, metric: metric)
    }
    vectors.reserveCapacity(vectors.count + rows.count)
    for row in 0..<newLabels.count {
      let prepared = normalizedIfCosine(Array(rows[(row * dimension)..<((row + 1) * dimension)]))
      vectors.append(contentsOf: prepared)
      squaredNorms.append(Self.squaredNorm(prepared))
    }
    labels.append(contentsOf: newLabels)
  }

  /// The exact `k` nearest labels to `query`, closest first; only labels in
  /// `allowed` when given.
  /// - Throws: ``VectorIndexError``: `.dimensionMismatch` for a query of the wrong length, `.nonFiniteComponent` for a
  ///   NaN or infinite component, `.zeroVector` for a zero query under cosine.
  /// - Complexity: O(n · d) (one `sgemv` per block of rows).
  public func search(_ query: [Float], k: Int, allowing allowed: LabelSet? = nil) throws(VectorIndexError) -> [SearchResult] {
    try search(batch: query, k: k, allowing: allowed)[0]
  }

  /// The exact `k` nearest labels for each query in `queries` (row-major,
  /// a multiple of `dimension`), closest first. Queries are scored in blocks
  /// with `sgemm`, which is several times faster per query than one at a time.
  /// - Parameter progress: called with the number of queries done.
  /// - Throws: ``VectorIndexError``, before any query is scored: `.dimensionMismatch` when `queries` is empty or not a
  ///   multiple of `dimension` (`actual` is then the remainder), `.nonFiniteComponent` or `.zeroVector` (cosine) for
  ///   any query.
  /// - Complexity: O(queries · n · d).
  public func search(
    batch queries: [Float], k: Int, allowing allowed: LabelSet? = nil, progress: ((Int) -> Void)? = nil
  ) throws(VectorIndexError) -> [[SearchResult]] {
    guard queries.count % dimension == 0, !queries.isEmpty else {
      throw .dimensionMismatch(expected: dimension, actual: queries.count % dimension)
    }
    let queryCount = queries.count / dimension
    var prepared = [Float]()
    prepared.reserveCapacity(queries.count)
    var queryNorms = [Float]()
    for q in 0..<queryCount {
      let query = Array(queries[(q * dimension)..<((q + 1) * dimension)])
      try validate(query, dimension: dimension, metric: metric)
      let normalized = normalizedIfCosine(query)
      prepared.append(contentsOf: normalized)
      queryNorms.append(Self.squaredNorm(normalized))
    }
    // As HNSW: no neighbours asked, none returned.
    guard k > 0 else { return Array(repeating: [], count: queryCount) }
    var results: [[SearchResult]] = []
    results.reserveCapacity(queryCount)
    let rowCount = count
    let rowBlock = Self.rowBlock
    let isL2 = metric == .l2
    var scores = [Float](repeating: 0, count: min(Self.queryBlock, queryCount) * min(rowBlock, max(rowCount, 1)))
    var start = 0
    while start < queryCount {
      let blockCount = min(Self.queryBlock, queryCount - start)
      var best = [TopK](repeating: TopK(k: k), count: blockCount)
      var rowStart = 0
      while rowStart < rowCount {
        let rows = min(rowBlock, rowCount - rowStart)
        vectors.withUnsafeBufferPointer { stored in
          prepared.withUnsafeBufferPointer { query in
            scores.withUnsafeMutableBufferPointer { out in
              BLASKernel.dotBlock(
                queries: query.baseAddress! + start * dimension, queryCount: blockCount,
                rows: stored.baseAddress! + rowStart * dimension, rowCount: rows, dimension: dimension,
                into: out.baseAddress!)
            }
          }
        }
        for q in 0..<blockCount {
          let queryNorm = queryNorms[start + q]
          let base = q * rows
          for row in 0..<rows {
            let index = rowStart + row
            let dot = scores[base + row]
            let distance = isL2 ? queryNorm + squaredNorms[index] - 2 * dot : 1 - dot
            guard best[q].admits(distance) else { continue }
            if let allowed, !allowed.contains(labels[index]) { continue }
            best[q].insert(distance, UInt32(index))
          }
        }
        rowStart += rows
      }
      for q in 0..<blockCount {
        results.append(best[q].sorted().map { SearchResult(label: labels[Int($0.slot)], distance: $0.key) })
      }
      start += blockCount
      progress?(start)
    }
    return results
  }

  private func normalizedIfCosine(_ vector: [Float]) -> [Float] {
    guard metric == .cosine else { return vector }
    let norm = Self.squaredNorm(vector).squareRoot()
    return vector.map { $0 / norm }
  }

  private static func squaredNorm(_ vector: [Float]) -> Float {
    vector.withUnsafeBufferPointer { BLASKernel.dot($0.baseAddress!, $0.baseAddress!, Int32($0.count)) }
  }
}

/// The k smallest keys seen, as a max-heap in an array (a value, so a batch
/// can keep one per query).
struct TopK {
  let k: Int
  private var heap: [Candidate] = []

  init(k: Int) {
    self.k = k
    heap.reserveCapacity(k)
  }

  @inline(__always)
  func admits(_ key: Float) -> Bool { k > 0 && (heap.count < k || key < heap[0].key) }

  mutating func insert(_ key: Float, _ slot: UInt32) {
    guard k > 0 else { return }
    if heap.count < k {
      heap.append(Candidate(key: key, slot: slot))
      var index = heap.count - 1
      while index > 0 {
        let parent = (index - 1) / 2
        guard heap[parent].key < heap[index].key else { break }
        heap.swapAt(parent, index)
        index = parent
      }
      return
    }
    guard key < heap[0].key else { return }
    heap[0] = Candidate(key: key, slot: slot)
    var index = 0
    while true {
      var child = 2 * index + 1
      guard child < heap.count else { break }
      if child + 1 < heap.count, heap[child + 1].key > heap[child].key { child += 1 }
      guard heap[child].key > heap[index].key else { break }
      heap.swapAt(child, index)
      index = child
    }
  }

  /// The kept keys, smallest first (ties by slot, for a stable order).
  func sorted() -> [Candidate] {
    heap.sorted { ($0.key, $0.slot) < ($1.key, $1.slot) }
  }
}

import CBLAS

/// The one place where VectorIndex computes dot products: every score in the
/// module, graph or exact, goes through `BLASKernel`, so a change of kernel (or
/// a bug in one) shows up everywhere at once and the tests' plain-Swift oracle
/// (`referenceDot`) checks exactly what the index uses.
///
/// The pointers are raw because these calls sit in the inner loop of every
/// search; the callers are the small internal storage layer (`HNSWStorage`,
/// `FlatIndex`), never the public API.
enum BLASKernel {
  /// a · b over `dimension` contiguous floats.
  @inline(__always)
  static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dimension: Int32) -> Float {
    cblas_sdot(dimension, a, 1, b, 1)
  }

  /// scores[i] = rows[i] · x for `count` contiguous rows of `dimension` floats
  /// (one `sgemv`: rows are a row-major count × dimension matrix).
  static func dotRows(
    _ rows: UnsafePointer<Float>, count: Int, dimension: Int,
    with x: UnsafePointer<Float>, into scores: UnsafeMutablePointer<Float>
  ) {
    guard count > 0 else { return }
    cblas_sgemv(
      CblasRowMajor, CblasNoTrans, Int32(count), Int32(dimension),
      1, rows, Int32(dimension), x, 1, 0, scores, 1)
  }

  /// scores (queryCount × rowCount, row-major) = queries · rowsᵀ: one `sgemm`
  /// scoring a block of queries against a block of stored rows.
  static func dotBlock(
    queries: UnsafePointer<Float>, queryCount: Int,
    rows: UnsafePointer<Float>, rowCount: Int, dimension: Int,
    into scores: UnsafeMutablePointer<Float>
  ) {
    guard queryCount > 0, rowCount > 0 else { return }
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasTrans, Int32(queryCount), Int32(rowCount), Int32(dimension),
      1, queries, Int32(dimension), rows, Int32(dimension), 0, scores, Int32(rowCount))
  }

  /// x *= alpha in place.
  static func scale(_ x: UnsafeMutablePointer<Float>, _ dimension: Int32, by alpha: Float) {
    cblas_sscal(dimension, alpha, x, 1)
  }
}

/// The plain-Swift dot product the tests hold `BLASKernel` to. Accumulates in
/// Double so that it is the more accurate of the two.
func referenceDot(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count, "referenceDot: lengths differ")
  var sum = 0.0
  for i in a.indices { sum += Double(a[i]) * Double(b[i]) }
  return Float(sum)
}

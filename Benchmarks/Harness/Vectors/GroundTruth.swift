import Foundation
import VectorIndex

/// Exact top-k ids (row numbers of `base`) for every query, computed with
/// `FlatIndex` (BLAS sgemm over blocks), optionally restricted to `allowed`.
func exactNeighbours(
  base: Matrix<Float>, queries: Matrix<Float>, metric: VectorMetric, k: Int, allowed: LabelSet? = nil,
  label: String = "ground truth"
) throws -> Matrix<Int32> {
  var flat = try FlatIndex(dimension: base.columns, metric: metric)
  try flat.add(contentsOf: base.values, labels: (0..<UInt32(base.rows)).map { $0 })
  var progress = ProgressLine(label, total: queries.rows)
  let hits = try flat.search(batch: queries.values, k: k, allowing: allowed) { progress.update($0) }
  progress.finish()
  var ids = [Int32](repeating: -1, count: queries.rows * k)
  for (query, row) in hits.enumerated() {
    for (rank, hit) in row.enumerated() { ids[query * k + rank] = Int32(hit.label) }
  }
  return Matrix(rows: queries.rows, columns: k, values: ids)
}

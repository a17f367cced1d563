import CBLAS
import Foundation

// Every cblas call of the module goes through this file, so the pointer
// arithmetic of matrix products is checked in one place: each call verifies
// that the last element it will touch lies inside its operand.

/// A float32 buffer a matrix product can read: activations held in Swift
/// arrays, or weights held in the model's memory map.
protocol FloatOperand {
  var floatCount: Int { get }
  func withFloatPointer<Result>(_ body: (UnsafePointer<Float>) -> Result) -> Result
}

extension Array: FloatOperand where Element == Float {
  var floatCount: Int { count }
  func withFloatPointer<Result>(_ body: (UnsafePointer<Float>) -> Result) -> Result {
    withUnsafeBufferPointer { body($0.baseAddress!) }
  }
}

extension FloatTensor: FloatOperand {
  var floatCount: Int { count }
  func withFloatPointer<Result>(_ body: (UnsafePointer<Float>) -> Result) -> Result { body(pointer) }
}

/// A row-major matrix view into a buffer: `rows × columns` starting at
/// `offset`, rows `stride` floats apart (stride > columns for one head's
/// slice of a wider activation matrix).
struct MatrixView {
  var offset: Int = 0
  var rows: Int
  var columns: Int
  var stride: Int

  init(offset: Int = 0, rows: Int, columns: Int, stride: Int? = nil) {
    self.offset = offset
    self.rows = rows
    self.columns = columns
    self.stride = stride ?? columns
  }

  /// One past the last element the view touches.
  var end: Int { rows == 0 || columns == 0 ? offset : offset + (rows - 1) * stride + columns }
}

enum BLAS {
  /// `c = alpha · op(a) · op(b) + beta · c` with row-major views, where
  /// `op(x)` is `x` or its transpose. `a` and `b` are the stored matrices
  /// (a weight `[out, in]` used as `xWᵀ` is passed with `transposeB: true`).
  static func gemm(
    alpha: Float = 1,
    _ a: some FloatOperand, _ aView: MatrixView, transposeA: Bool = false,
    _ b: some FloatOperand, _ bView: MatrixView, transposeB: Bool = false,
    beta: Float, _ c: inout [Float], _ cView: MatrixView
  ) {
    let m = transposeA ? aView.columns : aView.rows
    let k = transposeA ? aView.rows : aView.columns
    let kB = transposeB ? bView.columns : bView.rows
    let n = transposeB ? bView.rows : bView.columns
    precondition(k == kB && cView.rows == m && cView.columns == n, "gemm shapes do not agree")
    precondition(aView.end <= a.floatCount && bView.end <= b.floatCount && cView.end <= c.count, "gemm view outside its buffer")
    precondition(aView.stride >= aView.columns && bView.stride >= bView.columns && cView.stride >= cView.columns, "gemm stride too small")
    guard m > 0, n > 0 else { return }
    a.withFloatPointer { aBase in
      b.withFloatPointer { bBase in
        c.withUnsafeMutableBufferPointer { cBuffer in
          cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            aBase + aView.offset, Int32(aView.stride),
            bBase + bView.offset, Int32(bView.stride),
            beta, cBuffer.baseAddress! + cView.offset, Int32(cView.stride))
        }
      }
    }
  }
}

/// The threads the BLAS library runs its products on.
public enum BLASThreads {
  /// Makes OpenBLAS run every product on the calling thread, unless the
  /// environment chose a count (`OPENBLAS_NUM_THREADS`). Returns whether the
  /// count was set (false: the environment chose, or the loaded BLAS is not
  /// OpenBLAS and has no threads).
  ///
  /// For a process that answers requests on several threads of its own
  /// (`tracekv serve`, `tracekv mcp`). OpenBLAS splits a product large
  /// enough (an HNSW step's distances, tens of rows of 384) across its
  /// threads, whose workers then spin on `sched_yield` before they sleep:
  /// under a write load at 100,000 traces the server spent about a third of
  /// its CPU there and committed 246 traces/s, against 800 with one thread
  /// (BENCHMARKS.md, "one BLAS thread"); one search alone took as long.
  @discardableResult
  public static func useCallingThreadOnly() -> Bool {
    guard getenv("OPENBLAS_NUM_THREADS") == nil else { return false }
    return tkv_blas_set_threads(1) != 0
  }
}

import Foundation

// The element-wise steps of the encoder (bias, residual + LayerNorm, GELU,
// softmax, pooling). They run over every activation, so they work on raw
// buffer pointers to stay free of per-element bounds checks; each function
// checks its ranges once, up front. This and BLAS.swift are the only places
// the encoder touches pointers.

enum VectorKernels {
  /// Writes `bias` into each of the `rows` rows of `matrix` (width `bias.count`),
  /// so that a following gemm with `beta: 1` adds the product onto it.
  static func fillRows(_ matrix: inout [Float], rows: Int, with bias: [Float]) {
    let width = bias.count
    precondition(rows * width <= matrix.count, "fillRows outside the matrix")
    matrix.withUnsafeMutableBufferPointer { out in
      bias.withUnsafeBufferPointer { b in
        for r in 0..<rows {
          (out.baseAddress! + r * width).update(from: b.baseAddress!, count: width)
        }
      }
    }
  }

  /// `hidden[r] = LayerNorm(hidden[r] + delta[r])` for each row: the residual
  /// connection and normalization that close every BERT sub-layer.
  static func addLayerNorm(
    _ hidden: inout [Float], adding delta: [Float]?, rows: Int, width: Int,
    gamma: [Float], beta: [Float], epsilon: Float
  ) {
    precondition(rows * width <= hidden.count && gamma.count == width && beta.count == width, "layerNorm shapes")
    precondition(delta.map { rows * width <= $0.count } ?? true, "layerNorm delta too small")
    let emptyDelta: [Float] = []
    let deltaValues = delta ?? emptyDelta
    hidden.withUnsafeMutableBufferPointer { h in
      deltaValues.withUnsafeBufferPointer { d in
        gamma.withUnsafeBufferPointer { g in
          beta.withUnsafeBufferPointer { bt in
            for r in 0..<rows {
              let row = h.baseAddress! + r * width
              if delta != nil {
                let add = d.baseAddress! + r * width
                for j in 0..<width { row[j] += add[j] }
              }
              var sum: Float = 0
              for j in 0..<width { sum += row[j] }
              let mean = sum / Float(width)
              var squares: Float = 0
              for j in 0..<width {
                let centered = row[j] - mean
                squares += centered * centered
              }
              let inverse = 1 / (squares / Float(width) + epsilon).squareRoot()
              for j in 0..<width { row[j] = (row[j] - mean) * inverse * g[j] + bt[j] }
            }
          }
        }
      }
    }
  }

  /// The exact GELU, `x · ½(1 + erf(x/√2))`, in place on the first `count` values.
  static func gelu(_ values: inout [Float], count: Int) {
    precondition(count <= values.count, "gelu outside the buffer")
    values.withUnsafeMutableBufferPointer { v in
      for i in 0..<count {
        let x = v[i]
        v[i] = 0.5 * x * (1 + erf(x * 0.707_106_77))
      }
    }
  }

  /// Softmax of each of the `rows` rows (`columns` wide, `stride` apart), in place.
  static func softmaxRows(_ scores: inout [Float], rows: Int, columns: Int, stride: Int) {
    precondition(rows == 0 || (rows - 1) * stride + columns <= scores.count, "softmax outside the buffer")
    scores.withUnsafeMutableBufferPointer { s in
      for r in 0..<rows {
        let row = s.baseAddress! + r * stride
        var maximum = -Float.infinity
        for j in 0..<columns { maximum = max(maximum, row[j]) }
        var sum: Float = 0
        for j in 0..<columns {
          let e = exp(row[j] - maximum)
          row[j] = e
          sum += e
        }
        let inverse = 1 / sum
        for j in 0..<columns { row[j] *= inverse }
      }
    }
  }

  /// The mean of `rows` consecutive rows starting at row `first`, scaled to unit length.
  static func meanPoolNormalized(_ hidden: [Float], first: Int, rows: Int, width: Int) -> [Float] {
    precondition(rows > 0 && (first + rows) * width <= hidden.count, "pooling outside the buffer")
    var pooled = [Float](repeating: 0, count: width)
    hidden.withUnsafeBufferPointer { h in
      pooled.withUnsafeMutableBufferPointer { p in
        for r in first..<(first + rows) {
          let row = h.baseAddress! + r * width
          for j in 0..<width { p[j] += row[j] }
        }
      }
    }
    // The mean's 1/rows factor cancels in the normalization, but is kept so
    // the intermediate matches the reference's pooled vector.
    let scale = 1 / Float(rows)
    for j in 0..<width { pooled[j] *= scale }
    return normalized(pooled)
  }
}

/// `vector / ‖vector‖₂`, clamping the norm like the reference (1e-12) so a
/// zero vector stays zero instead of becoming NaN.
func normalized(_ vector: [Float]) -> [Float] {
  var squares: Double = 0
  for value in vector { squares += Double(value) * Double(value) }
  let norm = max(squares.squareRoot(), 1e-12)
  return vector.map { Float(Double($0) / norm) }
}

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

  /// The exact (erf-based) GELU, `x · ½(1 + erf(x/√2))`, in place on the first `count` values.
  ///
  /// erf is evaluated by `erfApproximation` (within 1.5e-7 of the true erf,
  /// below float32's resolution near ±1) instead of libm's `erff`: the
  /// call-free loop vectorizes, and libm's erf alone took 13% of the encoder.
  static func gelu(_ values: inout [Float], count: Int) {
    precondition(count <= values.count, "gelu outside the buffer")
    values.withUnsafeMutableBufferPointer { v in
      for i in 0..<count {
        let x = v[i]
        v[i] = 0.5 * x * (1 + erfApproximation(x * 0.707_106_77))
      }
    }
  }

  /// Softmax of each of the `rows` rows (`columns` wide, `stride` apart), in place.
  static func softmaxRows(_ scores: inout [Float], rows: Int, columns: Int, stride: Int) {
    precondition(rows == 0 || (rows - 1) * stride + columns <= scores.count, "softmax outside the buffer")
    scores.withUnsafeMutableBufferPointer { s in
      for r in 0..<rows {
        let row = s.baseAddress! + r * stride
        // Four accumulators: a float reduction in one chain neither
        // vectorizes (no reassociation without fast-math) nor pipelines.
        var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0
        var j = 0
        while j + 4 <= columns {
          m0 = max(m0, row[j]); m1 = max(m1, row[j + 1]); m2 = max(m2, row[j + 2]); m3 = max(m3, row[j + 3])
          j += 4
        }
        while j < columns { m0 = max(m0, row[j]); j += 1 }
        let maximum = max(max(m0, m1), max(m2, m3))
        for j in 0..<columns { row[j] = expApproximation(row[j] - maximum) }
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        j = 0
        while j + 4 <= columns {
          s0 += row[j]; s1 += row[j + 1]; s2 += row[j + 2]; s3 += row[j + 3]
          j += 4
        }
        while j < columns { s0 += row[j]; j += 1 }
        let inverse = 1 / ((s0 + s1) + (s2 + s3))
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

/// `eˣ` to float32 precision (relative error < 2e-7) for x ≤ 88, written
/// without calls or traps so loops over it vectorize. Cody–Waite reduction
/// x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 Taylor polynomial for eʳ, and
/// 2ⁿ assembled in the exponent bits. Below −87 it returns about 1e-38
/// (softmax weights that small are zero for every purpose).
@inline(__always) func expApproximation(_ x: Float) -> Float {
  let clamped = min(max(x, -87), 88)
  // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits.
  let shifter: Float = 12_582_912
  let shifted = clamped * 1.442_695_04 + shifter
  let n = shifted - shifter
  let r = (clamped - n * 0.693_359_375) + n * 2.121_944_4e-4
  var p: Float = 1.0 / 720
  p = p * r + 1.0 / 120
  p = p * r + 1.0 / 24
  p = p * r + 1.0 / 6
  p = p * r + 0.5
  p = p * r + 1
  p = p * r + 1
  let exponent = (shifted.bitPattern &- 0x4B40_0000) &+ 127
  return p * Float(bitPattern: exponent &<< 23)
}

/// erf(x) by Abramowitz & Stegun 7.1.26: |error| ≤ 1.5e-7 for all x (about 4e-7 after float32 rounding).
@inline(__always) func erfApproximation(_ x: Float) -> Float {
  let a = abs(x)
  let t = 1 / (1 + 0.327_591_1 * a)
  var p: Float = 1.061_405_429
  p = p * t - 1.453_152_027
  p = p * t + 1.421_413_741
  p = p * t - 0.284_496_736
  p = p * t + 0.254_829_592
  let y = 1 - p * t * expApproximation(-a * a)
  return x < 0 ? -y : y
}

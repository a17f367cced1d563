import TestSupport
import Testing

@testable import VectorIndex

@Suite("BLAS dot product")
struct DistanceTests {
  @Test("BLASKernel.dot matches the plain-Swift oracle", arguments: [1, 3, 16, 50, 384, 1000])
  func dotMatchesOracle(dimension: Int) {
    var generator = SeededGenerator(seed: UInt64(dimension))
    let a = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
    let b = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
    let blas = a.withUnsafeBufferPointer { x in
      b.withUnsafeBufferPointer { y in BLASKernel.dot(x.baseAddress!, y.baseAddress!, Int32(dimension)) }
    }
    let oracle = referenceDot(a, b)
    #expect(abs(blas - oracle) <= 1e-4 * Float(dimension).squareRoot())
  }

  @Test("sgemv and sgemm block scores match the oracle")
  func blockScoresMatchOracle() {
    var generator = SeededGenerator(seed: 7)
    let dimension = 37
    let rows = 53
    let queries = 5
    let matrix = (0..<(rows * dimension)).map { _ in Float.random(in: -1...1, using: &generator) }
    let query = (0..<(queries * dimension)).map { _ in Float.random(in: -1...1, using: &generator) }
    var vectorScores = [Float](repeating: 0, count: rows)
    var blockScores = [Float](repeating: 0, count: rows * queries)
    matrix.withUnsafeBufferPointer { m in
      query.withUnsafeBufferPointer { q in
        BLASKernel.dotRows(m.baseAddress!, count: rows, dimension: dimension, with: q.baseAddress!, into: &vectorScores)
        BLASKernel.dotBlock(
          queries: q.baseAddress!, queryCount: queries, rows: m.baseAddress!, rowCount: rows, dimension: dimension,
          into: &blockScores)
      }
    }
    for row in 0..<rows {
      let stored = Array(matrix[(row * dimension)..<((row + 1) * dimension)])
      #expect(abs(vectorScores[row] - referenceDot(stored, Array(query[0..<dimension]))) < 1e-4)
      for q in 0..<queries {
        let oracle = referenceDot(stored, Array(query[(q * dimension)..<((q + 1) * dimension)]))
        #expect(abs(blockScores[q * rows + row] - oracle) < 1e-4)
      }
    }
  }
}

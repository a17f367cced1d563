import Foundation
import Testing

@testable import Embeddings

/// The call-free exp and erf the encoder uses, against libm.
@Suite struct VectorKernelsTests {
  @Test func expMatchesLibmToFloatPrecision() {
    var worst: Double = 0
    for i in -8_700...8_800 {
      let x = Float(i) / 100
      let exact = Foundation.exp(Double(x))
      worst = max(worst, abs(Double(expApproximation(x)) - exact) / exact)
    }
    #expect(worst < 3e-7, "worst relative error \(worst)")
    #expect(expApproximation(-1_000) < 1e-37)
  }

  @Test func erfMatchesLibm() {
    var worst: Double = 0
    for i in -6_000...6_000 {
      let x = Float(i) / 1_000
      worst = max(worst, abs(Double(erfApproximation(x)) - Foundation.erf(Double(x))))
    }
    #expect(worst < 5e-7, "worst absolute error \(worst)")
  }

  @Test func softmaxRowsSumToOne() {
    var scores: [Float] = [1, 2, 3, 9, 0, -50, -50, 7, 7, 7, 7, 7, 7, 7]
    VectorKernels.softmaxRows(&scores, rows: 2, columns: 7, stride: 7)
    #expect(abs(scores[0..<7].reduce(0, +) - 1) < 1e-6)
    #expect(abs(scores[7..<14].reduce(0, +) - 1) < 1e-6)
    #expect(abs(scores[8] - 1 / 7) < 1e-6)
    let expected = Foundation.exp(Float(2)) / [1, 2, 3, 9, 0, -50, -50].map { Foundation.exp(Float($0)) }.reduce(0, +)
    #expect(abs(scores[1] - expected) < 1e-7)
  }
}

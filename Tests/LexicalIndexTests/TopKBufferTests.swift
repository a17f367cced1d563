import TestSupport
import Testing

@testable import LexicalIndex

@Suite struct TopKBufferTests {
  /// The best `k` of `stream` by sorting everything: higher score, then lower id.
  func oracle(_ stream: [(Double, UInt32)], k: Int) -> [(score: Double, document: UInt32)] {
    Array(stream.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }.prefix(k)).map { (score: $0.0, document: $0.1) }
  }

  /// Term at a time's use: documents in increasing order, scores from a few
  /// values so that ties at the threshold are common, the admission test applied first.
  @Test(arguments: [1, 2, 3, 10, 100])
  func keepsTheBestKWithTheHeapsTieOrder(k: Int) {
    var generator = SeededGenerator(seed: UInt64(k))
    for round in 0..<20 {
      let count = Int.random(in: 0...(round % 2 == 0 ? 5 * k : 40 * k), using: &generator)
      var document: UInt32 = 0
      var stream: [(Double, UInt32)] = []
      for _ in 0..<count {
        document += UInt32.random(in: 1...3, using: &generator)
        stream.append((Double(Int.random(in: 0..<8, using: &generator)) / 4, document))
      }
      var buffer = TopKBuffer(capacity: k)
      for (score, document) in stream where score > buffer.threshold { buffer.offer(score, document) }
      let kept = buffer.ranked()
      let expected = oracle(stream, k: k)
      #expect(kept.map(\.score) == expected.map(\.score), "k \(k), \(count) candidates")
      #expect(kept.map(\.document) == expected.map(\.document), "k \(k), \(count) candidates")
      // The threshold never passes the k-th best score.
      if let worst = expected.last, expected.count == k { #expect(buffer.threshold <= worst.score) }
    }
  }

  @Test func aZeroCapacityKeepsNothing() {
    var buffer = TopKBuffer(capacity: 0)
    buffer.offer(1, 1)
    #expect(buffer.ranked().isEmpty)
  }
}

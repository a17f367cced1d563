/// The best `capacity` (score, document) pairs seen so far: a bounded
/// min-heap whose root is the worst kept pair, so a candidate is compared
/// with one value and replaces it in O(log k).
///
/// Order: higher score first, then lower document id; total and
/// deterministic, so pruned and exhaustive search keep the same set.
struct TopKHeap {
  let capacity: Int
  private(set) var scores: [Double] = []
  private(set) var documents: [UInt32] = []

  init(capacity: Int) {
    self.capacity = capacity
    scores.reserveCapacity(capacity)
    documents.reserveCapacity(capacity)
  }

  var isFull: Bool { scores.count == capacity }

  /// The score a candidate must beat once the heap is full; -∞ before.
  var threshold: Double { isFull ? scores[0] : -.infinity }

  /// Whether (a, da) ranks below (b, db).
  @inline(__always)
  private static func worse(_ a: Double, _ da: UInt32, _ b: Double, _ db: UInt32) -> Bool {
    a < b || (a == b && da > db)
  }

  /// Offers a candidate; keeps it when it ranks above the worst kept pair.
  /// - Returns: whether the threshold may have changed.
  @discardableResult
  mutating func offer(_ score: Double, _ document: UInt32) -> Bool {
    if scores.count < capacity {
      scores.append(score)
      documents.append(document)
      siftUp(scores.count - 1)
      return true
    }
    guard capacity > 0, Self.worse(scores[0], documents[0], score, document) else { return false }
    scores[0] = score
    documents[0] = document
    siftDown(0)
    return true
  }

  /// The kept pairs, best first.
  func sorted() -> [(score: Double, document: UInt32)] {
    zip(scores, documents).map { (score: $0, document: $1) }
      .sorted { Self.worse($1.score, $1.document, $0.score, $0.document) }
  }

  private mutating func siftUp(_ start: Int) {
    var child = start
    while child > 0 {
      let parent = (child - 1) / 2
      guard Self.worse(scores[child], documents[child], scores[parent], documents[parent]) else { return }
      scores.swapAt(child, parent)
      documents.swapAt(child, parent)
      child = parent
    }
  }

  private mutating func siftDown(_ start: Int) {
    var parent = start
    let count = scores.count
    while true {
      var worst = parent
      let left = 2 * parent + 1
      let right = left + 1
      if left < count && Self.worse(scores[left], documents[left], scores[worst], documents[worst]) { worst = left }
      if right < count && Self.worse(scores[right], documents[right], scores[worst], documents[worst]) { worst = right }
      if worst == parent { return }
      scores.swapAt(parent, worst)
      documents.swapAt(parent, worst)
      parent = worst
    }
  }
}

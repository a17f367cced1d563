/// A set of labels as a bitset: the allowed results of a filtered search
/// (TraceKV turns a filter on status, rating or time into one in microseconds).
/// Labels are TraceKV's dense trace ids, so the bitset stays small.
public struct LabelSet: Sendable, Equatable {
  /// Bit `l & 63` of word `l >> 6` is set for label `l`.
  public private(set) var words: [UInt64]
  /// The number of labels in the set.
  public private(set) var count = 0

  /// An empty set with room for labels below `capacity` (it grows as needed).
  public init(capacity: Int = 0) {
    words = [UInt64](repeating: 0, count: (capacity + 63) / 64)
  }

  /// The set of `labels`.
  public init<Labels: Sequence<UInt32>>(_ labels: Labels) {
    self.init()
    for label in labels { insert(label) }
  }

  /// The set whose bit `label % 64` of word `label / 64` is set for each label.
  public init(words: [UInt64]) {
    self.words = words
    count = words.reduce(0) { $0 + $1.nonzeroBitCount }
  }

  public var isEmpty: Bool { count == 0 }

  @inline(__always)
  public func contains(_ label: UInt32) -> Bool {
    let word = Int(label >> 6)
    return word < words.count && words[word] & (1 << UInt64(label & 63)) != 0
  }

  public mutating func insert(_ label: UInt32) {
    let word = Int(label >> 6)
    if word >= words.count { words.append(contentsOf: repeatElement(0, count: max(word + 1, words.count * 2) - words.count)) }
    let bit: UInt64 = 1 << UInt64(label & 63)
    if words[word] & bit == 0 {
      words[word] |= bit
      count += 1
    }
  }

  public mutating func remove(_ label: UInt32) {
    let word = Int(label >> 6)
    guard word < words.count else { return }
    let bit: UInt64 = 1 << UInt64(label & 63)
    if words[word] & bit != 0 {
      words[word] &= ~bit
      count -= 1
    }
  }

  /// Calls `body` with every label in ascending order.
  /// - Throws: rethrows what `body` throws, at the first label it throws for.
  public func forEach(_ body: (UInt32) throws -> Void) rethrows {
    for (index, word) in words.enumerated() where word != 0 {
      var bits = word
      while bits != 0 {
        try body(UInt32(index * 64 + bits.trailingZeroBitCount))
        bits &= bits - 1
      }
    }
  }

  public static func == (lhs: LabelSet, rhs: LabelSet) -> Bool {
    guard lhs.count == rhs.count else { return false }
    let common = min(lhs.words.count, rhs.words.count)
    return lhs.words[..<common] == rhs.words[..<common]
  }
}

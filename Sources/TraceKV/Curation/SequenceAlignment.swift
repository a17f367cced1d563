/// Global sequence alignment (Needleman–Wunsch, 1970) of two sequences
/// given by their lengths and a pairing score.
enum SequenceAlignment {
  enum Operation: Hashable {
    /// Element `a` of the first sequence aligned with element `b` of the second.
    case pair(Int, Int)
    /// Element of the first sequence with no counterpart.
    case onlyFirst(Int)
    /// Element of the second sequence with no counterpart.
    case onlySecond(Int)
  }

  /// The alignment with the highest total score: `score(i, j)` for pairing
  /// `i` with `j` (nil: they may not pair), `gap` (negative) for an element
  /// left alone. With pairs of equal elements scoring 2 and a gap -1 it is a
  /// longest common subsequence. Among alignments of equal score it returns
  /// the one whose pairs come earliest, and where an element was replaced,
  /// the one of the first sequence before the one of the second: so runs
  /// that part late are shown the same up to where they part.
  /// - Complexity: O(n·m) time, (n+1)·(m+1) bytes of traceback;
  ///   callers bound n·m (`Limits.maximumDiffAlignmentCells`).
  static func align(_ n: Int, _ m: Int, gap: Int, score: (Int, Int) -> Int?) -> [Operation] {
    enum Step: UInt8 { case pair = 0, first, second }
    let width = m + 1
    var traceback = [UInt8](repeating: Step.second.rawValue, count: (n + 1) * width)
    var previous = (0...m).map { $0 * gap }
    var current = [Int](repeating: 0, count: width)
    for i in stride(from: 1, through: n, by: 1) {
      current[0] = i * gap
      traceback[i * width] = Step.first.rawValue
      for j in stride(from: 1, through: m, by: 1) {
        // On a tie the traceback (from the end) takes a gap before a pair
        // and an element of the second sequence before one of the first.
        var best = Int.min
        var step = Step.pair
        if let pairScore = score(i - 1, j - 1) { best = previous[j - 1] + pairScore }
        if previous[j] + gap >= best {
          best = previous[j] + gap
          step = .first
        }
        if current[j - 1] + gap >= best {
          best = current[j - 1] + gap
          step = .second
        }
        current[j] = best
        traceback[i * width + j] = step.rawValue
      }
      swap(&previous, &current)
    }
    var operations: [Operation] = []
    var i = n
    var j = m
    while i > 0 || j > 0 {
      let step = i == 0 ? Step.second : j == 0 ? Step.first : Step(rawValue: traceback[i * width + j])!
      switch step {
      case .pair:
        operations.append(.pair(i - 1, j - 1))
        i -= 1
        j -= 1
      case .first:
        operations.append(.onlyFirst(i - 1))
        i -= 1
      case .second:
        operations.append(.onlySecond(j - 1))
        j -= 1
      }
    }
    return operations.reversed()
  }
}

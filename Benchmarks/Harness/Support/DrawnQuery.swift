import VectorIndex

/// Queries made of a stored text's own words, as an agent's task shares
/// vocabulary with past traces without copying one: 6 to 12 words drawn
/// (with repeats) from one text. `tracekv-bench search` draws its queries
/// from a store's conversations this way, `lexical --drawn-queries` from a
/// collection's documents, and `prepare traces-1m` sizes their terms.
enum DrawnQuery {
  /// The fewest and the most words of a drawn query.
  static let wordCount = 6...12

  /// `count` queries, each from a text `text(at:)` returns for an index
  /// drawn below `texts`, seeded so every run draws the same; a text without
  /// words gives no query.
  static func draw(
    _ count: Int, from texts: Int, seed: UInt64 = 7, text: (Int) throws -> String
  ) rethrows -> [String] {
    guard texts > 0 else { return [] }
    var generator = SplitMix64(seed: seed)
    var queries: [String] = []
    for _ in 0..<count {
      let words = try text(Int.random(in: 0..<texts, using: &generator)).split(whereSeparator: \.isWhitespace)
      let length = min(words.count, Int.random(in: wordCount, using: &generator))
      guard length > 0 else { continue }
      queries.append((0..<length).map { _ in String(words.randomElement(using: &generator)!) }.joined(separator: " "))
    }
    return queries
  }
}

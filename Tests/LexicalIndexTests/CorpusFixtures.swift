import LexicalIndex
import TestSupport

/// A seeded random corpus with a skewed vocabulary: a few words in most
/// documents (long posting lists, many chunks), a long tail of rare ones.
func randomCorpus(count: Int, seed: UInt64, vocabulary: Int = 300) -> [(id: UInt32, text: String)] {
  var generator = SeededGenerator(seed: seed)
  return (0..<count).map { id in
    let length = Int.random(in: 1...40, using: &generator)
    let words = (0..<length).map { _ -> String in
      // Squaring a uniform draw favours low word numbers: a Zipf-like skew.
      let u = Double.random(in: 0..<1, using: &generator)
      return "w\(Int(u * u * Double(vocabulary)))"
    }
    return (UInt32(id), words.joined(separator: " "))
  }
}

/// Random queries of 1 to 5 words over the same vocabulary.
func randomQueries(count: Int, seed: UInt64, vocabulary: Int = 300) -> [String] {
  var generator = SeededGenerator(seed: seed)
  return (0..<count).map { _ in
    (0..<Int.random(in: 1...5, using: &generator)).map { _ in "w\(Int.random(in: 0..<vocabulary, using: &generator))" }
      .joined(separator: " ")
  }
}

/// Every term's postings, for comparing two stores' content regardless of chunk boundaries.
func allPostings(_ store: InMemoryLexicalStore) -> [Term: [Posting]] {
  Dictionary(uniqueKeysWithValues: store.terms.map { ($0, store.postings(of: $0) ?? []) })
}

/// One search result.
public struct LexicalHit: Hashable, Sendable {
  /// The caller's document id.
  public var document: UInt32
  /// The BM25 score: the sum of `explanation.terms[i].score` in query-term order.
  public var score: Double
  /// Why the document scored so, when the search asked for it.
  public var explanation: BM25Explanation?

  public init(document: UInt32, score: Double, explanation: BM25Explanation? = nil) {
    self.document = document
    self.score = score
    self.explanation = explanation
  }
}

/// A hit's score, term by term.
public struct BM25Explanation: Hashable, Sendable {
  /// The query terms the document holds, in the order the score sums
  /// them: largest bound (roughly the rarest) first.
  public var terms: [TermContribution]
  /// The document's length in tokens (dl).
  public var documentLength: UInt32
  /// The collection's average length (avgdl).
  public var averageLength: Double
  /// The collection's document count (N).
  public var documentCount: UInt64
  /// k1 and b.
  public var parameters: BM25Parameters

  /// The sum of the term scores, in order: equal to the hit's score.
  public var score: Double { terms.reduce(0) { $0 + $1.score } }
}

/// One query term's share of a hit's score.
public struct TermContribution: Hashable, Sendable {
  /// The term.
  public var term: Term
  /// Documents holding the term (n).
  public var documentFrequency: UInt64
  /// Occurrences in the query (q): the term's score counts q times.
  public var queryFrequency: UInt32
  /// Occurrences in this document (f).
  public var termFrequency: UInt32
  /// ln(1 + (N − n + 0.5) / (n + 0.5)).
  public var idf: Double
  /// f / (f + k1 · (1 − b + b · dl / avgdl)).
  public var tfNorm: Double
  /// q · idf · tfNorm.
  public var score: Double
}

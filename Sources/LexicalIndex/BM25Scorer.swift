import Foundation

/// BM25's free parameters.
public struct BM25Parameters: Hashable, Sendable {
  /// Term-frequency saturation (Lucene's default 1.2).
  public var k1: Double
  /// Length normalization, 0 (none) ... 1 (full) (Lucene's default 0.75).
  public var b: Double

  /// Lucene's defaults: k1 = 1.2, b = 0.75.
  public static let lucene = try! BM25Parameters(k1: 1.2, b: 0.75)

  /// Validated parameters.
  /// - Throws: `LexicalIndexError.invalidParameters` unless k1 ≥ 0 and 0 ≤ b ≤ 1 (and both finite).
  public init(k1: Double = 1.2, b: Double = 0.75) throws(LexicalIndexError) {
    guard k1.isFinite, k1 >= 0 else { throw .invalidParameters("k1 must be a finite number ≥ 0, got \(k1)") }
    guard b.isFinite, (0...1).contains(b) else { throw .invalidParameters("b must be in 0...1, got \(b)") }
    self.k1 = k1
    self.b = b
  }
}

/// The BM25 formula, Lucene's variant, as pure functions.
///
///     idf(n)        = ln(1 + (N − n + 0.5) / (n + 0.5))
///     score(f, dl)  = idf · f / (f + k1 · (1 − b + b · dl / avgdl))
///
/// with N documents, n of them holding the term, f its frequency in a
/// document of dl tokens, avgdl the average length. Unlike classic BM25 the
/// idf is never negative, and unlike Lucene before 8.0 (and tantivy, whose
/// scores are these × (k1 + 1)) there is no (k1 + 1) factor: it scales every
/// score alike and changes no ranking.
public struct BM25Scorer: Sendable {
  public let parameters: BM25Parameters
  public let statistics: CollectionStatistics

  /// k1 · (1 − b), the length-independent part of the normalizer.
  @usableFromInline let constantNorm: Double
  /// k1 · b / avgdl, the per-token part of the normalizer.
  @usableFromInline let lengthNorm: Double

  public init(parameters: BM25Parameters, statistics: CollectionStatistics) {
    self.parameters = parameters
    self.statistics = statistics
    let average = statistics.averageLength
    constantNorm = parameters.k1 * (1 - parameters.b)
    lengthNorm = average > 0 ? parameters.k1 * parameters.b / average : 0
  }

  /// The inverse document frequency of a term held by `documentFrequency` documents.
  @inlinable public func idf(documentFrequency: UInt64) -> Double {
    let total = Double(statistics.documentCount)
    let n = Double(documentFrequency)
    return Foundation.log(1 + (total - n + 0.5) / (n + 0.5))
  }

  /// The term-frequency part f / (f + k1 · (1 − b + b · dl / avgdl)), in [0, 1).
  @inlinable public func tfNorm(termFrequency: UInt32, documentLength: UInt32) -> Double {
    let f = Double(termFrequency)
    return f / (f + constantNorm + lengthNorm * Double(documentLength))
  }

  /// One term's contribution to a document's score.
  @inlinable public func score(idf: Double, termFrequency: UInt32, documentLength: UInt32) -> Double {
    idf * tfNorm(termFrequency: termFrequency, documentLength: documentLength)
  }
}


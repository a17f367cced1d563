import Embeddings
import Foundation
import LexicalIndex
import RRF

/// Which retrievers answer a search.
public enum SearchMode: String, Sendable, CaseIterable {
  /// HNSW and BM25 fused by Reciprocal Rank Fusion.
  case hybrid
  /// HNSW over the embedded search text only.
  case vector
  /// BM25 only.
  case lexical
}

/// A search over a store.
public struct SearchQuery: Sendable {
  /// What the query means: embedded for the vector side, and the lexical
  /// side's query too unless `keywords` is set.
  public var text: String
  /// Exact keywords for the lexical side (e.g. `LOGIC_LOOP`, a tool name).
  public var keywords: String?
  /// The query's embedding, when the caller already has it (from the
  /// store's embedder, `TraceStore.embedQuery`); else `text` is embedded.
  public var vector: [Float]?
  public var mode: SearchMode
  /// Applied inside both indexes, so a filtered query still fills `limit`.
  public var filter: TraceFilter
  public var limit: Int
  /// Hits to skip, over the fused list.
  public var offset: Int
  /// Attach each hit's BM25 terms.
  public var explain: Bool
  /// Attach each hit's rebuilt messages (docs/trace-format.md §2).
  public var withMessages: Bool
  /// RRF weights of the two sides (both 1 by default).
  public var lexicalWeight: Double
  public var vectorWeight: Double
  /// Entries of each side that take part in the fusion (at least offset + limit);
  /// single-side modes fetch only offset + limit.
  public var depth: Int
  /// RRF's constant k.
  public var rrfK: Double
  /// The least cosine similarity a trace needs to be found by the vector
  /// side; a trace BM25 finds counts whatever its similarity. Without a
  /// floor, the nearest neighbours of a query about nothing in the store are
  /// returned all the same, as filler. nil: the store's embedder's default
  /// (`SearchQuery.defaultMinSimilarity(for:)`); 0 or less: no floor.
  public var minSimilarity: Double?

  public init(
    text: String, keywords: String? = nil, mode: SearchMode = .hybrid, filter: TraceFilter = TraceFilter(),
    limit: Int = 10, offset: Int = 0, explain: Bool = false, withMessages: Bool = false,
    lexicalWeight: Double = 1, vectorWeight: Double = 1, depth: Int = 100, rrfK: Double = 60,
    minSimilarity: Double? = nil
  ) {
    self.text = text
    self.keywords = keywords
    self.mode = mode
    self.filter = filter
    self.limit = limit
    self.offset = offset
    self.explain = explain
    self.withMessages = withMessages
    self.lexicalWeight = lexicalWeight
    self.vectorWeight = vectorWeight
    self.depth = depth
    self.rrfK = rrfK
    self.minSimilarity = minSimilarity
  }

  /// The similarity floor of an embedder, chosen on the retrieval
  /// collections (BENCHMARKS.md, "Similarity floor"): the highest floor at
  /// which every mode keeps nDCG@10 and recall@100 within 0.5 % of no floor.
  /// An embedder measured there has its own; any other has none.
  public static func defaultMinSimilarity(for embedder: EmbedderIdentity) -> Double {
    switch embedder.name {
    case MiniLMEmbedder.modelName: 0.25
    case HashingEmbedder.embedderName: 0.05
    default: 0
    }
  }
}

extension SearchQuery {
  /// Parses RRF weights written `lexical=W,vector=W` (either may be left out:
  /// it stays 1), as the CLI and the harness take them.
  /// - Throws: ``TraceKVError`` with kind `.invalidInput` for a part that is not `lexical=W` or `vector=W` with W a
  ///   finite number ≥ 0.
  public static func parseWeights(_ text: String) throws(TraceKVError) -> (lexical: Double, vector: Double) {
    var weights = (lexical: 1.0, vector: 1.0)
    for part in text.split(separator: ",") {
      let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      guard pair.count == 2, let value = Double(pair[1]), value.isFinite, value >= 0 else {
        throw .invalid("weights are written lexical=W,vector=W with non-negative numbers, not '\(part)'")
      }
      switch pair[0] {
      case "lexical": weights.lexical = value
      case "vector": weights.vector = value
      default: throw .invalid("weights name lexical and vector, not '\(pair[0])'")
      }
    }
    return weights
  }
}

/// One trace found, with why it ranked.
public struct SearchHit: Sendable {
  public var traceID: String
  /// The fused RRF score (hybrid), the cosine similarity (vector) or the BM25 score (lexical).
  public var score: Double
  /// Human rating, else the AI evaluation's.
  public var rating: Int?
  public var status: TraceStatus
  public var episodeID: String?
  /// When the trace was created (TraceBrain's `created_at`).
  public var createdAt: Timestamp
  public var feedback: Feedback?
  public var aiEvaluation: AIEvaluation?
  /// Where the vector side ranked it, and the cosine similarity.
  public var vector: VectorMatch?
  /// Where BM25 ranked it, and the BM25 score.
  public var lexical: LexicalMatch?
  /// BM25 term by term, with `explain`.
  public var lexicalExplanation: BM25Explanation?
  /// Each side's RRF term wᵢ/(k + rankᵢ) (hybrid).
  public var fusion: [Contribution]
  /// The rebuilt context, with `withMessages`.
  public var messages: [ChatMessage]?
}

/// A hit's place on the vector side.
public struct VectorMatch: Sendable, Hashable {
  /// From 1.
  public var rank: Int
  public var similarity: Double
}

/// A hit's place on the lexical side.
public struct LexicalMatch: Sendable, Hashable {
  /// From 1.
  public var rank: Int
  public var score: Double
}

/// The hits of a search, and what the query cost.
public struct SearchResults: Sendable {
  public var hits: [SearchHit]
  /// Seconds spent embedding the query (reported apart from search time).
  public var queryEmbeddingSeconds: Double
}

/// Reciprocal Rank Fusion (Cormack, Clarke & Büttcher, SIGIR 2009): merges
/// ranked lists from different retrievers using ranks only, so scores on
/// unrelated scales (BM25, cosine similarity) never have to be calibrated.
///
///     score(d) = Σᵢ wᵢ / (k + rankᵢ(d))
///
/// over the lists i that rank d within their first `depth` entries, ranks
/// counted from 1. k = 60 (the paper's value) flattens the gap between the
/// top ranks so that one list cannot dominate on its first hit alone.
///
/// Ties are broken deterministically: higher score, then better (lower) best
/// rank in any list, then lower id. Scores are summed in list order, so the
/// same input always gives the same bits.
///
///     let fusion = ReciprocalRankFusion()
///     let fused = fusion.fuse([RankedList(name: "lexical", ids: [3, 1, 2]),
///                              RankedList(name: "vector", ids: [1, 4])])
///     // 1: 1/62 + 1/61, 3: 1/61, 4: 1/62, 2: 1/63
public struct ReciprocalRankFusion: Sendable, Hashable {
  /// The rank constant k.
  public let k: Double
  /// How many entries of each list take part.
  public let depth: Int

  /// A fusion with the given constant and depth (k = 60, depth = 100 by default).
  /// - Throws: `FusionError.invalidParameter` unless k ≥ 0 (finite) and depth ≥ 1.
  public init(k: Double = 60, depth: Int = 100) throws(FusionError) {
    guard k.isFinite, k >= 0 else { throw .invalidParameter("k must be a finite number ≥ 0, got \(k)") }
    guard depth >= 1 else { throw .invalidParameter("depth must be ≥ 1, got \(depth)") }
    self.k = k
    self.depth = depth
  }

  /// The paper's parameters: k = 60, depth 100.
  public static let standard = try! ReciprocalRankFusion()

  /// The whole fused list, best first.
  ///
  /// An id repeated within one list counts at its first (best) rank only.
  /// - Complexity: O(L·d + m log m) for L lists of depth d and m distinct ids.
  ///
  /// Inlinable so that callers get it specialized for their id type: run as an
  /// unspecialized generic across the module boundary it cost ~0.3 ms per
  /// two lists of 100 (dictionary and sort through witness tables).
  @inlinable
  public func fuse<ID: Hashable & Comparable>(_ lists: [RankedList<ID>]) -> [FusedHit<ID>] {
    var slots: [ID: Int] = [:]
    var hits: [FusedHit<ID>] = []
    for (listIndex, list) in lists.enumerated() where list.weight > 0 {
      for (offset, id) in list.ids.prefix(depth).enumerated() {
        let rank = offset + 1
        let contribution = Contribution(
          list: listIndex, name: list.name, rank: rank, weight: list.weight,
          score: list.weight / (k + Double(rank)))
        if let slot = slots[id] {
          // A repeat within the same list keeps its first rank.
          if hits[slot].contributions.last?.list == listIndex { continue }
          hits[slot].contributions.append(contribution)
          hits[slot].score += contribution.score
          hits[slot].bestRank = min(hits[slot].bestRank, rank)
        } else {
          slots[id] = hits.count
          hits.append(FusedHit(id: id, score: contribution.score, rank: 0, bestRank: rank, contributions: [contribution]))
        }
      }
    }
    hits.sort { a, b in
      if a.score != b.score { return a.score > b.score }
      if a.bestRank != b.bestRank { return a.bestRank < b.bestRank }
      return a.id < b.id
    }
    for index in hits.indices { hits[index].rank = index + 1 }
    return hits
  }

  /// One page of the fused list: `limit` hits starting at position `offset` (0-based).
  /// - Complexity: that of `fuse(_:)`; paging happens after the full fusion,
  ///   so pages never overlap or skip hits.
  @inlinable
  public func fuse<ID: Hashable & Comparable>(
    _ lists: [RankedList<ID>], offset: Int, limit: Int
  ) -> [FusedHit<ID>] {
    precondition(offset >= 0 && limit >= 0, "offset and limit must be ≥ 0")
    let all = fuse(lists)
    guard offset < all.count else { return [] }
    return Array(all[offset..<min(all.count, offset + limit)])
  }
}

/// One retriever's ranking, best first.
public struct RankedList<ID: Hashable & Comparable>: Sendable where ID: Sendable {
  /// A label carried into each contribution (e.g. "lexical", "vector").
  public var name: String
  /// Ids, best first.
  public var ids: [ID]
  /// The list's weight wᵢ (default 1; 0 leaves the list out).
  public var weight: Double

  /// A ranking of weight 1.
  public init(name: String = "", ids: [ID]) {
    self.name = name
    self.ids = ids
    self.weight = 1
  }

  /// A weighted ranking.
  /// - Throws: `FusionError.invalidParameter` unless the weight is finite and ≥ 0
  ///   (weights may come from a command line).
  public init(name: String = "", ids: [ID], weight: Double) throws(FusionError) {
    guard weight.isFinite, weight >= 0 else {
      throw .invalidParameter("a list weight must be a finite number ≥ 0, got \(weight)")
    }
    self.name = name
    self.ids = ids
    self.weight = weight
  }
}

/// One fused result with the terms of its score.
public struct FusedHit<ID: Hashable & Comparable>: Sendable where ID: Sendable {
  /// The id.
  public var id: ID
  /// Σ of `contributions[i].score`, summed in list order.
  public var score: Double
  /// Position in the whole fused list, from 1.
  public var rank: Int
  /// The best rank the id reached in any list (the first tie-breaker).
  public var bestRank: Int
  /// One entry per list that ranked the id, in list order.
  public var contributions: [Contribution]

  @usableFromInline
  init(id: ID, score: Double, rank: Int, bestRank: Int, contributions: [Contribution]) {
    self.id = id
    self.score = score
    self.rank = rank
    self.bestRank = bestRank
    self.contributions = contributions
  }
}

/// One list's share of a fused score.
public struct Contribution: Hashable, Sendable {
  /// The list's position in the input.
  public var list: Int
  /// The list's name.
  public var name: String
  /// The id's rank in that list, from 1.
  public var rank: Int
  /// The list's weight.
  public var weight: Double
  /// weight / (k + rank).
  public var score: Double

  @usableFromInline
  init(list: Int, name: String, rank: Int, weight: Double, score: Double) {
    self.list = list
    self.name = name
    self.rank = rank
    self.weight = weight
    self.score = score
  }
}

/// The errors of the RRF module.
public enum FusionError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A fusion parameter out of range.
  case invalidParameter(String)

  public var description: String {
    switch self {
    case .invalidParameter(let message): "invalid RRF parameter: \(message)"
    }
  }
}

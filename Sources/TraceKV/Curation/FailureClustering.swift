/// Groups failed runs into clusters, deterministically and without a model
/// call: by error type and failing tool first, then by the cosine similarity
/// of the runs' stored embeddings (README "Failure curriculum").
///
/// Threshold clustering: a run joins the candidate cluster whose centroid is
/// most similar to it when that similarity is at least `threshold` (ties: the
/// older cluster), else it starts a cluster. A run without a vector (a
/// store without an embedder) joins the oldest cluster of its own (error
/// type, failing tool), so such a store clusters by those two alone.
/// 1. Runs with a critical error type go first, in input order; their
///    candidates are the clusters of the same (error type, failing tool).
/// 2. Then runs without one (failed by rating, status or confidence only: the
///    judge did not name the error, the evidence must); their candidates are
///    all clusters with the same failing tool, of any error type.
///
/// - Complexity: O(n · c · d) for n runs, c candidate clusters and dimension d.
struct FailureClustering {
  struct Run {
    var errorType: ErrorType?
    var tool: String?
    var vector: [Float]?
  }

  /// One cluster: its members (indices into the input, ascending) and its
  /// medoid (the member with the highest total similarity to the others).
  struct Cluster: Equatable {
    var members: [Int]
    var medoid: Int
  }

  let threshold: Float

  func cluster(_ runs: [Run]) -> [Cluster] {
    let unit = runs.map { $0.vector.flatMap(Self.normalized) }
    var working: [Working] = []
    var byTool: [String?: [Int]] = [:]  // tool → indices into `working`, oldest first
    let order =
      runs.indices.filter { runs[$0].errorType != nil } + runs.indices.filter { runs[$0].errorType == nil }
    for index in order {
      let run = runs[index]
      let key = Key(errorType: run.errorType, tool: run.tool)
      var best: (cluster: Int, similarity: Float)?
      if let vector = unit[index] {
        for candidate in byTool[run.tool, default: []]
        where run.errorType == nil || working[candidate].key == key {
          let similarity = working[candidate].similarity(to: vector)
          if similarity >= threshold, similarity > (best?.similarity ?? -.infinity) {
            best = (candidate, similarity)
          }
        }
      } else {
        best = byTool[run.tool, default: []].first { working[$0].key == key }.map { ($0, 0) }
      }
      if let best {
        working[best.cluster].add(index, unit[index])
      } else {
        byTool[run.tool, default: []].append(working.count)
        working.append(Working(key: key, first: index, vector: unit[index]))
      }
    }
    return working.map { cluster in
      let members = cluster.members.sorted()
      return Cluster(members: members, medoid: Self.medoid(members, unit) { runs[$0].errorType != nil })
    }
  }

  private struct Key: Hashable {
    var errorType: ErrorType?
    var tool: String?
  }

  private struct Working {
    let key: Key
    var members: [Int]
    var sum: [Float]?

    init(key: Key, first: Int, vector: [Float]?) {
      self.key = key
      members = [first]
      sum = vector
    }

    mutating func add(_ member: Int, _ vector: [Float]?) {
      members.append(member)
      guard let vector else { return }
      if let current = sum { sum = zip(current, vector).map(+) } else { sum = vector }
    }

    var unitCentroid: [Float]? { sum.flatMap(FailureClustering.normalized) }

    func similarity(to vector: [Float]) -> Float {
      guard let centroid = unitCentroid else { return -.infinity }
      return FailureClustering.dot(centroid, vector)
    }
  }

  /// The member with the highest total cosine similarity to the others; on
  /// a tie, or without vectors, the first `named` one (a run whose error
  /// type is known), else the first.
  static func medoid(_ members: [Int], _ unit: [[Float]?], named: (Int) -> Bool) -> Int {
    var best = members.first(where: named) ?? members[0]
    var bestTotal = -Float.infinity
    for member in members {
      guard let vector = unit[member] else { continue }
      var total: Float = 0
      for other in members where other != member {
        if let otherVector = unit[other] { total += dot(vector, otherVector) }
      }
      if total > bestTotal || (total == bestTotal && named(member) && !named(best)) {
        best = member
        bestTotal = total
      }
    }
    return best
  }

  static func dot(_ a: [Float], _ b: [Float]) -> Float {
    var sum: Float = 0
    for index in a.indices { sum += a[index] * b[index] }
    return sum
  }

  /// The vector scaled to length 1; nil for a zero vector.
  static func normalized(_ vector: [Float]) -> [Float]? {
    let norm = dot(vector, vector).squareRoot()
    guard norm > 0, norm.isFinite else { return nil }
    return vector.map { $0 / norm }
  }
}

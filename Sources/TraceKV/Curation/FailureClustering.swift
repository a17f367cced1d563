/// Groups failed runs into clusters, deterministically and without a model
/// call: by error type and failing tool first, then by the cosine similarity
/// of the runs' stored embeddings (README "Failure curriculum").
///
/// 1. Runs with the same (critical error type, failing tool) form a group.
/// 2. Inside a group, threshold clustering in input order: a run joins the
///    cluster whose centroid is most similar to it when that similarity is at
///    least `threshold`, else starts a cluster. A run without a vector is
///    similar to nothing.
/// 3. A cluster whose runs have no critical error type (failed by rating,
///    status or confidence only) joins the cluster of a known error type with
///    the same failing tool whose centroid is most similar, when at least
///    `threshold`: the judge did not name the error, the evidence does.
///
/// - Complexity: O(n · c · d) for n runs, c clusters per group and dimension d.
struct FailureClustering {
  struct Run {
    var errorType: ErrorType?
    var tool: String?
    var vector: [Float]?
  }

  /// One cluster: its members (indices into the input, in input order) and
  /// its medoid (the member with the highest total similarity to the others).
  struct Cluster: Equatable {
    var members: [Int]
    var medoid: Int
  }

  let threshold: Float

  func cluster(_ runs: [Run]) -> [Cluster] {
    let unit = runs.map { $0.vector.flatMap(Self.normalized) }
    var working: [Working] = []
    var byKey: [Key: [Int]] = [:]  // key → indices into `working`
    for (index, run) in runs.enumerated() {
      let key = Key(errorType: run.errorType, tool: run.tool)
      var best: (cluster: Int, similarity: Float)?
      if let vector = unit[index] {
        for candidate in byKey[key, default: []] {
          let similarity = working[candidate].similarity(to: vector)
          if similarity >= threshold, similarity > (best?.similarity ?? -.infinity) { best = (candidate, similarity) }
        }
      }
      if let best {
        working[best.cluster].add(index, unit[index])
      } else {
        byKey[key, default: []].append(working.count)
        working.append(Working(key: key, first: index, vector: unit[index]))
      }
    }
    // Clusters of unknown error type join a known one with the same tool.
    for index in working.indices where working[index].key.errorType == nil {
      guard let centroid = working[index].unitCentroid else { continue }
      var best: (cluster: Int, similarity: Float)?
      for (key, clusters) in byKey where key.errorType != nil && key.tool == working[index].key.tool {
        for candidate in clusters where !working[candidate].absorbed {
          let similarity = working[candidate].similarity(to: centroid)
          if similarity >= threshold, similarity > (best?.similarity ?? -.infinity)
            || (similarity == best?.similarity && candidate < best!.cluster)
          {
            best = (candidate, similarity)
          }
        }
      }
      guard let best else { continue }
      for member in working[index].members { working[best.cluster].add(member, unit[member]) }
      working[index].absorbed = true
    }
    return working.filter { !$0.absorbed }.map { cluster in
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
    var absorbed = false

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

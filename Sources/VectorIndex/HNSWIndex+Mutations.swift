extension HNSWIndex {
  /// Adds `vector` under `label`.
  /// - Returns: the records to persist (see `HNSWChangeSet`).
  /// - Throws: `VectorIndexError` for a wrong dimension, a NaN or infinite
  ///   component, a zero vector under cosine, or a label already present,
  ///   before anything changes.
  /// - Complexity: O(efConstruction · M · log n) distance computations.
  @discardableResult
  public mutating func insert(_ vector: [Float], label: UInt32) throws(VectorIndexError) -> HNSWChangeSet {
    try validate(vector, dimension: dimension, metric: metric)
    guard graph.labelToSlot[label] == nil else { throw .duplicateLabel(label) }
    makeUnique()
    let graph = self.graph
    graph.changes.reset()
    graph.scratchPool.withScratch(slotCount: 0) { scratch in
      _ = prepare(vector, into: scratch.query)
      graph.withWriteScratch { _ = graph.insert(label: label, vector: scratch.query) }
    }
    return graph.takeChanges()
  }

  /// Removes `label`: it stops appearing in results at once; its node stays
  /// as a tombstone that searches route through until a later insert takes
  /// its slot, or until tombstones outnumber the searchable nodes and are
  /// purged (the nodes that linked to them relinked to their neighbours).
  /// - Throws: `VectorIndexError.unknownLabel` when absent, before anything changes.
  /// - Complexity: O(log tombstones); amortized with the purge, O(M³)
  ///   distance computations. Independent of the index's size.
  @discardableResult
  public mutating func delete(label: UInt32) throws(VectorIndexError) -> HNSWChangeSet {
    try delete(labels: [label])
  }

  /// Removes every label in `labels`, as `delete(label:)` each.
  /// - Throws: `VectorIndexError.unknownLabel` for the first absent label,
  ///   before anything changes.
  /// - Complexity: that of `delete(label:)` per label.
  @discardableResult
  public mutating func delete<Labels: Sequence<UInt32>>(labels: Labels) throws(VectorIndexError) -> HNSWChangeSet {
    var slots: [UInt32] = []
    var seen: Set<UInt32> = []
    for label in labels where seen.insert(label).inserted {
      guard let slot = graph.labelToSlot[label] else { throw .unknownLabel(label) }
      slots.append(slot)
    }
    makeUnique()
    graph.changes.reset()
    graph.withWriteScratch { graph.delete(slots) }
    return graph.takeChanges()
  }

  /// Replaces the vector of `label` (a delete then an insert, so the node is
  /// linked where its new vector belongs; it usually gets its old slot back,
  /// the tombstone the delete left).
  /// - Throws: `VectorIndexError` for an unknown label or an invalid vector,
  ///   before anything changes.
  /// - Complexity: that of `delete(label:)` plus `insert(_:label:)`.
  @discardableResult
  public mutating func update(_ vector: [Float], label: UInt32) throws(VectorIndexError) -> HNSWChangeSet {
    try validate(vector, dimension: dimension, metric: metric)
    guard graph.labelToSlot[label] != nil else { throw .unknownLabel(label) }
    var changes = try delete(label: label)
    changes.formUnion(try insert(vector, label: label))
    return changes
  }
}

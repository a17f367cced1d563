/// Label → slot. TraceKV's labels are dense trace ids, so labels below
/// `denseLimit` live in an array indexed by label (a load, where a
/// `Dictionary` lookup costs a SipHash: tens of nanoseconds, which dominated
/// the exact filtered search); any larger label falls back to a dictionary.
/// The array is chunked, so a new version of the graph shares it and a
/// write copies one 16 KB chunk.
struct LabelMap {
  /// Labels below this are kept in the array (at most 64 MB of it).
  static let denseLimit: UInt32 = 1 << 24
  private static let absent: UInt32 = .max

  private var dense = ChunkedRows<UInt32>(stride: 1, shift: 12, fill: LabelMap.absent)
  private var sparse: [UInt32: UInt32] = [:]
  private(set) var count = 0

  subscript(label: UInt32) -> UInt32? {
    @inline(__always) get {
      if label < LabelMap.denseLimit {
        guard Int(label) < dense.rowCapacity else { return nil }
        let slot = dense.row(Int(label)).pointee
        return slot == LabelMap.absent ? nil : slot
      }
      return sparse[label]
    }
  }

  /// Maps `label` to `slot`; returns the slot it had, if any.
  @discardableResult
  mutating func set(_ label: UInt32, _ slot: UInt32) -> UInt32? {
    let old: UInt32?
    if label < LabelMap.denseLimit {
      dense.reserve(rows: Int(label) + 1)
      let entry = dense.writableRow(Int(label))
      old = entry.pointee == LabelMap.absent ? nil : entry.pointee
      entry.pointee = slot
    } else {
      old = sparse.updateValue(slot, forKey: label)
    }
    if old == nil { count += 1 }
    return old
  }

  mutating func remove(_ label: UInt32) {
    if label < LabelMap.denseLimit {
      guard Int(label) < dense.rowCapacity, dense.row(Int(label)).pointee != LabelMap.absent else { return }
      dense.writableRow(Int(label)).pointee = LabelMap.absent
    } else {
      guard sparse.removeValue(forKey: label) != nil else { return }
    }
    count -= 1
  }

  /// Every (label, slot) pair.
  var pairs: [(label: UInt32, slot: UInt32)] {
    var result: [(label: UInt32, slot: UInt32)] = []
    result.reserveCapacity(count)
    for label in 0..<dense.rowCapacity {
      let slot = dense.row(label).pointee
      if slot != LabelMap.absent { result.append((UInt32(label), slot)) }
    }
    for (label, slot) in sparse { result.append((label, slot)) }
    return result
  }

  var memoryBytes: Int { dense.memoryBytes + sparse.capacity * 16 }
}

/// Label → slot. TraceKV's labels are dense trace ids, so labels below
/// `denseLimit` live in a flat array indexed by label (a load, where a
/// `Dictionary` lookup costs a SipHash: tens of nanoseconds, which dominated
/// the exact filtered search); any larger label falls back to a dictionary.
struct LabelMap {
  /// Labels below this are kept in the array (at most 64 MB of it).
  static let denseLimit: UInt32 = 1 << 24
  private static let absent: UInt32 = .max

  private var dense: [UInt32] = []
  private var sparse: [UInt32: UInt32] = [:]
  private(set) var count = 0

  subscript(label: UInt32) -> UInt32? {
    @inline(__always) get {
      if label < LabelMap.denseLimit {
        guard Int(label) < dense.count else { return nil }
        let slot = dense[Int(label)]
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
      if Int(label) >= dense.count {
        let size = max(Int(label) + 1, min(dense.count * 2, Int(LabelMap.denseLimit)))
        dense.append(contentsOf: repeatElement(LabelMap.absent, count: size - dense.count))
      }
      let previous = dense[Int(label)]
      old = previous == LabelMap.absent ? nil : previous
      dense[Int(label)] = slot
    } else {
      old = sparse.updateValue(slot, forKey: label)
    }
    if old == nil { count += 1 }
    return old
  }

  mutating func remove(_ label: UInt32) {
    if label < LabelMap.denseLimit {
      guard Int(label) < dense.count, dense[Int(label)] != LabelMap.absent else { return }
      dense[Int(label)] = LabelMap.absent
    } else {
      guard sparse.removeValue(forKey: label) != nil else { return }
    }
    count -= 1
  }

  /// Every (label, slot) pair.
  var pairs: [(label: UInt32, slot: UInt32)] {
    var result: [(label: UInt32, slot: UInt32)] = []
    result.reserveCapacity(count)
    for (label, slot) in dense.enumerated() where slot != LabelMap.absent { result.append((UInt32(label), slot)) }
    for (label, slot) in sparse { result.append((label, slot)) }
    return result
  }

  var memoryBytes: Int { dense.capacity * 4 + sparse.capacity * 16 }
}

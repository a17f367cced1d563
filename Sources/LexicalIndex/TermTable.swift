/// Interns token bytes to dense ids while a batch is indexed: open addressing
/// over one byte arena, so a token already seen costs a hash and a compare,
/// and a new one a copy into the arena (no per-term allocation).
struct TermTable {
  private(set) var arena: [UInt8] = []
  private(set) var ends: [Int] = []
  /// Per slot: the hash's high 32 bits, then id + 1 in the low 32 (0 = empty).
  /// Keeping the hash in the slot rejects most mismatches without touching the arena.
  private var slots: [UInt64] = Array(repeating: 0, count: 1024)

  var count: Int { ends.count }

  func range(of id: Int) -> Range<Int> { (id == 0 ? 0 : ends[id - 1])..<ends[id] }

  func term(_ id: Int) -> Term { Term(utf8: Array(arena[range(of: id)])) }

  /// The id of `token`, interned if new.
  /// - Complexity: O(length) expected.
  mutating func id(of token: UnsafeBufferPointer<UInt8>) -> Int {
    let hash = unsafe Self.hash(token)
    let tag = hash & 0xFFFF_FFFF_0000_0000
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let stored = slots[slot]
      if stored == 0 { break }
      if stored & 0xFFFF_FFFF_0000_0000 == tag {
        let id = Int(stored & 0xFFFF_FFFF) - 1
        if unsafe equals(id, token) { return id }
      }
      slot = (slot + 1) & mask
    }
    let id = ends.count
    unsafe arena.append(contentsOf: token)
    ends.append(arena.count)
    slots[slot] = tag | UInt64(id + 1)
    if ends.count * 2 > slots.count { grow() }
    return id
  }

  private func equals(_ id: Int, _ token: UnsafeBufferPointer<UInt8>) -> Bool {
    let stored = range(of: id)
    guard stored.count == token.count else { return false }
    return unsafe arena.withUnsafeBufferPointer { arena in
      var offset = 0
      while offset < token.count {
        if unsafe arena[stored.lowerBound + offset] != token[offset] { return false }
        offset += 1
      }
      return true
    }
  }

  private mutating func grow() {
    var newSlots = [UInt64](repeating: 0, count: slots.count * 2)
    let mask = newSlots.count - 1
    unsafe arena.withUnsafeBufferPointer { arena in
      for id in ends.indices {
        let range = self.range(of: id)
        let hash = unsafe Self.hash(UnsafeBufferPointer(rebasing: arena[range]))
        var slot = Int(truncatingIfNeeded: hash) & mask
        while newSlots[slot] != 0 { slot = (slot + 1) & mask }
        newSlots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1)
      }
    }
    slots = newSlots
  }

  /// FNV-1a, then a final avalanche so the low bits (the slot) and the high
  /// bits (the tag) both depend on every byte.
  @inline(__always)
  private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for unsafe byte in unsafe bytes {
      hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    hash ^= hash >> 33
    hash &*= 0xff51_afd7_ed55_8ccd
    hash ^= hash >> 33
    return hash
  }
}

/// Interns token bytes to dense ids while a batch is indexed: open addressing
/// over one byte arena, so a token already seen costs a hash and a compare,
/// and a new one a copy into the arena (no per-term allocation).
struct TermTable {
  private(set) var arena: [UInt8] = []
  private(set) var ends: [Int] = []
  private var hashes: [UInt64] = []
  /// Term id + 1 per slot; 0 is empty. The count of slots is a power of two.
  private var slots: [Int32] = Array(repeating: 0, count: 1024)

  var count: Int { ends.count }

  func range(of id: Int) -> Range<Int> { (id == 0 ? 0 : ends[id - 1])..<ends[id] }

  func term(_ id: Int) -> Term { Term(utf8: Array(arena[range(of: id)])) }

  /// The id of the bytes `bytes[range]`, interned if new.
  /// - Complexity: O(length) expected.
  mutating func id(of bytes: [UInt8], _ range: Range<Int>) -> Int {
    let hash = Self.hash(bytes, range)
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let stored = Int(slots[slot])
      if stored == 0 { break }
      let id = stored - 1
      if hashes[id] == hash && equals(id, bytes, range) { return id }
      slot = (slot + 1) & mask
    }
    let id = ends.count
    arena.append(contentsOf: bytes[range])
    ends.append(arena.count)
    hashes.append(hash)
    slots[slot] = Int32(id + 1)
    if ends.count * 2 > slots.count { grow() }
    return id
  }

  private func equals(_ id: Int, _ bytes: [UInt8], _ range: Range<Int>) -> Bool {
    let stored = self.range(of: id)
    guard stored.count == range.count else { return false }
    var a = stored.lowerBound
    var b = range.lowerBound
    while b < range.upperBound {
      if arena[a] != bytes[b] { return false }
      a += 1
      b += 1
    }
    return true
  }

  private mutating func grow() {
    var newSlots = [Int32](repeating: 0, count: slots.count * 2)
    let mask = newSlots.count - 1
    for id in hashes.indices {
      var slot = Int(truncatingIfNeeded: hashes[id]) & mask
      while newSlots[slot] != 0 { slot = (slot + 1) & mask }
      newSlots[slot] = Int32(id + 1)
    }
    slots = newSlots
  }

  /// FNV-1a, then a final avalanche so the low bits (the slot) depend on every byte.
  @inline(__always)
  private static func hash(_ bytes: [UInt8], _ range: Range<Int>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for index in range {
      hash = (hash ^ UInt64(bytes[index])) &* 0x100_0000_01b3
    }
    hash ^= hash >> 33
    hash &*= 0xff51_afd7_ed55_8ccd
    hash ^= hash >> 33
    return hash
  }
}

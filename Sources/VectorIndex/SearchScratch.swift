import Foundation

/// A graph node seen during a search, ordered by `key`.
struct Candidate {
  var key: Float
  var slot: UInt32
}

/// A binary max-heap of candidates on memory it owns and reuses, so a search
/// allocates nothing once its scratch has grown to the graph's size. Min-heap
/// use stores the negated distance as the key.
struct CandidateHeap: ~Copyable {
  private(set) var elements: UnsafeMutablePointer<Candidate>
  private(set) var count = 0
  private var capacity: Int

  init(capacity: Int = 64) {
    self.capacity = max(capacity, 16)
    elements = .allocate(capacity: self.capacity)
  }

  deinit { elements.deallocate() }

  var isEmpty: Bool { count == 0 }

  /// The largest key; the heap must not be empty.
  var top: Candidate { elements[0] }

  mutating func removeAll() { count = 0 }

  mutating func push(_ key: Float, _ slot: UInt32) {
    if count == capacity { grow() }
    var index = count
    count += 1
    while index > 0 {
      let parent = (index - 1) >> 1
      guard elements[parent].key < key else { break }
      elements[index] = elements[parent]
      index = parent
    }
    elements[index] = Candidate(key: key, slot: slot)
  }

  /// Removes and returns the largest key; the heap must not be empty.
  @discardableResult
  mutating func pop() -> Candidate {
    let result = elements[0]
    count -= 1
    guard count > 0 else { return result }
    let last = elements[count]
    var index = 0
    while true {
      var child = 2 * index + 1
      guard child < count else { break }
      if child + 1 < count, elements[child + 1].key > elements[child].key { child += 1 }
      guard elements[child].key > last.key else { break }
      elements[index] = elements[child]
      index = child
    }
    elements[index] = last
    return result
  }

  private mutating func grow() {
    let bigger = UnsafeMutablePointer<Candidate>.allocate(capacity: capacity * 2)
    bigger.moveInitialize(from: elements, count: count)
    elements.deallocate()
    elements = bigger
    capacity *= 2
  }
}

/// Marks visited slots with an epoch number instead of clearing a bitmap per
/// query: starting a search is one increment, and the array is wiped only when
/// the 16-bit epoch wraps (every 65,535 searches).
struct VisitedSet: ~Copyable {
  private var marks: UnsafeMutablePointer<UInt16>
  private(set) var capacity: Int
  private var epoch: UInt16 = 0

  init(capacity: Int) {
    self.capacity = max(capacity, 1)
    marks = .allocate(capacity: self.capacity)
    marks.initialize(repeating: 0, count: self.capacity)
  }

  deinit { marks.deallocate() }

  /// Forgets every mark and makes room for `slotCount` slots.
  mutating func reset(slotCount: Int) {
    if slotCount > capacity {
      marks.deallocate()
      capacity = max(slotCount, capacity * 2)
      marks = .allocate(capacity: capacity)
      marks.initialize(repeating: 0, count: capacity)
      epoch = 0
    }
    if epoch == .max {
      marks.update(repeating: 0, count: capacity)
      epoch = 0
    }
    epoch += 1
  }

  /// Marks `slot`; returns false when it was already marked in this epoch.
  @inline(__always)
  mutating func insert(_ slot: UInt32) -> Bool {
    let mark = marks + Int(slot)
    if mark.pointee == epoch { return false }
    mark.pointee = epoch
    return true
  }

  @inline(__always)
  func contains(_ slot: UInt32) -> Bool { marks[Int(slot)] == epoch }
}

/// The per-search working memory: visited marks, the two heaps of the beam
/// search, a buffer for the normalized query, and the gather block where a
/// node's unvisited neighbours are copied so one `sgemv` scores them all.
final class SearchScratch {
  var visited: VisitedSet
  var candidates = CandidateHeap()
  var results = CandidateHeap()
  let query: UnsafeMutablePointer<Float>
  /// Room for `maxLinks` gathered rows of `dimension` floats.
  let block: UnsafeMutablePointer<Float>
  /// The slots of the gathered rows.
  let blockSlots: UnsafeMutablePointer<UInt32>
  /// The dot products of the gathered rows with the query.
  let blockScores: UnsafeMutablePointer<Float>

  init(dimension: Int, maxLinks: Int, slotCount: Int) {
    visited = VisitedSet(capacity: slotCount)
    query = .allocate(capacity: max(dimension, 1))
    block = .allocate(capacity: max(dimension * maxLinks, 1))
    blockSlots = .allocate(capacity: max(maxLinks, 1))
    blockScores = .allocate(capacity: max(maxLinks, 1))
  }

  deinit {
    query.deallocate()
    block.deallocate()
    blockSlots.deallocate()
    blockScores.deallocate()
  }
}

/// Scratch objects lent to concurrent searches of one graph. A search takes
/// one, or makes one when all are lent, and gives it back; so searches allocate
/// nothing in the steady state, and many threads may search one index.
final class ScratchPool: @unchecked Sendable {
  // @unchecked: `free` is only touched under `lock`.
  private let lock = NSLock()
  private var free: [SearchScratch] = []
  private let dimension: Int
  private let maxLinks: Int

  init(dimension: Int, maxLinks: Int) {
    self.dimension = dimension
    self.maxLinks = maxLinks
  }

  func withScratch<R>(slotCount: Int, _ body: (SearchScratch) throws -> R) rethrows -> R {
    lock.lock()
    let scratch = free.popLast() ?? SearchScratch(dimension: dimension, maxLinks: maxLinks, slotCount: slotCount)
    lock.unlock()
    defer {
      lock.lock()
      free.append(scratch)
      lock.unlock()
    }
    return try body(scratch)
  }
}

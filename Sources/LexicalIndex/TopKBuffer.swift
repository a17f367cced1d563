/// The best `capacity` (score, document) pairs of a stream whose documents
/// arrive in increasing id order, kept as tantivy's `TopNComputer` keeps
/// them: candidates above the threshold are appended to a buffer of twice
/// the capacity, and when it fills, a selection keeps the best `capacity`
/// and lifts the threshold to the worst of them.
///
/// Why not `TopKHeap`: term at a time offers candidates in bulk and only
/// needs the threshold to filter them. A heap pays a sift of O(log k)
/// branchy comparisons for every candidate that enters (at k = 100 on
/// traces-100k, 12 % of term at a time's time went to `siftDown`); here an
/// entry costs an append and a share of a linear-time selection. The price
/// is a threshold that lags between selections: fine for a filter, not for
/// document-at-a-time pruning, which keeps the heap.
///
/// Exactness: the order is `TopKHeap`'s (higher score, then lower id). A
/// candidate tying the threshold's score arrives after the pair that set it,
/// so it has the higher id and ranks below: `score > threshold` is the exact
/// admission test, as for the heap.
struct TopKBuffer {
  private struct Entry {
    var score: Double
    var document: UInt32
  }

  let capacity: Int
  private var entries: [Entry] = []
  /// Where a selection partitions a range before copying it back.
  private var scratch: [Entry]
  /// The score a candidate must beat: the worst kept score since the last
  /// selection, -∞ before.
  private(set) var threshold = -Double.infinity

  init(capacity: Int) {
    self.capacity = capacity
    entries.reserveCapacity(2 * capacity)
    scratch = Array(repeating: Entry(score: 0, document: 0), count: 2 * capacity)
  }

  /// Keeps a candidate that beats the threshold; documents must come in increasing order.
  /// - Complexity: amortized O(1).
  @inline(__always)
  mutating func offer(_ score: Double, _ document: UInt32) {
    guard score > threshold, capacity > 0 else { return }
    if entries.count == 2 * capacity {
      truncate()
      // The selection may have lifted the threshold above this candidate.
      guard score > threshold else { return }
    }
    entries.append(Entry(score: score, document: document))
  }

  /// The best `capacity` pairs offered, best first.
  /// - Complexity: O(k log k) expected, after a selection if more than k are kept.
  mutating func ranked() -> [(score: Double, document: UInt32)] {
    if entries.count > capacity { truncate() }
    unsafe entries.withUnsafeMutableBufferPointer { entries in
      unsafe scratch.withUnsafeMutableBufferPointer { scratch in
        unsafe Self.sort(entries, 0, entries.count - 1, through: scratch)
      }
    }
    return entries.map { (score: $0.score, document: $0.document) }
  }

  /// Keeps the best `capacity` pairs and sets the threshold to the worst of them.
  /// - Complexity: O(count) expected (quickselect).
  private mutating func truncate() {
    let target = capacity - 1
    unsafe entries.withUnsafeMutableBufferPointer { entries in
      unsafe scratch.withUnsafeMutableBufferPointer { scratch in
        // Quickselect in the order "better first": afterwards positions
        // 0 ... target hold the best `capacity` pairs, `target` the worst of them.
        var low = 0
        var high = entries.count - 1
        while low < high {
          let pivot = unsafe Self.partition(entries, low, high, through: scratch)
          if pivot == target { break }
          if pivot < target { low = pivot + 1 } else { high = pivot - 1 }
        }
      }
    }
    entries.removeSubrange(capacity...)
    threshold = entries[target].score
  }

  /// Sorts `low ... high` best first: quicksort on `partition` (the
  /// standard library's sort branches on every comparison), insertion sort
  /// for short ranges.
  private static func sort(
    _ entries: UnsafeMutableBufferPointer<Entry>, _ low: Int, _ high: Int,
    through scratch: UnsafeMutableBufferPointer<Entry>
  ) {
    var low = low
    var high = high
    while high - low > 16 {
      let pivot = unsafe partition(entries, low, high, through: scratch)
      // Recursing into the shorter side bounds the depth by log2(count).
      if pivot - low < high - pivot {
        unsafe sort(entries, low, pivot - 1, through: scratch)
        low = pivot + 1
      } else {
        unsafe sort(entries, pivot + 1, high, through: scratch)
        high = pivot - 1
      }
    }
    guard low < high else { return }
    for index in (low + 1)...high {
      let entry = unsafe entries[index]
      var slot = index
      while slot > low, unsafe better(entry, entries[slot - 1]) {
        unsafe entries[slot] = entries[slot - 1]
        slot -= 1
      }
      unsafe entries[slot] = entry
    }
  }

  /// Partitions `low ... high` around the median of its first, middle and
  /// last pairs; returns where that pair lands, every better pair before it.
  ///
  /// Without a branch on the comparison, through `scratch`: each pair is
  /// written both after the better pairs so far and before the worse ones,
  /// and only the matching end moves; then the range is copied back. The
  /// candidates' order against the pivot is random, so a branch on it
  /// mispredicted about every other step (in place, a swap without a branch
  /// waits on its previous store instead). On the partitions of term at a
  /// time's Debian queries at k = 100 a selection took 1.2-1.4 µs against 1.9.
  private static func partition(
    _ entries: UnsafeMutableBufferPointer<Entry>, _ low: Int, _ high: Int,
    through scratch: UnsafeMutableBufferPointer<Entry>
  ) -> Int {
    unsafe entries.swapAt(medianOfThree(entries, low, (low + high) / 2, high), high)
    let pivot = unsafe entries[high]
    var front = low
    var back = high
    for index in low..<high {
      let entry = unsafe entries[index]
      let isBetter = betterBit(entry, pivot)
      unsafe scratch[front] = entry
      unsafe scratch[back] = entry
      front &+= isBetter
      back &-= 1 &- isBetter
    }
    // The two ends met on the one place left, the pivot's.
    unsafe scratch[front] = pivot
    unsafe UnsafeMutableBufferPointer(rebasing: entries[low...high])
      .update(fromContentsOf: UnsafeMutableBufferPointer(rebasing: scratch[low...high]))
    return front
  }

  /// Which of `entries[a]`, `[b]`, `[c]` ranks between the other two: a
  /// pivot near the middle, so fewer rounds of partitioning.
  @inline(__always)
  private static func medianOfThree(_ entries: UnsafeMutableBufferPointer<Entry>, _ a: Int, _ b: Int, _ c: Int) -> Int {
    let ab = unsafe better(entries[a], entries[b])
    let bc = unsafe better(entries[b], entries[c])
    if ab == bc { return b }
    return unsafe ab == better(entries[a], entries[c]) ? c : a
  }

  /// `better(a, b)` as 1 or 0, computed without a branch.
  @inline(__always)
  private static func betterBit(_ a: Entry, _ b: Entry) -> Int {
    let higher = a.score > b.score ? 1 : 0
    let tiedLower = (a.score == b.score ? 1 : 0) & (a.document < b.document ? 1 : 0)
    return higher | tiedLower
  }

  /// Whether `a` ranks above `b`: higher score, then lower id.
  @inline(__always)
  private static func better(_ a: Entry, _ b: Entry) -> Bool {
    a.score > b.score || (a.score == b.score && a.document < b.document)
  }
}

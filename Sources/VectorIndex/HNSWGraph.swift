/// The memory of an HNSW index, laid out as hnswlib lays it out: dense
/// `UInt32` slots; one contiguous `slotCapacity × dimension` Float array; a
/// fixed-stride layer-0 link table (`[count, n₀ … n₂ₘ₋₁]` per slot); and, for the
/// few nodes above layer 0, one block of `level × [count, n₀ … nₘ₋₁]` each.
///
/// This class is the module's unsafe layer: every raw pointer of the graph is
/// allocated, grown, copied and freed here, and the algorithms reach memory
/// only through its accessors. It is only mutated while uniquely referenced
/// (`HNSWIndex` copies it on write), which is why it may be shared across
/// threads for reading (`@unchecked Sendable`).
final class HNSWGraph: @unchecked Sendable {
  /// Marks a free slot in `levels`.
  static let freeLevel: UInt8 = .max
  /// "No slot" for the entry point of an empty graph.
  static let noSlot: UInt32 = .max
  /// Upper bound on drawn levels; with M ≥ 2 a level above 30 has probability
  /// below 2⁻³⁰ per node, so the cap never changes a real graph's shape.
  static let levelLimit = 30

  let dimension: Int
  let metric: VectorMetric
  /// Links kept per node on layers ≥ 1 (the paper's M).
  let m: Int
  /// Links kept per node on layer 0 (2·M, as the paper recommends).
  let maxM0: Int
  let efConstruction: Int
  let seed: UInt64
  /// Whether `gatherDistances` scores rows where they lie (long vectors)
  /// rather than gathering them for one `sgemv` (short vectors).
  let scoresInPlace: Bool
  /// The dimension from which rows are scored in place. Measured with
  /// `tracekv-bench ann` (queries per CPU second at ef 120): GloVe-50 30k,
  /// gathered 6,782 vs in place 4,758; MiniLM-384 tokens 29.5k, in place
  /// 4,417 vs gathered 4,043.
  static let inPlaceScoringDimension = 128

  private let stride0: Int
  private let strideUpper: Int

  private(set) var slotCapacity = 0
  /// Slots below this are live or free; slots at or above it were never used.
  var slotCount = 0
  private(set) var vectors: UnsafeMutablePointer<Float>
  private(set) var squaredNorms: UnsafeMutablePointer<Float>
  private(set) var levels: UnsafeMutablePointer<UInt8>
  private(set) var labels: UnsafeMutablePointer<UInt32>
  private(set) var links0: UnsafeMutablePointer<UInt32>
  private(set) var upperLinks: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>

  var labelToSlot = LabelMap()
  /// Free slots below `slotCount`, in descending order (the lowest is reused first).
  var freeSlots: [UInt32] = []
  var entryPoint: UInt32 = HNSWGraph.noSlot
  var maxLevel = 0
  var rng: SplitMix64
  /// What the current mutation touched; see `HNSWChangeSet`.
  var changes = ChangeTracker()

  let scratchPool: ScratchPool
  /// The scratch used by inserts and deletes (they run on a uniquely held graph).
  let writeScratch: SearchScratch

  init(dimension: Int, metric: VectorMetric, m: Int, efConstruction: Int, seed: UInt64, rngState: UInt64? = nil) {
    self.dimension = dimension
    self.metric = metric
    self.m = m
    self.maxM0 = 2 * m
    self.efConstruction = efConstruction
    self.seed = seed
    scoresInPlace = dimension >= HNSWGraph.inPlaceScoringDimension
    stride0 = 1 + 2 * m
    strideUpper = 1 + m
    rng = SplitMix64(seed: rngState ?? seed)
    vectors = .allocate(capacity: 1)
    squaredNorms = .allocate(capacity: 1)
    levels = .allocate(capacity: 1)
    labels = .allocate(capacity: 1)
    links0 = .allocate(capacity: 1)
    upperLinks = .allocate(capacity: 1)
    scratchPool = ScratchPool(dimension: dimension, maxLinks: 2 * m)
    writeScratch = SearchScratch(dimension: dimension, maxLinks: 2 * m, slotCount: 1)
  }

  deinit {
    for slot in 0..<slotCount { upperLinks[slot]?.deallocate() }
    vectors.deallocate()
    squaredNorms.deallocate()
    levels.deallocate()
    labels.deallocate()
    links0.deallocate()
    upperLinks.deallocate()
  }

  /// A deep copy, for copy-on-write.
  func copy() -> HNSWGraph {
    let other = HNSWGraph(
      dimension: dimension, metric: metric, m: m, efConstruction: efConstruction, seed: seed, rngState: rng.state)
    other.reserve(slotCapacity)
    other.vectors.update(from: vectors, count: slotCount * dimension)
    other.squaredNorms.update(from: squaredNorms, count: slotCount)
    other.levels.update(from: levels, count: slotCount)
    other.labels.update(from: labels, count: slotCount)
    other.links0.update(from: links0, count: slotCount * stride0)
    for slot in 0..<slotCount {
      guard let block = upperLinks[slot] else { continue }
      let size = Int(levels[slot]) * strideUpper
      let copy = UnsafeMutablePointer<UInt32>.allocate(capacity: size)
      copy.initialize(from: block, count: size)
      other.upperLinks[slot] = copy
    }
    other.slotCount = slotCount
    other.labelToSlot = labelToSlot
    other.freeSlots = freeSlots
    other.entryPoint = entryPoint
    other.maxLevel = maxLevel
    return other
  }

  /// Live nodes.
  var count: Int { labelToSlot.count }

  /// Grows every array to hold at least `capacity` slots.
  /// - Complexity: O(slotCount · (d + M)) when it grows (amortized by doubling).
  func reserve(_ capacity: Int) {
    guard capacity > slotCapacity else { return }
    let newCapacity = max(capacity, slotCapacity + slotCapacity / 2, 16)
    func grown<T>(_ old: UnsafeMutablePointer<T>, _ stride: Int, _ fill: T) -> UnsafeMutablePointer<T> {
      let new = UnsafeMutablePointer<T>.allocate(capacity: newCapacity * stride)
      new.moveInitialize(from: old, count: slotCapacity * stride)
      (new + slotCapacity * stride).initialize(repeating: fill, count: (newCapacity - slotCapacity) * stride)
      old.deallocate()
      return new
    }
    vectors = grown(vectors, dimension, 0)
    squaredNorms = grown(squaredNorms, 1, 0)
    levels = grown(levels, 1, HNSWGraph.freeLevel)
    labels = grown(labels, 1, 0)
    links0 = grown(links0, stride0, 0)
    upperLinks = grown(upperLinks, 1, nil)
    slotCapacity = newCapacity
  }

  // MARK: Node memory

  @inline(__always)
  func vector(_ slot: UInt32) -> UnsafeMutablePointer<Float> { vectors + Int(slot) &* dimension }

  /// The link list of `slot` on `level`: element 0 is the count, then the
  /// neighbour slots.
  @inline(__always)
  func links(_ slot: UInt32, _ level: Int) -> UnsafeMutablePointer<UInt32> {
    if level == 0 { return links0 + Int(slot) &* stride0 }
    return upperLinks[Int(slot)].unsafelyUnwrapped + (level - 1) &* strideUpper
  }

  /// How many links a node keeps on `level`.
  @inline(__always)
  func linkCapacity(_ level: Int) -> Int { level == 0 ? maxM0 : m }

  @inline(__always)
  func isLive(_ slot: UInt32) -> Bool { Int(slot) < slotCount && levels[Int(slot)] != HNSWGraph.freeLevel }

  @inline(__always)
  func level(_ slot: UInt32) -> Int { Int(levels[Int(slot)]) }

  @inline(__always)
  func label(_ slot: UInt32) -> UInt32 { labels[Int(slot)] }

  /// Replaces the link list of `slot` on `level`.
  func setLinks(_ slot: UInt32, _ level: Int, _ neighbours: UnsafeBufferPointer<UInt32>) {
    precondition(neighbours.count <= linkCapacity(level), "HNSW: link list over capacity")
    let list = links(slot, level)
    list[0] = UInt32(neighbours.count)
    if let base = neighbours.baseAddress { (list + 1).update(from: base, count: neighbours.count) }
    changes.linkListWritten(slot, level)
  }

  func setLinks(_ slot: UInt32, _ level: Int, _ neighbours: [UInt32]) {
    neighbours.withUnsafeBufferPointer { setLinks(slot, level, $0) }
  }

  /// The neighbours of `slot` on `level`, copied out.
  func neighbours(_ slot: UInt32, _ level: Int) -> [UInt32] {
    let list = links(slot, level)
    return Array(UnsafeBufferPointer(start: list + 1, count: Int(list[0])))
  }

  /// Takes a slot (a freed one first), writes the node into it with empty
  /// link lists, and returns it. `vector` is already normalized for cosine.
  func occupySlot(label: UInt32, level: Int, vector source: UnsafePointer<Float>) -> UInt32 {
    let slot: UInt32
    if let reused = freeSlots.popLast() {
      slot = reused
    } else {
      reserve(slotCount + 1)
      slot = UInt32(slotCount)
      slotCount += 1
    }
    let index = Int(slot)
    vector(slot).update(from: source, count: dimension)
    squaredNorms[index] = BLASKernel.dot(source, source, Int32(dimension))
    levels[index] = UInt8(level)
    labels[index] = label
    links0[index * stride0] = 0
    if level > 0 {
      let block = UnsafeMutablePointer<UInt32>.allocate(capacity: level * strideUpper)
      block.initialize(repeating: 0, count: level * strideUpper)
      upperLinks[index] = block
    }
    labelToSlot.set(label, slot)
    changes.nodeWritten(slot, level: level)
    return slot
  }

  /// Empties `slot` and puts it on the free list. The caller has already
  /// removed every link to it.
  func releaseSlot(_ slot: UInt32) {
    let index = Int(slot)
    labelToSlot.remove(labels[index])
    upperLinks[index]?.deallocate()
    upperLinks[index] = nil
    levels[index] = HNSWGraph.freeLevel
    links0[index * stride0] = 0
    insertFreeSlot(slot)
    changes.slotFreed(slot)
  }

  /// Keeps `freeSlots` in descending order so `popLast()` reuses the lowest
  /// free slot: the choice then depends only on which slots are free, not on
  /// the order they were freed in, so a restored index (which only knows the
  /// gaps) assigns the same slots as one that never closed.
  func insertFreeSlot(_ slot: UInt32) {
    var low = 0
    var high = freeSlots.count
    while low < high {
      let middle = (low + high) / 2
      if freeSlots[middle] > slot { low = middle + 1 } else { high = middle }
    }
    freeSlots.insert(slot, at: low)
  }

  // MARK: Distances (all through BLASKernel.dot)

  /// Distance from a query (already normalized for cosine; `querySquaredNorm`
  /// used by l2 only) to the node in `slot`.
  @inline(__always)
  func distance(_ query: UnsafePointer<Float>, _ querySquaredNorm: Float, _ slot: UInt32) -> Float {
    let dot = BLASKernel.dot(query, vectors + Int(slot) &* dimension, Int32(truncatingIfNeeded: dimension))
    if metric == .l2 { return querySquaredNorm + squaredNorms[Int(slot)] - 2 * dot }
    return 1 - dot
  }

  /// Distance between two stored nodes.
  @inline(__always)
  func distance(_ a: UInt32, _ b: UInt32) -> Float {
    distance(vector(a), squaredNorms[Int(a)], b)
  }

  /// Bytes held by the graph's arrays (vectors, norms, links, labels, label
  /// map estimate), the figure compared with hnswlib's memory.
  var memoryBytes: Int {
    var bytes = slotCapacity * (dimension * 4 + 4 + 1 + 4 + stride0 * 4 + 8)
    for slot in 0..<slotCount where upperLinks[slot] != nil { bytes += Int(levels[slot]) * strideUpper * 4 }
    bytes += labelToSlot.memoryBytes + freeSlots.capacity * 4
    return bytes
  }
}

/// SplitMix64 (Steele, Lea & Flood, 2014): the level generator's random
/// source, small enough to persist its state in the header so a restored
/// index draws the same levels as one that never closed. Public because the
/// tests and the benchmark harness need the same reproducible seeded stream.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  var state: UInt64

  /// A stream that starts from `seed`; equal seeds give equal streams, and
  /// a saved `state` given as the seed resumes its stream.
  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

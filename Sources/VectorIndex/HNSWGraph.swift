/// The memory of an HNSW index, laid out as hnswlib lays it out: dense
/// `UInt32` slots; a `slots × dimension` Float array; a fixed-stride layer-0
/// link table (`[count, n₀ … n₂ₘ₋₁]` per slot); and, for the few nodes above
/// layer 0, `level` rows `[count, n₀ … nₘ₋₁]` of an upper-layer table. Each
/// array is in chunks (`ChunkedRows`) that versions of the graph share.
///
/// This class is the module's unsafe layer: every raw pointer of the graph is
/// reached through its accessors. A version is only mutated while uniquely
/// referenced (`HNSWIndex` makes a new version on write, `copy()`), and a
/// mutation writes only chunks no other version holds, which is why it may
/// be shared across threads for reading (`@unchecked Sendable`).
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

  /// Slots that fit without adding a chunk.
  var slotCapacity: Int { links0.rowCapacity }
  /// Slots below this are live or free; slots at or above it were never used.
  var slotCount = 0
  // Every per-slot array is chunked (`ChunkedRows`): a copy of the graph
  // shares all chunks, and a mutation copies only the chunks it writes, so
  // a write transaction costs what it touches while readers keep the old
  // version (see `copy()`).
  private(set) var vectors: ChunkedRows<Float>
  private(set) var squaredNorms: ChunkedRows<Float>
  private(set) var levels: ChunkedRows<UInt8>
  private(set) var labels: ChunkedRows<UInt32>
  private(set) var links0: ChunkedRows<UInt32>
  /// The first row in `upperRows` of a node above layer 0 (its layer-l list
  /// is row start + l − 1), or `noSlot`.
  private var upperStart: ChunkedRows<UInt32>
  private var upperRows: ChunkedRows<UInt32>
  private var upperRowCount = 0
  /// How many layer-0 lists name each slot, so pruning never drops a
  /// node's last in-link (see `keepingLastInLinks`).
  private var inDegree: ChunkedRows<UInt32>
  /// Runs of upper rows given back by freed nodes, by length, for reuse.
  private var freeUpperRuns: [Int: [UInt32]] = [:]
  /// 1 for a deleted node kept as a routing node (a tombstone), else 0.
  private(set) var tombstoneFlags: ChunkedRows<UInt8>
  /// The tombstones, in descending order (the lowest is reused first).
  var tombstones: [UInt32] = []

  var labelToSlot = LabelMap()
  /// Free slots below `slotCount`, in descending order (the lowest is reused first).
  var freeSlots: [UInt32] = []
  var entryPoint: UInt32 = HNSWGraph.noSlot
  var maxLevel = 0
  var rng: SplitMix64
  /// What the current mutation touched; see `HNSWChangeSet`.
  var changes = ChangeTracker()

  /// Shared by every version of the graph (it is thread-safe), so a new
  /// version allocates no scratch.
  let scratchPool: ScratchPool
  /// The scratch lent to the running insert or delete (`withWriteScratch`).
  private var lentWriteScratch: SearchScratch?

  init(dimension: Int, metric: VectorMetric, m: Int, efConstruction: Int, seed: UInt64, rngState: UInt64? = nil,
       scratchPool: ScratchPool? = nil) {
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
    vectors = ChunkedRows(stride: dimension, shift: HNSWGraph.vectorShift(dimension: dimension), fill: 0)
    squaredNorms = ChunkedRows(stride: 1, shift: HNSWGraph.narrowShift, fill: 0)
    levels = ChunkedRows(stride: 1, shift: HNSWGraph.narrowShift, fill: HNSWGraph.freeLevel)
    labels = ChunkedRows(stride: 1, shift: HNSWGraph.narrowShift, fill: 0)
    links0 = ChunkedRows(stride: 1 + 2 * m, shift: HNSWGraph.wideShift, fill: 0)
    upperStart = ChunkedRows(stride: 1, shift: HNSWGraph.narrowShift, fill: HNSWGraph.noSlot)
    upperRows = ChunkedRows(stride: 1 + m, shift: HNSWGraph.wideShift, fill: 0)
    inDegree = ChunkedRows(stride: 1, shift: HNSWGraph.narrowShift, fill: 0)
    tombstoneFlags = ChunkedRows(stride: 1, shift: HNSWGraph.narrowShift, fill: 0)
    self.scratchPool = scratchPool ?? ScratchPool(dimension: dimension, maxLinks: 2 * m)
  }

  /// Chunk sizes: 256 rows for link lists (a write copies a few of them:
  /// about 20 chunks of 8–33 KB per insert), 4,096 for the
  /// one-value-per-slot arrays. Vectors: see `vectorShift(dimension:)`.
  static let wideShift = 8
  static let narrowShift = 12

  /// Vector chunks hold the most rows (a power of two, at most 256) that
  /// fit in 64 KiB, and one chunk is one stored vector block (the DocC's
  /// "Persistence contract"): an insert rewrites one block, and a loaded
  /// store's blocks are read in place. 32 rows of 384 floats, 48 KiB.
  static func vectorShift(dimension: Int) -> Int {
    var shift = 0
    while shift < wideShift && (2 << shift) * 4 * dimension <= 64 << 10 { shift += 1 }
    return shift
  }

  /// Rows in a vector chunk (and a stored vector block).
  var vectorBlockRows: Int { 1 << vectors.shift }

  /// A new version of the graph sharing all of this one's memory; either
  /// may then be mutated without the other seeing it (copy-on-write per
  /// chunk).
  /// - Complexity: O(slotCount / 256) for the chunk tables, plus the free
  ///   lists; no vector or link is copied.
  func copy() -> HNSWGraph {
    let other = HNSWGraph(
      dimension: dimension, metric: metric, m: m, efConstruction: efConstruction, seed: seed, rngState: rng.state,
      scratchPool: scratchPool)
    other.vectors = vectors
    other.squaredNorms = squaredNorms
    other.levels = levels
    other.labels = labels
    other.links0 = links0
    other.upperStart = upperStart
    other.upperRows = upperRows
    other.upperRowCount = upperRowCount
    other.inDegree = inDegree
    other.freeUpperRuns = freeUpperRuns
    other.tombstoneFlags = tombstoneFlags
    other.tombstones = tombstones
    other.slotCount = slotCount
    other.labelToSlot = labelToSlot
    other.freeSlots = freeSlots
    other.entryPoint = entryPoint
    other.maxLevel = maxLevel
    return other
  }

  /// Lends a scratch from the pool to the insert or delete run by `body`.
  func withWriteScratch<R>(_ body: () throws -> R) rethrows -> R {
    try scratchPool.withScratch(slotCount: slotCount) { scratch in
      lentWriteScratch = scratch
      defer { lentWriteScratch = nil }
      return try body()
    }
  }

  /// The scratch of the running mutation.
  var writeScratch: SearchScratch {
    guard let lentWriteScratch else { preconditionFailure("HNSW: a mutation ran outside withWriteScratch") }
    return lentWriteScratch
  }

  /// Searchable nodes (tombstones excluded).
  var count: Int { labelToSlot.count }

  /// Makes room for at least `capacity` slots. A load that lends its vector
  /// blocks passes `vectors: false` and adds them itself
  /// (`appendVectorChunk`, then `reserveVectors`).
  /// - Complexity: O(new chunks).
  func reserve(_ capacity: Int, vectors reservesVectors: Bool = true) {
    guard capacity > slotCapacity else { return }
    squaredNorms.reserve(rows: capacity)
    levels.reserve(rows: capacity)
    labels.reserve(rows: capacity)
    links0.reserve(rows: capacity)
    upperStart.reserve(rows: capacity)
    inDegree.reserve(rows: capacity)
    tombstoneFlags.reserve(rows: capacity)
    // To the capacity `slotCapacity` reports (vector chunks may be smaller).
    if reservesVectors { reserveVectors() }
  }

  // MARK: Node memory

  @inline(__always)
  func vector(_ slot: UInt32) -> UnsafePointer<Float> { UnsafePointer(vectors.row(Int(slot))) }

  @inline(__always)
  func squaredNorm(_ slot: UInt32) -> Float { squaredNorms.row(Int(slot)).pointee }

  /// The link list of `slot` on `level`, for reading: element 0 is the
  /// count, then the neighbour slots.
  @inline(__always)
  func links(_ slot: UInt32, _ level: Int) -> UnsafePointer<UInt32> {
    LevelLinks(self, level: level)[slot]
  }

  // The two views below are taken once before a loop that reads many rows:
  // each read of a chunked array through the class retains and releases its
  // chunk tables, and per expanded node that was about a fifth of the graph
  // search's time on a 2,000-node graph (`perf` of `tracekv-bench search`).

  /// The vectors and their squared norms, as values.
  struct NodeVectors {
    let values: ChunkedRows<Float>
    let squaredNorms: ChunkedRows<Float>

    init(_ graph: HNSWGraph) {
      values = graph.vectors
      squaredNorms = graph.squaredNorms
    }
  }

  /// The link lists of one level, as a value.
  struct LevelLinks {
    private let rows: ChunkedRows<UInt32>
    /// Each node's first upper row, for a level above 0.
    private let upperStart: ChunkedRows<UInt32>?
    private let level: Int

    init(_ graph: HNSWGraph, level: Int) {
      self.level = level
      rows = level == 0 ? graph.links0 : graph.upperRows
      upperStart = level == 0 ? nil : graph.upperStart
    }

    @inline(__always)
    subscript(slot: UInt32) -> UnsafePointer<UInt32> {
      guard let upperStart else { return UnsafePointer(rows.row(Int(slot))) }
      return UnsafePointer(rows.row(Int(upperStart.row(Int(slot)).pointee) + level - 1))
    }
  }

  /// The link list of `slot` on `level`, for writing (its chunk made private).
  func writableLinks(_ slot: UInt32, _ level: Int) -> UnsafeMutablePointer<UInt32> {
    if level == 0 { return links0.writableRow(Int(slot)) }
    return upperRows.writableRow(Int(upperStart.row(Int(slot)).pointee) + level - 1)
  }

  /// How many links a node keeps on `level`.
  @inline(__always)
  func linkCapacity(_ level: Int) -> Int { level == 0 ? maxM0 : m }

  @inline(__always)
  func rawLevel(_ index: Int) -> UInt8 { levels.row(index).pointee }

  /// Whether `slot` holds a node of the graph (searchable or a tombstone).
  @inline(__always)
  func isLive(_ slot: UInt32) -> Bool { Int(slot) < slotCount && rawLevel(Int(slot)) != HNSWGraph.freeLevel }

  /// Whether the node in `slot` was deleted and stays only to route searches.
  @inline(__always)
  func isTombstone(_ slot: UInt32) -> Bool { tombstoneFlags.row(Int(slot)).pointee != 0 }

  /// Whether `slot` holds a node a search may return.
  @inline(__always)
  func isSearchable(_ slot: UInt32) -> Bool { isLive(slot) && !isTombstone(slot) }

  /// Turns the live node in `slot` into a tombstone: its label leaves the
  /// label map (a later insert may take the label), its vector and links stay.
  func markTombstone(_ slot: UInt32) {
    labelToSlot.remove(label(slot))
    tombstoneFlags.writableRow(Int(slot)).pointee = 1
    insertSorted(slot, into: &tombstones)
    changes.nodes.insert(slot)
  }

  /// Makes the tombstone in `slot` a node again under `label`.
  func reviveTombstone(_ slot: UInt32, label: UInt32) {
    tombstoneFlags.writableRow(Int(slot)).pointee = 0
    let position = descendingPosition(slot, in: tombstones)
    if position < tombstones.count && tombstones[position] == slot { tombstones.remove(at: position) }
    labels.writableRow(Int(slot)).pointee = label
    labelToSlot.set(label, slot)
  }

  @inline(__always)
  func level(_ slot: UInt32) -> Int { Int(rawLevel(Int(slot))) }

  @inline(__always)
  func label(_ slot: UInt32) -> UInt32 { labels.row(Int(slot)).pointee }

  /// Layer-0 lists naming `slot`.
  @inline(__always)
  func inLinks(_ slot: UInt32) -> Int { Int(inDegree.row(Int(slot)).pointee) }

  /// Counts (delta +1) or uncounts (−1) the layer-0 links in `list`.
  private func countInLinks(of list: UnsafePointer<UInt32>, _ delta: Int32) {
    for index in 0..<Int(list[0]) {
      let entry = inDegree.writableRow(Int(list[1 + index]))
      entry.pointee = UInt32(Int32(entry.pointee) + delta)
    }
  }

  /// Recounts every layer-0 in-link (after a load wrote lists directly).
  func recountInLinks() {
    // Counted in a plain array, then stored once per slot: a chunked write
    // per link (32 million at a million nodes) cost a tenth of an open.
    var counts = [UInt32](repeating: 0, count: slotCount)
    let lists = LevelLinks(self, level: 0)
    for index in 0..<slotCount where rawLevel(index) != HNSWGraph.freeLevel {
      let list = lists[UInt32(index)]
      for link in 0..<Int(list[0]) { counts[Int(list[1 + link])] += 1 }
    }
    for (index, count) in counts.enumerated() { inDegree.writableRow(index).pointee = count }
  }

  /// Replaces the link list of `slot` on `level`.
  func setLinks(_ slot: UInt32, _ level: Int, _ neighbours: UnsafeBufferPointer<UInt32>) {
    precondition(neighbours.count <= linkCapacity(level), "HNSW: link list over capacity")
    if level == 0 { countInLinks(of: links(slot, 0), -1) }
    let list = writableLinks(slot, level)
    list[0] = UInt32(neighbours.count)
    if let base = neighbours.baseAddress { (list + 1).update(from: base, count: neighbours.count) }
    if level == 0 { countInLinks(of: links(slot, 0), 1) }
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
    writeNode(slot, label: label, level: level)
    writableVector(slot).update(from: source, count: dimension)
    refreshSquaredNorm(slot)
    changes.nodeWritten(slot, level: level)
    return slot
  }

  /// Marks `slot` live with its label and level and empty link lists; its
  /// vector is written next.
  /// A tombstone (`isTombstone`) is written without taking its label.
  func writeNode(_ slot: UInt32, label: UInt32, level: Int, isTombstone: Bool = false) {
    let index = Int(slot)
    levels.writableRow(index).pointee = UInt8(level)
    if isTombstone || self.isTombstone(slot) { tombstoneFlags.writableRow(index).pointee = isTombstone ? 1 : 0 }
    labels.writableRow(index).pointee = label
    links0.writableRow(index).pointee = 0
    if level > 0 {
      let start: UInt32
      if let reused = freeUpperRuns[level]?.popLast() {
        start = reused
      } else {
        start = UInt32(upperRowCount)
        upperRowCount += level
        upperRows.reserve(rows: upperRowCount)
      }
      upperStart.writableRow(index).pointee = start
      for row in 0..<level { upperRows.writableRow(Int(start) + row).pointee = 0 }
    }
    // The caller lists a tombstone (a load lists them all at once).
    if !isTombstone { labelToSlot.set(label, slot) }
  }

  /// The vector of `slot`, for writing (its block is then written too).
  func writableVector(_ slot: UInt32) -> UnsafeMutablePointer<Float> {
    changes.vectorWritten(slot >> UInt32(vectors.shift))
    return vectors.writableRow(Int(slot))
  }

  /// The vectors of block `block` (`vectorBlockRows` rows), as stored.
  func vectorBlock(_ block: UInt32) -> UnsafeBufferPointer<Float> { vectors.chunkElements(Int(block)) }

  /// Vector blocks that hold at least one slot below `slotCount`.
  var vectorBlockCount: Int { (slotCount + vectorBlockRows - 1) >> vectors.shift }

  /// Replaces the rows of vector block `block` (a reserved one) by `rows`.
  /// The chunk it replaces is not read: a borrowed one may be stale.
  func replaceVectorBlock(_ block: UInt32, with rows: UnsafeBufferPointer<Float>) {
    vectors.replace(chunk: Int(block), with: RowChunk(copyingBytes: UnsafeRawBufferPointer(rows)))
  }

  /// Moves the borrowed vector blocks `offset` bytes (see `ChunkedRows.rebaseBorrowed`).
  func rebaseBorrowedVectors(by offset: Int) { vectors.rebaseBorrowed(by: offset) }

  /// Appends a vector chunk (for a load; in block order).
  func appendVectorChunk(_ chunk: RowChunk<Float>) { vectors.append(chunk) }

  /// Adds zero-filled vector chunks until every reserved slot has one.
  func reserveVectors() { vectors.reserve(rows: slotCapacity) }

  /// Empties `slot` and puts it on the free list. The caller has already
  /// removed every link to it.
  func releaseSlot(_ slot: UInt32) {
    let index = Int(slot)
    if isTombstone(slot) {
      tombstoneFlags.writableRow(index).pointee = 0
      let position = descendingPosition(slot, in: tombstones)
      if position < tombstones.count && tombstones[position] == slot { tombstones.remove(at: position) }
    } else if labelToSlot[label(slot)] == slot {
      labelToSlot.remove(label(slot))
    }
    let level = self.level(slot)
    if level > 0 {
      freeUpperRuns[level, default: []].append(upperStart.row(index).pointee)
      upperStart.writableRow(index).pointee = HNSWGraph.noSlot
    }
    levels.writableRow(index).pointee = HNSWGraph.freeLevel
    countInLinks(of: links(slot, 0), -1)
    links0.writableRow(index).pointee = 0
    insertFreeSlot(slot)
    changes.slotFreed(slot)
  }

  /// Caches ‖v‖² of `slot` after its vector was written. Only l2 reads it
  /// (cosine vectors are unit length), so under other metrics it stays 0 and
  /// a load never reads the vectors.
  func refreshSquaredNorm(_ slot: UInt32) {
    guard metric == .l2 else { return }
    let vector = self.vector(slot)
    squaredNorms.writableRow(Int(slot)).pointee = BLASKernel.dot(vector, vector, Int32(dimension))
  }

  /// Keeps `freeSlots` in descending order so `popLast()` reuses the lowest
  /// free slot: the choice then depends only on which slots are free, not on
  /// the order they were freed in, so a restored index (which only knows the
  /// gaps) assigns the same slots as one that never closed.
  func insertFreeSlot(_ slot: UInt32) {
    insertSorted(slot, into: &freeSlots)
  }

  /// Where `slot` stands, or would stand, in the descending `freeSlots`.
  func freeSlotPosition(_ slot: UInt32) -> Int { descendingPosition(slot, in: freeSlots) }

  /// Inserts `slot` into a descending list (free slots, tombstones).
  func insertSorted(_ slot: UInt32, into list: inout [UInt32]) {
    list.insert(slot, at: descendingPosition(slot, in: list))
  }

  /// Where `slot` stands, or would stand, in a descending list.
  func descendingPosition(_ slot: UInt32, in list: [UInt32]) -> Int {
    var low = 0
    var high = list.count
    while low < high {
      let middle = (low + high) / 2
      if list[middle] > slot { low = middle + 1 } else { high = middle }
    }
    return low
  }

  // MARK: Distances (all through BLASKernel.dot)

  /// Distance from a query (already normalized for cosine; `querySquaredNorm`
  /// used by l2 only) to the node in `slot`.
  @inline(__always)
  func distance(_ query: UnsafePointer<Float>, _ querySquaredNorm: Float, _ slot: UInt32) -> Float {
    let dot = BLASKernel.dot(query, vectors.row(Int(slot)), Int32(truncatingIfNeeded: dimension))
    if metric == .l2 { return querySquaredNorm + squaredNorm(slot) - 2 * dot }
    return 1 - dot
  }

  /// Distance between two stored nodes.
  @inline(__always)
  func distance(_ a: UInt32, _ b: UInt32) -> Float {
    distance(vector(a), squaredNorm(a), b)
  }

  /// Bytes held by the graph's arrays (vectors, norms, links, labels, label
  /// map estimate), the figure compared with hnswlib's memory.
  var memoryBytes: Int {
    var bytes = vectors.memoryBytes + squaredNorms.memoryBytes + levels.memoryBytes + labels.memoryBytes
    bytes += links0.memoryBytes + upperStart.memoryBytes + upperRows.memoryBytes
    bytes += labelToSlot.memoryBytes + freeSlots.capacity * 4 + tombstoneFlags.memoryBytes + tombstones.capacity * 4
    return bytes
  }
}

/// One fixed-size block of rows, the unit that versions of a `ChunkedRows`
/// share and that a write copies. Its memory is its own, or borrowed
/// read-only memory (rows read in place from a store's map), which a write
/// always copies first.
@usableFromInline
final class RowChunk<Element: BitwiseCopyable>: @unchecked Sendable {
  // @unchecked: written only while uniquely referenced (see ChunkedRows).
  @usableFromInline let base: UnsafeMutablePointer<Element>
  @usableFromInline let capacity: Int
  @usableFromInline let ownsMemory: Bool

  @usableFromInline
  init(capacity: Int, repeating fill: Element) {
    self.capacity = capacity
    base = .allocate(capacity: capacity)
    base.initialize(repeating: fill, count: capacity)
    ownsMemory = true
  }

  @usableFromInline
  init(copying other: RowChunk) {
    capacity = other.capacity
    base = .allocate(capacity: capacity)
    base.initialize(from: other.base, count: capacity)
    ownsMemory = true
  }

  /// A chunk holding a copy of `bytes`, the elements' own representation
  /// (any alignment; as many elements as they hold).
  init(copyingBytes bytes: UnsafeRawBufferPointer) {
    capacity = bytes.count / MemoryLayout<Element>.stride
    base = .allocate(capacity: capacity)
    UnsafeMutableRawPointer(base).copyMemory(from: bytes.baseAddress!, byteCount: capacity * MemoryLayout<Element>.stride)
    ownsMemory = true
  }

  /// A chunk over `capacity` elements at `base`, which must stay readable
  /// and unchanged while any version holds the chunk; never written.
  init(borrowing base: UnsafePointer<Element>, capacity: Int) {
    self.capacity = capacity
    self.base = UnsafeMutablePointer(mutating: base)
    ownsMemory = false
  }

  deinit { if ownsMemory { base.deallocate() } }
}

/// Up to 256 consecutive chunks of a `ChunkedRows`: the unit its chunk
/// table is shared and copied in. A new version of an array retains its
/// groups, not every chunk, and a write copies the one group it touches
/// (at a million rows of 384-float vectors in 32-row chunks: 123 groups and
/// 256 chunk references instead of 31,250 retains, and as many releases when
/// the old version goes).
@usableFromInline
final class ChunkGroup<Element: BitwiseCopyable>: @unchecked Sendable {
  // @unchecked: written only while uniquely referenced (see ChunkedRows),
  // which also makes the dynamic exclusivity check redundant: without it
  // every `writableRow` paid two runtime calls (a load's in-link recount
  // makes one per link, 32 million at a million nodes).
  @usableFromInline @exclusivity(unchecked) var chunks: ContiguousArray<RowChunk<Element>>

  @usableFromInline
  init(_ chunks: ContiguousArray<RowChunk<Element>>) { self.chunks = chunks }
}

/// An array of fixed-stride rows stored in chunks of `1 << shift` rows.
///
/// A copy shares every chunk; a write first copies the one chunk it touches
/// when another copy still holds it (copy-on-write per chunk, and per
/// `ChunkGroup` of the table that owns them). So a new version of an index
/// costs the table of base addresses (one pointer per chunk, copied as
/// bytes), the groups and the chunks a mutation touches, never the whole
/// array, and a reader holding the old version keeps reading unchanged
/// memory while the writer builds the next one.
///
/// Pointers from `row(_:)` are for reading; `writableRow(_:)` is the only way
/// to get memory to write, and it is valid until the next mutation.
/// (Inlinable so that `ChunkedArray` is specialized in the modules using it:
/// an unspecialized generic row access costs a metadata lookup.)
@usableFromInline
struct ChunkedRows<Element: BitwiseCopyable>: @unchecked Sendable {
  // @unchecked: chunks are immutable while shared (see RowChunk).
  @usableFromInline let stride: Int
  @usableFromInline let shift: Int
  @usableFromInline let fill: Element
  /// The chunks, in groups of `groupSize` (the last one may be shorter).
  @usableFromInline var groups: ContiguousArray<ChunkGroup<Element>> = []
  /// The chunks' base addresses, so reads cost no reference counting.
  @usableFromInline var bases: ContiguousArray<UnsafeMutablePointer<Element>> = []

  @usableFromInline static var groupShift: Int { 8 }
  @usableFromInline static var groupSize: Int { 1 << groupShift }

  @usableFromInline
  init(stride: Int, shift: Int, fill: Element) {
    precondition(stride > 0 && shift >= 0 && shift < 30, "ChunkedRows: bad layout")
    self.stride = stride
    self.shift = shift
    self.fill = fill
  }

  /// Rows that fit without adding a chunk.
  @inlinable
  var rowCapacity: Int { bases.count << shift }

  /// The memory of row `index` (below `rowCapacity`), for reading.
  @inlinable @inline(__always)
  func row(_ index: Int) -> UnsafeMutablePointer<Element> {
    bases[index &>> shift] + (index & ((1 &<< shift) &- 1)) &* stride
  }

  /// The memory of row `index`, after copying its group and its chunk if
  /// another version shares them.
  @inlinable @inline(__always)
  mutating func writableRow(_ index: Int) -> UnsafeMutablePointer<Element> {
    let chunk = index &>> shift
    let group = chunk &>> Self.groupShift
    let member = chunk & (Self.groupSize &- 1)
    makeGroupPrivate(group)
    if !isKnownUniquelyReferenced(&groups[group].chunks[member]) || !groups[group].chunks[member].ownsMemory {
      let copy = RowChunk(copying: groups[group].chunks[member])
      groups[group].chunks[member] = copy
      bases[chunk] = copy.base
    }
    return bases[chunk] + (index & ((1 &<< shift) &- 1)) &* stride
  }

  /// Copies group `index` if another version shares it (its chunks stay
  /// shared until written).
  @inlinable @inline(__always)
  mutating func makeGroupPrivate(_ index: Int) {
    if !isKnownUniquelyReferenced(&groups[index]) { groups[index] = ChunkGroup(groups[index].chunks) }
  }

  /// Adds chunks (filled with `fill`) until `rows` rows fit.
  @inlinable
  mutating func reserve(rows: Int) {
    while rowCapacity < rows { append(RowChunk(capacity: stride << shift, repeating: fill)) }
  }

  /// Appends `chunk` (of this array's chunk size) as the next chunk.
  @inlinable
  mutating func append(_ chunk: RowChunk<Element>) {
    precondition(chunk.capacity == stride << shift, "ChunkedRows: chunk of another size")
    if bases.count & (Self.groupSize &- 1) == 0 {
      groups.append(ChunkGroup([chunk]))
    } else {
      makeGroupPrivate(groups.count - 1)
      groups[groups.count - 1].chunks.append(chunk)
    }
    bases.append(chunk.base)
  }

  /// Chunk `index`.
  func chunk(_ index: Int) -> RowChunk<Element> {
    groups[index >> Self.groupShift].chunks[index & (Self.groupSize - 1)]
  }

  /// Puts `chunk` (of this array's chunk size) in place of chunk `index`.
  mutating func replace(chunk index: Int, with chunk: RowChunk<Element>) {
    precondition(chunk.capacity == stride << shift, "ChunkedRows: chunk of another size")
    makeGroupPrivate(index >> Self.groupShift)
    groups[index >> Self.groupShift].chunks[index & (Self.groupSize - 1)] = chunk
    bases[index] = chunk.base
  }

  /// Moves every borrowed chunk `offset` bytes (the memory it lends from
  /// was mapped again elsewhere, the same bytes at a new address); the
  /// chunks' old memory is not read.
  mutating func rebaseBorrowed(by offset: Int) {
    for index in bases.indices where !chunk(index).ownsMemory {
      let moved = UnsafeRawPointer(bases[index]).advanced(by: offset).assumingMemoryBound(to: Element.self)
      replace(chunk: index, with: RowChunk(borrowing: moved, capacity: stride << shift))
    }
  }

  /// The rows of chunk `index` as one contiguous buffer.
  func chunkElements(_ index: Int) -> UnsafeBufferPointer<Element> {
    UnsafeBufferPointer(start: bases[index], count: stride << shift)
  }

  /// Bytes this process allocated for the chunks (borrowed ones excluded).
  var memoryBytes: Int {
    var bytes = 16 * bases.count
    for group in groups {
      for chunk in group.chunks where chunk.ownsMemory { bytes += chunk.capacity * MemoryLayout<Element>.stride }
    }
    return bytes
  }
}

/// A growable array of values on `ChunkedRows` (one value per row), for the
/// per-document columns that writes change a few entries of at a time.
public struct ChunkedArray<Element: BitwiseCopyable & Sendable>: Sendable {
  @usableFromInline var rows: ChunkedRows<Element>
  @usableFromInline var storedCount: Int
  /// Elements in the array; those past the last `set` read as `fill`.
  @inlinable
  public var count: Int { storedCount }

  /// An empty array whose unset elements read as `fill`. Chunks hold
  /// `1 << shift` elements (4,096 by default).
  @inlinable
  public init(fill: Element, shift: Int = 12) {
    rows = ChunkedRows(stride: 1, shift: shift, fill: fill)
    storedCount = 0
  }

  @inlinable
  public subscript(index: Int) -> Element {
    get {
      precondition(index >= 0 && index < count, "ChunkedArray: index \(index) out of range 0..<\(count)")
      return rows.row(index).pointee
    }
    set {
      precondition(index >= 0 && index < count, "ChunkedArray: index \(index) out of range 0..<\(count)")
      rows.writableRow(index).pointee = newValue
    }
  }

  /// Elements per chunk: `chunk(startingAt:)` takes multiples of it.
  @inlinable
  public var chunkSize: Int { 1 << rows.shift }

  /// The elements from `start` (a multiple of `chunkSize` below `count`) to
  /// the end of its chunk or of the array, for scans that read every element
  /// (one bounds check a chunk instead of one an element). Valid until the
  /// next mutation of this array.
  @inlinable
  public func chunk(startingAt start: Int) -> UnsafeBufferPointer<Element> {
    precondition(start >= 0 && start < count && start & (chunkSize - 1) == 0, "ChunkedArray: bad chunk start \(start)")
    return UnsafeBufferPointer(start: rows.row(start), count: min(chunkSize, count - start))
  }

  /// Grows to `newCount` elements (new ones read as `fill`); never shrinks.
  /// - Complexity: O(new chunks).
  @inlinable
  public mutating func grow(to newCount: Int) {
    guard newCount > count else { return }
    rows.reserve(rows: newCount)
    storedCount = newCount
  }

  /// Bytes held by the chunks.
  public var memoryBytes: Int { rows.memoryBytes }
}

import ByteCodecs
import Foundation
import VectorIndex

/// Per-trace filter fields in arrays indexed by document id, so a
/// search filter becomes a bitset in microseconds instead of a scan of
/// trace records (DESIGN.md, "Per-trace filter fields").
///
/// The arrays are chunked (`ChunkedArray`): a write transaction's copy of the
/// columns shares every chunk with the installed one and copies only the
/// chunks of the documents it changes.
struct FilterColumns: Sendable {
  private static let absent: UInt8 = 0xFF
  private static let statusCodes: [TraceStatus: UInt8] = [.running: 0, .completed: 1, .needsReview: 2, .failed: 3]
  private static let errorCodes = Dictionary(uniqueKeysWithValues: ErrorType.allCases.enumerated().map { ($1, UInt8($0)) })

  private var status = ChunkedArray<UInt8>(fill: FilterColumns.absent)
  private var rating = ChunkedArray<Int8>(fill: -1)
  private var errorType = ChunkedArray<UInt8>(fill: FilterColumns.absent)
  private var eventTime = ChunkedArray<Int64>(fill: 0)
  private var confidence = ChunkedArray<Double>(fill: .nan)
  private var episode = ChunkedArray<UInt32>(fill: .max)
  /// Shared by every version of the columns (see `EpisodeCodes`).
  private var episodeCodes = EpisodeCodes()
  private(set) var liveCount = 0

  /// Records (or replaces) a trace's fields.
  mutating func set(_ doc: UInt32, _ record: TraceRecord) {
    let index = Int(doc)
    if index >= status.count { grow(to: index + 1) }
    if status[index] == Self.absent { liveCount += 1 }
    let trace = record.trace
    status[index] = Self.statusCodes[trace.status]!
    // Clamped: an AI evaluation's rating is not range-checked (1000 once trapped here).
    rating[index] = Int8(clamping: trace.rating ?? -1)
    errorType[index] = trace.aiEvaluation?.errorType.flatMap { Self.errorCodes[$0] } ?? Self.absent
    eventTime[index] = record.eventTime
    confidence[index] = trace.aiEvaluation?.confidence ?? .nan
    if let episodeID = trace.episodeID {
      episode[index] = episodeCodes.code(for: episodeID)
    } else {
      episode[index] = .max
    }
  }

  mutating func remove(_ doc: UInt32) {
    let index = Int(doc)
    guard index < status.count, status[index] != Self.absent else { return }
    status[index] = Self.absent
    liveCount -= 1
  }

  func contains(_ doc: UInt32) -> Bool { Int(doc) < status.count && status[Int(doc)] != Self.absent }

  // MARK: Blocks (persisted by `FilterColumnBlocks`)

  /// Documents per persisted block.
  static let blockSize = 256
  /// Bytes of one encoded block: for each document in turn, status, rating
  /// and error type (a byte each), then event time (i64) and confidence
  /// (f64 bits), little-endian; 19 bytes a document.
  static let blockBytes = blockSize * 19

  /// Blocks covering every document id seen.
  var blockCount: Int { (status.count + Self.blockSize - 1) / Self.blockSize }

  /// The block of documents `block · blockSize ..< (block + 1) · blockSize`
  /// (the episode column is not in it: it is rebuilt from `by-episode`).
  func encodedBlock(_ block: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Self.blockBytes)
    let first = block * Self.blockSize
    for index in first..<(first + Self.blockSize) {
      // A deleted document keeps its old values in memory; its block says only "absent".
      guard index < status.count, status[index] != Self.absent else {
        bytes += [Self.absent, UInt8(bitPattern: -1), Self.absent]
        LittleEndian.append(UInt64(0), to: &bytes)
        LittleEndian.append(Double.nan.bitPattern, to: &bytes)
        continue
      }
      bytes += [status[index], UInt8(bitPattern: rating[index]), errorType[index]]
      LittleEndian.append(UInt64(bitPattern: eventTime[index]), to: &bytes)
      LittleEndian.append(confidence[index].bitPattern, to: &bytes)
    }
    return bytes
  }

  /// Sets the documents of `block` from `encodedBlock`'s bytes.
  /// - Throws: `TraceKVError` `.corrupted` for bytes of another length or an
  ///   unknown status or error code.
  mutating func setBlock(_ block: Int, from bytes: RawSpan) throws(TraceKVError) {
    guard bytes.byteCount == Self.blockBytes else {
      throw TraceKVError(.corrupted, "filter column block \(block) has \(bytes.byteCount) bytes, expected \(Self.blockBytes)")
    }
    let first = block * Self.blockSize
    for offset in 0..<Self.blockSize {
      let at = offset * 19
      let code = bytes.byte(at: at)
      guard code != Self.absent else { continue }
      guard code < UInt8(Self.statusCodes.count), bytes.byte(at: at + 2) == Self.absent || Int(bytes.byte(at: at + 2)) < Self.errorCodes.count
      else { throw TraceKVError(.corrupted, "filter column block \(block): bad code for document \(first + offset)") }
      let index = first + offset
      if index >= status.count { grow(to: index + 1) }
      if status[index] == Self.absent { liveCount += 1 }
      status[index] = code
      rating[index] = Int8(bitPattern: bytes.byte(at: at + 1))
      errorType[index] = bytes.byte(at: at + 2)
      eventTime[index] = Int64(bitPattern: LittleEndian.read(UInt64.self, from: bytes, at: at + 3)!)
      confidence[index] = Double(bitPattern: LittleEndian.read(UInt64.self, from: bytes, at: at + 11)!)
    }
  }

  /// The first block whose encoding differs from `other`'s, or nil.
  func firstDifferentBlock(from other: FilterColumns) -> Int? {
    (0..<max(blockCount, other.blockCount)).first { encodedBlock($0) != other.encodedBlock($0) }
  }

  /// Sets the episode of a document already set (from `by-episode`).
  mutating func setEpisode(_ doc: UInt32, _ episodeID: String) {
    guard contains(doc) else { return }
    episode[Int(doc)] = episodeCodes.code(for: episodeID)
  }

  private mutating func grow(to count: Int) {
    status.grow(to: count)
    rating.grow(to: count)
    errorType.grow(to: count)
    eventTime.grow(to: count)
    confidence.grow(to: count)
    episode.grow(to: count)
  }

  /// The documents a filter allows, or nil when it allows every trace.
  ///
  /// Built a column at a time, as a column store evaluates a conjunction:
  /// one pass over the status column sets each word's bits (live documents
  /// of an allowed status), then one pass per other condition the filter
  /// sets clears the bits of the documents it rejects; each pass reads one
  /// column a chunk at a time, without branches. Document by document (a
  /// set insert each) the set took more than half of a `min_rating`
  /// search's CPU at 100,000 traces (BENCHMARKS.md, "one BLAS thread").
  /// - Complexity: O(documents) per condition set.
  func allowed(by filter: TraceFilter) -> LabelSet? {
    guard !filter.isEmpty else { return nil }
    var words = [UInt64](repeating: 0, count: wordCount)
    fill(&words, by: filter, in: 0..<wordCount)
    return LabelSet(words: words)
  }

  /// What `allowed(by:)` returns, from `earlier` (its answer for the same
  /// filter at an earlier version of these columns) and the documents
  /// changed since (`SearchState.changedSince`): only their words, and the
  /// words the columns grew by, are built again.
  /// - Complexity: O(64 · words touched) per condition set.
  func allowed(by filter: TraceFilter, updating earlier: LabelSet, changed documents: Set<UInt32>) -> LabelSet? {
    guard !filter.isEmpty else { return nil }
    var words = earlier.words
    // The earlier set may end sooner (its last words empty) or, never in a
    // store (documents are never renumbered), later: keep it to the columns.
    let kept = min(words.count, wordCount)
    words.removeLast(words.count - kept)
    words.append(contentsOf: repeatElement(0, count: wordCount - kept))
    fill(&words, by: filter, in: kept..<wordCount)
    for word in Set(documents.lazy.map { Int($0) >> 6 }) where word < kept {
      fill(&words, by: filter, in: word..<(word + 1))
    }
    return LabelSet(words: words)
  }

  private var wordCount: Int { (status.count + 63) / 64 }

  /// Sets `words[range]` to the documents `filter` allows among those they cover.
  private func fill(_ words: inout [UInt64], by filter: TraceFilter, in range: Range<Int>) {
    var episodeCode: UInt32?
    if let episodeID = filter.episodeID {
      guard let code = episodeCodes.existingCode(for: episodeID) else {
        // No trace has that episode.
        for word in range { words[word] = 0 }
        return
      }
      episodeCode = code
    }
    // Codes as bits of a mask (status and error codes are below 63; `absent` reads bit 63).
    func mask(_ codes: some Sequence<UInt8>) -> UInt64 { codes.reduce(0) { $0 | 1 << UInt64($1) } }
    let statusMask = mask(filter.statuses.isEmpty ? Array(Self.statusCodes.values) : filter.statuses.compactMap { Self.statusCodes[$0] })
    Self.scan(status, into: &words, range, first: true) { (statusMask >> UInt64($0 & 63)) & 1 != 0 }
    if let minRating = filter.minRating {
      // An unrated trace (-1 here) fails every bound, as in `TraceFilter.matches`.
      Self.scan(rating, into: &words, range) { $0 != -1 && Int($0) >= minRating }
    }
    if !filter.errorTypes.isEmpty {
      let errorMask = mask(filter.errorTypes.compactMap { Self.errorCodes[$0] })
      Self.scan(errorType, into: &words, range) { (errorMask >> UInt64($0 & 63)) & 1 != 0 }
    }
    if filter.since != nil || filter.until != nil {
      let since = filter.since?.microseconds ?? .min
      let until = filter.until?.microseconds ?? .max
      Self.scan(eventTime, into: &words, range) { $0 >= since && $0 <= until }
    }
    if filter.minConfidence != nil || filter.maxConfidence != nil {
      let low = filter.minConfidence ?? -.infinity
      let high = filter.maxConfidence ?? .infinity
      // NaN (no evaluation) fails both comparisons, as `TraceFilter.matches` does.
      Self.scan(confidence, into: &words, range) { $0 >= low && $0 <= high }
    }
    if let episodeCode { Self.scan(episode, into: &words, range) { $0 == episodeCode } }
  }

  /// One pass of `fill`: the bit of each document of `words[range]` that
  /// fails `test` is cleared (`first`: set to whether it passes).
  @inline(__always)
  private static func scan<Element>(
    _ column: ChunkedArray<Element>, into words: inout [UInt64], _ range: Range<Int>, first: Bool = false,
    _ test: (Element) -> Bool
  ) {
    let end = min(range.upperBound * 64, column.count)
    var start = range.lowerBound * 64
    while start < end {
      // A chunk holds a multiple of 64 documents, so each starts a word.
      let chunkStart = start & ~(column.chunkSize - 1)
      let values = unsafe column.chunk(startingAt: chunkStart)
      let stop = min(values.count, end - chunkStart)
      var word = start >> 6
      var offset = start - chunkStart
      while offset < stop {
        let wordEnd = min(offset + 64, stop)
        var bits: UInt64 = 0
        var index = offset
        // Eight at a time, each at a constant shift: independent tests the processor overlaps.
        while index + 8 <= wordEnd {
          var byte: UInt64 = 0
          for lane in 0..<8 {
            let passes: UInt64 = unsafe test(values[index &+ lane]) ? 1 : 0
            byte |= passes &<< UInt64(lane)
          }
          bits |= byte &<< UInt64(index &- offset)
          index += 8
        }
        while index < wordEnd {
          let passes: UInt64 = unsafe test(values[index]) ? 1 : 0
          bits |= passes &<< UInt64(index &- offset)
          index += 1
        }
        words[word] = first ? bits : words[word] & bits
        word += 1
        offset = wordEnd
      }
      start = chunkStart + stop
    }
  }
}

/// Episode id → small code, append-only and shared by every version of the
/// filter columns: a code never changes meaning, so an older version that
/// meets a code added later simply holds no document with it. A write thus
/// never copies the table (it grew by one entry per new episode).
struct EpisodeCodes: Sendable {
  private final class Table: @unchecked Sendable {
    // @unchecked: `codes` is only touched under `lock`.
    let lock = NSLock()
    var codes: [String: UInt32] = [:]
  }
  private let table = Table()

  /// The code of `episodeID`, assigned now if it has none.
  func code(for episodeID: String) -> UInt32 {
    table.lock.withLock {
      if let code = table.codes[episodeID] { return code }
      let code = UInt32(table.codes.count)
      table.codes[episodeID] = code
      return code
    }
  }

  /// The code of `episodeID`, or nil when no version ever held it.
  func existingCode(for episodeID: String) -> UInt32? {
    table.lock.withLock { table.codes[episodeID] }
  }
}

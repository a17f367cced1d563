extension Tokenizer {
  /// Cuts `source` into tokens appended to `buffer`.
  /// - Complexity: O(n); each position is visited at most three times
  ///   (run detection, whole identifier, its part).
  @inline(__always)
  func segment<Source: SegmentSource>(_ source: Source, into buffer: inout TokenBuffer) {
    let count = source.count
    var index = 0
    while index < count {
      let kind = source.kind(at: index)
      if kind == .separator {
        index += 1
        continue
      }
      var end = index + 1
      if kind == .cjk {
        while end < count && source.kind(at: end) == .cjk { end += 1 }
        emitBigrams(index..<end, source, into: &buffer)
      } else {
        while end < count && source.kind(at: end).isWordPart { end += 1 }
        emitIdentifier(index..<end, source, into: &buffer)
      }
      index = end
    }
  }

  private func emitBigrams<Source: SegmentSource>(_ run: Range<Int>, _ source: Source, into buffer: inout TokenBuffer) {
    if run.count == 1 {
      emit(run, source, into: &buffer)
      return
    }
    for start in run.lowerBound..<(run.upperBound - 1) { emit(start..<(start + 2), source, into: &buffer) }
  }

  /// Emits a run of letters, digits and underscores: the whole identifier when
  /// it has several parts, then each part.
  @inline(__always)
  private func emitIdentifier<Source: SegmentSource>(
    _ run: Range<Int>, _ source: Source, into buffer: inout TokenBuffer
  ) {
    var start = run.lowerBound
    var end = run.upperBound
    while start < end && source.kind(at: start) == .underscore { start += 1 }
    while end > start && source.kind(at: end - 1) == .underscore { end -= 1 }
    guard start < end else { return }

    // Fast path: a plain word (no underscore, no inner capital) is one token.
    var plain = true
    for position in (start + 1)..<max(end, start + 1) {
      let kind = source.kind(at: position)
      if kind == .underscore || kind == .upper {
        plain = false
        break
      }
    }
    if plain {
      emit(start..<end, source, into: &buffer)
      return
    }

    buffer.scratch.parts.removeAll(keepingCapacity: true)
    var partStart = start
    for position in (start + 1)..<end {
      let kind = source.kind(at: position)
      if kind == .underscore {
        if partStart < position { buffer.scratch.parts.append(partStart); buffer.scratch.parts.append(position) }
        partStart = position + 1
      } else if kind == .upper && partStart < position && startsHump(at: position, end: end, source) {
        buffer.scratch.parts.append(partStart)
        buffer.scratch.parts.append(position)
        partStart = position
      }
    }
    if partStart < end { buffer.scratch.parts.append(partStart); buffer.scratch.parts.append(end) }

    let parts = buffer.scratch.parts
    if parts.count > 2 { emit(start..<end, source, into: &buffer) }
    var part = 0
    while part < parts.count {
      emit(parts[part]..<parts[part + 1], source, into: &buffer)
      part += 2
    }
  }

  /// Whether the upper-case letter at `position` begins a camel-case part:
  /// after a lower-case letter or digit (`getWeather`), or as the last capital
  /// of an acronym followed by lower case (`HTTPServer` → `HTTP` | `Server`).
  @inline(__always)
  private func startsHump<Source: SegmentSource>(at position: Int, end: Int, _ source: Source) -> Bool {
    let previous = source.kind(at: position - 1)
    if previous.endsHump { return true }
    return previous == .upper && position + 1 < end && source.kind(at: position + 1) == .lower
  }

  /// Appends the case-folded positions `range` as one token.
  @inline(__always)
  private func emit<Source: SegmentSource>(_ range: Range<Int>, _ source: Source, into buffer: inout TokenBuffer) {
    let start = buffer.bytes.count
    source.appendFolded(range, to: &buffer)
    buffer.closeToken(from: start, maximumBytes: maximumTokenBytes)
  }
}

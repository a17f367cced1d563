extension Tokenizer {
  /// Cuts the loaded code points of `buffer.scratch` into tokens.
  /// - Complexity: O(n); each code point is visited at most three times
  ///   (run detection, whole identifier, its part).
  func segment(buffer: inout TokenBuffer) {
    // Local copies share storage with the scratch (no copy): they are only read.
    let classes = buffer.scratch.classes
    let count = classes.count
    var index = 0
    while index < count {
      let kind = classes[index]
      if kind == .separator {
        index += 1
        continue
      }
      var end = index + 1
      if kind == .cjk {
        while end < count && classes[end] == .cjk { end += 1 }
        emitBigrams(index..<end, into: &buffer)
      } else {
        while end < count && classes[end].isWordPart { end += 1 }
        emitIdentifier(index..<end, classes: classes, into: &buffer)
      }
      index = end
    }
  }

  private func emitBigrams(_ run: Range<Int>, into buffer: inout TokenBuffer) {
    if run.count == 1 {
      emit(run, into: &buffer)
      return
    }
    for start in run.lowerBound..<(run.upperBound - 1) { emit(start..<(start + 2), into: &buffer) }
  }

  /// Emits a run of letters, digits and underscores: the whole identifier when
  /// it has several parts, then each part.
  private func emitIdentifier(_ run: Range<Int>, classes: [CharacterClass], into buffer: inout TokenBuffer) {
    var start = run.lowerBound
    var end = run.upperBound
    while start < end && classes[start] == .underscore { start += 1 }
    while end > start && classes[end - 1] == .underscore { end -= 1 }
    guard start < end else { return }

    buffer.scratch.parts.removeAll(keepingCapacity: true)
    var partStart = start
    for position in (start + 1)..<max(end, start + 1) {
      let kind = classes[position]
      if kind == .underscore {
        if partStart < position { buffer.scratch.parts.append(partStart); buffer.scratch.parts.append(position) }
        partStart = position + 1
      } else if kind == .upper && partStart < position && startsHump(at: position, end: end, classes: classes) {
        buffer.scratch.parts.append(partStart)
        buffer.scratch.parts.append(position)
        partStart = position
      }
    }
    if partStart < end { buffer.scratch.parts.append(partStart); buffer.scratch.parts.append(end) }

    let parts = buffer.scratch.parts
    if parts.count > 2 { emit(start..<end, into: &buffer) }
    var part = 0
    while part < parts.count {
      emit(parts[part]..<parts[part + 1], into: &buffer)
      part += 2
    }
  }

  /// Whether the upper-case letter at `position` begins a camel-case part:
  /// after a lower-case letter or digit (`getWeather`), or as the last capital
  /// of an acronym followed by lower case (`HTTPServer` → `HTTP` | `Server`).
  @inline(__always)
  private func startsHump(at position: Int, end: Int, classes: [CharacterClass]) -> Bool {
    let previous = classes[position - 1]
    if previous.endsHump { return true }
    return previous == .upper && position + 1 < end && classes[position + 1] == .lower
  }

  /// Appends the case-folded code points `range` as one token.
  @inline(__always)
  private func emit(_ range: Range<Int>, into buffer: inout TokenBuffer) {
    let start = buffer.bytes.count
    let scalars = buffer.scratch.scalars
    for index in range {
      let value = scalars[index]
      if value < 0x80 {
        let byte = UInt8(truncatingIfNeeded: value)
        buffer.bytes.append(byte &- 0x41 < 26 ? byte | 0x20 : byte)
      } else {
        buffer.appendFolded(nonASCII: value)
      }
    }
    buffer.closeToken(from: start, maximumBytes: maximumTokenBytes)
  }
}

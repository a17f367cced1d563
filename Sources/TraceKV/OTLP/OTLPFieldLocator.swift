/// Finds the line of a field in a JSON document from its path
/// (`resourceSpans[0].scopeSpans[0].spans[3].spanId`), so that an error in a
/// request written as one pretty-printed document names its line, as errors
/// in JSONL name theirs. The parsed `JSONValue` keeps no positions, and only
/// refused input pays for this scan.
enum OTLPFieldLocator {
  private enum Step: Equatable {
    case key(String)
    case index(Int)
  }

  /// The 1-based line where the value at `path` starts; nil when the path
  /// does not lead anywhere in `bytes`.
  static func line(of path: String, in bytes: UnsafeRawBufferPointer) -> Int? {
    guard let steps = steps(path) else { return nil }
    var scanner = unsafe Scanner(bytes: bytes)
    for step in steps {
      guard scanner.enter(step) else { return nil }
    }
    return unsafe 1 + bytes[..<scanner.position].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
  }

  /// `a[0].b` → key a, index 0, key b.
  private static func steps(_ path: String) -> [Step]? {
    var steps: [Step] = []
    for component in path.split(separator: ".") {
      var rest = component[...]
      if let bracket = rest.firstIndex(of: "[") {
        if bracket > rest.startIndex { steps.append(.key(String(rest[..<bracket]))) }
        rest = rest[bracket...]
        while rest.first == "[" {
          guard let close = rest.firstIndex(of: "]"),
            let index = Int(rest[rest.index(after: rest.startIndex)..<close])
          else { return nil }
          steps.append(.index(index))
          rest = rest[rest.index(after: close)...]
        }
        guard rest.isEmpty else { return nil }
      } else {
        steps.append(.key(String(rest)))
      }
    }
    return steps
  }

  /// A forward-only scan that skips values without building them.
  @safe private struct Scanner {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    private var current: UInt8? { unsafe position < bytes.count ? bytes[position] : nil }

    /// Moves to the start of the member or element `step` of the value here.
    mutating func enter(_ step: Step) -> Bool {
      skipWhitespace()
      switch step {
      case .key(let wanted):
        guard current == UInt8(ascii: "{") else { return false }
        position += 1
        while true {
          skipWhitespace()
          guard current == UInt8(ascii: "\""), let key = readString() else { return false }
          skipWhitespace()
          guard current == UInt8(ascii: ":") else { return false }
          position += 1
          skipWhitespace()
          if key == wanted { return true }
          guard skipValue() else { return false }
          skipWhitespace()
          guard current == UInt8(ascii: ",") else { return false }
          position += 1
        }
      case .index(let wanted):
        guard current == UInt8(ascii: "[") else { return false }
        position += 1
        for _ in 0..<wanted {
          skipWhitespace()
          guard skipValue() else { return false }
          skipWhitespace()
          guard current == UInt8(ascii: ",") else { return false }
          position += 1
        }
        skipWhitespace()
        return current != nil && current != UInt8(ascii: "]")
      }
    }

    private mutating func skipWhitespace() {
      while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    /// Reads a string's raw text (escapes kept: OTLP field names have none).
    private mutating func readString() -> String? {
      let start = position + 1
      guard skipString() else { return nil }
      return unsafe String(decoding: bytes[start..<(position - 1)], as: UTF8.self)
    }

    private mutating func skipString() -> Bool {
      position += 1
      while let byte = current {
        position += byte == UInt8(ascii: "\\") ? 2 : 1
        if byte == UInt8(ascii: "\"") { return true }
      }
      return false
    }

    private mutating func skipValue() -> Bool {
      guard let first = current else { return false }
      if first == UInt8(ascii: "\"") { return skipString() }
      guard first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
        while let byte = current,
          ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09].contains(byte)
        {
          position += 1
        }
        return true
      }
      var depth = 0
      while let byte = current {
        switch byte {
        case UInt8(ascii: "\""):
          guard skipString() else { return false }
          continue
        case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
        default: break
        }
        position += 1
        if depth == 0 { return true }
      }
      return false
    }
  }
}

import Foundation

/// What a code point is to the segmenter.
enum CharacterClass: UInt8, Sendable {
  case separator
  case lower
  case upper
  /// A letter without case (Arabic, Devanagari, …): behaves as lower case.
  case uncased
  case digit
  case underscore
  /// A combining mark: stays with the letter before it.
  case mark
  /// Han, Hiragana, Katakana, Hangul: indexed as bigrams.
  case cjk

  /// Whether the class continues an identifier run.
  @inline(__always) var isWordPart: Bool { self != .separator && self != .cjk }

  /// Whether an upper-case letter after this class starts a new camel-case part.
  @inline(__always) var endsHump: Bool { self == .lower || self == .uncased || self == .digit || self == .mark }
}

/// Code points and classes of one text, kept between calls so their storage is reused.
struct ScalarScratch: Sendable {
  var scalars: [UInt32] = []
  var classes: [CharacterClass] = []
  /// Start and end offsets of the current identifier's parts.
  var parts: [Int] = []

  /// Loads the NFKC form of `text`: its code points and their classes.
  /// - Complexity: O(n).
  mutating func load(nonASCII text: String) {
    scalars.removeAll(keepingCapacity: true)
    classes.removeAll(keepingCapacity: true)
    // NFKC first, on the original case, so camel humps survive normalization.
    for scalar in text.precomposedStringWithCompatibilityMapping.unicodeScalars {
      scalars.append(scalar.value)
      classes.append(Self.classify(scalar))
    }
  }

  /// Whether every byte is ASCII.
  static func isASCII(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
    var union: UInt8 = 0
    for unsafe byte in unsafe utf8 { union |= byte }
    return union < 0x80
  }

  @inline(__always) static func asciiClass(_ byte: UInt8) -> CharacterClass {
    switch byte {
    case 0x61...0x7A: .lower
    case 0x41...0x5A: .upper
    case 0x30...0x39: .digit
    case 0x5F: .underscore
    default: .separator
    }
  }

  static func classify(_ scalar: Unicode.Scalar) -> CharacterClass {
    if scalar.isASCII { return asciiClass(UInt8(scalar.value)) }
    if isCJK(scalar.value) { return .cjk }
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .titlecaseLetter: return .upper
    case .lowercaseLetter: return .lower
    case .otherLetter, .modifierLetter: return .uncased
    case .decimalNumber, .letterNumber, .otherNumber: return .digit
    case .nonspacingMark, .spacingMark:
      // Variation selectors only pick a glyph (emoji vs text); they are not text.
      return isVariationSelector(scalar.value) ? .separator : .mark
    default: return .separator
    }
  }

  /// Han (with extensions and compatibility ideographs), Hiragana, Katakana, Hangul.
  static func isCJK(_ value: UInt32) -> Bool {
    switch value {
    case 0x3040...0x30FF, 0x31F0...0x31FF,  // Hiragana, Katakana, Katakana extensions
      0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3134F,  // Han
      0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF:  // Hangul
      true
    default: false
    }
  }

  static func isVariationSelector(_ value: UInt32) -> Bool {
    (0xFE00...0xFE0F).contains(value) || (0xE0100...0xE01EF).contains(value)
  }
}

extension TokenBuffer {
  /// Appends the case-folded UTF-8 of the non-ASCII code point `value`.
  ///
  /// Unicode's lower-case mapping, plus the full case foldings where it differs
  /// for letters that survive NFKC: `ß`/`ẞ` → `ss`, final sigma `ς` → `σ`.
  mutating func appendFolded(nonASCII value: UInt32) {
    switch value {
    case 0xDF, 0x1E9E:
      bytes.append(0x73)
      bytes.append(0x73)
      return
    case 0x3C2:
      appendUTF8(0x3C3)
      return
    default: break
    }
    guard let scalar = Unicode.Scalar(value) else { return }
    if !scalar.properties.changesWhenLowercased {
      appendUTF8(value)
      return
    }
    for lower in scalar.properties.lowercaseMapping.unicodeScalars { appendUTF8(lower.value) }
  }

  @inline(__always) mutating func appendUTF8(_ value: UInt32) {
    guard let scalar = Unicode.Scalar(value) else { return }
    UTF8.encode(scalar) { bytes.append($0) }
  }
}

/// What the segmenter reads: a class per position and the folded bytes of a range.
protocol SegmentSource {
  var count: Int { get }
  func kind(at index: Int) -> CharacterClass
  func appendFolded(_ range: Range<Int>, to buffer: inout TokenBuffer)
}

/// ASCII text, read in place from the string's UTF-8 (valid while the string is borrowed).
@unsafe
struct ASCIISource: SegmentSource {
  let bytes: UnsafeBufferPointer<UInt8>

  var count: Int { unsafe bytes.count }

  @inline(__always) func kind(at index: Int) -> CharacterClass { unsafe ScalarScratch.asciiClass(bytes[index]) }

  @inline(__always) func appendFolded(_ range: Range<Int>, to buffer: inout TokenBuffer) {
    for index in range {
      let byte = unsafe bytes[index]
      buffer.bytes.append(byte &- 0x41 < 26 ? byte | 0x20 : byte)
    }
  }
}

/// Any text, as the code points of its NFKC form.
struct ScalarSource: SegmentSource {
  let scalars: [UInt32]
  let classes: [CharacterClass]

  var count: Int { scalars.count }

  @inline(__always) func kind(at index: Int) -> CharacterClass { classes[index] }

  func appendFolded(_ range: Range<Int>, to buffer: inout TokenBuffer) {
    for index in range {
      let value = scalars[index]
      if value < 0x80 {
        let byte = UInt8(truncatingIfNeeded: value)
        buffer.bytes.append(byte &- 0x41 < 26 ? byte | 0x20 : byte)
      } else {
        buffer.appendFolded(nonASCII: value)
      }
    }
  }
}

import Foundation

/// BERT's text normalization and word splitting, as the reference (Hugging
/// Face `tokenizers`' `BertNormalizer` + `BertPreTokenizer`, which
/// sentence-transformers uses through `tokenizer.json`) applies them:
///
/// 1. clean: drop NUL, U+FFFD and every `C*` scalar except tab/CR/LF; map
///    whitespace to a space;
/// 2. put spaces around CJK ideographs so each becomes its own word;
/// 3. strip accents: NFD, then drop nonspacing marks (`Mn`);
/// 4. lower-case scalar by scalar (no context rules such as final sigma,
///    because the reference maps each `char` alone);
/// 5. split on whitespace, and isolate every punctuation scalar.
///
/// The order matters: accents are stripped before lower-casing, as the reference does.
enum BertPreTokenizer {
  /// The words of `text`, ready for WordPiece.
  static func words(_ text: some StringProtocol) -> [String] {
    var cleaned = String.UnicodeScalarView()
    var isASCII = true
    for scalar in text.unicodeScalars {
      if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
      if isWhitespace(scalar) {
        cleaned.append(" ")
      } else if isChineseCharacter(scalar) {
        cleaned.append(" ")
        cleaned.append(scalar)
        cleaned.append(" ")
      } else {
        if !scalar.isASCII { isASCII = false }
        cleaned.append(scalar)
      }
    }

    var lowered = String.UnicodeScalarView()
    if isASCII {
      for scalar in cleaned { lowered.append(asciiLowercased(scalar)) }
    } else {
      // NFD exposes accents as separate combining scalars that can then be dropped.
      let decomposed = String(cleaned).decomposedStringWithCanonicalMapping
      for scalar in decomposed.unicodeScalars where scalar.properties.generalCategory != .nonspacingMark {
        if scalar.isASCII {
          lowered.append(asciiLowercased(scalar))
        } else {
          lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
      }
    }

    var words: [String] = []
    var current = String.UnicodeScalarView()
    func flush() {
      if !current.isEmpty {
        words.append(String(current))
        current = String.UnicodeScalarView()
      }
    }
    for scalar in lowered {
      if isWhitespace(scalar) {
        flush()
      } else if isPunctuation(scalar) {
        flush()
        words.append(String(scalar))
      } else {
        current.append(scalar)
      }
    }
    flush()
    return words
  }

  @inline(__always) private static func asciiLowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
    (65...90).contains(scalar.value) ? Unicode.Scalar(scalar.value + 32)! : scalar
  }

  /// Tab, LF, CR and every scalar with the Unicode `White_Space` property.
  static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
  }

  /// Any `C*` general category (control, format, surrogate, private use,
  /// unassigned), except tab, LF and CR, which count as whitespace.
  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
    if scalar.isASCII { return scalar.value < 32 || scalar.value == 127 }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned: return true
    default: return false
    }
  }

  /// BERT's punctuation: all non-alphanumeric printable ASCII (33–47, 58–64,
  /// 91–96, 123–126, which includes `$+<=>^`|~`, not Unicode punctuation)
  /// plus every Unicode `P*` category.
  static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
    if scalar.isASCII { return false }
    switch scalar.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
      .initialPunctuation, .finalPunctuation, .otherPunctuation:
      return true
    default: return false
    }
  }

  /// The CJK ideograph blocks BERT splits into single-character words. The
  /// Extension E range starts at U+2B920, not U+2B820, because the reference
  /// (Rust `tokenizers`) has it so and identical ids matter more than the
  /// block's true start.
  static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
      0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
      return true
    default: return false
    }
  }
}

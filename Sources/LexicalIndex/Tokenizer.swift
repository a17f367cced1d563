/// Splits agent-trace text into the terms the BM25 index stores and queries.
///
/// The same tokenizer must serve documents and queries: a term is only found
/// if both sides produce the same bytes.
///
/// Rules, in order:
/// 1. **Normalization.** Text that is not pure ASCII is brought to Unicode NFKC
///    (so `ｆｕｌｌ　ｗｉｄｔｈ`, `ﬁ` and `e` + combining acute become `full width`,
///    `fi`, `é`). Pure ASCII text skips this step: NFKC is the identity on it.
/// 2. **Words.** A token is a run of letters and digits (combining marks stay
///    with their letter). Everything else (spaces, punctuation, symbols,
///    emoji) separates tokens.
/// 3. **Identifiers.** Underscores join words into one identifier. An
///    identifier made of several parts (split at underscores and at camel-case
///    humps) is indexed whole **and** as its parts, so that both the exact
///    identifier and its words find it:
///    - `tool_execution_error` → `tool_execution_error`, `tool`, `execution`, `error`
///    - `LOGIC_LOOP` → `logic_loop`, `logic`, `loop`
///    - `getWeather` → `getweather`, `get`, `weather`
///    - `HTTPServer2` → `httpserver2`, `http`, `server2` (letters and digits stay together)
///    - `plain` → `plain` (one part: emitted once)
/// 4. **CJK.** Runs of Han, Hiragana, Katakana or Hangul characters become
///    overlapping character bigrams (`東京都` → `東京`, `京都`); a lone CJK
///    character is a unigram. This is Lucene's CJKBigramFilter behaviour and
///    needs no dictionary.
/// 5. **Case folding.** Every token is case folded (`Café` → `café`,
///    `STRASSE` and `Straße` → `strasse`). No stemming and no stop words:
///    traces are full of identifiers and error codes where `error` vs
///    `errors` or `is` may matter, and BM25's idf already discounts common words.
/// 6. **Length.** Tokens longer than `maximumTokenBytes` UTF-8 bytes (base64
///    blobs, hashes pasted into logs) are dropped.
///
/// A document's length for BM25 is the number of tokens produced, identifier
/// wholes and parts included.
public struct Tokenizer: Sendable, Hashable {
  /// Tokens longer than this many UTF-8 bytes are dropped.
  public var maximumTokenBytes: Int

  /// Creates a tokenizer.
  /// - Parameter maximumTokenBytes: the longest token kept, in UTF-8 bytes (Lucene's default is 255).
  public init(maximumTokenBytes: Int = 255) {
    precondition(maximumTokenBytes > 0, "maximumTokenBytes must be positive")
    self.maximumTokenBytes = maximumTokenBytes
  }

  /// The tokens of `text`, in order of appearance (duplicates kept).
  ///
  /// Convenient for tests, query debugging and exporting tokens to peers; the
  /// index itself uses the allocation-free `tokenize(_:into:)`.
  /// - Complexity: O(n) in the length of `text`.
  public func tokens(_ text: String) -> [String] {
    var buffer = TokenBuffer()
    tokenize(text, into: &buffer)
    return (0..<buffer.count).map { buffer.string(at: $0) }
  }

  /// Replaces the content of `buffer` with the tokens of `text`.
  ///
  /// Reusing one buffer across documents keeps tokenization free of
  /// per-token allocations.
  /// - Complexity: O(n) in the length of `text`.
  public func tokenize(_ text: String, into buffer: inout TokenBuffer) {
    buffer.removeAll()
    var text = text
    text.makeContiguousUTF8()
    // Pure ASCII (the common case in traces) is segmented straight from the
    // string's bytes: NFKC is the identity on it, and nothing is copied.
    let handled = unsafe text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
      guard unsafe ScalarScratch.isASCII(utf8) else { return false }
      unsafe segment(ASCIISource(bytes: utf8), into: &buffer)
      return true
    }
    if handled == true { return }
    buffer.scratch.load(nonASCII: text)
    let source = ScalarSource(scalars: buffer.scratch.scalars, classes: buffer.scratch.classes)
    segment(source, into: &buffer)
  }
}

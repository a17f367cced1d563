import Foundation

/// BERT's WordPiece tokenizer, producing the same ids as the reference
/// all-MiniLM-L6-v2 tokenizer: special tokens written literally in the text
/// are kept (the reference matches `[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`,
/// `[MASK]` case-sensitively before normalizing), the rest goes through
/// `BertPreTokenizer`, then greedy longest-match-first WordPiece with `##`
/// continuations, `[CLS] … [SEP]` around, truncated to `maxLength` ids.
struct WordPieceTokenizer: Sendable {
  let vocabulary: [String: Int32]
  let unknownID: Int32
  let classifierID: Int32
  let separatorID: Int32
  /// Ids per sequence including `[CLS]` and `[SEP]` (sentence-transformers' `max_seq_length`).
  let maxLength: Int
  /// Longer words become `[UNK]` whole. The reference's `tokenizer.json` says
  /// 100 (Google's original BERT code used 200; the reference is what counts).
  let maxCharactersPerWord = 100
  private let specialTokens: [(text: String, id: Int32)]

  init(vocabulary: [String: Int32], maxLength: Int = 256) throws(EmbeddingError) {
    func id(_ token: String) throws(EmbeddingError) -> Int32 {
      guard let id = vocabulary[token] else { throw .modelCorrupt(file: "vocab.txt", reason: "no \(token) token") }
      return id
    }
    self.vocabulary = vocabulary
    unknownID = try id("[UNK]")
    classifierID = try id("[CLS]")
    separatorID = try id("[SEP]")
    self.maxLength = maxLength
    var specials: [(String, Int32)] = []
    for token in ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"] { specials.append((token, try id(token))) }
    specialTokens = specials
  }

  /// Reads `vocab.txt`: one token per line, the id is the line number.
  init(vocabularyFile path: String, maxLength: Int = 256) throws(EmbeddingError) {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
      if FileManager.default.fileExists(atPath: path) {
        throw .modelCorrupt(file: "vocab.txt", reason: "not UTF-8 text")
      }
      throw .modelMissing(directory: (path as NSString).deletingLastPathComponent, file: "vocab.txt")
    }
    var vocabulary: [String: Int32] = [:]
    var id: Int32 = 0
    // Split on "\n" only: a token may be a lone "\r"-free symbol, and a
    // trailing "\r" (CRLF files) is trimmed so ids stay line numbers.
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var token = String(line)
      if token.hasSuffix("\r") { token.removeLast() }
      if !token.isEmpty, vocabulary[token] == nil { vocabulary[token] = id }
      id += 1
    }
    try self.init(vocabulary: vocabulary, maxLength: maxLength)
  }

  /// The token ids of `text`: `[CLS]`, at most `maxLength - 2` word pieces, `[SEP]`.
  func encode(_ text: String) -> [Int32] {
    var ids: [Int32] = [classifierID]
    let budget = maxLength - 1
    outer: for segment in splitOnSpecialTokens(text) {
      switch segment {
      case .special(let id):
        if ids.count >= budget { break outer }
        ids.append(id)
      case .text(let piece):
        for word in BertPreTokenizer.words(piece) {
          for id in wordPieces(word) {
            if ids.count >= budget { break outer }
            ids.append(id)
          }
        }
      }
    }
    ids.append(separatorID)
    return ids
  }

  /// Greedy longest-match-first split of one word; `[UNK]` for the whole word
  /// when some part matches nothing or the word is too long.
  func wordPieces(_ word: String) -> [Int32] {
    let scalars = Array(word.unicodeScalars)
    if scalars.count > maxCharactersPerWord { return [unknownID] }
    var pieces: [Int32] = []
    var start = 0
    while start < scalars.count {
      var end = scalars.count
      var match: Int32?
      while end > start {
        var candidate = start > 0 ? "##" : ""
        candidate.unicodeScalars.append(contentsOf: scalars[start..<end])
        if let id = vocabulary[candidate] {
          match = id
          break
        }
        end -= 1
      }
      guard let id = match else { return [unknownID] }
      pieces.append(id)
      start = end
    }
    return pieces
  }

  private enum Segment {
    case text(Substring)
    case special(Int32)
  }

  /// Cuts `text` around literal special tokens, leftmost first. Works on
  /// scalars, not Characters, so a combining mark after `]` cannot hide a
  /// token the reference (which matches bytes) would find.
  private func splitOnSpecialTokens(_ text: String) -> [Segment] {
    guard text.unicodeScalars.contains("[") else { return [.text(text[...])] }
    let scalars = text.unicodeScalars
    var segments: [Segment] = []
    var segmentStart = scalars.startIndex
    var index = scalars.startIndex
    while index < scalars.endIndex {
      if scalars[index] == "[",
        let special = specialTokens.first(where: { scalars[index...].starts(with: $0.text.unicodeScalars) })
      {
        if segmentStart < index { segments.append(.text(Substring(scalars[segmentStart..<index]))) }
        segments.append(.special(special.id))
        index = scalars.index(index, offsetBy: special.text.unicodeScalars.count)
        segmentStart = index
      } else {
        index = scalars.index(after: index)
      }
    }
    if segmentStart < scalars.endIndex { segments.append(.text(Substring(scalars[segmentStart...]))) }
    return segments
  }
}

import Testing

@testable import Embeddings

/// WordPiece and BERT normalization on a tiny hand-made vocabulary, so the
/// rules are checked without the model files.
@Suite struct TokenizerTests {
  static let vocabulary: [String: Int32] = {
    let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "cafe", "!", "-", "a", "##b", "中", "$"]
    return Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, Int32($0)) })
  }()

  let tokenizer = try! WordPieceTokenizer(vocabulary: TokenizerTests.vocabulary, maxLength: 8)

  @Test func greedyLongestMatchWithContinuations() {
    #expect(tokenizer.wordPieces("unaffable") == [5, 6, 7])
    #expect(tokenizer.wordPieces("unaffablex") == [1])  // an unmatched tail makes the whole word [UNK]
    #expect(tokenizer.wordPieces(String(repeating: "a", count: 101)) == [1])  // longer than 100: [UNK]
  }

  @Test func normalizesLikeBert() {
    #expect(BertPreTokenizer.words("Café!-x") == ["cafe", "!", "-", "x"])
    #expect(BertPreTokenizer.words("a\u{0}b\u{200B}c\td") == ["abc", "d"])  // controls and format characters vanish
    #expect(BertPreTokenizer.words("中文") == ["中", "文"])
    #expect(BertPreTokenizer.words("$5+x") == ["$", "5", "+", "x"])  // ASCII symbols split like punctuation
  }

  @Test func specialsTruncationAndFraming() {
    #expect(tokenizer.encode("") == [2, 3])
    #expect(tokenizer.encode("[MASK]cafe") == [2, 4, 8, 3])
    #expect(tokenizer.encode("[mask]").count > 3)  // case-sensitive: not the special token
    let long = tokenizer.encode("cafe cafe cafe cafe cafe cafe cafe cafe cafe")
    #expect(long.count == 8 && long.first == 2 && long.last == 3)
  }
}

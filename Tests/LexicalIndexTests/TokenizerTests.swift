import LexicalIndex
import Testing

@Suite struct TokenizerTests {
  let tokenizer = Tokenizer()

  @Test(arguments: [
    ("tool_execution_error", ["tool_execution_error", "tool", "execution", "error"]),
    ("LOGIC_LOOP", ["logic_loop", "logic", "loop"]),
    ("get_weather", ["get_weather", "get", "weather"]),
    ("getWeather", ["getweather", "get", "weather"]),
    ("HTTPServer2", ["httpserver2", "http", "server2"]),
    ("XMLHttpRequest", ["xmlhttprequest", "xml", "http", "request"]),
    ("plain", ["plain"]),
    ("_private_", ["private"]),
    ("a__b", ["a__b", "a", "b"]),
    ("___", []),
    ("gpt4o", ["gpt4o"]),
  ])
  func identifiersAreIndexedWholeAndAsParts(text: String, expected: [String]) {
    #expect(tokenizer.tokens(text) == expected)
  }

  @Test func identifiersInsideSentences() {
    #expect(
      tokenizer.tokens("Called get_weather(city='Paris') -> LOGIC_LOOP.")
        == ["called", "get_weather", "get", "weather", "city", "paris", "logic_loop", "logic", "loop"])
  }

  @Test func cjkBecomesBigrams() {
    #expect(tokenizer.tokens("東京都") == ["東京", "京都"])
    #expect(tokenizer.tokens("猫") == ["猫"])
    #expect(tokenizer.tokens("東京都に行く") == ["東京", "京都", "都に", "に行", "行く"])
    #expect(tokenizer.tokens("日本 test 한국어") == ["日本", "test", "한국", "국어"])
    #expect(tokenizer.tokens("error:エラー") == ["error", "エラ", "ラー"])
  }

  @Test func accentsAreNormalizedAndFolded() {
    // Precomposed, decomposed (e + U+0301) and upper case all meet.
    #expect(tokenizer.tokens("Café CAFÉ cafe\u{301}") == ["café", "café", "café"])
    #expect(tokenizer.tokens("Straße STRASSE") == ["strasse", "strasse"])
    #expect(tokenizer.tokens("ΟΔΟΣ οδος") == ["οδοσ", "οδοσ"])
    // NFKC: full-width letters, ligatures, superscripts.
    #expect(tokenizer.tokens("ＦＵＬＬ ﬁle x²") == ["full", "file", "x2"])
  }

  @Test func nonASCIITextSplitsIdentifiersAlike() {
    // One non-ASCII character sends the whole text through NFKC and the code-point path.
    #expect(
      tokenizer.tokens("café getWeather LOGIC_LOOP HTTPServer")
        == ["café", "getweather", "get", "weather", "logic_loop", "logic", "loop", "httpserver", "http", "server"])
    #expect(tokenizer.tokens("Ошибка: ToolError") == ["ошибка", "toolerror", "tool", "error"])
  }

  @Test func punctuationSeparates() {
    #expect(
      tokenizer.tokens("Hello, world! (foo-bar) a.b/c; \"quoted\" 3.14")
        == ["hello", "world", "foo", "bar", "a", "b", "c", "quoted", "3", "14"])
  }

  @Test func emojiAreDropped() {
    #expect(tokenizer.tokens("fix 🚀 now 👍🏽 done ❤️") == ["fix", "now", "done"])
    #expect(tokenizer.tokens("🚀🚀") == [])
  }

  @Test func emptyAndBlankTextHaveNoTokens() {
    #expect(tokenizer.tokens("") == [])
    #expect(tokenizer.tokens("  \n\t ... !!! ") == [])
  }

  @Test func overlongTokensAreDropped() {
    let blob = String(repeating: "A", count: 300)
    #expect(tokenizer.tokens("before \(blob) after") == ["before", "after"])
    #expect(Tokenizer(maximumTokenBytes: 3).tokens("abc abcd") == ["abc"])
  }

  @Test func reusedBufferHoldsOnlyTheLastText() {
    var buffer = TokenBuffer()
    tokenizer.tokenize("one two three", into: &buffer)
    tokenizer.tokenize("four", into: &buffer)
    #expect(buffer.count == 1)
    #expect(buffer.string(at: 0) == "four")
  }

  @Test func queriesUseTheSameTokensRepeatsIncluded() {
    let index = BM25Index()
    #expect(
      index.queryTerms("LOGIC_LOOP logic loop").map(\.description) == ["logic_loop", "logic", "loop", "logic", "loop"])
  }
}

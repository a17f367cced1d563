import Testing

@testable import Embeddings

@Suite struct HashingEmbedderTests {
  let embedder = HashingEmbedder()

  @Test func deterministicAcrossInstances() throws {
    let text = "LOGIC_LOOP detected in multi-agent coordination"
    #expect(try embedder.embed(text) == HashingEmbedder().embed(text))
    #expect(embedder.fingerprint == HashingEmbedder().fingerprint)
  }

  @Test func knownFeatureHashIsFixed() {
    // FNV-1a 64 of "a" is a published test vector; pinning it guards
    // against an accidental switch to Swift's per-process seeded Hasher.
    #expect(HashingEmbedder.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
  }

  @Test func vectorsAreUnitLength() throws {
    for text in ["", "   ", "!!!", "tool", "a much longer text about tool failures and retries"] {
      let vector = try embedder.embed(text)
      #expect(vector.count == 384)
      let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
      #expect(abs(norm - 1) < 1e-5, "text \(text.debugDescription) has norm \(norm)")
    }
  }

  @Test func similarTextsAreCloserThanUnrelatedOnes() throws {
    let vectors = try embedder.embed([
      "the database connection timed out",
      "database connection timeout error",
      "booked a flight to Tokyo for the traveler",
    ])
    let near = cosine(vectors[0], vectors[1])
    let far = cosine(vectors[0], vectors[2])
    #expect(near > far + 0.2, "near \(near), far \(far)")
  }

  /// Words are lower-cased runs of letters and digits, read byte by byte
  /// for an ASCII text and by Unicode properties otherwise.
  @Test func wordsOfASCIIAndUnicodeTexts() {
    #expect(HashingEmbedder.words("Tool_Call FAILED x2: get_weather(\"Tokyo\")") == [
      "tool", "call", "failed", "x2", "get", "weather", "tokyo",
    ])
    #expect(HashingEmbedder.words("Naïve CAFÉ — Straße ½ x²") == ["naïve", "café", "straße", "½", "x²"])
    #expect(HashingEmbedder.words("ASCII first, then é") == ["ascii", "first", "then", "é"])
    #expect(HashingEmbedder.words("") == [] && HashingEmbedder.words(" -- ") == [])
  }

  @Test func fingerprintFollowsParameters() {
    #expect(HashingEmbedder(dimension: 256).fingerprint != embedder.fingerprint)
    #expect(HashingEmbedder(characterNGrams: 2...4).fingerprint != embedder.fingerprint)
  }

  @Test func recordedIdentityReopensOrIsRefused() throws {
    let reopened = try Embedders.make(for: embedder.identity)
    #expect(reopened.identity == embedder.identity)
    let other = EmbedderIdentity(name: "hashing", dimension: 384, fingerprint: "0000000000000000")
    #expect(throws: EmbeddingError.self) { try Embedders.make(for: other) }
    #expect(throws: EmbeddingError.unknownEmbedder(name: "word2vec")) {
      try Embedders.make(for: EmbedderIdentity(name: "word2vec", dimension: 300, fingerprint: "x"))
    }
  }
}

/// Pins the hashing embedder's output: stores keep vectors made by an older
/// build, so any change to features or weights must bump
/// `HashingEmbedder.featureVersion` (which changes the fingerprint) and this value.
@Suite struct HashingEmbedderGoldenTests {
  @Test func vectorAndFingerprintArePinned() throws {
    let vector = try HashingEmbedder().embed("Resolve a tool_execution_error: retry get_weather({'location': 'Tokyo'}) — naïve café")
    var bytes: [UInt8] = []
    for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    #expect(HashingEmbedder().fingerprint == "eefe1b4852e9d5ba")
    #expect(SHA256.hex(bytes) == "cc84fc581e8568e981f5f1d075ac990ed468275ee51d81696d2ce18c5340b69c")
  }

  /// An ASCII text takes the byte-wise path; its vector is the one the
  /// Unicode-scalar implementation (before the byte-wise path existed) made.
  @Test func asciiVectorIsPinned() throws {
    let text = "Retry get_weather(location=\"Tokyo\") after TOOL_EXECUTION_ERROR 503; the agent kept calling search_flights 3 times"
    let vector = try HashingEmbedder().embed(text)
    var bytes: [UInt8] = []
    for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    #expect(SHA256.hex(bytes) == "c2c8979831bf311e5d05484c8c7fc0782a269231b59476349f55891c36eaad21")
  }
}

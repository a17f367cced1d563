import Foundation
import Testing

@testable import Embeddings

/// The native MiniLM against sentence-transformers' own output
/// (`Fixtures/minilm_reference.jsonl`; its README says how it was made).
///
/// These tests need the model files. Without them they fail, saying how to
/// fetch them: CI runs `make model` first, so a skip would hide a broken embedder.
@Suite struct MiniLMReferenceTests {
  struct Reference: Decodable {
    var text: String
    var input_ids: [Int]
    var embedding: [Float]
  }

  /// `Fixtures/minilm_reference.jsonl` beside this file, found from its path
  /// so the test runs from any working directory and any checkout location.
  static let fixturePath: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/minilm_reference.jsonl").path

  static func references() throws -> [Reference] {
    let text = try String(contentsOfFile: fixturePath, encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONDecoder().decode(Reference.self, from: Data($0.utf8)) }
  }

  /// The embedder, or a failure whose message is the fetch instruction.
  static func embedder() throws -> MiniLMEmbedder {
    do {
      return try MiniLMEmbedder()
    } catch {
      Issue.record("\(error.description)")
      throw error
    }
  }

  @Test func fixtureHasAllReferences() throws {
    #expect(try Self.references().count == 98)
  }

  @Test func tokenIDsMatchTheReference() throws {
    let embedder = try Self.embedder()
    for reference in try Self.references() {
      #expect(embedder.tokenIDs(reference.text) == reference.input_ids, "text: \(reference.text.debugDescription)")
    }
  }

  @Test func embeddingsMatchTheReference() throws {
    let embedder = try Self.embedder()
    let references = try Self.references()
    // One batch of all 98 texts: exercises packing sequences of very
    // different lengths (2 to 256 tokens) into one forward pass.
    let vectors = try embedder.embed(references.map(\.text))
    #expect(vectors.count == references.count)
    var worst: Float = 1
    for (vector, reference) in zip(vectors, references) {
      #expect(vector.count == 384)
      let similarity = cosine(vector, reference.embedding)
      worst = min(worst, similarity)
      #expect(similarity >= 0.9999, "cosine \(similarity) for \(reference.text.prefix(60).debugDescription)")
    }
    print("MiniLM worst cosine to reference over \(references.count) texts: \(worst)")
  }

  /// Packing sequences into one pass (every linear layer over all their
  /// tokens, attention per sequence on its own rows) gives each text the
  /// vector it gets alone, element by element: texts of 2 to 256 tokens,
  /// every fourth by length, in one batch and one at a time.
  @Test func batchedAndSingleEmbeddingsAgree() throws {
    let embedder = try Self.embedder()
    let byLength = try Self.references().map(\.text).sorted { embedder.tokenIDs($0).count < embedder.tokenIDs($1).count }
    let texts = byLength.enumerated().filter { $0.offset % 4 == 0 || $0.offset == byLength.count - 1 }.map(\.element)
    #expect(embedder.tokenIDs(texts.first!).count <= 3 && embedder.tokenIDs(texts.last!).count == MiniLMEmbedder.maxTokens)
    let batched = try embedder.embed(texts)
    var worst: Float = 0
    for (text, vector) in zip(texts, batched) {
      let single = try embedder.embed(text)
      let difference = zip(single, vector).map { abs($0 - $1) }.max()!
      worst = max(worst, difference)
      #expect(difference <= 1e-5, "max |batched - single| \(difference) for \(text.prefix(60).debugDescription)")
    }
    print("MiniLM batched vs single, \(texts.count) texts: max element difference \(worst)")
  }

  @Test func outputIsNormalizedAndIdentityIsStable() throws {
    let embedder = try Self.embedder()
    let vector = try embedder.embed("resolve a tool failure")
    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    #expect(abs(norm - 1) < 1e-5)
    #expect(embedder.name == "all-MiniLM-L6-v2")
    #expect(embedder.dimension == 384)
    #expect(embedder.fingerprint.count == 16)
    #expect(try Self.embedder().fingerprint == embedder.fingerprint)
    let reopened = try Embedders.make(for: embedder.identity)
    #expect(reopened.identity == embedder.identity)
  }

  @Test func emptyBatchGivesNoVectors() throws {
    #expect(try Self.embedder().embed([String]()).isEmpty)
  }
}

func cosine(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count)
  var dot: Double = 0, na: Double = 0, nb: Double = 0
  for i in a.indices {
    dot += Double(a[i]) * Double(b[i])
    na += Double(a[i]) * Double(a[i])
    nb += Double(b[i]) * Double(b[i])
  }
  return Float(dot / (na.squareRoot() * nb.squareRoot()))
}

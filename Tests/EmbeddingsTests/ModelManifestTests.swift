import Foundation
import TestSupport
import Testing

@testable import Embeddings

/// Damaged weights are refused at load: the model folder keeps each file's
/// SHA-256 (written at install) and a changed file is hashed and compared.
/// Needs the model files (`make model`), as MiniLMReferenceTests do.
@Suite struct ModelManifestTests {
  /// A copy of the installed model folder, with a manifest of its own.
  private func copyOfModel() throws -> (TemporaryDirectory, ModelFiles) {
    let installed = ModelFiles()
    try #require(installed.isPresent, "fetch the model first: make model")
    let directory = try TemporaryDirectory()
    for name in ModelFiles.requiredFiles {
      try FileManager.default.copyItem(atPath: installed.path(name), toPath: directory.path(name))
    }
    let files = ModelFiles(directory: directory.url.path)
    try files.writeManifest()
    return (directory, files)
  }

  @Test func flippedWeightsAreRefusedAndIntactOnesLoad() throws {
    let (_, files) = try copyOfModel()
    let intact = try MiniLMEmbedder(files: files)
    // 4 KiB flipped inside the tensors, size kept: the same fingerprint, other vectors.
    let handle = try #require(FileHandle(forUpdatingAtPath: files.path("model.safetensors")))
    try handle.seek(toOffset: 40 << 20)
    let original = try #require(try handle.read(upToCount: 4096))
    try handle.seek(toOffset: 40 << 20)
    try handle.write(contentsOf: Data(original.map { ~$0 }))
    try handle.close()
    do {
      _ = try MiniLMEmbedder(files: files)
      Issue.record("a model with flipped weights loaded")
    } catch {
      #expect(error == .modelCorrupt(file: "model.safetensors", reason: "its SHA-256 differs from the one recorded at install; fetch the model again (tracekv model fetch)"))
    }
    // Restored bytes (a new modification time, the same digest) load again, same fingerprint.
    let restore = try #require(FileHandle(forUpdatingAtPath: files.path("model.safetensors")))
    try restore.seek(toOffset: 40 << 20)
    try restore.write(contentsOf: original)
    try restore.close()
    #expect(try MiniLMEmbedder(files: files).fingerprint == intact.fingerprint)
  }

  @Test func aShortenedFileOrVocabularyIsRefused() throws {
    let (_, files) = try copyOfModel()
    let vocabulary = try String(contentsOfFile: files.path("vocab.txt"), encoding: .utf8)
    try vocabulary.replacingOccurrences(of: "the\n", with: "tha\n").write(toFile: files.path("vocab.txt"), atomically: false, encoding: .utf8)
    #expect(throws: EmbeddingError.modelCorrupt(file: "vocab.txt", reason: "its SHA-256 differs from the one recorded at install; fetch the model again (tracekv model fetch)")) {
      try MiniLMEmbedder(files: files)
    }
    try vocabulary.write(toFile: files.path("vocab.txt"), atomically: false, encoding: .utf8)
    truncate(files.path("model.safetensors"), 1 << 20)
    do {
      _ = try MiniLMEmbedder(files: files)
      Issue.record("a shortened model loaded")
    } catch {
      #expect(error.description.contains("model.safetensors") && error.description.contains("1048576 bytes"), "\(error)")
    }
  }
}

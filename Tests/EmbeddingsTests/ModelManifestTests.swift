import Foundation
import TestSupport
import Testing

@testable import Embeddings

/// Damaged weights are refused at load: the model folder keeps each file's
/// SHA-256 (written at install) and a changed file is hashed and compared.
/// Needs the model files (`make model`), as MiniLMReferenceTests do.
@Suite struct ModelManifestTests {
  /// A copy of the installed model folder, with a manifest of its own whose
  /// digests come from coreutils' `sha256sum` (an independent oracle, and fast
  /// where this module's SHA-256 in a debug build takes seconds per 90 MB).
  private func copyOfModel() throws -> (TemporaryDirectory, ModelFiles) {
    let installed = ModelFiles()
    try #require(installed.isPresent, "fetch the model first: make model")
    let directory = try TemporaryDirectory()
    var manifest = ""
    for name in ModelFiles.requiredFiles {
      try FileManager.default.copyItem(atPath: installed.path(name), toPath: directory.path(name))
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
      process.arguments = [directory.path(name)]
      let output = Pipe()
      process.standardOutput = output
      try process.run()
      let digest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
      process.waitUntilExit()
      var attributes = stat()
      #expect(stat(directory.path(name), &attributes) == 0)
      let modified = Int64(attributes.st_mtim.tv_sec) * 1_000_000_000 + Int64(attributes.st_mtim.tv_nsec)
      manifest += "\(digest) \(attributes.st_size) \(modified) \(name)\n"
    }
    try manifest.write(toFile: directory.path(ModelFiles.manifestName), atomically: true, encoding: .utf8)
    return (directory, ModelFiles(directory: directory.url.path))
  }

  @Test func flippedWeightsAreRefusedAndIntactOnesLoad() throws {
    let (directory, files) = try copyOfModel()
    _ = try MiniLMEmbedder(files: files)  // as installed: loads without hashing (times unchanged)
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
    withExtendedLifetime(directory) {}
  }

  @Test func aShortenedFileOrVocabularyIsRefused() throws {
    let (directory, files) = try copyOfModel()
    defer { withExtendedLifetime(directory) {} }
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

/// Picks embedders: the default for a new store, and the one a store recorded.
public enum Embedders {
  /// The embedder names `make(named:)` knows.
  public static let names = [MiniLMEmbedder.modelName, HashingEmbedder.embedderName]

  /// For a new store: MiniLM when its files are present, else the hashing embedder.
  ///
  /// Present but broken files throw rather than fall back: a store silently
  /// created with the hashing embedder would keep it for life.
  /// - Throws: ``EmbeddingError``, when the MiniLM files are present, as `MiniLMEmbedder.init(files:)`; never without
  ///   them.
  public static func makeDefault(modelFiles: ModelFiles = ModelFiles()) throws(EmbeddingError) -> any TextEmbedder {
    modelFiles.isPresent ? try MiniLMEmbedder(files: modelFiles) : HashingEmbedder()
  }

  /// The embedder called `name` (`all-MiniLM-L6-v2` or `minilm`, `hashing`) with default parameters.
  /// - Throws: ``EmbeddingError``: `.unknownEmbedder` for another name; for MiniLM, what `MiniLMEmbedder.init(files:)`
  ///   throws (`.modelMissing` when its files are absent).
  public static func make(named name: String, modelFiles: ModelFiles = ModelFiles()) throws(EmbeddingError) -> any TextEmbedder {
    switch name.lowercased() {
    case MiniLMEmbedder.modelName.lowercased(), "minilm": return try MiniLMEmbedder(files: modelFiles)
    case HashingEmbedder.embedderName: return HashingEmbedder()
    default: throw .unknownEmbedder(name: name)
    }
  }

  /// The embedder a store recorded, verified: same name, dimension and fingerprint.
  /// - Throws: ``EmbeddingError``: `.modelMissing` when the store used MiniLM and the files are gone,
  ///   `.fingerprintMismatch` when the files (or parameters) differ from the store's, `.unknownEmbedder` for a name
  ///   this version does not know, or what else `MiniLMEmbedder.init(files:)` throws.
  public static func make(for recorded: EmbedderIdentity, modelFiles: ModelFiles = ModelFiles()) throws(EmbeddingError) -> any TextEmbedder {
    let embedder: any TextEmbedder =
      recorded.name == HashingEmbedder.embedderName
      ? HashingEmbedder(dimension: max(recorded.dimension, 1))
      : try make(named: recorded.name, modelFiles: modelFiles)
    guard embedder.dimension == recorded.dimension, embedder.fingerprint == recorded.fingerprint else {
      throw .fingerprintMismatch(
        name: recorded.name, recorded: "\(recorded.fingerprint) (\(recorded.dimension)-d)",
        available: "\(embedder.fingerprint) (\(embedder.dimension)-d)")
    }
    return embedder
  }
}

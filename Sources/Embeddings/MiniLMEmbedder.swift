import Foundation

/// all-MiniLM-L6-v2 run natively: the published `model.safetensors`,
/// `vocab.txt` and `config.json`, WordPiece, a 6-layer BERT through BLAS,
/// mean pooling and L2 normalization, matching sentence-transformers.
///
/// Loading maps the weights (only the attention's query, key and value
/// matrices are copied, 10.6 MB, so one product projects all three) and
/// reads the vocabulary: cheap enough to do at every store open. `embed` is safe to call from
/// several threads at once; each call has its own scratch memory.
public final class MiniLMEmbedder: TextEmbedder {
  /// The embedder name a store records.
  public static let modelName = "all-MiniLM-L6-v2"
  /// Sequence length in tokens including `[CLS]`/`[SEP]`, sentence-transformers' `max_seq_length`.
  public static let maxTokens = 256

  public let name = MiniLMEmbedder.modelName
  public let dimension: Int
  public let fingerprint: String
  /// Where the model files were loaded from.
  public let files: ModelFiles

  let tokenizer: WordPieceTokenizer
  let encoder: BertEncoder
  /// Upper bound on packed tokens per forward pass. Scratch memory is about
  /// 15 KB per token (six 384-wide and one 1536-wide float rows), so this
  /// caps it near 60 MB however many texts a caller passes; splitting a
  /// batch changes no result, and 4,096 tokens still hold 32 typical texts.
  let tokensPerPass = 4_096

  /// Loads the model from `files` (default: `$TRACEKV_MODEL_DIR` or the cache).
  /// - Throws: ``EmbeddingError`` with the fetch instruction: `.modelMissing` naming the first absent file;
  ///   `.modelCorrupt` for a file that is unreadable or malformed, differs from the install manifest, or a vocabulary
  ///   larger than the model; `.unsupportedModel` for a config this encoder does not implement; `.fetchFailed` when a
  ///   file whose time changed cannot be opened to check its SHA-256.
  public init(files: ModelFiles = ModelFiles()) throws(EmbeddingError) {
    try files.requirePresent()
    try files.checkManifest()
    self.files = files
    let configData: Data
    do { configData = try Data(contentsOf: URL(fileURLWithPath: files.path("config.json"))) } catch {
      throw .modelCorrupt(file: "config.json", reason: "unreadable")
    }
    let config = try BertConfig.load(configData)
    let weights = try SafeTensorsFile(path: files.path("model.safetensors"))
    encoder = try BertEncoder(config: config, weights: weights)
    tokenizer = try WordPieceTokenizer(vocabularyFile: files.path("vocab.txt"), maxLength: Self.maxTokens)
    guard tokenizer.vocabulary.count <= config.vocabularySize,
      tokenizer.vocabulary.values.allSatisfy({ Int($0) < config.vocabularySize })
    else {
      throw .modelCorrupt(file: "vocab.txt", reason: "more tokens than the model's \(config.vocabularySize) embeddings")
    }
    guard Self.maxTokens <= config.maxPositions else {
      throw .unsupportedModel(reason: "only \(config.maxPositions) positions, \(Self.maxTokens) needed")
    }
    dimension = config.hiddenSize
    fingerprint = Self.fingerprint(config: configData, safetensorsHeader: weights.headerBytes, vocabularyPath: files.path("vocab.txt"))
  }

  /// Hash of what determines the vectors yet is cheap to read: the config,
  /// the safetensors header (tensor names, shapes, byte ranges) and the
  /// vocabulary, plus this implementation's fixed choices. Hashing the 90 MB
  /// of weights too would cost a noticeable fraction of a second per open;
  /// the header already changes with any re-export or different checkpoint.
  static func fingerprint(config: Data, safetensorsHeader: [UInt8], vocabularyPath: String) -> String {
    var hasher = SHA256()
    let vocabulary = (try? Data(contentsOf: URL(fileURLWithPath: vocabularyPath))) ?? Data()
    for part in [[UInt8](config), safetensorsHeader, [UInt8](vocabulary)] {
      hasher.update(Array(String(part.count).utf8) + [0])
      hasher.update(part)
    }
    hasher.update(Array("bert-wordpiece-uncased;max_tokens=\(maxTokens);pooling=mean;normalize=l2".utf8))
    return String(SHA256.hexString(hasher.finalize()).prefix(16))
  }

  /// The token ids the encoder sees for `text` (`[CLS] … [SEP]`, at most 256).
  public func tokenIDs(_ text: String) -> [Int] { tokenizer.encode(text).map(Int.init) }

  /// One vector per text, in input order (see `TextEmbedder.embed(_:)`).
  /// - Throws: never: a loaded model embeds any text (longer ones are cut at `maxTokens`); the signature is
  ///   `TextEmbedder`'s.
  public func embed(_ texts: [String]) throws(EmbeddingError) -> [[Float]] {
    let sequences = texts.map(tokenizer.encode)
    var vectors: [[Float]] = []
    vectors.reserveCapacity(texts.count)
    var start = 0
    while start < sequences.count {
      var end = start
      var tokens = 0
      while end < sequences.count, end == start || tokens + sequences[end].count <= tokensPerPass {
        tokens += sequences[end].count
        end += 1
      }
      vectors += encoder.embed(Array(sequences[start..<end]))
      start = end
    }
    return vectors
  }
}

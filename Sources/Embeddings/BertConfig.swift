import Foundation

/// The fields of a Hugging Face BERT `config.json` the encoder needs.
struct BertConfig: Decodable, Equatable, Sendable {
  var hiddenSize: Int
  var layerCount: Int
  var headCount: Int
  var intermediateSize: Int
  var maxPositions: Int
  var typeVocabularySize: Int
  var vocabularySize: Int
  var layerNormEpsilon: Float
  var hiddenActivation: String
  var positionEmbeddingType: String?
  var modelType: String?

  enum CodingKeys: String, CodingKey {
    case hiddenSize = "hidden_size"
    case layerCount = "num_hidden_layers"
    case headCount = "num_attention_heads"
    case intermediateSize = "intermediate_size"
    case maxPositions = "max_position_embeddings"
    case typeVocabularySize = "type_vocab_size"
    case vocabularySize = "vocab_size"
    case layerNormEpsilon = "layer_norm_eps"
    case hiddenActivation = "hidden_act"
    case positionEmbeddingType = "position_embedding_type"
    case modelType = "model_type"
  }

  var headSize: Int { hiddenSize / headCount }

  /// Reads and validates `config.json`; refuses what the encoder does not implement.
  static func load(_ data: Data) throws(EmbeddingError) -> BertConfig {
    let config: BertConfig
    do { config = try JSONDecoder().decode(BertConfig.self, from: data) } catch let error as DecodingError {
      let reason: String
      switch error {
      case .keyNotFound(let key, _): reason = "no \(key.stringValue) field"
      case .typeMismatch(_, let context), .valueNotFound(_, let context):
        reason = "bad \(context.codingPath.map(\.stringValue).joined(separator: ".")) field"
      default: reason = "not valid JSON"
      }
      throw .modelCorrupt(file: "config.json", reason: reason)
    } catch {
      throw .modelCorrupt(file: "config.json", reason: "unreadable")
    }
    if let type = config.modelType, type != "bert" { throw .unsupportedModel(reason: "model_type is \(type)") }
    guard config.hiddenActivation == "gelu" else {
      throw .unsupportedModel(reason: "hidden_act is \(config.hiddenActivation), only exact gelu is implemented")
    }
    guard (config.positionEmbeddingType ?? "absolute") == "absolute" else {
      throw .unsupportedModel(reason: "position_embedding_type is \(config.positionEmbeddingType ?? "")")
    }
    guard config.headCount > 0, config.hiddenSize % config.headCount == 0, config.layerCount > 0 else {
      throw .unsupportedModel(reason: "hidden_size \(config.hiddenSize) is not a multiple of \(config.headCount) heads")
    }
    return config
  }
}

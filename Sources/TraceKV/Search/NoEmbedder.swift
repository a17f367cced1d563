import Embeddings

/// The embedder of a store without a vector index (`EmbedderChoice.none`):
/// it embeds nothing, so every trace is searchable by BM25 only.
struct NoEmbedder: TextEmbedder {
  let name = "none"
  let dimension = 0
  let fingerprint = "none"

  func embed(_ texts: [String]) throws(EmbeddingError) -> [[Float]] { [] }
}

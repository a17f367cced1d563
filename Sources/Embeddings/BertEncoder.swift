/// The BERT encoder of all-MiniLM-L6-v2, run with BLAS over a whole batch.
///
/// Sequences are *packed*, not padded: the tokens of every sequence in the
/// batch are stacked into one `[tokens, hidden]` matrix. Every layer but
/// attention treats rows independently, so one gemm per weight covers the
/// batch with no padding rows at all; attention runs per sequence over its
/// own rows only, which is exactly what the reference's padding mask
/// computes (masked keys get weight 0) without spending work on padding.
struct BertEncoder: Sendable {
  let config: BertConfig
  private let wordEmbeddings: FloatTensor
  private let positionEmbeddings: FloatTensor
  private let tokenTypeEmbeddings: FloatTensor
  private let embeddingNorm: (gamma: [Float], beta: [Float])
  private let layers: [Layer]

  /// One transformer block. Weights are `[out, in]` (used as `x·Wᵀ`): views
  /// into the memory map, except the query, key and value weights, copied
  /// once into one `[3·hidden, hidden]` matrix so that a single product
  /// projects all three (the activations are packed for BLAS once instead of
  /// three times; 1.7 MB a layer). The small vectors are copied into arrays.
  private struct Layer: Sendable {
    var queryKeyValue: [Float], queryKeyValueBias: [Float]
    var attentionOutput: FloatTensor, attentionOutputBias: [Float]
    var attentionNorm: (gamma: [Float], beta: [Float])
    var intermediate: FloatTensor, intermediateBias: [Float]
    var output: FloatTensor, outputBias: [Float]
    var outputNorm: (gamma: [Float], beta: [Float])
  }

  init(config: BertConfig, weights file: SafeTensorsFile) throws(EmbeddingError) {
    self.config = config
    let h = config.hiddenSize
    let i = config.intermediateSize
    // Checkpoints exported from `BertModel` name tensors `embeddings.…`, those
    // from a task model `bert.embeddings.…`; accept both.
    let prefix = file.tensors["embeddings.word_embeddings.weight"] == nil ? "bert." : ""
    func matrix(_ name: String, _ shape: [Int]) throws(EmbeddingError) -> FloatTensor {
      try file.floats(prefix + name, shape: shape)
    }
    func vector(_ name: String, _ size: Int) throws(EmbeddingError) -> [Float] {
      try file.floats(prefix + name, shape: [size]).toArray()
    }
    func norm(_ name: String) throws(EmbeddingError) -> (gamma: [Float], beta: [Float]) {
      (try vector(name + ".weight", h), try vector(name + ".bias", h))
    }
    wordEmbeddings = try matrix("embeddings.word_embeddings.weight", [config.vocabularySize, h])
    positionEmbeddings = try matrix("embeddings.position_embeddings.weight", [config.maxPositions, h])
    tokenTypeEmbeddings = try matrix("embeddings.token_type_embeddings.weight", [config.typeVocabularySize, h])
    embeddingNorm = try norm("embeddings.LayerNorm")
    /// The query, key and value weights (or biases) of a layer, one after the other.
    func stacked(_ attention: String, weights: Bool) throws(EmbeddingError) -> [Float] {
      var values: [Float] = []
      for part in ["query", "key", "value"] {
        let name = "\(attention).\(part)."
        values += weights ? try matrix(name + "weight", [h, h]).toArray() : try vector(name + "bias", h)
      }
      return values
    }
    var layers: [Layer] = []
    for index in 0..<config.layerCount {
      let p = "encoder.layer.\(index)."
      layers.append(
        Layer(
          queryKeyValue: try stacked(p + "attention.self", weights: true),
          queryKeyValueBias: try stacked(p + "attention.self", weights: false),
          attentionOutput: try matrix(p + "attention.output.dense.weight", [h, h]),
          attentionOutputBias: try vector(p + "attention.output.dense.bias", h),
          attentionNorm: try norm(p + "attention.output.LayerNorm"),
          intermediate: try matrix(p + "intermediate.dense.weight", [i, h]),
          intermediateBias: try vector(p + "intermediate.dense.bias", i),
          output: try matrix(p + "output.dense.weight", [h, i]),
          outputBias: try vector(p + "output.dense.bias", h),
          outputNorm: try norm(p + "output.LayerNorm")))
    }
    self.layers = layers
  }

  /// Scratch matrices for one forward pass, sized for `tokens` packed rows;
  /// allocated once per batch so no layer allocates.
  private struct Workspace {
    var hidden: [Float]
    /// Each token's query, key and value side by side: rows of 3·hidden.
    var queryKeyValue: [Float]
    var context: [Float]
    var projected: [Float]
    var intermediate: [Float]
    var scores: [Float]

    init(tokens: Int, hidden h: Int, intermediate i: Int, longest: Int) {
      hidden = [Float](repeating: 0, count: tokens * h)
      queryKeyValue = [Float](repeating: 0, count: tokens * 3 * h)
      context = hidden
      projected = hidden
      intermediate = [Float](repeating: 0, count: tokens * i)
      scores = [Float](repeating: 0, count: longest * longest)
    }
  }

  /// Mean-pooled, L2-normalized sentence vectors of `sequences` (token ids
  /// from `WordPieceTokenizer`, each non-empty and at most `maxPositions` long).
  func embed(_ sequences: [[Int32]]) -> [[Float]] {
    guard !sequences.isEmpty else { return [] }
    let h = config.hiddenSize
    let lengths = sequences.map(\.count)
    precondition(lengths.allSatisfy { $0 > 0 && $0 <= config.maxPositions }, "sequence length outside 1...maxPositions")
    var starts: [Int] = []
    var tokens = 0
    for length in lengths {
      starts.append(tokens)
      tokens += length
    }
    var work = Workspace(tokens: tokens, hidden: h, intermediate: config.intermediateSize, longest: lengths.max()!)

    // Embeddings: word + position + token type (always type 0 for one segment).
    for (s, ids) in sequences.enumerated() {
      for (position, id) in ids.enumerated() {
        let row = (starts[s] + position) * h
        wordEmbeddings.addRow(Int(id), into: &work.hidden, at: row)
        positionEmbeddings.addRow(position, into: &work.hidden, at: row)
        tokenTypeEmbeddings.addRow(0, into: &work.hidden, at: row)
      }
    }
    VectorKernels.addLayerNorm(
      &work.hidden, adding: nil, rows: tokens, width: h,
      gamma: embeddingNorm.gamma, beta: embeddingNorm.beta, epsilon: config.layerNormEpsilon)

    for layer in layers {
      forward(layer, &work, tokens: tokens, starts: starts, lengths: lengths)
    }
    return sequences.indices.map { VectorKernels.meanPoolNormalized(work.hidden, first: starts[$0], rows: lengths[$0], width: h) }
  }

  private func forward(_ layer: Layer, _ work: inout Workspace, tokens: Int, starts: [Int], lengths: [Int]) {
    let h = config.hiddenSize
    let i = config.intermediateSize
    let all = MatrixView(rows: tokens, columns: h)
    linear(work.hidden, all, layer.queryKeyValue, rows: 3 * h, layer.queryKeyValueBias, into: &work.queryKeyValue)

    // Self-attention per sequence and head: softmax(Q·Kᵀ/√d)·V, where each
    // head is a column slice of the packed Q, K, V (the query at column
    // head·d of a 3·hidden row, its key `hidden` columns on, its value 2·hidden).
    let d = config.headSize
    let scale = 1 / Float(d).squareRoot()
    for (start, n) in zip(starts, lengths) {
      for head in 0..<config.headCount {
        let query = MatrixView(offset: start * 3 * h + head * d, rows: n, columns: d, stride: 3 * h)
        var key = query, value = query
        key.offset += h
        value.offset += 2 * h
        let context = MatrixView(offset: start * h + head * d, rows: n, columns: d, stride: h)
        let scores = MatrixView(rows: n, columns: n)
        BLAS.gemm(alpha: scale, work.queryKeyValue, query, work.queryKeyValue, key, transposeB: true, beta: 0, &work.scores, scores)
        VectorKernels.softmaxRows(&work.scores, rows: n, columns: n, stride: n)
        BLAS.gemm(work.scores, scores, work.queryKeyValue, value, beta: 0, &work.context, context)
      }
    }

    linear(work.context, all, layer.attentionOutput, layer.attentionOutputBias, into: &work.projected)
    VectorKernels.addLayerNorm(
      &work.hidden, adding: work.projected, rows: tokens, width: h,
      gamma: layer.attentionNorm.gamma, beta: layer.attentionNorm.beta, epsilon: config.layerNormEpsilon)

    linear(work.hidden, all, layer.intermediate, layer.intermediateBias, into: &work.intermediate)
    VectorKernels.gelu(&work.intermediate, count: tokens * i)
    linear(work.intermediate, MatrixView(rows: tokens, columns: i), layer.output, layer.outputBias, into: &work.projected)
    VectorKernels.addLayerNorm(
      &work.hidden, adding: work.projected, rows: tokens, width: h,
      gamma: layer.outputNorm.gamma, beta: layer.outputNorm.beta, epsilon: config.layerNormEpsilon)
  }

  /// `output = input · weightᵀ + bias` for a `[out, in]` weight.
  private func linear(_ input: [Float], _ view: MatrixView, _ weight: FloatTensor, _ bias: [Float], into output: inout [Float]) {
    linear(input, view, weight, rows: weight.shape[0], bias, into: &output)
  }

  /// `output = input · weightᵀ + bias` for a weight of `rows` rows of `view.columns`.
  private func linear(
    _ input: [Float], _ view: MatrixView, _ weight: some FloatOperand, rows out: Int, _ bias: [Float],
    into output: inout [Float]
  ) {
    VectorKernels.fillRows(&output, rows: view.rows, with: bias)
    BLAS.gemm(
      input, view, weight, MatrixView(rows: out, columns: view.columns), transposeB: true,
      beta: 1, &output, MatrixView(rows: view.rows, columns: out))
  }
}

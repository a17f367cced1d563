import Foundation

/// `tracekv-bench embed`: MiniLM texts/s and peak memory per batch size,
/// beside sentence-transformers on the same texts.
struct EmbedReport: BenchReport {
  static let benchmark = "embed"
  var benchmark: BenchmarkName<Self>? = .init()
  /// The texts' file, the model folder, the model's fingerprint.
  var textsFile, model, fingerprint: String
  var texts, tokens: Int
  var results: [Row]
  /// The hashing embedder at batch 32, for scale.
  var hashingBatch32: Figures
  var context: RunContext

  /// One batch size: ours and (unless --no-peer, or it failed) the peer's.
  struct Row: Codable, Equatable {
    var batch: Int
    var tracekv: Figures
    var peer: Peer?
  }

  struct Figures: Codable, Equatable {
    var batch, texts: Int
    /// Milliseconds per batch: `batchP50`, `batchP99`.
    var seconds, textsPerSecond, batchP50, batchP99: Double
    /// `ratioVersusPeer`: ours / the peer's texts/s.
    var tokensPerSecond, peakRSSMegabytes, ratioVersusPeer: Double?

    enum CodingKeys: String, CodingKey {
      case batch, texts, seconds
      case textsPerSecond = "texts_per_s", tokensPerSecond = "tokens_per_s", batchP50 = "ms_per_batch_p50"
      case batchP99 = "ms_per_batch_p99", peakRSSMegabytes = "peak_rss_mb", ratioVersusPeer = "ratio_vs_peer"
    }
  }

  /// What `Benchmarks/peers/embed.py` prints.
  struct Peer: Codable, Equatable {
    var peer: String
    var batch, threads, texts: Int
    var seconds, textsPerSecond, peakRSSMegabytes: Double
    var versions: [String: String]?

    enum CodingKeys: String, CodingKey {
      case peer, batch, threads, texts, seconds, versions
      case textsPerSecond = "texts_per_s", peakRSSMegabytes = "peak_rss_mb"
    }
  }

  enum CodingKeys: String, CodingKey {
    case benchmark, texts, tokens, model, fingerprint, results, context
    case textsFile = "texts_file", hashingBatch32 = "hashing_batch32"
  }

  /// Every embedder at every batch size, the peer under ours.
  var table: ReportTable {
    var table = ReportTable(["embedder", "batch", "texts/s", "tokens/s", "ms/batch p50", "ms/batch p99", "peak RSS MB", "vs peer"])
    for row in results {
      let ours = row.tracekv
      table.add([
        "tracekv MiniLM", "\(row.batch)", fixed(ours.textsPerSecond, 1), fixed(ours.tokensPerSecond, 0), fixed(ours.batchP50, 2),
        fixed(ours.batchP99, 2), fixed(ours.peakRSSMegabytes, 0), ratio(ours.textsPerSecond, row.peer?.textsPerSecond),
      ])
      if let peer = row.peer {
        table.add([
          "sentence-transformers", "\(row.batch)", fixed(peer.textsPerSecond, 1), fixed(Double(tokens) / peer.seconds, 0), "-",
          "-", fixed(peer.peakRSSMegabytes, 0), "1.00×",
        ])
      }
    }
    table.add([
      "tracekv hashing", "\(hashingBatch32.batch)", fixed(hashingBatch32.textsPerSecond, 1), "-", fixed(hashingBatch32.batchP50, 2),
      fixed(hashingBatch32.batchP99, 2), "-", "-",
    ])
    return table
  }

  /// TraceKV's MiniLM texts/s at its largest measured batch, and that batch.
  var miniLMRate: (rate: Double, batch: Int)? {
    results.max { $0.batch < $1.batch }.map { ($0.tracekv.textsPerSecond, $0.batch) }
  }
}

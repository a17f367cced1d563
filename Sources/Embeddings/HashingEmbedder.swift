import Foundation

/// A dependency-free embedder: signed feature hashing of word unigrams,
/// word bigrams and character n-grams into a fixed number of dimensions.
///
/// It needs no files and is deterministic across machines and runs (FNV-1a
/// over UTF-8, no `Hasher`, whose seed changes per process), so a store built
/// with it can be reopened anywhere. Similarity is lexical: texts sharing
/// words or word fragments get close vectors; synonyms do not. It is the
/// fallback when the MiniLM files are absent.
public struct HashingEmbedder: TextEmbedder {
  /// The embedder name a store records.
  public static let embedderName = "hashing"
  public static let defaultDimension = 384

  public let name = HashingEmbedder.embedderName
  public let dimension: Int
  /// Character n-gram lengths, taken over each word padded with boundary marks.
  public let characterNGrams: ClosedRange<Int>
  /// Weight of word bigrams relative to unigrams (1); character n-grams share weight 1 per word.
  public let bigramWeight: Float

  /// Bumped whenever the features or their weights change, so the fingerprint does.
  static let featureVersion = 1

  public init(dimension: Int = defaultDimension, characterNGrams: ClosedRange<Int> = 3...5, bigramWeight: Float = 0.5) {
    precondition(dimension > 0, "HashingEmbedder needs a positive dimension")
    precondition(characterNGrams.lowerBound > 0, "character n-grams need a positive length")
    self.dimension = dimension
    self.characterNGrams = characterNGrams
    self.bigramWeight = bigramWeight
  }

  /// The parameters, hashed: two hashing embedders agree on every vector iff their fingerprints match.
  public var fingerprint: String {
    let parameters = "hashing-v\(Self.featureVersion);fnv1a64+splitmix;dim=\(dimension);char=\(characterNGrams.lowerBound)-\(characterNGrams.upperBound);bigram=\(bigramWeight);sublinear-tf;l2"
    return String(SHA256.hex(Array(parameters.utf8)).prefix(16))
  }

  /// One vector per text, in input order (see `TextEmbedder.embed(_:)`).
  /// - Throws: never; the signature is `TextEmbedder`'s.
  public func embed(_ texts: [String]) throws(EmbeddingError) -> [[Float]] {
    texts.map(vector)
  }

  private func vector(_ text: String) -> [Float] {
    let words = Self.words(text)
    var features = FeatureWeights()
    for word in words { features.add(FNV1a("w:").adding(word.utf8).value, 1) }
    for (first, second) in zip(words, words.dropFirst()) {
      features.add(FNV1a("b:").adding(first.utf8).adding(CollectionOfOne(UInt8(ascii: " "))).adding(second.utf8).value, bigramWeight)
    }
    for word in words {
      // Boundary marks make prefixes and suffixes features of their own.
      let marked = Array(("<" + word + ">").utf8)
      // Byte offset of each scalar, so n-grams are whole scalars, not bytes.
      var offsets: [Int] = []
      for (offset, byte) in marked.enumerated() where byte & 0xC0 != 0x80 { offsets.append(offset) }
      offsets.append(marked.count)
      let scalarCount = offsets.count - 1
      let gramCount = characterNGrams.reduce(0) { $0 + max(0, scalarCount - $1 + 1) }
      guard gramCount > 0 else { continue }
      // A long word has many n-grams: share one unit of weight among them so
      // it does not outweigh the word itself.
      let share = 1 / Float(gramCount)
      for n in characterNGrams where n <= scalarCount {
        for start in 0...(scalarCount - n) {
          features.add(FNV1a("c:").adding(marked[offsets[start]..<offsets[start + n]]).value, share)
        }
      }
    }
    // A text without a single word still gets a unit vector, so callers can
    // rely on the norm; all such texts share it.
    if features.hashes.isEmpty { features.add(FNV1a("e:empty").value, 1) }

    var vector = [Float](repeating: 0, count: dimension)
    // First-seen order, never a Dictionary's (its order changes per process),
    // so the float sums and therefore the vectors are bit-identical run to run.
    for (feature, weight) in zip(features.hashes, features.weights) {
      let hash = Self.mix(feature)
      let bucket = Int(hash % UInt64(dimension))
      // The sign bit comes from the other end of the hash, so collisions
      // cancel on average instead of piling up (Weinberger et al., 2009).
      let sign: Float = hash >> 63 == 0 ? 1 : -1
      // Sublinear term frequency: a word said ten times is not ten times as
      // telling. Fractional weights (bigrams, n-gram shares) stay linear.
      vector[bucket] += sign * (weight > 1 ? 1 + log(weight) : weight)
    }
    return normalized(vector)
  }

  /// Accumulated weight per feature hash, in first-seen order.
  private struct FeatureWeights {
    var slots: [UInt64: Int] = [:]
    var hashes: [UInt64] = []
    var weights: [Float] = []

    mutating func add(_ hash: UInt64, _ weight: Float) {
      if let slot = slots[hash] {
        weights[slot] += weight
      } else {
        slots[hash] = hashes.count
        hashes.append(hash)
        weights.append(weight)
      }
    }
  }

  /// Lower-cased runs of letters and digits.
  static func words(_ text: String) -> [String] {
    var words: [String] = []
    var current = ""
    for scalar in text.lowercased().unicodeScalars {
      if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
        current.unicodeScalars.append(scalar)
      } else if !current.isEmpty {
        words.append(current)
        current = ""
      }
    }
    if !current.isEmpty { words.append(current) }
    return words
  }

  /// 64-bit FNV-1a of the UTF-8 bytes: fixed, unlike Swift's per-process seeded `Hasher`.
  static func fnv1a(_ string: String) -> UInt64 { FNV1a("").adding(string.utf8).value }

  /// A bijective 64-bit finalizer (SplitMix64's): FNV's low bits, which pick
  /// the bucket, are weakly mixed for short inputs.
  static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Incremental 64-bit FNV-1a, so a feature is hashed from its parts without
/// building its string.
struct FNV1a {
  private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

  init(_ prefix: String) {
    for byte in prefix.utf8 { mix(byte) }
  }

  func adding<Bytes: Sequence>(_ bytes: Bytes) -> FNV1a where Bytes.Element == UInt8 {
    var copy = self
    for byte in bytes { copy.mix(byte) }
    return copy
  }

  private mutating func mix(_ byte: UInt8) {
    value ^= UInt64(byte)
    value = value &* 0x0000_0100_0000_01b3
  }
}

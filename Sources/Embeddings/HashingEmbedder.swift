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

  /// The FNV-1a state after each feature kind's prefix (which keeps a word
  /// apart from the n-gram of the same letters), hashed once, not per feature.
  private static let wordSeed = FNV1a("w:")
  private static let bigramSeed = FNV1a("b:")
  private static let gramSeed = FNV1a("c:")

  private func vector(_ text: String) -> [Float] {
    let words = MarkedWords(text)
    var features = FeatureWeights(expected: words.bytes.count * characterNGrams.count)
    for word in words.ranges { features.add(Self.wordSeed.adding(words.bytes[word]).value, 1) }
    for (first, second) in zip(words.ranges, words.ranges.dropFirst()) {
      let bigram = Self.bigramSeed.adding(words.bytes[first]).adding(CollectionOfOne(UInt8(ascii: " ")))
      features.add(bigram.adding(words.bytes[second]).value, bigramWeight)
    }
    var offsets: [Int] = []
    for (word, isASCII) in zip(words.ranges, words.isASCII) {
      // The word with its boundary marks, which make prefixes and suffixes features of their own.
      let marked = words.bytes[(word.lowerBound - 1)..<(word.upperBound + 1)]
      // N-grams are whole scalars, not bytes: the byte offset of each scalar
      // (for an ASCII word, each byte's own).
      if !isASCII {
        offsets.removeAll(keepingCapacity: true)
        for offset in marked.indices where marked[offset] & 0xC0 != 0x80 { offsets.append(offset) }
        offsets.append(marked.endIndex)
      }
      let scalarCount = isASCII ? marked.count : offsets.count - 1
      func scalarOffset(_ scalar: Int) -> Int { isASCII ? marked.startIndex + scalar : offsets[scalar] }
      let gramCount = characterNGrams.reduce(0) { $0 + max(0, scalarCount - $1 + 1) }
      guard gramCount > 0 else { continue }
      // A long word has many n-grams: share one unit of weight among them so
      // it does not outweigh the word itself.
      let share = 1 / Float(gramCount)
      for n in characterNGrams where n <= scalarCount {
        for start in 0...(scalarCount - n) {
          features.add(Self.gramSeed.adding(words.bytes[scalarOffset(start)..<scalarOffset(start + n)]).value, share)
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

  /// Accumulated weight per feature hash, in first-seen order: an
  /// open-addressing table over the hashes (they are FNV values already, so
  /// one multiply spreads them; no per-process seeded `Hasher`).
  private struct FeatureWeights {
    private(set) var hashes: [UInt64] = []
    private(set) var weights: [Float] = []
    /// Index into `hashes` plus one per table slot, 0 where empty; a power of two long.
    private var table: [Int32]
    private var shift: UInt64

    init(expected: Int) {
      // At most half full: the smallest power of two of at least 2 · expected slots (64 at the least).
      var bits = 6
      while 1 << bits < 2 * expected { bits += 1 }
      table = Array(repeating: 0, count: 1 << bits)
      shift = UInt64(64 - bits)
      hashes.reserveCapacity(expected)
      weights.reserveCapacity(expected)
    }

    mutating func add(_ hash: UInt64, _ weight: Float) {
      var slot = Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> shift)
      let mask = table.count - 1
      while true {
        let entry = Int(table[slot])
        if entry == 0 { break }
        if hashes[entry - 1] == hash {
          weights[entry - 1] += weight
          return
        }
        slot = (slot + 1) & mask
      }
      hashes.append(hash)
      weights.append(weight)
      table[slot] = Int32(hashes.count)
      if 2 * hashes.count > table.count { grow() }
    }

    private mutating func grow() {
      table = Array(repeating: 0, count: 2 * table.count)
      shift -= 1
      let mask = table.count - 1
      for (index, hash) in hashes.enumerated() {
        var slot = Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while table[slot] != 0 { slot = (slot + 1) & mask }
        table[slot] = Int32(index + 1)
      }
    }
  }

  /// Lower-cased runs of letters and digits.
  static func words(_ text: String) -> [String] {
    let words = MarkedWords(text)
    return words.ranges.map { String(decoding: words.bytes[$0], as: UTF8.self) }
  }

  /// A text's words, lower-cased, as UTF-8 in one buffer, each between
  /// boundary marks: `<tool><failed>`. Read byte by byte when the text is
  /// ASCII (most traces are), by Unicode scalar properties otherwise; both
  /// give the same words.
  struct MarkedWords {
    /// The marked words, back to back.
    private(set) var bytes: [UInt8] = []
    /// Each word's bytes in `bytes`, without its marks.
    private(set) var ranges: [Range<Int>] = []
    /// Whether each word is ASCII (then its n-grams are byte ranges).
    private(set) var isASCII: [Bool] = []

    init(_ text: String) {
      bytes.reserveCapacity(text.utf8.count + 2)
      if !splitASCII(text) { splitUnicode(text) }
    }

    /// False, with nothing kept, at the first byte past ASCII.
    private mutating func splitASCII(_ text: String) -> Bool {
      var start: Int?
      for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
          if start == nil { start = begin() }
          bytes.append(byte)
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
          if start == nil { start = begin() }
          bytes.append(byte | 0x20)
        case 0x80...:
          bytes.removeAll(keepingCapacity: true)
          ranges.removeAll()
          isASCII.removeAll()
          return false
        default:
          if let first = start { end(from: first, isASCII: true) }
          start = nil
        }
      }
      if let first = start { end(from: first, isASCII: true) }
      return true
    }

    private mutating func splitUnicode(_ text: String) {
      var start: Int?
      for scalar in text.lowercased().unicodeScalars {
        if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
          if start == nil { start = begin() }
          bytes.append(contentsOf: UTF8.encode(scalar)!)
        } else if let first = start {
          end(from: first, isASCII: false)
          start = nil
        }
      }
      if let first = start { end(from: first, isASCII: false) }
    }

    /// Opens a word: its leading mark; returns where its bytes begin.
    private mutating func begin() -> Int {
      bytes.append(UInt8(ascii: "<"))
      return bytes.count
    }

    private mutating func end(from first: Int, isASCII ascii: Bool) {
      ranges.append(first..<bytes.count)
      isASCII.append(ascii || !bytes[first...].contains { $0 >= 0x80 })
      bytes.append(UInt8(ascii: ">"))
    }
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

/// SplitMix64 (Steele, Lea & Flood, 2014): the level generator's random
/// source, small enough to persist its state in the header so a restored
/// index draws the same levels as one that never closed. Public because the
/// tests and the benchmark harness need the same reproducible seeded stream.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  var state: UInt64

  /// A stream that starts from `seed`; equal seeds give equal streams, and
  /// a saved `state` given as the seed resumes its stream.
  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

import VectorIndex

/// The seeded generator of the tests: VectorIndex's SplitMix64, so tests
/// and benchmarks are reproducible run to run.
public typealias SeededGenerator = SplitMix64

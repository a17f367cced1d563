import Foundation
import VectorIndex

/// The allowed sets (`FilterColumns.allowed(by:)`) of the last few filters
/// searched, each as of the generation it was built at.
///
/// Why: an agent asks its memory the same filtered question again and again
/// (`search_past_experiences` sends `min_rating=4` with every task), and
/// building the set scans a column of every trace: a fifth of a `min_rating`
/// BM25 search at a million traces (`perf`, BENCHMARKS.md). Between writes
/// the set cannot change, so it is built once per generation; after a write,
/// the set of the generation before is brought up to date through the
/// documents the write changed (`SearchState.changedSince`), so a server
/// searching while it takes writes does not scan every trace either.
///
/// Exactness: a generation names one state of the columns (every indexed
/// write advances it, and `SearchIndexes.state(in:tables:)` already trusts it
/// to), so a set is reused only by searches of the generation it was built
/// at, and updated only from the generation its state's changes start at.
final class AllowedSetCache: @unchecked Sendable {
  // @unchecked: `sets` is only touched under `lock`.
  /// The most sets kept. A set costs a bit per trace (128 KiB at a million).
  static let capacity = 8

  private struct Key: Hashable {
    var generation: UInt64
    var filter: TraceFilter
  }

  private let lock = NSLock()
  private var sets: [Key: LabelSet] = [:]

  /// The documents of `state` that `filter` accepts, nil for an empty filter
  /// (everything passes).
  /// - Complexity: O(1) when the set is kept; O(64 · words of the changed
  ///   documents) when the generation before is kept; else `FilterColumns.allowed(by:)`'s.
  func allowed(by filter: TraceFilter, in state: SearchState) -> LabelSet? {
    guard !filter.isEmpty else { return nil }
    let key = Key(generation: state.generation, filter: filter)
    let (kept, earlier) = lock.withLock {
      (sets[key], state.changedSince.flatMap { sets[Key(generation: $0.generation, filter: filter)] })
    }
    if let kept { return kept }
    // Built outside the lock: concurrent searches of other filters do not wait on it.
    let built =
      if let earlier, let changed = state.changedSince {
        state.columns.allowed(by: filter, updating: earlier, changed: changed.documents)
      } else {
        state.columns.allowed(by: filter)
      }
    guard let built else { return nil }
    lock.withLock {
      // This filter's sets of older generations: the new one serves the updates to come.
      sets = sets.filter { $0.key.filter != filter || $0.key.generation > key.generation }
      if sets.count >= Self.capacity {
        // Older generations first: no search of the current one asks for them again.
        let newest = sets.keys.map(\.generation).max() ?? key.generation
        sets = sets.filter { $0.key.generation >= newest }
        if sets.count >= Self.capacity { sets.removeAll(keepingCapacity: true) }
      }
      sets[key] = built
    }
    return built
  }
}

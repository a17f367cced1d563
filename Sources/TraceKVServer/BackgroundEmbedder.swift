import Foundation
import TraceKV

/// The thread that gives written traces their vectors. The server's writes
/// index a trace for BM25 and leave its vector waiting in the store
/// (`TraceStore.Options.defersVectors`), so an acknowledgement never waits
/// for the embedder; this thread embeds the waiting traces once each is
/// quiet or its root span has arrived (`TraceStore.indexPendingVectors`).
/// The waiting set lives in the store: traces left waiting by a stop or a
/// crash are embedded when the next server starts.
final class BackgroundEmbedder: @unchecked Sendable {
  private let store: TraceStore
  private let quietPeriod: Double
  private let batchLimit: Int
  private let service = ServiceThread()
  private var condition: NSCondition { service.condition }
  /// Under `condition`.
  private var nudged = true

  /// A round that caught up waits at least this long before the next, so a
  /// flood of commits does not turn into a flood of scans and vector commits.
  static let minimumIdleWait = 0.05
  /// After a failure (the embedder could not load, the store refused), wait this long.
  static let failureBackoff = 1.0

  init(store: TraceStore, quietPeriod: Double, batchLimit: Int) {
    self.store = store
    self.quietPeriod = quietPeriod
    self.batchLimit = batchLimit
  }

  func start() {
    service.start(name: "tracekv-embedder") { [self] in run() }
  }

  /// A write committed: there may be new traces to embed.
  func nudge() {
    condition.withLock {
      nudged = true
      condition.signal()
    }
  }

  /// Stops after the round in flight (whose write commits); what still waits stays in the store.
  func finish() { service.stop() }

  private func run() {
    // A read-only store cannot take vectors: nothing to do but answer `finish()`.
    while !store.isReadOnly {
      // A nudge from now on may bring traces this round does not see.
      condition.withLock { nudged = false }
      let wait: Double?
      do {
        let round = try store.indexPendingVectors(quietPeriod: quietPeriod, limit: batchLimit)
        // Again at once only when more are due than one batch took; caught up, it waits for the next writes
        // (at least `minimumIdleWait`), so a flood of small commits gets one vector commit per pause, not one
        // each: every commit syncs twice and holds the store's one write lock that requests wait for.
        wait = round.nextDueIn
      } catch {
        FileHandle.standardError.write(Data("tracekv serve: embedding waiting traces failed: \(error)\n".utf8))
        wait = Self.failureBackoff
      }
      if wait != 0 && !waitForWork(upTo: wait) { break }
      if condition.withLock({ service.isStopping }) { break }
    }
  }

  /// Waits until a nudge (but at least `minimumIdleWait`) or `seconds`
  /// (nil: no limit); false when stopping.
  private func waitForWork(upTo seconds: Double?) -> Bool {
    condition.withLock {
      let began = Date()
      // No deadline is a plain wait: Foundation on Linux traps on `wait(until: .distantFuture)`.
      let deadline = seconds.map { began.addingTimeInterval(max($0, Self.minimumIdleWait)) }
      let earliest = began.addingTimeInterval(Self.minimumIdleWait)
      while !service.isStopping {
        let now = Date()
        if let deadline, now >= deadline { break }
        if nudged && now >= earliest { break }
        if nudged {
          _ = condition.wait(until: earliest)
        } else if let deadline {
          _ = condition.wait(until: deadline)
        } else {
          condition.wait()
        }
      }
      return !service.isStopping
    }
  }
}

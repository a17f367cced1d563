import Foundation

/// Prepares chunks of work on worker threads and hands the results to the
/// calling thread in the order the chunks were taken, so what the caller does
/// with them (ingest's single LMDB writer) sees the input order whatever the
/// number of workers.
///
/// Memory is bounded: a worker takes a new chunk only while fewer than
/// `ahead` chunks are taken and not yet handed over. With one worker nothing
/// runs on another thread: each chunk is prepared on the calling thread
/// just before it is handed over.
///
/// `@unchecked Sendable`: every mutable field is read and written under
/// `condition`, and `forEach` returns only after every worker has stopped, so
/// `next` and `prepare` may reach memory the caller lends for the call.
final class OrderedWorkers<Chunk, Prepared>: @unchecked Sendable {
  private let workers: Int
  private let ahead: Int
  private let next: () -> Chunk?
  private let prepare: (Chunk) -> Prepared
  private let condition = NSCondition()
  private var ready: [Int: Prepared] = [:]
  private var taken = 0  // chunks taken by workers
  private var handed = 0  // chunks handed to the caller
  private var exhausted = false
  private var stopped = false
  private var running = 0

  /// - Parameters:
  ///   - workers: threads preparing chunks (1: the calling thread, inline).
  ///   - ahead: chunks that may be taken and not yet handed over (at least `workers`).
  ///   - next: the next chunk of input, nil at the end; called under a lock, one caller at a time.
  ///   - prepare: the work done on a worker; must not throw (failures travel in `Prepared`).
  init(workers: Int, ahead: Int, next: @escaping () -> Chunk?, prepare: @escaping (Chunk) -> Prepared) {
    self.workers = max(1, workers)
    self.ahead = max(ahead, self.workers)
    self.next = next
    self.prepare = prepare
  }

  /// Calls `body` with each prepared chunk, in input order. When `body`
  /// throws, the workers stop after the chunk they are preparing and the
  /// error is rethrown once they have.
  func forEach(_ body: (Prepared) throws -> Void) throws {
    guard workers > 1 else {
      while let chunk = next() { try body(prepare(chunk)) }
      return
    }
    running = workers
    for _ in 0..<workers {
      let thread = Thread { [self] in work() }
      thread.name = "tracekv-ingest"
      thread.start()
    }
    defer { stopAndJoin() }
    while let prepared = take() { try body(prepared) }
  }

  /// The next chunk in order, waiting for it; nil when all were handed over.
  private func take() -> Prepared? {
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let prepared = ready.removeValue(forKey: handed) {
        handed += 1
        condition.broadcast()
        return prepared
      }
      if exhausted && handed == taken { return nil }
      condition.wait()
    }
  }

  private func work() {
    condition.lock()
    defer {
      running -= 1
      condition.broadcast()
      condition.unlock()
    }
    while true {
      while !stopped && !exhausted && taken - handed >= ahead { condition.wait() }
      if stopped || exhausted { return }
      guard let chunk = next() else {
        exhausted = true
        condition.broadcast()
        return
      }
      let index = taken
      taken += 1
      condition.unlock()
      let prepared = prepare(chunk)
      condition.lock()
      ready[index] = prepared
      condition.broadcast()
    }
  }

  private func stopAndJoin() {
    condition.lock()
    stopped = true
    condition.broadcast()
    while running > 0 { condition.wait() }
    ready.removeAll()
    condition.unlock()
  }
}

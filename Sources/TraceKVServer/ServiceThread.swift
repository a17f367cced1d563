import Foundation

/// The life of one of the server's long-running threads (the writer, the
/// embedder): started once, asked to stop, waited for. The owner keeps its own
/// state under the same `condition`, so one lock orders its work and the stop.
final class ServiceThread: @unchecked Sendable {
  /// Guards `isStopping` and the owner's state.
  let condition = NSCondition()
  /// Read under `condition`.
  private(set) var isStopping = false
  private var finished = false

  /// Runs `body` on a new thread called `name`; `body` returns once it has
  /// seen `isStopping` (after finishing what it must).
  func start(name: String, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread { [self] in
      body()
      condition.withLock {
        finished = true
        condition.broadcast()
      }
    }
    thread.name = name
    thread.start()
  }

  /// Asks the thread to stop and returns once its body has returned.
  func stop() {
    condition.withLock {
      isStopping = true
      condition.broadcast()
      while !finished { condition.wait() }
    }
  }
}

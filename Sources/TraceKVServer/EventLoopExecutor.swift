import NIOCore

/// Runs Swift tasks on one NIO event loop: the server's connections run
/// under it as their task executor preference, so a request is read,
/// handled and answered on the loop's thread.
///
/// Why: under Swift's default executor every request crossed from the
/// event loop's thread to a pool thread and back, each crossing a wake-up
/// and a context switch. `Benchmarks/peers/request_cost.py`, two rounds
/// alternating: server CPU a request 191–213 µs before, 147–159 after for
/// `health`, 273–275 before, 204–207 after for `GET /api/v1/traces/{id}`.
/// Blocking store work still leaves the loop (`HTTPReplies.offload`).
final class EventLoopTaskExecutor: TaskExecutor, Sendable {
  let eventLoop: any EventLoop

  init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}

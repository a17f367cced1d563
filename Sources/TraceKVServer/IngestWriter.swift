import Foundation
import TraceKV

/// The one thread that writes requests to the store. Requests wait in a
/// bounded queue; the thread takes every waiting request of one kind (up to
/// the group limits) and commits them in one write transaction, so many
/// small concurrent requests cost one commit. A request is answered only
/// after its group committed: a 200 means durable.
final class IngestWriter: @unchecked Sendable {
  /// What the writer does for one request.
  enum Job: Sendable {
    /// A body to ingest, grouped with others of the same kind (`StoreIngest`).
    case ingest(IngestBody)
    /// A governance change (feedback, signal, evaluation), grouped with the other changes waiting.
    case change(TraceChange)
    /// Any other write (delete, cleanup), run alone.
    case operation(@Sendable (TraceStore) throws -> JSONValue)
  }

  enum Outcome: Sendable {
    case ingested(BodyReport)
    case operated(JSONValue)
    case failed(TraceKVError)
  }

  enum Refusal: Error {
    /// The queue is full: the caller answers 503 with Retry-After.
    case saturated
    /// The server is shutting down and takes no new writes.
    case stopping
    /// It waited in the queue past the request timeout and was withdrawn: nothing of it was written.
    case timedOut
  }

  private struct Pending {
    let id: UInt64
    let job: Job
    let bytes: Int
    let answer: @Sendable (Outcome) -> Void
  }

  private let store: TraceStore
  private let configuration: ServerConfiguration
  private let service = ServiceThread()
  private var condition: NSCondition { service.condition }
  /// Under `condition`.
  private var queue: [Pending] = []
  private var queuedBytes = 0
  private var nextID: UInt64 = 0
  /// Called after each group's transaction, committed or not (the background embedder's cue).
  private let afterGroup: @Sendable () -> Void

  init(store: TraceStore, configuration: ServerConfiguration, afterGroup: @escaping @Sendable () -> Void = {}) {
    self.store = store
    self.configuration = configuration
    self.afterGroup = afterGroup
  }

  func start() {
    service.start(name: "tracekv-writer") { [self] in run() }
  }

  /// Queues `job` and waits until it is committed (or failed).
  func submit(_ job: Job) async throws(Refusal) -> Outcome {
    let bytes: Int
    if case .ingest(let body) = job { bytes = body.bytes.count } else { bytes = 0 }
    let refusal: Refusal? = condition.withLock {
      if service.isStopping { return .stopping }
      // One request larger than the byte budget still gets in when it waits alone.
      if queue.count >= configuration.maximumQueuedRequests
        || (!queue.isEmpty && queuedBytes + bytes > configuration.maximumQueuedBytes)
      {
        return .saturated
      }
      return nil
    }
    if let refusal { throw refusal }
    let timer = TimerSlot()
    let result: Result<Outcome, Refusal> = await withCheckedContinuation { continuation in
      let id = condition.withLock {
        nextID += 1
        queue.append(Pending(id: nextID, job: job, bytes: bytes, answer: { continuation.resume(returning: .success($0)) }))
        queuedBytes += bytes
        condition.signal()
        return nextID
      }
      timer.set(
        Task { [self] in
          do { try await Task.sleep(for: .seconds(configuration.requestTimeoutSeconds)) } catch { return }
          if withdraw(id) { continuation.resume(returning: .failure(.timedOut)) }
        })
    }
    timer.cancel()
    return try result.get()
  }

  /// Removes a job still waiting in the queue; false once the writer has
  /// taken it (its commit is then waited for, however long).
  private func withdraw(_ id: UInt64) -> Bool {
    condition.withLock {
      guard let index = queue.firstIndex(where: { $0.id == id }) else { return false }
      queuedBytes -= queue[index].bytes
      queue.remove(at: index)
      return true
    }
  }

  /// Takes no new jobs, commits every queued one, and returns once the
  /// thread has finished.
  func finish() {
    service.stop()
  }

  private func run() {
    while let group = nextGroup() {
      execute(group)
      afterGroup()
    }
  }

  /// Waits for work; nil once stopping and drained.
  private func nextGroup() -> [Pending]? {
    condition.withLock {
      while queue.isEmpty && !service.isStopping { condition.wait() }
      guard let first = queue.first else { return nil }
      var count = 1
      var bytes = first.bytes
      while count < queue.count, count < configuration.maximumGroupRequests,
        Self.groupable(first.job, queue[count].job), bytes + queue[count].bytes <= configuration.maximumGroupBytes
      {
        bytes += queue[count].bytes
        count += 1
      }
      let group = Array(queue.prefix(count))
      queue.removeFirst(count)
      queuedBytes -= bytes
      return group
    }
  }

  /// Whether `next` may join a group that `head` opened: bodies of one kind, or changes.
  private static func groupable(_ head: Job, _ next: Job) -> Bool {
    switch (head, next) {
    case (.ingest(let head), .ingest(let next)): head.kind == next.kind
    case (.change, .change): true
    default: false
    }
  }

  private func execute(_ group: [Pending]) {
    switch group[0].job {
    case .change:
      let changes = group.compactMap { pending -> TraceChange? in
        if case .change(let change) = pending.job { return change }
        return nil
      }
      do {
        for (pending, result) in zip(group, try store.apply(changes)) {
          switch result {
          case .success: pending.answer(.operated(.null))
          case .failure(let error): pending.answer(.failed(error))
          }
        }
      } catch {
        for pending in group { pending.answer(.failed(ServerErrors.storeError(error))) }
      }
    case .operation(let operation):
      do {
        group[0].answer(.operated(try operation(store)))
      } catch {
        group[0].answer(.failed(ServerErrors.storeError(error)))
      }
    case .ingest:
      let bodies = group.compactMap { pending -> IngestBody? in
        if case .ingest(let body) = pending.job { return body }
        return nil
      }
      let results = StoreIngest.ingest(bodies, into: store)
      for (pending, result) in zip(group, results) {
        switch result {
        case .success(let report): pending.answer(.ingested(report))
        case .failure(let error): pending.answer(.failed(error))
        }
      }
    }
  }
}

/// The timeout task of one queued job, cancelled once the job is answered.
private final class TimerSlot: @unchecked Sendable {
  private let lock = NSLock()
  private var task: Task<Void, Never>?
  func set(_ task: Task<Void, Never>) { lock.withLock { self.task = task } }
  func cancel() { lock.withLock { task?.cancel() } }
}

extension IngestWriter.Refusal {
  /// What a 503 caused by this refusal says.
  func message(_ configuration: ServerConfiguration) -> String {
    switch self {
    case .saturated: "the writer is saturated (\(configuration.maximumQueuedRequests) requests waiting); retry later"
    case .stopping: "the server is shutting down"
    case .timedOut:
      "the request waited longer than \(configuration.requestTimeoutSeconds) s for the writer; nothing was written"
    }
  }
}

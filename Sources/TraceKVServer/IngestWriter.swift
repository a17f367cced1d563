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
    let job: Job
    let bytes: Int
    /// Past it, a job still queued is withdrawn (`withdrawExpired`).
    let deadline: ContinuousClock.Instant
    let resume: @Sendable (Result<Outcome, Refusal>) -> Void
    func answer(_ outcome: Outcome) { resume(.success(outcome)) }
  }

  private let store: TraceStore
  private let configuration: ServerConfiguration
  private let service = ServiceThread()
  private var condition: NSCondition { service.condition }
  /// Under `condition`.
  private var queue: [Pending] = []
  private var queuedBytes = 0
  /// Withdraws the jobs that waited past the request timeout, every
  /// `sweepInterval`: one timer for the queue rather than a task per request
  /// (which cost about a tenth of a feedback's server CPU, BENCHMARKS.md).
  /// Set by `start`, cancelled by `finish`.
  private var sweeper: (any DispatchSourceTimer)?
  /// Called after each group's transaction, committed or not (the background embedder's cue).
  private let afterGroup: @Sendable () -> Void

  init(store: TraceStore, configuration: ServerConfiguration, afterGroup: @escaping @Sendable () -> Void = {}) {
    self.store = store
    self.configuration = configuration
    self.afterGroup = afterGroup
  }

  func start() {
    service.start(name: "tracekv-writer") { [self] in run() }
    let sweeper = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "tracekv.writer.timeouts"))
    sweeper.schedule(deadline: .now() + sweepInterval, repeating: sweepInterval)
    sweeper.setEventHandler { [weak self] in self?.withdrawExpired() }
    sweeper.activate()
    self.sweeper = sweeper
  }

  /// How often waiting jobs are checked against their deadline: a job is
  /// withdrawn at most this long after its timeout.
  var sweepInterval: Double { max(0.01, min(1, configuration.requestTimeoutSeconds / 4)) }

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
    let deadline = ContinuousClock.now + .seconds(configuration.requestTimeoutSeconds)
    let result: Result<Outcome, Refusal> = await withCheckedContinuation { continuation in
      condition.withLock {
        queue.append(Pending(job: job, bytes: bytes, deadline: deadline, resume: { continuation.resume(returning: $0) }))
        queuedBytes += bytes
        condition.signal()
      }
    }
    return try result.get()
  }

  /// Removes the jobs still waiting in the queue past their deadline and
  /// answers them `timedOut`. A job the writer has taken is not among
  /// them: its commit is waited for, however long.
  private func withdrawExpired() {
    let now = ContinuousClock.now
    let expired: [Pending] = condition.withLock {
      let expired = queue.filter { $0.deadline <= now }
      guard !expired.isEmpty else { return [] }
      queue.removeAll { $0.deadline <= now }
      queuedBytes -= expired.reduce(0) { $0 + $1.bytes }
      return expired
    }
    for pending in expired { pending.resume(.failure(.timedOut)) }
  }

  /// Takes no new jobs, commits every queued one, and returns once the
  /// thread has finished.
  func finish() {
    service.stop()
    sweeper?.cancel()
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

import Foundation
import TestSupport
import Testing
import TraceKV

@testable import TraceKVServer

/// The request timeout (`ServerConfiguration.requestTimeoutSeconds`) at work:
/// a write still queued past it is withdrawn and answered `timedOut`, and
/// nothing of it runs; a write the writer reaches in time runs.
@Suite struct IngestWriterTimeoutTests {
  /// A writer over a fresh store, with `timeout`.
  func writer(timeout: Double, in folder: TemporaryDirectory) throws -> IngestWriter {
    var configuration = ServerConfiguration()
    configuration.requestTimeoutSeconds = timeout
    let writer = IngestWriter(store: try TraceStore(path: folder.path("store.tkv")), configuration: configuration)
    writer.start()
    return writer
  }

  /// A write that sets `flag` when the writer runs it, then holds the writer for `seconds`.
  fileprivate func operation(setting flag: Flag, holding seconds: Double = 0) -> IngestWriter.Job {
    .operation { _ in
      flag.set()
      if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
      return .null
    }
  }

  /// Submits a job that holds the writer for `seconds`, and returns once the writer has taken it.
  func holdWriter(_ writer: IngestWriter, for seconds: Double) async throws -> Task<IngestWriter.Outcome, any Error> {
    let taken = Flag()
    let job = operation(setting: taken, holding: seconds)
    let held = Task { try await writer.submit(job) }
    while !taken.isSet { try await Task.sleep(for: .milliseconds(5)) }
    return held
  }

  @Test func aWriteQueuedPastTheTimeoutIsWithdrawnAndNeverRuns() async throws {
    let folder = try TemporaryDirectory()
    let writer = try writer(timeout: 0.3, in: folder)
    defer { writer.finish() }
    // The writer is held ten times the timeout: the queued write must be withdrawn meanwhile.
    let held = try await holdWriter(writer, for: 3)
    let ran = Flag()
    let started = ContinuousClock.now
    await #expect(throws: IngestWriter.Refusal.timedOut) { try await writer.submit(operation(setting: ran)) }
    #expect(ContinuousClock.now - started >= .seconds(0.3))
    // The write the writer had taken is still answered once done.
    guard case .operated = try await held.value else { Issue.record("the held write was not answered as done"); return }
    #expect(!ran.isSet)
  }

  @Test func aWriteTheWriterReachesInTimeRuns() async throws {
    let folder = try TemporaryDirectory()
    let writer = try writer(timeout: 5, in: folder)
    defer { writer.finish() }
    let held = try await holdWriter(writer, for: 0.2)
    let ran = Flag()
    let outcome = try await writer.submit(operation(setting: ran))
    guard case .operated = outcome else { Issue.record("the write was not run: \(outcome)"); return }
    #expect(ran.isSet)
    _ = try await held.value
  }

  @Test func aTimeoutOfZeroIsRefused() {
    var configuration = ServerConfiguration()
    configuration.requestTimeoutSeconds = 0
    #expect(throws: ServerConfigurationError.self) { try configuration.validate() }
  }
}

/// A flag set from the writer's thread and read from the test's task.
private final class Flag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool { lock.withLock { value } }
  func set() { lock.withLock { value = true } }
}

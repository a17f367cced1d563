import Foundation
import TraceKV

/// Runs a synchronous export on its own thread and hands its chunks to an
/// async consumer, at most `window` chunks ahead of it, so a slow client
/// holds back the export instead of filling memory.
enum ExportStream {
  static func start(
    store: TraceStore, window: Int = 64,
    _ export: @escaping @Sendable (TraceStore, (String) throws -> Void) throws -> Void
  ) -> Chunks {
    let room = DispatchSemaphore(value: window)
    let cancelled = CancelFlag()
    let (stream, continuation) = AsyncThrowingStream<String, any Error>.makeStream()
    continuation.onTermination = { _ in
      cancelled.set()
      room.signal()
    }
    Thread.detachNewThread {
      do {
        try export(store) { chunk in
          room.wait()
          if cancelled.isSet { throw CancellationError() }
          continuation.yield(chunk)
        }
        continuation.finish()
      } catch {
        continuation.finish(throwing: error)
      }
    }
    return Chunks(stream: stream, room: room)
  }

  /// The chunks; each one taken makes room for the export to write another.
  struct Chunks: AsyncSequence, Sendable {
    typealias Element = String
    let stream: AsyncThrowingStream<String, any Error>
    let room: DispatchSemaphore

    struct AsyncIterator: AsyncIteratorProtocol {
      var base: AsyncThrowingStream<String, any Error>.AsyncIterator
      let room: DispatchSemaphore
      mutating func next() async throws -> String? {
        let chunk = try await base.next()
        room.signal()
        return chunk
      }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: stream.makeAsyncIterator(), room: room) }
  }
}

private final class CancelFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool { lock.withLock { value } }
  func set() { lock.withLock { value = true } }
}

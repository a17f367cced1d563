import Embeddings
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import TraceKV

/// `tracekv serve`: one HTTP server over one store, with three faces on one
/// port: the OTLP/HTTP receiver (`/v1/traces`, `/v1/logs`), TraceBrain's REST
/// API (`/api/v1`) and MCP (`/mcp`). No CORS headers are sent.
public enum TraceServer {
  /// Serves until SIGTERM or SIGINT, then stops accepting connections,
  /// answers the requests in flight, commits every queued write and returns.
  /// `onListening` gets the address once the socket is bound.
  public static func run(
    store: TraceStore, configuration: ServerConfiguration, onListening: @escaping @Sendable (String) -> Void
  ) async throws {
    try configuration.validate()
    BLASThreads.useCallingThreadOnly()
    let embedder = BackgroundEmbedder(
      store: store, quietPeriod: configuration.vectorQuietSeconds, batchLimit: configuration.embeddingBatchLimit)
    embedder.start()
    defer { embedder.finish() }
    let writer = IngestWriter(store: store, configuration: configuration, afterGroup: embedder.nudge)
    writer.start()
    defer { writer.finish() }

    let router = Router(context: BasicRequestContext.self)
    if let token = configuration.token { router.add(middleware: BearerTokenMiddleware(token: token)) }
    router.get("health") { _, _ in HTTPReplies.json(.ok, .object(JSONObject(["status": .string("healthy")]))) }
    OTLPReceiver(writer: writer, configuration: configuration).register(on: router)
    TraceBrainRoutes(store: store, writer: writer, configuration: configuration).register(on: router)
    let tools = MCPTools(store: store) { change in
      if case .failed(let error) = try await writer.submit(.change(change)) { throw error }
    }
    try await MCPServing.mount(on: router, tools: tools, configuration: configuration)

    var logger = Logger(label: "tracekv.serve")
    logger.logLevel = .warning
    let host = configuration.host
    // One event loop, which also runs the connections' tasks (`EventLoopTaskExecutor`).
    let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let executor = EventLoopTaskExecutor(loops.next())
    let app = Application(
      router: router,
      server: .http1(
        configuration: .init(
          idleTimeout: .nanoseconds(Int64(configuration.idleTimeoutSeconds * 1e9)),
          httpDecoderConfiguration: .init(
            maxHeaderFieldSize: configuration.maximumHeaderFieldBytes,
            maxHeaderListSize: configuration.maximumHeaderListBytes,
            maxHeaderFieldCount: configuration.maximumHeaderCount))),
      configuration: .init(address: .hostname(host, port: configuration.port), serverName: nil),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? configuration.port
        let shown = host.contains(":") ? "[\(host)]" : host
        onListening("http://\(shown):\(port)")
      },
      eventLoopGroupProvider: .shared(loops),
      logger: logger)
    // The server's task groups pass the preference on to every connection's task.
    do {
      try await withTaskExecutorPreference(executor) {
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
      }
    } catch {
      try? await loops.shutdownGracefully()
      throw error
    }
    try await loops.shutdownGracefully()
  }

  /// `run`, for a synchronous caller (the command line): blocks until the server has stopped.
  public static func runBlocking(
    store: TraceStore, configuration: ServerConfiguration, onListening: @escaping @Sendable (String) -> Void
  ) throws {
    try block { try await run(store: store, configuration: configuration, onListening: onListening) }
  }

  /// `tracekv mcp`: MCP over stdin and stdout until stdin closes.
  public static func runMCPStdio(store: TraceStore) throws {
    BLASThreads.useCallingThreadOnly()
    try block { try await MCPServing.runStdio(store: store) }
  }

  private static func block(_ work: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let outcome = OutcomeBox()
    Task {
      do { try await work() } catch { outcome.error = error }
      done.signal()
    }
    done.wait()
    if let error = outcome.error { throw error }
  }
}

private final class OutcomeBox: @unchecked Sendable {
  var error: (any Error)?
}

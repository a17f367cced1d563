import ArgumentParser
import Foundation
import TraceKV
import TraceKVServer

/// `tracekv serve`: the store over HTTP (OTLP receiver, TraceBrain's REST API, MCP).
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve the store over HTTP: OTLP/HTTP at /v1, TraceBrain's REST API at /api/v1, MCP at /mcp.",
    discussion: """
      Prints 'listening on http://HOST:PORT' once the socket is bound. Loopback only unless a token is \
      given (--token or $TRACEKV_TOKEN); with one, every route but /health needs 'Authorization: Bearer TOKEN'. \
      SIGTERM or SIGINT: stop accepting, answer the requests in flight, commit every acknowledged write, exit 0.
      """)

  @OptionGroup var storeOptions: StoreOptions

  @Option(help: "The address to listen on.")
  var host = "127.0.0.1"

  @Option(help: "The port; 0 picks a free one.")
  var port = 4318

  @Option(help: "A bearer token every request but /health must carry (default: $TRACEKV_TOKEN).")
  var token: String?

  @Option(help: "Writes that may wait for the writer before the next gets 503 and Retry-After (0 refuses every write).")
  var maxQueuedRequests = ServerConfiguration().maximumQueuedRequests

  @Option(
    help: ArgumentHelp(
      "Seconds a trace must go unwritten before its vector is embedded (at once when its root span arrives).",
      discussion: "A write is acknowledged once committed and BM25 finds the trace at once; a background embedder gives it its vector.",
      valueName: "seconds"))
  var embedAfter = ServerConfiguration().vectorQuietSeconds

  @Flag(help: "Embed in each write, before acknowledging it, as `ingest` does (no background embedder lag).")
  var embedInWrite = false

  @Option(help: "Traces the background embedder embeds and indexes per batch (one write transaction).")
  var embedBatch = ServerConfiguration().embeddingBatchLimit

  func run() throws {
    guard maxQueuedRequests >= 0 else { throw ValidationError("--max-queued-requests must be 0 or more") }
    guard embedAfter >= 0, embedAfter.isFinite else { throw ValidationError("--embed-after must be 0 or more seconds") }
    guard embedBatch >= 1 else { throw ValidationError("--embed-batch must be 1 or more") }
    let store = try storeOptions.open(create: true, defersVectors: !embedInWrite)
    var configuration = ServerConfiguration(
      host: host, port: port, token: token ?? ProcessInfo.processInfo.environment["TRACEKV_TOKEN"])
    configuration.maximumQueuedRequests = maxQueuedRequests
    configuration.vectorQuietSeconds = embedAfter
    configuration.embeddingBatchLimit = embedBatch
    do {
      try TraceServer.runBlocking(store: store, configuration: configuration) { address in
        // Written straight to the file descriptor: nothing buffered, so a parent reading the pipe sees it now.
        FileHandle.standardOutput.write(Data("listening on \(address)\n".utf8))
      }
    } catch let error as ServerConfigurationError {
      throw CommandFailure(error.message)
    }
  }
}

/// `tracekv mcp`: the MCP tools over stdin and stdout, for agent hosts that spawn their tools.
struct MCPCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mcp",
    abstract: "Serve the MCP tools (search_past_experiences, get_trace, add_feedback, …) over stdio.")

  @OptionGroup var storeOptions: StoreOptions

  func run() throws {
    try TraceServer.runMCPStdio(store: try storeOptions.open(create: true))
  }
}

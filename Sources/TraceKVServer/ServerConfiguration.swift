import Foundation

/// How `tracekv serve` listens and what it accepts. Every limit here is
/// documented in the README's server section and tested at the limit and one past.
public struct ServerConfiguration: Sendable {
  /// The address to bind; loopback unless a token is set (`validate()`).
  public var host = "127.0.0.1"
  /// The port; 0 lets the system pick a free one.
  public var port = 4318
  /// When set, every route but `/health` needs `Authorization: Bearer <token>`.
  public var token: String?
  /// The largest request body accepted as sent (413 past it).
  public var maximumBodyBytes = 16 << 20
  /// The largest body once un-gzipped (413 past it): bounds a decompression bomb.
  public var maximumInflatedBytes = 64 << 20
  /// The largest single header value (NIO answers 400 past it).
  public var maximumHeaderFieldBytes = 16 << 10
  /// The largest header section, all fields together (NIO answers 400 past it).
  public var maximumHeaderListBytes = 64 << 10
  /// At most this many header fields.
  public var maximumHeaderCount = 100
  /// A write still waiting for the writer after this long (checked every
  /// `min(1 s, a quarter of it)`) is withdrawn and gets 503: nothing of it is
  /// written. One the writer has taken is answered once committed.
  public var requestTimeoutSeconds = 30.0
  /// A connection idle this long is closed.
  public var idleTimeoutSeconds = 60.0
  /// Write requests waiting for the writer; past it OTLP gets 503 and Retry-After.
  public var maximumQueuedRequests = 1024
  /// Bytes of bodies waiting for the writer; past it, 503 and Retry-After.
  public var maximumQueuedBytes = 256 << 20
  /// At most this many requests share one write transaction.
  public var maximumGroupRequests = 256
  /// At most this many body bytes share one write transaction.
  public var maximumGroupBytes = 32 << 20
  /// What `Retry-After` says when the writer is saturated.
  public var retryAfterSeconds = 1
  /// A trace's vector is embedded once it has had no write for this long, or
  /// once its root span arrived (with a store opened `defersVectors`).
  public var vectorQuietSeconds = 1.0
  /// At most this many traces are embedded in one batch and indexed in one write transaction, which
  /// holds the writer's lock while it inserts their vectors into the graph: small enough that
  /// requests do not wait long behind it, large enough to batch MiniLM.
  public var embeddingBatchLimit = 16

  public init(host: String = "127.0.0.1", port: Int = 4318, token: String? = nil) {
    self.host = host
    self.port = port
    self.token = token
  }

  /// Whether `host` only accepts connections from this machine.
  public var isLoopback: Bool {
    ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.")
  }

  /// Refuses a non-loopback address without a token, and an empty token.
  public func validate() throws(ServerConfigurationError) {
    if let token, token.trimmingCharacters(in: .whitespaces).isEmpty {
      throw ServerConfigurationError("the token is empty; give a non-empty --token or unset TRACEKV_TOKEN")
    }
    if !isLoopback && token == nil {
      throw ServerConfigurationError(
        "refusing to listen on \(host) without a token: anyone who can reach it could read and write the store; "
          + "give --token or set TRACEKV_TOKEN, or listen on 127.0.0.1")
    }
    guard (0...65535).contains(port) else { throw ServerConfigurationError("the port must be from 0 to 65535, not \(port)") }
    guard vectorQuietSeconds >= 0, vectorQuietSeconds.isFinite else {
      throw ServerConfigurationError("the quiet time before embedding must be 0 s or more, not \(vectorQuietSeconds)")
    }
    guard requestTimeoutSeconds > 0, requestTimeoutSeconds.isFinite else {
      throw ServerConfigurationError("the request timeout must be more than 0 s, not \(requestTimeoutSeconds)")
    }
    guard embeddingBatchLimit >= 1 else {
      throw ServerConfigurationError("the embedding batch must hold 1 trace or more, not \(embeddingBatchLimit)")
    }
  }
}

/// A configuration `tracekv serve` refuses to start with.
public struct ServerConfigurationError: Error, Sendable, CustomStringConvertible {
  public let message: String
  init(_ message: String) { self.message = message }
  public var description: String { message }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCP
import TraceKV

/// The MCP server over TraceKV's tools, on stdio (`tracekv mcp`) or on
/// streamable HTTP at `/mcp` (`tracekv serve`; JSON responses, no sessions).
enum MCPServing {
  static func makeServer(_ tools: MCPTools) async -> Server {
    let server = Server(
      name: "tracekv", version: "1.0.0",
      instructions: "Agent memory: search past runs of similar tasks before acting, and rate or flag runs.",
      capabilities: Server.Capabilities(tools: .init(listChanged: false)))
    await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: MCPTools.definitions) }
    await server.withMethodHandler(CallTool.self) { params in await tools.call(params.name, params.arguments ?? [:]) }
    return server
  }

  /// Serves MCP on stdin/stdout until the client closes stdin.
  static func runStdio(store: TraceStore) async throws {
    let tools = MCPTools(store: store) { change in try await HTTPReplies.offload { try store.apply([change])[0].get() } }
    let server = await makeServer(tools)
    try await server.start(transport: StdioTransport())
    await server.waitUntilCompleted()
  }

  /// Starts an MCP server on a stateless HTTP transport and routes `/mcp` to it.
  static func mount(on router: Router<BasicRequestContext>, tools: MCPTools, configuration: ServerConfiguration) async throws {
    // Off loopback a token guards every request, and clients name the host as they reach it.
    let transport = StatelessHTTPServerTransport(
      validationPipeline: configuration.isLoopback
        ? nil
        : StandardValidationPipeline(validators: [
          OriginValidator.disabled, AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(),
          ProtocolVersionValidator(),
        ]))
    let server = await makeServer(tools)
    try await server.start(transport: transport)
    let limit = configuration.maximumBodyBytes
    let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
      let body: [UInt8]
      do { body = try await HTTPReplies.collect(request, limit: limit) } catch {
        return HTTPReplies.detail(.contentTooLarge, "the body is larger than \(limit) bytes")
      }
      var headers: [String: String] = [:]
      for field in request.headers { headers[field.name.canonicalName] = field.value }
      let reply = await transport.handleRequest(
        MCP.HTTPRequest(
          method: request.method.rawValue, headers: headers, body: body.isEmpty ? nil : Data(body),
          path: request.uri.path))
      var fields = HTTPFields()
      for (name, value) in reply.headers {
        if let field = HTTPField.Name(name) { fields[field] = value }
      }
      return Response(
        status: .init(code: reply.statusCode), headers: fields,
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.bodyData.map { [UInt8]($0) } ?? [])))
    }
    router.post("mcp", use: handler)
    router.get("mcp", use: handler)
    router.delete("mcp", use: handler)
  }
}

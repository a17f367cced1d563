import Hummingbird

/// With a token set, every route but the health checks needs
/// `Authorization: Bearer <token>`; anything else gets 401.
struct BearerTokenMiddleware: RouterMiddleware {
  typealias Context = BasicRequestContext
  let token: String

  static let openPaths: Set<String> = ["/health", "/api/v1/health"]

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    if Self.openPaths.contains(request.uri.path) || Self.matches(request.headers[.authorization], token) {
      return try await next(request, context)
    }
    return HTTPReplies.detail(
      .unauthorized, "this server needs Authorization: Bearer <token>", headers: [.wwwAuthenticate: "Bearer"])
  }

  /// Compares in time independent of where the strings differ.
  static func matches(_ header: String?, _ token: String) -> Bool {
    guard let header, header.hasPrefix("Bearer ") else { return false }
    let given = Array(header.utf8.dropFirst(7))
    let expected = Array(token.utf8)
    var difference = given.count ^ expected.count
    for index in 0..<max(given.count, expected.count) {
      difference |= Int((index < given.count ? given[index] : 0) ^ (index < expected.count ? expected[index] : 0))
    }
    return difference == 0
  }
}

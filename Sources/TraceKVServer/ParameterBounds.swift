/// The ranges the server accepts for its numeric parameters, shared by the REST
/// routes, the MCP tools' argument checks and the schemas the tools advertise,
/// so that what a client is told and what the server enforces cannot drift.
enum ParameterBounds {
  /// A rating, human or AI: 1 (bad) to 5 (good).
  static let rating = 1...5
  /// Hits of an experience search.
  static let experienceLimit = 1...50
  /// Traces of one page of a list.
  static let listLimit = 1...100
  /// Items to skip before a page.
  static let offset = 0...Int(Int32.max)
}

import ArgumentParser
import Foundation
import TraceKV

/// Output conventions of the CLI: results on stdout, errors and progress on stderr.
enum Console {
  static func error(_ message: String) {
    FileHandle.standardError.write(Data("tracekv: error: \(message)\n".utf8))
  }

  static func warning(_ message: String) {
    FileHandle.standardError.write(Data("tracekv: warning: \(message)\n".utf8))
  }

  /// Prints a JSON value, indented.
  static func printJSON(_ value: JSONValue) {
    print(JSONWriter.pretty(value))
  }

  static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
  static func int(_ value: Int?) -> JSONValue { value.map(JSONValue.int) ?? .null }
  static func double(_ value: Double?) -> JSONValue { value.map(JSONValue.double) ?? .null }

  /// `text` parsed as a JSON object; `what` names it in the usage error.
  static func jsonObject(_ text: String, _ what: String) throws -> JSONObject {
    guard case .object(let object)? = try? JSONParser.parse(text) else { throw ValidationError("\(what) must be a JSON object") }
    return object
  }

  /// Cuts `text` to one line of at most `width` characters.
  static func short(_ text: String?, _ width: Int = 60) -> String {
    guard let text else { return "" }
    let line = text.replacingOccurrences(of: "\n", with: " ")
    return line.count <= width ? line : String(line.prefix(width - 1)) + "…"
  }
}

/// `--json`, shared by every command whose result is a table or a listing.
struct OutputOptions: ParsableArguments {
  @Flag(help: "Print JSON.")
  var json = false

  /// Prints `records` as a JSON array, or as a table: both from the same fields.
  func print(_ records: Records) {
    if json { Console.printJSON(records.json) } else { Swift.print(records.table()) }
  }
}

/// `--store PATH`, shared by every command that opens a store.
struct StoreOptions: ParsableArguments {
  @Option(name: .long, help: "The store file (default: $TRACEKV_STORE, else ./traces.tkv).")
  var store: String?

  @Flag(name: .long, help: "Open the store read-only.")
  var readOnly = false

  var path: String {
    store ?? GlobalOptions.store ?? ProcessInfo.processInfo.environment["TRACEKV_STORE"] ?? "traces.tkv"
  }

  /// Opens an existing store (commands that only read never create one).
  func open(
    create: Bool = false, readOnly forceReadOnly: Bool = false, embedder: TraceStore.EmbedderChoice = .recorded,
    defersVectors: Bool = false
  ) throws -> TraceStore {
    var options = TraceStore.Options(
      readOnly: readOnly || GlobalOptions.readOnly || forceReadOnly, create: create, embedder: embedder)
    options.defersVectors = defersVectors
    return try TraceStore(path: path, options: options)
  }
}

/// The store and the one trace a command acts on (`show`, `feedback`, `signal`, `evaluate`).
struct TraceTarget: ParsableArguments {
  @OptionGroup var storeOptions: StoreOptions

  @Argument(help: "The trace id.")
  var traceID: String
}

/// The filters shared by `list` and `export`.
struct FilterOptions: ParsableArguments {
  @Option(name: .long, help: "Only these statuses (running, completed, needs_review, failed); repeatable.")
  var status: [String] = []

  @Option(name: .long, help: "Rating at least N (human rating, else the AI evaluation's).")
  var minRating: Int?

  @Option(name: .long, help: "Only this AI-evaluated error type; repeatable.")
  var errorType: [String] = []

  @Option(name: .long, help: "AI confidence at least X (inclusive).")
  var minConfidence: Double?

  @Option(name: .long, help: "AI confidence at most X (inclusive).")
  var maxConfidence: Double?

  @Option(name: .long, help: "Event time at or after this ISO 8601 instant.")
  var since: String?

  @Option(name: .long, help: "Event time at or before this ISO 8601 instant.")
  var until: String?

  @Option(name: .long, help: "Only traces of this episode.")
  var episode: String?

  func filter() throws -> TraceFilter {
    TraceFilter(
      statuses: Set(try status.map(parseStatus)), minRating: minRating,
      errorTypes: Set(try errorType.map { value in
        guard let type = ErrorType(rawValue: value) else {
          throw ValidationError("unknown error type '\(value)' (one of \(ErrorType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return type
      }),
      minConfidence: minConfidence, maxConfidence: maxConfidence, since: try since.map(parseTime),
      until: try until.map(parseTime), episodeID: episode)
  }
}

func parseStatus(_ value: String) throws -> TraceStatus {
  guard let status = TraceStatus(rawValue: value) else {
    throw ValidationError("unknown status '\(value)' (one of \(TraceStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
  }
  return status
}

/// An ISO 8601 instant, or a bare date (midnight UTC).
func parseTime(_ value: String) throws -> Timestamp {
  if let time = Timestamp(iso8601: value) ?? Timestamp(iso8601: value + "T00:00:00Z") { return time }
  throw ValidationError("'\(value)' is not an ISO 8601 time (e.g. 2025-11-20T10:00:00Z or 2025-11-20)")
}

/// A duration such as `30d`, `12h`, `45m`, `90s` or `2w`, in microseconds.
func parseDuration(_ value: String) throws -> Int64 {
  let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
  guard let unit = value.last, let seconds = units[unit], let count = Int64(value.dropLast()), count >= 0 else {
    throw ValidationError("'\(value)' is not a duration (e.g. 30d, 12h, 45m, 90s, 2w)")
  }
  return count * seconds * 1_000_000
}

import ArgumentParser
import ConsoleSupport
import TraceKV

struct ListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "List traces, newest first.")

  @OptionGroup var storeOptions: StoreOptions
  @OptionGroup var filterOptions: FilterOptions

  @Option(parsing: .unconditional, help: "Traces per page.")
  var limit = 20

  @Option(parsing: .unconditional, help: "Traces to skip.")
  var offset = 0

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard limit >= 0, offset >= 0 else { throw ValidationError("--limit and --offset must not be negative") }
  }

  func run() throws {
    let page = try storeOptions.open().list(try filterOptions.filter(), limit: limit, offset: offset)
    let records = Records(page.traces.map(TraceJSON.summaryFields), emptyHeaders: TraceJSON.summaryHeaders)
    if output.json {
      Console.printJSON(.object(JSONObject(["total": .int(page.total), "traces": records.json])))
      return
    }
    print(records.table())
    print("\(page.traces.count) of \(page.total) traces" + (offset > 0 ? " (from \(offset))" : ""))
  }
}

struct EpisodesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "episodes", abstract: "List episodes (attempts grouped by task), most recent first.")

  @OptionGroup var storeOptions: StoreOptions

  @OptionGroup var output: OutputOptions

  func run() throws {
    let episodes = try storeOptions.open().episodes()
    let records = Records(
      episodes.map { episode in
        [
          Field("episode_id", "episode", episode.episodeID), Field("trace_count", "traces", episode.traceCount),
          Field("min_confidence", "min confidence", episode.minConfidence),
          Field("start_time", "start time", episode.startTime.text),
        ]
      }, emptyHeaders: ["episode", "traces", "min confidence", "start time"])
    output.print(records)
  }
}

struct EpisodeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "episode", abstract: "List the traces of one episode.")

  @OptionGroup var storeOptions: StoreOptions

  @Argument(help: "The episode id.")
  var episodeID: String

  @OptionGroup var output: OutputOptions

  func run() throws {
    let traces = try storeOptions.open().episode(episodeID)
    guard !traces.isEmpty else { throw CommandFailure("no episode '\(episodeID)' in the store") }
    let records = Records(traces.map(TraceJSON.summaryFields))
    output.print(records)
  }
}

struct StatsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "stats", abstract: "Counts over the whole store.")

  @OptionGroup var storeOptions: StoreOptions

  @OptionGroup var output: OutputOptions

  func run() throws {
    let store = try storeOptions.open()
    let stats = try store.statistics()
    let fields = [
      Field("store", "store", store.path), Field("file_bytes", "file bytes", try store.fileSize()),
      Field("embedder", "embedder", store.embedderIdentity.name),
      Field("total_traces", "traces", stats.totalTraces), Field("total_spans", "spans", stats.totalSpans),
      Field("traces_with_feedback", "with human feedback", stats.tracesWithFeedback),
      Field("traces_last_24h", "ingested in 24 h", stats.tracesLast24Hours),
      Field("avg_spans_per_trace", "spans per trace", stats.averageSpansPerTrace),
    ]
    print(output.json ? JSONWriter.pretty(Records.object(fields)) : Records.listing(fields))
  }
}

struct ToolsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "tools", abstract: "Tool calls counted per tool.")

  @OptionGroup var storeOptions: StoreOptions

  @OptionGroup var output: OutputOptions

  func run() throws {
    let usage = try storeOptions.open().toolUsage()
    let records = Records(
      usage.tools.map { [Field("tool", "tool", $0.tool), Field("count", "calls", $0.count)] },
      emptyHeaders: ["tool", "calls"])
    if output.json {
      Console.printJSON(.object(JSONObject(["tools": records.json, "total_tool_calls": .int(usage.totalToolCalls)])))
      return
    }
    print(records.table())
    print("\(usage.totalToolCalls) tool calls")
  }
}

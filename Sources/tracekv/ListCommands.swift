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

  @Flag(help: "Print JSON.")
  var json = false

  func validate() throws {
    guard limit >= 0, offset >= 0 else { throw ValidationError("--limit and --offset must not be negative") }
  }

  func run() throws {
    let page = try storeOptions.open().list(try filterOptions.filter(), limit: limit, offset: offset)
    if json {
      Console.printJSON(.object(JSONObject(["total": .int(page.total), "traces": .array(page.traces.map(TraceJSON.summary))])))
      return
    }
    var table = TextTable(["trace id", "status", "prio", "rating", "spans", "episode", "event time"])
    for trace in page.traces {
      table.add([
        trace.traceID, trace.status.rawValue, String(trace.priority), trace.rating.map(String.init) ?? "-",
        String(trace.spanCount), trace.episodeID ?? "-", trace.eventTime.text,
      ])
    }
    print(table.render())
    print("\(page.traces.count) of \(page.total) traces" + (offset > 0 ? " (from \(offset))" : ""))
  }
}

struct EpisodesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "episodes", abstract: "List episodes (attempts grouped by task), most recent first.")

  @OptionGroup var storeOptions: StoreOptions

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    let episodes = try storeOptions.open().episodes()
    if json {
      Console.printJSON(.array(episodes.map { episode in
        .object(JSONObject([
          "episode_id": .string(episode.episodeID), "start_time": .string(episode.startTime.text),
          "trace_count": .int(episode.traceCount), "min_confidence": Console.double(episode.minConfidence),
        ]))
      }))
      return
    }
    var table = TextTable(["episode", "traces", "min confidence", "start time"])
    for episode in episodes {
      table.add([
        episode.episodeID, String(episode.traceCount), episode.minConfidence.map { String($0) } ?? "-",
        episode.startTime.text,
      ])
    }
    print(table.render())
  }
}

struct EpisodeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "episode", abstract: "List the traces of one episode.")

  @OptionGroup var storeOptions: StoreOptions

  @Argument(help: "The episode id.")
  var episodeID: String

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    let traces = try storeOptions.open().episode(episodeID)
    guard !traces.isEmpty else { throw CommandFailure("no episode '\(episodeID)' in the store") }
    if json {
      Console.printJSON(.array(traces.map(TraceJSON.summary)))
      return
    }
    var table = TextTable(["trace id", "status", "rating", "spans", "event time"])
    for trace in traces {
      table.add([trace.traceID, trace.status.rawValue, trace.rating.map(String.init) ?? "-", String(trace.spanCount),
                 trace.eventTime.text])
    }
    print(table.render())
  }
}

struct StatsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "stats", abstract: "Counts over the whole store.")

  @OptionGroup var storeOptions: StoreOptions

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    let store = try storeOptions.open()
    let stats = try store.statistics()
    if json {
      Console.printJSON(.object(JSONObject([
        "total_traces": .int(stats.totalTraces), "total_spans": .int(stats.totalSpans),
        "traces_with_feedback": .int(stats.tracesWithFeedback), "traces_last_24h": .int(stats.tracesLast24Hours),
        "avg_spans_per_trace": .double(stats.averageSpansPerTrace),
      ])))
      return
    }
    print("store                \(store.path) (\(try store.fileSize()) bytes)")
    print("traces               \(stats.totalTraces)")
    print("spans                \(stats.totalSpans)")
    print("with human feedback  \(stats.tracesWithFeedback)")
    print("ingested in 24 h     \(stats.tracesLast24Hours)")
    print("spans per trace      \(String(format: "%.2f", stats.averageSpansPerTrace))")
  }
}

struct ToolsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "tools", abstract: "Tool calls counted per tool.")

  @OptionGroup var storeOptions: StoreOptions

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    let usage = try storeOptions.open().toolUsage()
    if json {
      Console.printJSON(.object(JSONObject([
        "tools": .array(usage.tools.map { .object(JSONObject(["tool": .string($0.tool), "count": .int($0.count)])) }),
        "total_tool_calls": .int(usage.totalToolCalls),
      ])))
      return
    }
    var table = TextTable(["tool", "calls"])
    for entry in usage.tools { table.add([entry.tool, String(entry.count)]) }
    print(table.render())
    print("\(usage.totalToolCalls) tool calls")
  }
}

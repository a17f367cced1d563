import ArgumentParser
import TraceKV

extension UsageGrouping: ExpressibleByArgument {}

struct UsageCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "usage",
    abstract: "LLM calls, tokens, cost, latency percentiles and errors, in total and grouped.",
    discussion: """
      Tokens are counted per LLM call only (agent spans' totals are never added). Cost comes from \
      the price table shipped with TraceKV (dated, per model) or --prices FILE; a call whose model \
      has no price makes its group's cost "no price", never a guess. Percentiles are nearest-rank.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @OptionGroup var filterOptions: FilterOptions

  @Option(help: "Group by model, tool, agent, episode or day.")
  var by: UsageGrouping?

  @Option(help: "A price table (JSON, as Curation/model-prices.json) used instead of the built-in one.")
  var prices: String?

  @OptionGroup var output: OutputOptions

  func run() throws {
    let table: PriceTable
    if let prices {
      table = try PriceTable(contentsOf: prices)
    } else {
      do { table = try PriceTable.builtIn() } catch {
        // A binary copied away from its resource folder still counts tokens.
        Console.warning(error.message + "; costs are shown as no price")
        table = PriceTable()
      }
    }
    let report = try storeOptions.open().usage(try filterOptions.filter(), by: by, prices: table)
    let value = report.json
    if output.json {
      Console.printJSON(value)
      return
    }
    let groups = value.objectValue?["groups"]?.arrayValue ?? []
    if let by {
      let rows = groups.map { [Field(["key"], by.rawValue, in: $0)] + Self.figures($0) }
      print(Records(rows, emptyHeaders: [by.rawValue] + Self.figures(.null).map(\.header)).table())
      print("")
    }
    let total = value.objectValue?["total"] ?? .null
    print(
      Records.listing(
        [Field(["traces"], "traces", in: total)] + Self.figures(total) + [
          Field(["unpriced_llm_calls"], "LLM calls without a price", in: total),
          Field(["unpriced_models"], "models without a price", in: total),
        ]))
    print(
      "prices: \(report.pricesOrigin)" + (report.pricesAsOf.map { ", as of \($0)" } ?? "")
        + " (USD per 1M tokens)")
  }

  /// The columns of one figures object, read from the JSON `--json` prints.
  static func figures(_ object: JSONValue) -> [Field] {
    [
      Field(["llm_calls"], "LLM calls", in: object), Field(["input_tokens"], "input", in: object),
      Field(["output_tokens"], "output", in: object), Field(["cached_tokens"], "cached", in: object),
      Field(["reasoning_tokens"], "reasoning", in: object),
      Field(["cost"], "cost USD", in: object, decimals: 6, nullCell: "no price"),
      Field(["latency_ms", "p50"], "p50 ms", in: object, decimals: 1),
      Field(["latency_ms", "p95"], "p95 ms", in: object, decimals: 1),
      Field(["latency_ms", "p99"], "p99 ms", in: object, decimals: 1),
      Field(["tool_calls"], "tool calls", in: object),
      Field(["tool_latency_ms", "p50"], "tool p50 ms", in: object, decimals: 1),
      Field(["tool_latency_ms", "p95"], "tool p95 ms", in: object, decimals: 1),
      Field(["tool_latency_ms", "p99"], "tool p99 ms", in: object, decimals: 1),
      Field(["errors"], "errors", in: object), Field(["error_rate"], "error rate", in: object, decimals: 3),
    ]
  }
}

struct DiffCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract: "Two runs side by side: steps aligned, first divergence, tool calls, errors, outcome, deltas.",
    discussion: """
      Steps (LLM calls and tool calls, in time order) are aligned by sequence alignment \
      (Needleman-Wunsch), not by index; tool arguments are compared after alignment.
      """)

  @OptionGroup var storeOptions: StoreOptions

  @Argument(help: "The first trace id (A).")
  var first: String

  @Argument(help: "The second trace id (B).")
  var second: String

  @OptionGroup var output: OutputOptions

  func run() throws {
    let store = try storeOptions.open()
    guard let diff = try store.diff(first, second) else {
      let missing = try store.contains(traceID: first) ? second : first
      throw CommandFailure("no trace with id '\(missing)' in \(store.path)")
    }
    let value = diff.json
    if output.json {
      Console.printJSON(value)
      return
    }
    let object = value.objectValue ?? JSONObject()
    func member(_ key: String) -> JSONValue { object[key] ?? .null }

    let runs = [("A", member("a")), ("B", member("b")), ("B-A", member("delta"))].map { name, run in
      [Field("run", "run", name)] + Self.runColumns(run)
    }
    print(Records(runs).table())
    for (name, run) in [("A", member("a")), ("B", member("b"))] {
      print(
        "final answer \(name): \(Console.short(run.objectValue?["final_answer"]?.stringValue ?? "-", 100))")
    }
    print(
      Records.listing([
        Field(["outcome", "same_status"], "same status", in: value),
        Field(["outcome", "same_final_answer"], "same final answer", in: value),
        Field(["outcome", "rating_delta"], "rating B-A", in: value),
      ]))
    print("")
    if case .object = member("first_divergence") {
      print(
        Records.listing([
          Field(["first_divergence", "position"], "first divergence at", in: value),
          Field(["first_divergence", "change"], "change", in: value),
          Field(["first_divergence", "a_step"], "A", in: value),
          Field(["first_divergence", "b_step"], "B", in: value),
        ]))
    } else {
      print("the runs take the same steps")
    }
    print("")
    let alignment = (member("alignment").arrayValue ?? []).map(Self.alignedColumns)
    print(Records(alignment, emptyHeaders: Self.alignedColumns(.null).map(\.header)).table())
    let tools = (member("tool_changes").arrayValue ?? []).map(Self.toolColumns)
    if !tools.isEmpty {
      print("\ntool calls added, removed or with other arguments")
      print(Records(tools).table())
    }
    let errors = (member("errors").arrayValue ?? []).map(Self.errorColumns)
    if !errors.isEmpty {
      print("\nerrors")
      print(Records(errors).table())
    }
  }

  static func runColumns(_ run: JSONValue) -> [Field] {
    [
      Field(["trace_id"], "trace", in: run), Field(["status"], "status", in: run),
      Field(["rating"], "rating", in: run),
      Field(["llm_calls"], "LLM calls", in: run), Field(["tool_calls"], "tool calls", in: run),
      Field(["errors"], "errors", in: run), Field(["input_tokens"], "input", in: run),
      Field(["output_tokens"], "output", in: run), Field(["cached_tokens"], "cached", in: run),
      Field(["reasoning_tokens"], "reasoning", in: run),
      Field(["duration_ms"], "duration ms", in: run, decimals: 1),
      Field(["llm_ms"], "LLM ms", in: run, decimals: 1), Field(["tool_ms"], "tool ms", in: run, decimals: 1),
    ]
  }

  static func alignedColumns(_ entry: JSONValue) -> [Field] {
    [
      Field(["position"], "#", in: entry), Field(["change"], "change", in: entry),
      Field(["a_index"], "A#", in: entry), Field(["a_step"], "A step", in: entry),
      Field(["b_index"], "B#", in: entry), Field(["b_step"], "B step", in: entry),
      Field(["differences"], "differences", in: entry),
    ]
  }

  static func toolColumns(_ entry: JSONValue) -> [Field] {
    [
      Field(["change"], "change", in: entry), Field(["tool"], "tool", in: entry),
      Field(["a_index"], "A#", in: entry), Field(["a_arguments"], "A arguments", in: entry),
      Field(["b_index"], "B#", in: entry), Field(["b_arguments"], "B arguments", in: entry),
    ]
  }

  static func errorColumns(_ entry: JSONValue) -> [Field] {
    [
      Field(["run"], "run", in: entry), Field(["index"], "#", in: entry), Field(["step"], "step", in: entry),
      Field(["description"], "description", in: entry),
    ]
  }
}

import Foundation
import Testing
@testable import TraceKV

/// The `tracekv` command line: exit codes and the `--json` shapes other
/// programs rely on (issue 2's list).
@Suite struct CLITests {
  let tracekv = Paths.product("tracekv")

  private func store() throws -> TemporaryStore {
    let temporary = try TemporaryStore()
    let result = try run(tracekv, ["--store", temporary.path, "ingest", Paths.samples.path])
    #expect(result.status == 0, "\(result.error)")
    return temporary
  }

  private func jsonOutput(_ arguments: [String]) throws -> JSONValue {
    let result = try run(tracekv, arguments)
    #expect(result.status == 0, "\(result.error)")
    return try JSONParser.parse(result.output)
  }

  private func keys(_ value: JSONValue?) -> Set<String> { Set(value?.objectValue?.keys ?? []) }

  @Test func jsonShapes() throws {
    let temporary = try store()
    let path = temporary.path
    let id = "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"

    let messages = try jsonOutput(["--store", path, "show", id, "--view", "messages", "--json"]).arrayValue ?? []
    #expect(messages.count == 5)
    #expect(messages.allSatisfy { keys($0) == ["role", "content"] })

    let turns = try jsonOutput(["--store", path, "show", id, "--view", "turns", "--json"]).arrayValue ?? []
    #expect(turns.count == 2)
    #expect(keys(turns.first) == ["prompt_for_model", "model_completion", "thought", "tool_code", "tool_output"])
    #expect(turns.last?.objectValue?["tool_output"] == .null)

    let trace = try jsonOutput(["--store", path, "show", id, "--json"])
    #expect(keys(trace).isSuperset(of: ["trace_id", "attributes", "spans", "status", "priority", "episode_id", "feedback", "ai_evaluation"]))
    #expect(trace.objectValue?["status"] == .string("needs_review"))

    let list = try jsonOutput(["--store", path, "list", "--status", "running", "--limit", "3", "--json"])
    #expect(list.objectValue?["total"] == .int(9))
    let rows = list.objectValue?["traces"]?.arrayValue ?? []
    #expect(rows.count == 3)
    #expect(
      keys(rows.first) == [
        "trace_id", "status", "priority", "episode_id", "rating", "event_time", "ingested_at", "span_count",
      ])

    let stats = try jsonOutput(["--store", path, "stats", "--json"])
    #expect(
      keys(stats) == [
        "store", "file_bytes", "embedder", "total_traces", "total_spans", "traces_with_feedback", "traces_last_24h",
        "avg_spans_per_trace",
      ])
    #expect(stats.objectValue?["total_spans"] == .int(63))

    let tools = try jsonOutput(["--store", path, "tools", "--json"])
    #expect(keys(tools) == ["tools", "total_tool_calls"])
    #expect(tools.objectValue?["total_tool_calls"] == .int(22))

    let episodes = try jsonOutput(["--store", path, "episodes", "--json"]).arrayValue ?? []
    #expect(episodes.count == 17)
    #expect(keys(episodes.first) == ["episode_id", "start_time", "trace_count", "min_confidence"])

    let search = try jsonOutput(["--store", path, "search", "get_population", "--limit", "2", "--with-messages", "--json"])
    let results = search.objectValue?["results"]?.arrayValue ?? []
    #expect(results.count == 2)
    #expect(keys(results.first) == ["trace_id", "score", "rating", "status", "episode_id", "vector", "lexical", "messages"])
    #expect(results.first?.objectValue?["trace_id"] == .string(id))

    let experiences = try jsonOutput(["--store", path, "experiences", "compare populations of cities", "--json"])
    let found = experiences.objectValue?["results"]?.arrayValue ?? []
    #expect(found.count == 3)
    #expect(found.allSatisfy { ($0.objectValue?["rating"]?.intValue ?? 0) >= 4 })
  }

  /// The table and the JSON of a command come from the same fields: every
  /// cell of the table is the JSON value of its row (null as "-"), text
  /// columns are left-aligned and number columns right-aligned.
  @Test func tablesShowTheJSONFields() throws {
    let temporary = try store()
    let path = temporary.path
    let arguments = ["--store", path, "list", "--limit", "5"]
    let table = try run(tracekv, arguments).output.split(separator: "\n").map(String.init)
    let json = try jsonOutput(arguments + ["--json"]).objectValue?["traces"]?.arrayValue ?? []
    #expect(json.count == 5 && table.count == 2 + 5 + 1)  // header, rule, rows, count line
    let header = table[0]
    let columns = ["trace id", "status", "prio", "rating", "spans", "episode", "event time", "ingested at"]
    let keys = ["trace_id", "status", "priority", "rating", "span_count", "episode_id", "event_time", "ingested_at"]
    let rule = table[1].split(separator: " ", omittingEmptySubsequences: true).map(\.count)
    #expect(rule.count == columns.count)
    // Column c spans [start, start + width) of every line.
    var starts: [Int] = []
    var position = 0
    for width in rule {
      starts.append(position)
      position += width + 2
    }
    for (column, name) in columns.enumerated() {
      let cell = header.dropFirst(starts[column]).prefix(rule[column]).trimmingCharacters(in: .whitespaces)
      #expect(cell == name)
    }
    for (row, object) in zip(table[2..<7], json) {
      for (column, key) in keys.enumerated() {
        let raw = String(row.dropFirst(starts[column]).prefix(rule[column]))
        let cell = raw.trimmingCharacters(in: .whitespaces)
        let value = object.objectValue?[key]
        let expected = value?.stringValue ?? value?.intValue.map(String.init) ?? "-"
        #expect(cell == expected, "\(key)")
        let isNumber = ["priority", "rating", "span_count"].contains(key) && cell != "-"
        if isNumber { #expect(raw.hasSuffix(cell), "\(key) is right-aligned") }
        if !isNumber && key != "rating" { #expect(raw.hasPrefix(cell), "\(key) is left-aligned") }
      }
    }

    // stats: one "header  value" line per JSON key.
    let statsJSON = try #require(try jsonOutput(["--store", path, "stats", "--json"]).objectValue)
    var listed: [String: String] = [:]
    for line in try run(tracekv, ["--store", path, "stats"]).output.split(separator: "\n") {
      let gap = try #require(line.range(of: "  "))
      listed[String(line[..<gap.lowerBound])] = line[gap.upperBound...].trimmingCharacters(in: .whitespaces)
    }
    let statsKeys = [
      "store": "store", "file bytes": "file_bytes", "embedder": "embedder", "traces": "total_traces",
      "spans": "total_spans", "with human feedback": "traces_with_feedback", "ingested in 24 h": "traces_last_24h",
      "spans per trace": "avg_spans_per_trace",
    ]
    #expect(Set(listed.keys) == Set(statsKeys.keys) && Set(statsJSON.keys) == Set(statsKeys.values))
    for (header, key) in statsKeys where key != "avg_spans_per_trace" {
      let value = statsJSON[key]
      #expect(listed[header] == value?.stringValue ?? value?.intValue.map(String.init), "\(key)")
    }
    #expect(listed["spans per trace"] == "3.15" && statsJSON["avg_spans_per_trace"]?.doubleValue == 3.15)
    #expect(listed["spans"] == "63" && listed["embedder"] == "hashing")
  }

  /// Alignment follows the values' types, not their look: a trace id of
  /// digits is text, left-aligned even when every id is digits.
  @Test func digitIDsAreText() throws {
    let temporary = try TemporaryStore()
    let file = temporary.directory.url.appendingPathComponent("ids.jsonl")
    try #"{"trace_id": "12345", "spans": [{"span_id": "a", "start_time": "2025-01-02T00:00:00Z"}]}"#
      .appending("\n")
      .appending(#"{"trace_id": "9876543210", "spans": [{"span_id": "b", "start_time": "2025-01-01T00:00:00Z"}]}"#)
      .write(to: file, atomically: true, encoding: .utf8)
    #expect(try run(tracekv, ["--store", temporary.path, "ingest", file.path]).status == 0)
    let lines = try run(tracekv, ["--store", temporary.path, "list"]).output.split(separator: "\n")
    #expect(lines.count == 5)
    #expect(lines[2].hasPrefix("12345 "), "\(lines[2])")
    #expect(lines[3].hasPrefix("9876543210 "), "\(lines[3])")
  }

  /// `--store` before the command names works for every command, nested ones too.
  @Test func globalOptionsForEveryCommand() throws {
    let temporary = try store()
    #expect(try run(tracekv, ["--store", temporary.path, "stats", "--json"]).status == 0)
    let model = try run(tracekv, ["--store", temporary.path, "model", "info", "--json"])
    #expect(!model.error.contains("Unknown option"), "\(model.error)")
    let usage = try run(tracekv, ["--store", temporary.path, "list", "--limit", "x"])
    #expect(usage.status == 2)
    #expect(usage.error.hasPrefix("tracekv: error: "), "\(usage.error)")
  }

  @Test func exitCodes() throws {
    let temporary = try store()
    #expect(try run(tracekv, ["--store", temporary.path, "show", "no-such-trace"]).status == 1)
    #expect(try run(tracekv, ["--store", temporary.path, "list", "--status", "bogus"]).status == 2)
    #expect(try run(tracekv, ["--store", temporary.path, "frobnicate"]).status == 2)
    #expect(try run(tracekv, ["--store", temporary.path, "verify"]).status == 0)
    let bad = temporary.directory.url.appendingPathComponent("bad.jsonl")
    try "{\"trace_id\": \"ok-1\"}\nnot json\n".write(to: bad, atomically: true, encoding: .utf8)
    let ingest = try run(tracekv, ["--store", temporary.path, "ingest", bad.path])
    #expect(ingest.status == 1)
    #expect(ingest.error.contains("bad.jsonl:2"))
    let notAStore = temporary.directory.url.appendingPathComponent("notes.txt")
    try "hello".write(to: notAStore, atomically: true, encoding: .utf8)
    let refused = try run(tracekv, ["--store", notAStore.path, "stats"])
    #expect(refused.status == 1)
    #expect(refused.error.contains("not a TraceKV store"))
  }
}

import Foundation
import Testing

@testable import TraceKV

/// `tracekv usage` and `tracekv diff`: the JSON shape the issue gives, and
/// tables that show the same values.
@Suite struct UsageDiffCLITests {
  let tracekv = Paths.product("tracekv")

  private func output(_ arguments: [String]) throws -> String {
    let result = try run(tracekv, arguments)
    #expect(result.status == 0, "\(arguments): \(result.error)")
    return result.output
  }

  /// A table's rows as cells (columns are separated by two spaces or more).
  private func rows(_ table: String) -> [[String]] {
    table.split(separator: "\n").map { line in
      line.split(separator: try! Regex("  +")).map { $0.trimmingCharacters(in: .whitespaces) }
    }
  }

  @Test func usageJSONAndTable() throws {
    let temporary = try TemporaryStore.withSamples()
    let path = temporary.path
    let json = try JSONParser.parse(try output(["--store", path, "usage", "--by", "model", "--json"]))
    let total = try #require(json.objectValue?["total"]?.objectValue)
    // The issue's keys, in total and in each group.
    let issueKeys = [
      "llm_calls", "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens", "cost",
    ]
    #expect(issueKeys.allSatisfy { total[$0] != nil })
    #expect(total["input_tokens"] == .int(3912) && total["output_tokens"] == .int(1510))
    #expect(total["cost"] == .null)
    let groups = try #require(json.objectValue?["groups"]?.arrayValue?.compactMap { $0.objectValue })
    for group in groups {
      #expect((issueKeys + ["key", "latency_ms", "errors"]).allSatisfy { group[$0] != nil })
    }
    #expect(groups.map { $0["key"] } == [.string("gemini-2.5-flash"), .null])
    // The built-in table: gemini-2.5-flash at 0.30 / 2.50 per million.
    #expect(groups[0]["cost"] == .number("0.0045286"))
    #expect(
      groups[0]["latency_ms"]
        == .object(JSONObject(["p50": .int(1200), "p95": .int(2000), "p99": .int(2000)])))
    #expect(groups[1]["cost"] == .null)
    #expect(json.objectValue?["prices"]?.objectValue?["origin"] == .string("built-in"))

    let table = try output(["--store", path, "usage", "--by", "model"])
    let lines = rows(table)
    #expect(
      lines[0].prefix(7) == ["model", "LLM calls", "input", "output", "cached", "reasoning", "cost USD"])
    #expect(
      lines[2].prefix(10) == [
        "gemini-2.5-flash", "34", "3512", "1390", "0", "0", "0.004529", "1200", "2000", "2000",
      ])
    #expect(lines[3].prefix(7) == ["-", "6", "400", "120", "0", "0", "no price"])
    // The total, as a listing, from the same JSON.
    #expect(lines.contains(["input", "3912"]))
    #expect(lines.contains(["cost USD", "no price"]))
    #expect(lines.contains(["tool p99 ms", "1400"]))
    #expect(lines.contains(["LLM calls without a price", "6"]))
    #expect(table.contains("prices: built-in, as of "))
  }

  @Test func pricesFileReplacesTheTable() throws {
    let temporary = try TemporaryStore.withSamples()
    let prices = temporary.directory.path("prices.json")
    try Data(#"{"currency": "USD", "models": {"gemini-2.5-flash": {"input": 1, "output": 2}}}"#.utf8)
      .write(to: URL(fileURLWithPath: prices))
    let json = try JSONParser.parse(
      try output(["--store", temporary.path, "usage", "--by", "model", "--prices", prices, "--json"]))
    // 3512 × 1 + 1390 × 2 = 6292 per million.
    #expect(json.objectValue?["groups"]?.arrayValue?.first?.objectValue?["cost"] == .number("0.006292"))
    #expect(json.objectValue?["prices"]?.objectValue?["origin"] == .string(prices))

    try Data(#"{"models": {"gemini-2.5-flash": {"input": -1, "output": 2}}}"#.utf8).write(
      to: URL(fileURLWithPath: prices))
    let refused = try run(tracekv, ["--store", temporary.path, "usage", "--prices", prices])
    #expect(refused.status == 1)
    #expect(refused.error.hasPrefix("tracekv: error: price table \(prices): model 'gemini-2.5-flash'"))
    let missing = try run(
      tracekv, ["--store", temporary.path, "usage", "--prices", temporary.directory.path("none.json")])
    #expect(missing.status == 1 && missing.error.contains("cannot read the price table"))
    let badGrouping = try run(tracekv, ["--store", temporary.path, "usage", "--by", "colour"])
    #expect(badGrouping.status == 2)
  }

  /// A binary away from its resource folder (here a hard link in another
  /// folder) has no built-in table: it warns and prices nothing, it does not stop.
  @Test func withoutTheBuiltInTableEveryCostIsNoPrice() throws {
    let temporary = try TemporaryStore.withSamples()
    let moved = URL(fileURLWithPath: temporary.directory.path("tracekv"))
    try FileManager.default.linkItem(at: tracekv, to: moved)
    let result = try run(moved, ["--store", temporary.path, "usage", "--by", "model", "--json"])
    #expect(result.status == 0)
    #expect(result.error.contains("the built-in price table is not installed"))
    let json = try JSONParser.parse(result.output)
    #expect(json.objectValue?["prices"]?.objectValue?["origin"] == .string("none"))
    #expect(
      json.objectValue?["groups"]?.arrayValue?.allSatisfy { $0.objectValue?["cost"] == JSONValue.null }
        == true)
    #expect(json.objectValue?["total"]?.objectValue?["input_tokens"] == .int(3912))
  }

  @Test func diffJSONAndTable() throws {
    let temporary = try TemporaryStore()
    for name in ["sample_11_episode_group_attempt_1.json", "sample_12_episode_group_attempt_2.json"] {
      try temporary.store.ingest(contentsOf: Paths.samples.appendingPathComponent(name))
    }
    let (a, b) = ("11112222333344445555666677778888", "9999aaaabbbbccccddddeeeeffff0000")
    let json = try #require(
      try JSONParser.parse(try output(["--store", temporary.path, "diff", a, b, "--json"])).objectValue)
    #expect(
      Set(json.keys) == [
        "a", "b", "delta", "outcome", "first_divergence", "alignment", "tool_changes", "errors",
      ])
    #expect(json["a"]?.objectValue?["trace_id"] == .string(a))
    #expect(
      json["alignment"]?.arrayValue?.compactMap { $0.objectValue?["change"]?.stringValue } == [
        "same", "changed", "same",
      ])
    #expect(json["outcome"]?.objectValue?["same_final_answer"] == .bool(false))

    let lines = rows(try output(["--store", temporary.path, "diff", a, b]))
    #expect(
      lines[0].prefix(8) == [
        "run", "trace", "status", "rating", "LLM calls", "tool calls", "errors", "input",
      ])
    #expect(lines[2].prefix(8) == ["A", a, "needs_review", "3", "2", "1", "1", "178"])
    #expect(lines[3].prefix(8) == ["B", b, "needs_review", "3", "2", "1", "0", "198"])
    #expect(lines[4].prefix(8) == ["B-A", "-", "-", "-", "0", "0", "-1", "20"])
    #expect(lines.contains(["first divergence at", "1"]))
    #expect(lines.contains(["same final answer", "no"]))
    #expect(lines.contains { $0.first == "arguments" && $0.dropFirst().first == "book_flight" })

    let missing = try run(tracekv, ["--store", temporary.path, "diff", a, "no-such-trace"])
    #expect(missing.status == 1 && missing.error.contains("no trace with id 'no-such-trace'"))
  }
}

import Foundation
import Testing
@testable import TraceKV

/// `tools` and `episodes` print their table and their JSON through one
/// presenter (`OutputOptions.print`): each table row is its JSON record,
/// text left-aligned, numbers right-aligned.
@Suite struct CLIRecordTableTests {
  let tracekv = Paths.product("tracekv")

  /// The cells of a table (header, rule, rows) cut at the rule's columns,
  /// with whether each cell starts at its column's left edge and ends at its right edge.
  func cells(_ text: String) throws -> [[(text: String, left: Bool, right: Bool)]] {
    let lines = text.split(separator: "\n").map(String.init)
    let widths = try #require(lines.dropFirst().first).split(separator: " ").map(\.count)
    return lines.map { line in
      var start = 0
      return widths.map { width in
        let raw = String(line.dropFirst(start).prefix(width)).padding(toLength: width, withPad: " ", startingAt: 0)
        start += width + 2
        return (raw.trimmingCharacters(in: .whitespaces), raw.first != " ", raw.last != " ")
      }
    }
  }

  @Test func toolsAndEpisodesTablesAreTheirJSON() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = ["--store", temporary.path]

    let toolsTable = try run(tracekv, store + ["tools"])
    let toolsJSON = try JSONParser.parse(try run(tracekv, store + ["tools", "--json"]).output).objectValue
    let tools = try #require(toolsJSON?["tools"]?.arrayValue)
    let toolRows = try cells(toolsTable.output).dropLast()  // the last line counts the calls
    #expect(toolRows.first?.map(\.text) == ["tool", "calls"])
    #expect(toolRows.count == 2 + tools.count)
    for (row, tool) in zip(toolRows.dropFirst(2), tools) {
      #expect(row[0].text == tool.objectValue?["tool"]?.stringValue && row[0].left)
      #expect(row[1].text == tool.objectValue?["count"]?.intValue.map(String.init) && row[1].right)
    }
    // The 20 samples call 16 tools 22 times (no unnamed tool counted).
    #expect(tools.count == 16 && toolsJSON?["total_tool_calls"] == .int(22))
    #expect(toolsTable.output.hasSuffix("\n22 tool calls\n"))

    let episodesTable = try run(tracekv, store + ["episodes"])
    let episodes = try #require(try JSONParser.parse(try run(tracekv, store + ["episodes", "--json"]).output).arrayValue)
    let episodeRows = try cells(episodesTable.output)
    #expect(episodeRows.first?.map(\.text) == ["episode", "traces", "min confidence", "start time"])
    #expect(episodeRows.count == 2 + episodes.count)
    for (row, episode) in zip(episodeRows.dropFirst(2), episodes) {
      let object = try #require(episode.objectValue)
      #expect(row[0].text == object["episode_id"]?.stringValue && row[0].left)
      #expect(row[1].text == object["trace_count"]?.intValue.map(String.init) && row[1].right)
      #expect(row[3].text == object["start_time"]?.stringValue)
    }
    // Samples 11 and 12 are the only ones in episode ep-demo-group-001.
    let group = episodeRows.first { $0[0].text == "ep-demo-group-001" }
    #expect(group?[1].text == "2")
  }
}

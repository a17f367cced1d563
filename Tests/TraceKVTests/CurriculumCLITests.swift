import Foundation
import TestSupport
import Testing

@testable import TraceKV

/// `tracekv curriculum` and the training formats of `tracekv export`: the
/// human output and `--json` from the same fields, the task file, the option limits.
@Suite struct CurriculumCLITests {
  let tracekv = Paths.product("tracekv")

  private func samples() throws -> TemporaryStore {
    let temporary = try TemporaryStore()
    let result = try run(tracekv, ["--store", temporary.path, "ingest", Paths.samples.path])
    #expect(result.status == 0, "\(result.error)")
    return temporary
  }

  @Test func humanOutputAndJSONShareTheFields() throws {
    let temporary = try samples()
    let json = try run(tracekv, ["--store", temporary.path, "curriculum", "--min-cluster", "2", "--json"])
    #expect(json.status == 0, "\(json.error)")
    let object = try #require(try JSONParser.parse(json.output).objectValue)
    #expect(object.keys == ["failed_runs", "clustered_runs", "small_clusters", "clusters"])
    #expect(object["failed_runs"] == .int(11) && object["small_clusters"] == .int(9))
    let cluster = try #require(object["clusters"]?.arrayValue?.first?.objectValue)
    #expect(
      cluster.keys == [
        "id", "size", "error_type", "failing_tool", "representative", "common_error", "example_tasks",
        "trace_ids",
        "difficulty", "focus", "task", "reasoning",
      ])

    let human = try run(tracekv, ["--store", temporary.path, "curriculum", "--min-cluster", "2"])
    #expect(human.status == 0, "\(human.error)")
    let lines = human.output.split(separator: "\n").map(String.init)
    func line(_ header: String) -> String? {
      lines.first { $0.hasPrefix(header + " ") }.map {
        String($0.dropFirst(header.count)).trimmingCharacters(in: .whitespaces)
      }
    }
    #expect(line("failed runs") == "11" && line("clusters") == "1" && line("small clusters") == "9")
    #expect(line("representative") == cluster["representative"]?.stringValue)
    #expect(line("error type") == "invalid_tool_usage" && line("failing tool") == "book_flight")
    #expect(line("size") == "2" && line("id") == cluster["id"]?.stringValue)
    #expect(line("trace ids") == cluster["trace_ids"].map(JSONWriter.compact))
    #expect(line("common error") == cluster["common_error"]?.stringValue)
  }

  @Test func tasksFile() throws {
    let temporary = try samples()
    let file = temporary.directory.path("tasks.jsonl")
    let result = try run(tracekv, ["--store", temporary.path, "curriculum", "-o", file, "--json"])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.error.contains("wrote 10 tasks to \(file)"))
    let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 10)
    let clusters = try JSONParser.parse(result.output).objectValue?["clusters"]?.arrayValue ?? []
    for (line, cluster) in zip(lines, clusters) {
      let task = try #require(try JSONParser.parse(String(line)).objectValue)
      #expect(task["id"] == cluster.objectValue?["id"] && task["content"] == cluster.objectValue?["task"])
      #expect(task["role"] == .string("user"))
      #expect(task["metadata"]?.objectValue?["focus"] == cluster.objectValue?["focus"])
    }
  }

  @Test func optionLimits() throws {
    let temporary = try samples()
    let limit = String(Limits.maximumCurriculumRuns)
    let past = String(Limits.maximumCurriculumRuns + 1)
    for (arguments, status) in [
      (["--min-cluster", "0"], Int32(2)), (["--min-cluster", limit], 0), (["--min-cluster", past], 2),
      (["--max-runs", limit], 0), (["--max-runs", past], 2), (["--similarity", "1"], 0),
      (["--similarity", "1.5"], 2),
      (["--examples", "20"], 0), (["--examples", "21"], 2),
    ] {
      let result = try run(tracekv, ["--store", temporary.path, "curriculum", "--json"] + arguments)
      #expect(result.status == status, "\(arguments): \(result.error)")
    }
  }

  @Test func exportFormats() throws {
    let temporary = try samples()
    let chat = try run(
      tracekv, ["--store", temporary.path, "export", "--format", "openai-chat", "--min-rating", "4"])
    #expect(chat.status == 0, "\(chat.error)")
    #expect(chat.output.split(separator: "\n").count == 12)
    #expect(try TrainingExportTests.check("chat", chat.output).status == 0)

    for (gap, status) in [("0", Int32(2)), ("4", 0), ("5", 2)] {
      let result = try run(
        tracekv, ["--store", temporary.path, "export", "--format", "preference", "--min-rating-gap", gap])
      #expect(result.status == status, "gap \(gap): \(result.error)")
    }
    let style = try run(
      tracekv, ["--store", temporary.path, "export", "--format", "preference", "--preference-style", "dpo"])
    #expect(style.status == 2)
    let file = temporary.directory.path("chat.jsonl")
    let written = try run(
      tracekv, ["--store", temporary.path, "export", "--format", "openai-chat", "-o", file])
    #expect(
      written.status == 0 && written.error.contains("exported 20 conversations to \(file)"),
      "\(written.error)")
  }
}

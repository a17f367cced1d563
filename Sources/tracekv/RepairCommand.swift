import ArgumentParser
import ConsoleSupport
import Foundation
import TraceKV

struct RepairCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "repair",
    abstract: "Rebuild the search, time and episode indexes from the traces (alias: reindex); then verify.",
    discussion: """
      One write transaction: a crash during the repair leaves the store as it was. A damaged trace \
      record is rebuilt from its id and spans when its id is still known (its attributes, feedback and \
      evaluation are lost), else removed. Back the store up first (tracekv backup) if in doubt.
      """,
    aliases: ["reindex"])

  @OptionGroup var storeOptions: StoreOptions

  @OptionGroup var output: OutputOptions

  func run() throws {
    let store = try storeOptions.open()
    let report = try store.repair()
    let problems = try store.verify()
    if output.json {
      Console.printJSON(.object(JSONObject([
        "indexed": .int(report.tracesIndexed),
        "salvaged": .array(report.salvaged.map(JSONValue.string)),
        "dropped_documents": .array(report.dropped.map { .int(Int($0)) }),
        "damaged_spans": .int(report.damagedSpans),
        "stray_entries": .int(report.strayEntries),
        "problems": .array(problems.map { .object(JSONObject(["table": .string($0.table), "message": .string($0.message)])) }),
      ])))
    } else {
      print("reindexed \(report.tracesIndexed) traces")
      for id in report.salvaged { Console.warning("trace \(id): its record was damaged; rebuilt from its spans") }
      if !report.dropped.isEmpty { Console.warning("removed \(report.dropped.count) damaged records that no trace id names") }
      if report.damagedSpans > 0 { Console.warning("removed \(report.damagedSpans) damaged spans") }
      if report.strayEntries > 0 { print("removed or rewrote \(report.strayEntries) stray index entries") }
      for problem in problems { print(problem) }
      print(problems.isEmpty ? "ok: the store is sound" : "\(problems.count) problems remain")
    }
    if !problems.isEmpty { throw ExitCode.failure }
  }
}

import ArgumentParser
import ConsoleSupport
import Foundation
import TraceKV

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export traces (newest first): TraceBrain JSONL or JSON, or messages, turns, openai-chat or preference pairs for training.")

  @OptionGroup var storeOptions: StoreOptions
  @OptionGroup var filterOptions: FilterOptions

  @Option(help: "jsonl, json, messages, turns, openai-chat or preference.")
  var format = "jsonl"

  @Option(help: "With --format preference: openai (input/preferred_output/non_preferred_output) or trl (prompt/chosen/rejected).")
  var preferenceStyle = PreferenceStyle.openai.rawValue

  @Option(help: "With --format preference: the preferred attempt's rating exceeds the rejected one's by at least N (1-4).")
  var minRatingGap = TrainingExportOptions.defaultRatingGap

  @Option(parsing: .unconditional, help: "At most N traces.")
  var limit: Int?

  @Option(name: .shortAndLong, help: "Write here instead of stdout.")
  var output: String?

  func validate() throws {
    guard ExportFormat(rawValue: format) != nil else {
      throw ValidationError("--format must be jsonl, json, messages, turns, openai-chat or preference")
    }
    guard PreferenceStyle(rawValue: preferenceStyle) != nil else { throw ValidationError("--preference-style must be openai or trl") }
    guard (1...4).contains(minRatingGap) else { throw ValidationError("--min-rating-gap must be 1 to 4, not \(minRatingGap)") }
  }

  func run() throws {
    let store = try storeOptions.open()
    let filter = try filterOptions.filter()
    let handle: FileHandle
    if let output {
      guard FileManager.default.createFile(atPath: output, contents: nil) else {
        throw CommandFailure("cannot create \(output)")
      }
      handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
    } else {
      handle = FileHandle.standardOutput
    }
    var buffer = ""
    let total = output == nil ? 0 : try store.list(filter, limit: 0).total
    var progress = ProgressLine("export", total: max(total, 1))
    let training = TrainingExportOptions(
      preferenceStyle: PreferenceStyle(rawValue: preferenceStyle)!, minimumRatingGap: minRatingGap)
    let count = try store.export(
      filter, format: ExportFormat(rawValue: format)!, limit: limit ?? .max, training: training, to: { chunk in
      buffer += chunk
      if buffer.utf8.count >= 1 << 20 {
        try handle.write(contentsOf: Data(buffer.utf8))
        buffer = ""
      }
    }, progress: { done in if total > 1000 { progress.update(done, detail: "\(done) traces") } })
    try handle.write(contentsOf: Data(buffer.utf8))
    if let output {
      try handle.close()
      if total > 1000 { progress.finish() }
      let unit = [ExportFormat.preference: "pairs", .openAIChat: "conversations"][ExportFormat(rawValue: format)!] ?? "traces"
      FileHandle.standardError.write(Data("exported \(count) \(unit) to \(output)\n".utf8))
    }
  }
}

struct DeleteCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete", abstract: "Delete traces by id, or those older than a duration (by event time).")

  @OptionGroup var storeOptions: StoreOptions

  @Argument(help: "Trace ids.")
  var traceIDs: [String] = []

  @Option(help: "Delete traces whose event time is older than this (e.g. 30d, 12h).")
  var olderThan: String?

  @Option(help: "With --older-than: only these statuses; repeatable.")
  var status: [String] = []

  func validate() throws {
    guard traceIDs.isEmpty != (olderThan == nil) else {
      throw ValidationError("give trace ids or --older-than, not both or neither")
    }
    if let olderThan { _ = try parseDuration(olderThan) }
    _ = try status.map(parseStatus)
  }

  func run() throws {
    let store = try storeOptions.open()
    if let olderThan {
      let cutoff = Timestamp(microseconds: Timestamp.now.microseconds - (try parseDuration(olderThan)))
      let count = try store.delete(olderThan: cutoff, statuses: Set(try status.map(parseStatus)))
      print("deleted \(count) traces older than \(cutoff.text)")
      return
    }
    let (deleted, unknown) = try store.delete(traceIDs: traceIDs)
    print("deleted \(deleted) traces")
    if !unknown.isEmpty { throw CommandFailure("no trace with id \(unknown.map { "'\($0)'" }.joined(separator: ", "))") }
  }
}

struct VerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify", abstract: "Check every table and cross-reference; exit 1 if anything is wrong.")

  @OptionGroup var storeOptions: StoreOptions

  @OptionGroup var output: OutputOptions

  func run() throws {
    let problems: [(table: String, message: String)]
    do {
      // The pages first, without LMDB, which may end the process on a damaged one.
      let pages = try TraceStore.verifyPages(path: storeOptions.path)
      problems = try (pages.isEmpty ? storeOptions.open(readOnly: true).verify() : pages).map { ($0.table, $0.message) }
    } catch let error as TraceKVError where error.kind == .corrupted {
      // Damage found before LMDB could read the file (e.g. truncation) is a finding, not a failure to verify.
      problems = [("file", error.message)]
    }
    if output.json {
      Console.printJSON(.object(JSONObject([
        "ok": .bool(problems.isEmpty),
        "problems": .array(problems.map { .object(JSONObject(["table": .string($0.table), "message": .string($0.message)])) }),
      ])))
    } else if problems.isEmpty {
      print("ok: the store is sound")
    } else {
      for problem in problems { print("\(problem.table): \(problem.message)") }
      print("\(problems.count) problems")
    }
    if !problems.isEmpty { throw ExitCode.failure }
  }
}

struct BackupCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup", abstract: "Write a compacting copy of the live store to DEST.")

  @OptionGroup var storeOptions: StoreOptions

  @Argument(help: "The new file (must not exist).")
  var destination: String

  func run() throws {
    try storeOptions.open(readOnly: true).backup(to: destination)
    print("backed up to \(destination)")
  }
}

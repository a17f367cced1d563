import ArgumentParser
import Foundation
import TraceKV

@main
struct TraceKVCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tracekv",
    abstract: "An embedded store and experience search for LLM-agent execution traces.",
    discussion: """
      The store is one file: --store PATH, else $TRACEKV_STORE, else ./traces.tkv. --store and \
      --read-only may come before any command.

      Exit codes: 0 success, 1 failure, 2 bad usage.
      """,
    subcommands: [
      IngestCommand.self, SearchCommand.self, ExperiencesCommand.self, ShowCommand.self, ListCommand.self, EpisodesCommand.self, EpisodeCommand.self,
      FeedbackCommand.self, SignalCommand.self, EvaluateCommand.self, ExportCommand.self, CurriculumCommand.self, StatsCommand.self,
      ToolsCommand.self, DeleteCommand.self, VerifyCommand.self, BackupCommand.self, RepairCommand.self,
      EmbedCommand.self, ModelCommand.self, ServeCommand.self, MCPCommand.self,
      UsageCommand.self, DiffCommand.self,
    ])

  /// Runs the command line with TraceKV's exit codes: 1 for a failure, 2 for
  /// bad usage; either way one `tracekv: error: …` line on stderr (usage
  /// errors add the usage after it).
  static func main() {
    do {
      var command = try parseAsRoot(GlobalOptions.take(from: Array(CommandLine.arguments.dropFirst())))
      try command.run()
    } catch let error as TraceKVError {
      Console.error(error.message)
      Foundation.exit(1)
    } catch let failure as CommandFailure {
      Console.error(failure.message)
      Foundation.exit(1)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        print(fullMessage(for: error))
        Foundation.exit(0)
      }
      let message = self.message(for: error)
      if !message.isEmpty { Console.error(message) }
      // The rest of ArgumentParser's text: the usage and where to find help.
      let usage = fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false)
        .drop { !$0.hasPrefix("Usage:") && !$0.hasPrefix("Help:") }
      if !usage.isEmpty { FileHandle.standardError.write(Data((usage.joined(separator: "\n") + "\n").utf8)) }
      Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
    }
  }
}

/// The options every command accepts before its name (`tracekv --store S
/// model info`): taken off the arguments before parsing, so that nested and
/// store-less commands accept them too. An option given after the command's
/// name wins.
enum GlobalOptions {
  /// `--store PATH` or `--store=PATH` before the command.
  nonisolated(unsafe) static var store: String?
  /// `--read-only` before the command.
  nonisolated(unsafe) static var readOnly = false

  /// Records the leading global options and returns the other arguments.
  /// Called once, before any command runs.
  static func take(from arguments: [String]) -> [String] {
    var rest = arguments[...]
    while let first = rest.first {
      if first == "--store", rest.count >= 2 {
        store = rest.dropFirst().first
        rest = rest.dropFirst(2)
      } else if first.hasPrefix("--store=") {
        store = String(first.dropFirst("--store=".count))
        rest = rest.dropFirst()
      } else if first == "--read-only" {
        readOnly = true
        rest = rest.dropFirst()
      } else {
        break
      }
    }
    return Array(rest)
  }
}

/// A failure a command reports as one line and exit code 1.
struct CommandFailure: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

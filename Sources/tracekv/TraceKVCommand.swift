import ArgumentParser
import Foundation
import TraceKV

@main
struct TraceKVCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tracekv",
    abstract: "An embedded store and experience search for LLM-agent execution traces.",
    discussion: """
      The store is one file: --store PATH, else $TRACEKV_STORE, else ./traces.tkv.
      Exit codes: 0 success, 1 failure, 2 bad usage.
      """,
    subcommands: [
      IngestCommand.self, SearchCommand.self, ExperiencesCommand.self, ShowCommand.self, ListCommand.self, EpisodesCommand.self, EpisodeCommand.self,
      FeedbackCommand.self, SignalCommand.self, EvaluateCommand.self, ExportCommand.self, StatsCommand.self,
      ToolsCommand.self, DeleteCommand.self, VerifyCommand.self, BackupCommand.self, RepairCommand.self,
      EmbedCommand.self, ModelCommand.self, ServeCommand.self, MCPCommand.self,
    ])

  /// Runs the command line with TraceKV's exit codes: 1 for a failure (one
  /// line on stderr), 2 for bad usage.
  static func main() {
    do {
      var command = try parseAsRoot(hoistingGlobalOptions(Array(CommandLine.arguments.dropFirst())))
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
      let message = fullMessage(for: error)
      if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
      Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
    }
  }
}

/// `tracekv --store PATH COMMAND …`: ArgumentParser reads a subcommand's
/// options only after its name, so leading store options move behind it.
func hoistingGlobalOptions(_ arguments: [String]) -> [String] {
  var leading: [String] = []
  var rest = arguments[...]
  while let first = rest.first {
    if first == "--store", rest.count >= 2 {
      leading += rest.prefix(2)
      rest = rest.dropFirst(2)
    } else if first.hasPrefix("--store=") || first == "--read-only" {
      leading.append(first)
      rest = rest.dropFirst()
    } else {
      break
    }
  }
  guard !leading.isEmpty else { return arguments }
  var result = Array(rest)
  result.insert(contentsOf: leading, at: result.firstIndex(of: "--") ?? result.endIndex)
  return result
}

/// A failure a command reports as one line and exit code 1.
struct CommandFailure: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

import ArgumentParser

struct EmbedBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "embed", abstract: "(not yet written)")
}

import ArgumentParser

struct LexicalBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "lexical", abstract: "(not yet written)")
}

import ArgumentParser

struct PrepareGloveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "glove50", abstract: "(not yet written)")
}

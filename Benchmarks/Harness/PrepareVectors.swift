import ArgumentParser

struct PrepareVectorsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "vectors", abstract: "(not yet written)")
}

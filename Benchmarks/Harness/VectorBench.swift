import ArgumentParser

struct ANNBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "ann", abstract: "(not yet written)")
}

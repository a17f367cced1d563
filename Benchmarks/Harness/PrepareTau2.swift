import ArgumentParser

struct PrepareTau2Command: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "tau2-banking", abstract: "(not yet written)")
}

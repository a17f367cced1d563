import ArgumentParser

struct PrepareDebianCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "debian", abstract: "(not yet written)")
}

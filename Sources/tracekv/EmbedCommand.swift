import ArgumentParser

/// `tracekv embed`: owned by the Embeddings work.
struct EmbedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "embed", abstract: "Embed texts (not yet written).")
}

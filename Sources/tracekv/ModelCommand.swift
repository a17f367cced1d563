import ArgumentParser

/// `tracekv model`: owned by the Embeddings work.
struct ModelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "model", abstract: "Manage model files (not yet written).")
}

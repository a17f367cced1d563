import Foundation

/// Where the all-MiniLM-L6-v2 files live, and what is there.
///
/// The default folder is `~/.cache/tracekv/models/all-MiniLM-L6-v2`;
/// `TRACEKV_MODEL_DIR` overrides it, and an explicit directory overrides both.
public struct ModelFiles: Sendable, Equatable {
  /// The files the embedder reads.
  public static let requiredFiles = ["config.json", "vocab.txt", "model.safetensors"]

  /// The folder holding the files.
  public let directory: String

  /// `directory`, else `$TRACEKV_MODEL_DIR`, else the cache folder.
  public init(directory: String? = nil) {
    self.directory = directory ?? Self.defaultDirectory
  }

  /// `$TRACEKV_MODEL_DIR` if set and non-empty, else `~/.cache/tracekv/models/all-MiniLM-L6-v2`.
  public static var defaultDirectory: String {
    if let override = ProcessInfo.processInfo.environment["TRACEKV_MODEL_DIR"], !override.isEmpty {
      return override
    }
    let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
    return (home as NSString).appendingPathComponent(".cache/tracekv/models/all-MiniLM-L6-v2")
  }

  /// The path of `file` inside the folder.
  public func path(_ file: String) -> String { (directory as NSString).appendingPathComponent(file) }

  /// Whether every required file exists (not whether it is valid: loading checks that).
  public var isPresent: Bool { Self.requiredFiles.allSatisfy { FileManager.default.fileExists(atPath: path($0)) } }

  /// Checks that every required file exists (not that it is valid: loading checks that).
  /// - Throws: ``EmbeddingError`` `.modelMissing` naming the first absent file.
  public func requirePresent() throws(EmbeddingError) {
    for file in Self.requiredFiles where !FileManager.default.fileExists(atPath: path(file)) {
      throw .modelMissing(directory: directory, file: file)
    }
  }

  /// Every regular file in the folder (recursively) with its size in bytes, sorted by name.
  public func listing() -> [(name: String, bytes: Int)] {
    guard let names = FileManager.default.subpaths(atPath: directory) else { return [] }
    return names.sorted().compactMap { name in
      guard let attributes = try? FileManager.default.attributesOfItem(atPath: path(name)),
        attributes[.type] as? FileAttributeType == .typeRegular
      else { return nil }
      return (name, (attributes[.size] as? NSNumber)?.intValue ?? 0)
    }
  }
}

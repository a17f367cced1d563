import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A manifest of the model files' SHA-256, written when they are installed
/// and checked on every load, so that damaged weights are refused instead of
/// silently giving other vectors (the fingerprint hashes only the config,
/// vocabulary and the weights' header, which damage inside a tensor leaves
/// as they were).
///
/// Hashing 90 MB of weights on every open would cost a noticeable fraction
/// of a second, so the manifest also keeps each file's size and modification
/// time: a file whose size differs is refused at once, one whose time
/// differs is hashed and refused if its digest differs. A change that keeps
/// size and time (a deliberate `touch -r`) is not seen.
extension ModelFiles {
  /// The manifest's file name inside the model folder.
  public static let manifestName = "tracekv-sha256.txt"

  private struct Entry: Equatable {
    var digest: String
    var bytes: Int64
    var modifiedNanoseconds: Int64
    var name: String
  }

  /// Records the required files as they are now (the fetch calls this once they are installed).
  /// - Throws: ``EmbeddingError``: `.modelCorrupt` when a required file cannot be examined, `.fetchFailed` when one
  ///   cannot be read to hash it or the manifest cannot be written.
  public func writeManifest() throws(EmbeddingError) {
    var lines = ""
    for name in Self.requiredFiles {
      let (bytes, modified) = try Self.sizeAndTime(path(name), name: name)
      lines += "\(try ModelFetcher.sha256(ofFile: path(name))) \(bytes) \(modified) \(name)\n"
    }
    do { try lines.write(toFile: path(Self.manifestName), atomically: true, encoding: .utf8) } catch {
      throw .fetchFailed(step: "writing \(path(Self.manifestName))", reason: "\(error)")
    }
  }

  /// Refuses files that differ from the manifest (`modelCorrupt`). A folder
  /// without one (installed by hand, or by an older fetch) is not checked.
  /// - Throws: ``EmbeddingError``: `.modelCorrupt` for a manifest line that does not parse, a listed file that is
  ///   missing or of another size, or whose SHA-256 differs when its time changed; `.fetchFailed` when such a file
  ///   cannot be opened to hash it.
  public func checkManifest() throws(EmbeddingError) {
    guard let text = try? String(contentsOfFile: path(Self.manifestName), encoding: .utf8) else { return }
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
      guard fields.count == 4, let bytes = Int64(fields[1]), let modified = Int64(fields[2]) else {
        throw .modelCorrupt(file: Self.manifestName, reason: "unreadable line '\(line.prefix(80))'")
      }
      let name = fields[3]
      let (actualBytes, actualModified) = try Self.sizeAndTime(path(name), name: name)
      guard actualBytes == bytes else {
        throw .modelCorrupt(file: name, reason: "\(actualBytes) bytes, but \(bytes) were installed; fetch the model again (tracekv model fetch)")
      }
      if actualModified != modified, try ModelFetcher.sha256(ofFile: path(name)) != fields[0] {
        throw .modelCorrupt(file: name, reason: "its SHA-256 differs from the one recorded at install; fetch the model again (tracekv model fetch)")
      }
    }
  }

  private static func sizeAndTime(_ path: String, name: String) throws(EmbeddingError) -> (Int64, Int64) {
    var attributes = stat()
    guard stat(path, &attributes) == 0 else { throw .modelCorrupt(file: name, reason: "unreadable") }
    let modified = Int64(attributes.st_mtim.tv_sec) * 1_000_000_000 + Int64(attributes.st_mtim.tv_nsec)
    return (Int64(attributes.st_size), modified)
  }
}

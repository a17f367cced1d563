import Foundation

/// A fresh directory under the system's temporary folder, removed when the
/// value is deinitialized.
public final class TemporaryDirectory: @unchecked Sendable {
  public let url: URL

  public init(prefix: String = "tracekv-test") throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  /// A path inside the directory.
  public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  deinit { try? FileManager.default.removeItem(at: url) }
}

import Foundation

/// A progress line on stderr: redrawn in place on a terminal, a plain line
/// every few seconds otherwise.
public struct ProgressLine {
  private let label: String
  private let total: Int
  private let isTerminal = isatty(STDERR_FILENO) != 0
  private var lastPrint: UInt64 = 0

  public init(_ label: String, total: Int) {
    self.label = label
    self.total = total
  }

  /// Reports `done` of `total`; `detail` is appended (e.g. "1,200 traces").
  public mutating func update(_ done: Int, detail: String = "") {
    let now = DispatchTime.now().uptimeNanoseconds
    let interval: UInt64 = isTerminal ? 100_000_000 : 5_000_000_000
    guard done == total || now - lastPrint >= interval else { return }
    lastPrint = now
    let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
    let suffix = detail.isEmpty ? "" : " " + detail
    if isTerminal {
      let filled = Int(fraction * 30)
      let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
      FileHandle.standardError.write(Data("\r\u{1B}[K\(label) [\(bar)] \(Int(fraction * 100))%\(suffix)".utf8))
    } else {
      FileHandle.standardError.write(Data("\(label): \(Int(fraction * 100))%\(suffix)\n".utf8))
    }
  }

  public func finish() {
    if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}

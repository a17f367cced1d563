import Foundation
import TestSupport
import Testing
@testable import TraceKV

/// Crash safety, the short version of `tracekv-bench crash` (which runs 50
/// kills or more): a child ingesting batches is killed with SIGKILL at
/// seeded random moments; after each kill the store verifies, every
/// acknowledged trace is present, complete and in both indexes, and no batch
/// is half-present.
@Suite struct ReliabilityCrashTests {
  @Test func tenKillsLoseNothingAcknowledged() throws {
    let bench = Paths.product("tracekv-bench")
    try #require(FileManager.default.fileExists(atPath: bench.path), "build the tracekv-bench product first")
    let directory = try TemporaryDirectory()
    let report = directory.path("crash.json")
    let result = try run(bench, [
      "crash", "--kills", "10", "--seed", "7", "--max-delay-ms", "400", "--batch", "10",
      "--samples", Paths.samples.path, "--data", directory.path("work"), "--json", report,
    ])
    #expect(result.status == 0, "\(result.output)\n\(result.error)")
    let figures = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
    #expect(figures?["kills"] as? Int == 10)
    #expect(figures?["lost"] as? Int == 0)
    #expect(figures?["verify_failures"] as? Int == 0)
    #expect((figures?["acknowledged"] as? Int ?? 0) > 0, "no batch was acknowledged before the kills: \(result.error)")
    #expect((figures?["failures"] as? [String])?.isEmpty == true, "\(figures?["failures"] ?? "")")
  }
}

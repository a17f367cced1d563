import Foundation
import TestSupport
import Testing
@_spi(Benchmarks) @testable import TraceKV

/// Seeded hostile searches through the library (text, keywords, filters,
/// limit, offset, weights, depth, k, explain, messages) and hostile CLI
/// arguments in child processes (`HostileSearchInputs`): each ends with a
/// typed error or an answer that holds (`TraceStore.problems(answering:)`),
/// a query within the limits is never refused, nothing crashes, and the
/// store file is byte for byte what it was. 1,000 library cases and 100 CLI
/// cases here; `tracekv-bench fuzz --cases 10000` runs more of each, and
/// damaged files (`DamagedStoreTests` here).
@Suite struct QueryFuzzTests {
  static var caseCount: Int {
    ProcessInfo.processInfo.environment["TRACEKV_FUZZ_CASES"].flatMap(Int.init) ?? 1_000
  }

  @Test func hostileSearchesGetTypedErrorsOrSoundAnswers() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let fileBefore = try Data(contentsOf: URL(fileURLWithPath: temporary.path))
    var inputs = HostileSearchInputs(random: SeededGenerator(seed: 2_026))
    var answered = 0
    var refused = 0
    for number in 0..<Self.caseCount {
      let query = inputs.query()
      let hits: [SearchHit]
      do {
        hits = try store.search(query).hits
      } catch {
        #expect(error.kind == .invalidInput, "case \(number): \(error)")
        #expect(!store.isWithinLimits(query), "case \(number) refused: \(error.message)")
        refused += 1
        continue
      }
      answered += 1
      #expect(try store.problems(answering: query, with: hits) == [], "case \(number)")
    }
    // Both outcomes are exercised.
    #expect(answered > Self.caseCount / 4 && refused > Self.caseCount / 20, "answered \(answered), refused \(refused)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: temporary.path)) == fileBefore, "a search changed the file")
    #expect(try store.verify() == [])
  }

  /// The checker catches what it claims to: a wrong answer is named.
  @Test func theAnswerCheckerFindsWrongAnswers() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let query = SearchQuery(text: "tool error", mode: .lexical, limit: 2, offset: 1)
    let hits = try store.search(query).hits
    try #require(hits.count == 2)
    #expect(try store.problems(answering: query, with: hits) == [])
    #expect(try store.problems(answering: query, with: hits + hits).contains { $0.contains("4 hits for limit 2") })
    #expect(try store.problems(answering: query, with: [hits[0], hits[0]]).contains { $0.contains("a trace twice") })
    #expect(try store.problems(answering: query, with: hits.reversed()).contains { $0.contains("scores out of order") })
    #expect(try store.problems(answering: query, with: [hits[1]]).contains { $0.contains("not the tail") })
    var filtered = query
    filtered.filter = TraceFilter(minRating: 5)
    let unfiltered = try store.search(SearchQuery(text: "tool error", mode: .lexical, limit: 20)).hits
    let excluded = try #require(unfiltered.first { ($0.rating ?? 0) < 5 })
    #expect(try store.problems(answering: filtered, with: [excluded]).contains { $0.contains("fails the filter") })
  }

  /// Hostile argument lists for the read-only commands, in child processes.
  @Test func hostileCommandLinesEndWithAnExitCodeNotASignal() throws {
    try #require(FileManager.default.fileExists(atPath: Paths.product("tracekv").path), "build the tracekv product first")
    let temporary = try TemporaryStore.withSamples()
    let fileBefore = try Data(contentsOf: URL(fileURLWithPath: temporary.path))
    var inputs = HostileSearchInputs(random: SeededGenerator(seed: 17))
    for number in 0..<100 {
      let arguments = inputs.commandLine()
      let outcome = try DamagedStoreTests.tracekv(["--store", temporary.path, "--read-only"] + arguments)
      #expect(outcome.signal == nil, "case \(number) \(arguments): signal \(outcome.signal ?? 0) \(outcome.error.suffix(300))")
      // 0 answered, 1 refused with a message, 2 a usage error (TraceKVCommand).
      #expect([0, 1, 2].contains(outcome.status), "case \(number) \(arguments): status \(outcome.status) \(outcome.error.suffix(300))")
      if outcome.status != 0 { #expect(!outcome.error.isEmpty, "case \(number) \(arguments): no message") }
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: temporary.path)) == fileBefore, "a reader changed the file")
  }
}

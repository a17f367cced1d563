import Foundation
import TestSupport
import Testing
@testable import TraceKV

/// Seeded hostile searches through the library (text, keywords, filters,
/// limit, offset, weights, depth, k, explain, messages) and hostile CLI
/// arguments in child processes: each ends with a typed error or an answer
/// that holds (no more hits than asked, each passing the filter, pages that
/// agree with a deeper first page, sane parameters never refused), never a
/// crash, and the store file is byte for byte what it was. 1,000 library
/// cases and 100 CLI cases here; `tracekv-bench fuzz` runs 10,000.
@Suite struct QueryFuzzTests {
  static var caseCount: Int {
    ProcessInfo.processInfo.environment["TRACEKV_FUZZ_CASES"].flatMap(Int.init) ?? 1_000
  }

  struct Generator {
    var random: SeededGenerator
    mutating func pick(_ count: Int) -> Int { Int(random.next() % UInt64(max(count, 1))) }
    mutating func chance(_ percent: Int) -> Bool { pick(100) < percent }
    mutating func one<T>(_ values: [T]) -> T { values[pick(values.count)] }

    static let words = [
      "order", "status", "weather", "refund", "LOGIC_LOOP", "get_weather", "tool", "error", "the", "a", "é",
      "数据", "🙂", "\u{0}", "\u{202E}rtl", "e\u{301}", "-1", "1e999", "NaN", "'", "\"", "\\", "%s", "*", "AND", "OR",
    ]

    mutating func text() -> String {
      switch pick(8) {
      case 0: return ""
      case 1: return String(repeating: " \t\n", count: 1 + pick(50))
      case 2: return (0..<(1 + pick(2_000))).map { "w\($0)" }.joined(separator: " ")  // up to 2,000 distinct terms
      case 3: return String(repeating: one(Self.words) + " ", count: 1 + pick(5_000))
      case 4: return String((0..<pick(300)).map { _ in Character(Unicode.Scalar(UInt8(pick(128)))) })
      default: return (0..<(1 + pick(6))).map { _ in one(Self.words) }.joined(separator: one([" ", "_", "", "\n"]))
      }
    }

    mutating func filter() -> TraceFilter {
      var filter = TraceFilter()
      if chance(20) { filter.statuses = Set((0..<(1 + pick(3))).map { _ in one(TraceStatus.allCases) }) }
      if chance(20) { filter.minRating = one([-5, 0, 1, 3, 4, 5, 6, Int.max, Int.min]) }
      if chance(15) { filter.errorTypes = [one(ErrorType.allCases)] }
      if chance(15) { filter.minConfidence = one([-1, 0, 0.5, 0.9, 1, 2, .nan, .infinity, -.infinity]) }
      if chance(15) { filter.maxConfidence = one([-1, 0, 0.5, 1, .nan, .infinity]) }
      if chance(15) { filter.since = Timestamp(microseconds: one([Int64.min, -1, 0, 1_700_000_000_000_000, Int64.max])) }
      if chance(15) { filter.until = Timestamp(microseconds: one([Int64.min, 0, 1_700_000_000_000_000, 1_800_000_000_000_000, Int64.max])) }
      if chance(10) { filter.episodeID = one(["", "ep-9c0d1e2f", "nope", String(repeating: "x", count: 600)]) }
      return filter
    }

    mutating func query() -> SearchQuery {
      let sizes = [-1, 0, 1, 3, 10, 20, 100, 9_990, 10_000, 10_001, 1_000_000_000_000, Int.max, Int.min]
      var query = SearchQuery(
        text: text(), keywords: chance(30) ? text() : nil, mode: one(SearchMode.allCases), filter: filter(),
        limit: chance(70) ? pick(30) : one(sizes), offset: chance(70) ? pick(25) : one(sizes),
        explain: chance(40), withMessages: chance(20))
      let weights: [Double] = [-1, 0, 0.5, 1, 2, .nan, .infinity, 1e308]
      if chance(25) { query.lexicalWeight = one(weights) }
      if chance(25) { query.vectorWeight = one(weights) }
      if chance(15) { query.depth = one([-5, 0, 1, 50, 10_000, 10_001, Int.max]) }
      if chance(15) { query.rrfK = one([-1, 0, 60, .nan, .infinity, 1e9]) }
      return query
    }
  }

  /// Whether every parameter is one a caller may send: such a query must be answered.
  static func isSane(_ query: SearchQuery, terms: Int) -> Bool {
    query.limit >= 0 && query.offset >= 0 && query.limit <= Limits.maximumSearchWindow
      && query.offset <= Limits.maximumSearchWindow - query.limit
      && query.depth <= Limits.maximumSearchWindow && query.lexicalWeight.isFinite && query.lexicalWeight >= 0
      && query.vectorWeight.isFinite && query.vectorWeight >= 0 && query.lexicalWeight + query.vectorWeight > 0
      && query.rrfK.isFinite && query.rrfK >= 0 && terms <= Limits.maximumQueryTerms
  }

  @Test func hostileSearchesGetTypedErrorsOrSoundAnswers() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    let fileBefore = try Data(contentsOf: URL(fileURLWithPath: temporary.path))
    var generator = Generator(random: SeededGenerator(seed: 2_026))
    var answered = 0
    var refused = 0
    for number in 0..<Self.caseCount {
      let query = generator.query()
      let terms = query.mode == .vector ? 0 : Set(store.search.lexical.queryTerms(query.keywords ?? query.text)).count
      let sane = Self.isSane(query, terms: terms)
      let hits: [SearchHit]
      do {
        hits = try store.search(query).hits
      } catch let error as TraceKVError {
        #expect(error.kind == .invalidInput, "case \(number): \(error)")
        #expect(!sane || (query.mode == .vector && store.search.identity.dimension == 0), "case \(number) refused: \(error.message)")
        refused += 1
        continue
      }
      answered += 1
      #expect(query.limit >= 0 && hits.count <= query.limit, "case \(number)")
      #expect(Set(hits.map(\.traceID)).count == hits.count, "case \(number): a trace twice")
      for hit in hits {
        let trace = try #require(try store.trace(id: hit.traceID), "case \(number)")
        #expect(query.filter.matches(trace, eventTime: trace.eventTime.microseconds), "case \(number): \(hit.traceID) fails the filter")
        if query.withMessages { #expect(hit.messages != nil) }
        if query.explain, hit.lexical != nil { #expect(hit.lexicalExplanation != nil, "case \(number)") }
      }
      if query.mode == .lexical {
        #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score }, "case \(number): scores out of order")
      }
      // A page is the tail of the first page that reaches as deep.
      if query.offset > 0, !hits.isEmpty {
        var first = query
        first.limit = query.offset + query.limit
        first.offset = 0
        let deeper = try store.search(first).hits.map(\.traceID)
        #expect(Array(deeper.dropFirst(query.offset)) == hits.map(\.traceID), "case \(number): pages disagree")
      }
    }
    #expect(answered > Self.caseCount / 4 && refused > Self.caseCount / 20, "answered \(answered), refused \(refused)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: temporary.path)) == fileBefore, "a search changed the file")
    #expect(try store.verify() == [])
  }

  /// Hostile argument lists for the read-only commands, in child processes.
  @Test func hostileCommandLinesEndWithAnExitCodeNotASignal() throws {
    try #require(FileManager.default.fileExists(atPath: Paths.product("tracekv").path), "build the tracekv product first")
    let temporary = try TemporaryStore.withSamples()
    let fileBefore = try Data(contentsOf: URL(fileURLWithPath: temporary.path))
    var generator = Generator(random: SeededGenerator(seed: 17))
    for number in 0..<100 {
      let arguments = CommandLineFuzz.arguments(&generator.random)
      let outcome = try DamagedStoreTests.tracekv(["--store", temporary.path, "--read-only"] + arguments)
      #expect(outcome.signal == nil, "case \(number) \(arguments): signal \(outcome.signal ?? 0) \(outcome.error.suffix(300))")
      // 0 answered, 1 refused with a message, 2 a usage error (TraceKVCommand).
      #expect([0, 1, 2].contains(outcome.status), "case \(number) \(arguments): status \(outcome.status) \(outcome.error.suffix(300))")
      if outcome.status != 0 { #expect(!outcome.error.isEmpty, "case \(number) \(arguments): no message") }
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: temporary.path)) == fileBefore, "a reader changed the file")
  }
}

/// Argument lists for `tracekv`'s commands that only read, built from tokens
/// that each mean something to the parser, mixed with hostile values.
enum CommandLineFuzz {
  static let commands = ["search", "experiences", "list", "show", "stats", "tools", "episodes", "episode", "export", "verify"]
  static let options = [
    "--limit", "--offset", "--mode", "--keywords", "--weights", "--status", "--min-rating", "--error-type",
    "--min-confidence", "--max-confidence", "--since", "--until", "--episode", "--format", "--view", "--explain",
    "--with-messages", "--json", "--help", "-o",
  ]
  static let values = [
    "-1", "0", "1", "10", "10000", "10001", "1000000000000", "99999999999999999999", "-9223372036854775808", "nan",
    "inf", "1e308", "", " ", "lexical", "vector", "hybrid", "bogus", "lexical=1,vector=1", "lexical=-1", "vector=nan",
    "lexical", "=", ",,,", "completed", "needs_review", "logic_loop", "2024-01-01T00:00:00Z", "9999-99-99", "30d",
    "order status", "🙂", "\u{202E}", "ep-9c0d1e2f", "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8", "raw", "tree", "turns",
    "messages", "json", "jsonl", "/dev/null", "--", "-", String(repeating: "w ", count: 3_000),
  ]

  static func arguments(_ random: inout SeededGenerator) -> [String] {
    func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
    var arguments = [pick(commands)]
    for _ in 0..<Int(random.next() % 7) {
      switch random.next() % 3 {
      case 0: arguments += [pick(options), pick(values)]
      case 1: arguments.append(pick(values))
      default: arguments.append(pick(options))
      }
    }
    // -o writes a file: keep it harmless.
    for index in arguments.indices.dropLast() where arguments[index] == "-o" { arguments[index + 1] = "/dev/null" }
    if arguments.last == "-o" { arguments.removeLast() }
    return arguments
  }
}

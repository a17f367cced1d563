import Foundation

/// Seeded hostile inputs for the fuzz test (`QueryFuzzTests`) and the fuzz
/// harness (`tracekv-bench fuzz`), kept here so both run the same cases:
/// searches with surprising text, filters, pages, weights and constants;
/// argument lists for the CLI's read-only commands; damage to a store file.
/// Not part of the product API.
@_spi(Benchmarks)
public struct HostileSearchInputs<Random: RandomNumberGenerator> {
  public var random: Random

  public init(random: Random) { self.random = random }

  public mutating func pick(_ count: Int) -> Int { Int(random.next() % UInt64(max(count, 1))) }
  public mutating func chance(_ percent: Int) -> Bool { pick(100) < percent }
  public mutating func one<T>(_ values: [T]) -> T { values[pick(values.count)] }

  static var words: [String] {
    [
      "order", "status", "weather", "refund", "LOGIC_LOOP", "get_weather", "tool", "error", "the", "a", "é",
      "数据", "🙂", "\u{0}", "\u{202E}rtl", "e\u{301}", "-1", "1e999", "NaN", "'", "\"", "\\", "%s", "*", "AND", "OR",
    ]
  }

  /// Empty, blank, up to 2,000 distinct terms, 5,000 repeats, control bytes, or a few odd words.
  public mutating func text() -> String {
    switch pick(8) {
    case 0: return ""
    case 1: return String(repeating: " \t\n", count: 1 + pick(50))
    case 2: return (0..<(1 + pick(2_000))).map { "w\($0)" }.joined(separator: " ")
    case 3: return String(repeating: one(Self.words) + " ", count: 1 + pick(5_000))
    case 4: return String((0..<pick(300)).map { _ in Character(Unicode.Scalar(UInt8(pick(128)))) })
    default: return (0..<(1 + pick(6))).map { _ in one(Self.words) }.joined(separator: one([" ", "_", "", "\n"]))
    }
  }

  public mutating func filter() -> TraceFilter {
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

  public mutating func query() -> SearchQuery {
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

  /// An argument list for one of `tracekv`'s commands that only read.
  public mutating func commandLine() -> [String] {
    let commands = ["search", "experiences", "list", "show", "stats", "tools", "episodes", "episode", "export", "verify"]
    let options = [
      "--limit", "--offset", "--mode", "--keywords", "--weights", "--status", "--min-rating", "--error-type",
      "--min-confidence", "--max-confidence", "--since", "--until", "--episode", "--format", "--view", "--explain",
      "--with-messages", "--json", "--help",
    ]
    let values = [
      "-1", "0", "1", "10", "10000", "10001", "1000000000000", "99999999999999999999", "-9223372036854775808", "nan",
      "inf", "1e308", "", " ", "lexical", "vector", "hybrid", "bogus", "lexical=1,vector=1", "lexical=-1", "vector=nan",
      "=", ",,,", "completed", "needs_review", "logic_loop", "2024-01-01T00:00:00Z", "9999-99-99", "30d",
      "order status", "🙂", "\u{202E}", "ep-9c0d1e2f", "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8", "raw", "tree", "turns",
      "messages", "json", "jsonl", "--", "-", String(repeating: "w ", count: 3_000),
      (0..<1_500).map { "w\($0)" }.joined(separator: " "),
    ]
    var arguments = [one(commands)]
    for _ in 0..<pick(7) {
      switch pick(3) {
      case 0: arguments += [one(options), one(values)]
      case 1: arguments.append(one(values))
      default: arguments.append(one(options))
      }
    }
    return arguments
  }

  /// Damage to a store file of `pageSize`-byte pages: a cut at a page
  /// boundary, flipped bits past the meta pages, a zeroed page, or a damaged
  /// meta page.
  public mutating func damage(_ bytes: Data, pageSize: Int) -> (name: String, bytes: Data) {
    var copy = bytes
    let pages = bytes.count / pageSize
    switch pick(11) {
    case 10:
      let page = 2 + pick(pages - 2)
      copy.replaceSubrange((page * pageSize)..<((page + 1) * pageSize), with: Data(count: pageSize))
      return ("zeroed page \(page)", copy)
    case 0..<4:
      let kept = pick(pages)
      return ("cut to \(kept) pages", copy.prefix(kept * pageSize))
    case 4..<8:
      var places: [String] = []
      for _ in 0..<(1 + pick(16)) {
        let offset = 2 * pageSize + pick(bytes.count - 2 * pageSize)
        let bit = UInt8(1) << UInt8(pick(8))
        copy[offset] ^= bit
        places.append("\(offset)")
      }
      return ("bits flipped at \(places.joined(separator: ","))", copy)
    case 8:
      let page = pick(2)
      copy.replaceSubrange((page * pageSize)..<((page + 1) * pageSize), with: Data(count: pageSize))
      return ("meta page \(page) zeroed", copy)
    default:
      let offset = pick(2) * pageSize + 16 + pick(144)
      copy[offset] ^= UInt8(1 + pick(255))
      return ("meta byte \(offset) changed", copy)
    }
  }
}

@_spi(Benchmarks)
extension TraceStore {
  /// Whether a caller may send every parameter of `query` (such a query must be answered).
  public func isWithinLimits(_ query: SearchQuery) -> Bool {
    let window = Limits.maximumSearchWindow
    let terms = query.mode == .vector ? 0 : Set(search.lexical.queryTerms(query.keywords ?? query.text)).count
    return query.limit >= 0 && query.offset >= 0 && query.limit <= window && query.offset <= window - query.limit
      && query.depth <= window && query.lexicalWeight.isFinite && query.lexicalWeight >= 0
      && query.vectorWeight.isFinite && query.vectorWeight >= 0 && query.lexicalWeight + query.vectorWeight > 0
      && query.rrfK.isFinite && query.rrfK >= 0 && terms <= Limits.maximumQueryTerms
  }

  /// What is wrong with the answer to `query` (empty: nothing): more hits
  /// than asked, a trace twice, a hit the filter excludes, explanations or
  /// messages missing, lexical scores out of order, or a page that is not the
  /// tail of the first page reaching as deep.
  /// - Throws: ``TraceKVError`` only (though declared `throws`), from `trace(id:)` and from `search(_:)` when it runs
  ///   the first page again: `.invalidInput`, `.embedderUnavailable`, `.corrupted` or `.storage`.
  public func problems(answering query: SearchQuery, with hits: [SearchHit]) throws -> [String] {
    var problems: [String] = []
    if hits.count > max(query.limit, 0) { problems.append("\(hits.count) hits for limit \(query.limit)") }
    if Set(hits.map(\.traceID)).count != hits.count { problems.append("a trace twice") }
    for hit in hits {
      guard let trace = try trace(id: hit.traceID) else {
        problems.append("\(hit.traceID) is not in the store")
        continue
      }
      if !query.filter.matches(trace, eventTime: trace.eventTime.microseconds) { problems.append("\(hit.traceID) fails the filter") }
      if query.withMessages && hit.messages == nil { problems.append("\(hit.traceID) lacks its messages") }
      if query.explain && hit.lexical != nil && hit.lexicalExplanation == nil { problems.append("\(hit.traceID) lacks its explanation") }
    }
    if query.mode == .lexical, !zip(hits, hits.dropFirst()).allSatisfy({ $0.score >= $1.score }) {
      problems.append("lexical scores out of order")
    }
    if query.offset > 0, !hits.isEmpty {
      var first = query
      first.limit = query.offset + query.limit
      first.offset = 0
      let deeper = try search(first).hits.map(\.traceID)
      if Array(deeper.dropFirst(query.offset)) != hits.map(\.traceID) { problems.append("the page is not the tail of the first page") }
    }
    return problems
  }
}

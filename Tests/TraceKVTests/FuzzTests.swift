import Foundation
import TestSupport
import Testing
@testable import TraceKV

/// Hostile input: seeded mutations of the TraceBrain samples (truncation,
/// wrong types, deep nesting, huge strings, invalid UTF-8, duplicate ids,
/// NaN/Infinity, byte noise). Each case is accepted or refused with a
/// `TraceKVError` / a rejected line, never a crash, and the store verifies
/// afterwards. 1,000 cases here; `TRACEKV_FUZZ_CASES=10000` runs more.
@Suite struct FuzzTests {
  static var caseCount: Int {
    ProcessInfo.processInfo.environment["TRACEKV_FUZZ_CASES"].flatMap(Int.init) ?? 1_000
  }

  /// A seeded mutator over parsed JSON and raw bytes.
  struct Mutator {
    var random: SeededGenerator

    mutating func pick(_ count: Int) -> Int { Int(random.next() % UInt64(max(count, 1))) }
    mutating func chance(_ percent: Int) -> Bool { pick(100) < percent }

    /// A value of a surprising type or size.
    mutating func hostileValue() -> JSONValue {
      switch pick(14) {
      case 0: return .null
      case 1: return .bool(chance(50))
      case 2: return .number(["1e999", "-1e999", "1e308", "-0", "340282366920938463463374607431768211456", "0.000000001", "9223372036854775808", "-9223372036854775809", "1000", "-1", "3.5"][pick(11)])
      case 3: return .string(String(repeating: "ü", count: 1 + pick(100_000)))
      case 4: return .string(["", "\u{0}", "\u{FFFD}", "a\u{0}b", String(repeating: "x", count: 257), "needs_review", "completed", "failed", "running", "9999-99-99T99:99:99Z", "2024-02-30T25:61:61.9999999999+99:99", "-0001-01-01T00:00:00Z"][pick(12)])
      case 5: return .array((0..<pick(5)).map { _ in .string("item") })
      case 6: return .object(JSONObject(["role": .string("user"), "content": .number("1")]))
      case 7: return deep(60 + pick(100))
      case 8: return .array((0..<(1 + pick(2000))).map { .int($0) })
      case 9: return .object(JSONObject(["rating": .number(["1000", "-129", "1e999", "5", "0", "4.0"][pick(6)]), "confidence": .number(["1e999", "-1", "2", "0.5"][pick(4)]), "error_type": .string(["LOGIC_LOOP", "", "none", "???"][pick(4)])]))
      case 10: return .string(String(repeating: "word ", count: pick(20_000)))
      case 11: return .array([.object(JSONObject(["role": .number("3"), "content": .array([.null])]))])
      case 12: return .object(JSONObject(["rating": .number(["3", "6", "0", "-5", "1e3"][pick(5)]), "tags": .array([.number("1")]), "comment": .bool(true)]))
      default: return .string("\u{D7FF}\u{E000}\u{10FFFF}")
      }
    }

    func deep(_ levels: Int) -> JSONValue {
      var value = JSONValue.string("bottom")
      for level in 0..<levels { value = level % 2 == 0 ? .array([value]) : .object(JSONObject(["k": value])) }
      return value
    }

    /// Replaces, removes or adds one member somewhere in the tree.
    mutating func mutate(_ value: JSONValue, depth: Int = 0) -> JSONValue {
      switch value {
      case .object(var object) where !object.isEmpty && (depth == 0 || depth < 4 && chance(70)):
        let keys = object.keys
        let key = keys[pick(keys.count)]
        switch pick(4) {
        case 0: object[key] = hostileValue()
        case 1: object[key] = nil
        case 2: object[["trace_id", "span_id", "parent_id", "spans", "attributes", "start_time", "end_time", "name", "tracebrain.llm.new_content", "tracebrain.llm.completion", "tracebrain.tool.output", "tracebrain.ai_evaluation", "tracebrain.feedback", "tracebrain.trace.priority", "tracebrain.trace.status", "tracebrain.episode.id", "tracebrain.span.type", "tracebrain.llm.input"][pick(18)]] = hostileValue()
        default: object[key] = mutate(object[key]!, depth: depth + 1)
        }
        return .object(object)
      case .array(var items) where !items.isEmpty && (depth == 0 || depth < 4 && chance(70)):
        let index = pick(items.count)
        switch pick(4) {
        case 0: items[index] = hostileValue()
        case 1: items.remove(at: index)
        case 2: items.append(items[index])  // duplicate span ids
        default: items[index] = mutate(items[index], depth: depth + 1)
        }
        return .array(items)
      default:
        return hostileValue()
      }
    }

    /// Byte-level damage to serialized JSON.
    mutating func damage(_ bytes: [UInt8]) -> [UInt8] {
      var bytes = bytes
      guard !bytes.isEmpty else { return bytes }
      switch pick(6) {
      case 0: bytes.removeSubrange(pick(bytes.count)...)  // truncation
      case 1:
        for _ in 0..<(1 + pick(8)) { bytes[pick(bytes.count)] = [0xFF, 0xC3, 0x80, 0xED, 0xA0, 0x00, 0x22, 0x5C, 0x7B, 0x5D][pick(10)] }
      case 2: bytes.insert(contentsOf: Array("NaN".utf8), at: pick(bytes.count))
      case 3:
        let text = String(decoding: bytes, as: UTF8.self)
        bytes = Array(text.replacingOccurrences(of: ":", with: [": Infinity, \"x\":", ": -Infinity,\"y\":", ":NaN,\"z\":"][pick(3)], options: [], range: nil).utf8)
        if chance(50) { bytes = Array(bytes.prefix(bytes.count / 2)) }
      case 4: bytes.insert(contentsOf: Array(#"\ud800"#.utf8), at: pick(bytes.count))
      default: bytes = Array(repeating: UInt8(ascii: "["), count: 200 + pick(5000)) + bytes
      }
      return bytes
    }
  }

  @Test func hostileInputIsAcceptedOrRefusedNeverCrashes() throws {
    let temporary = try TemporaryStore()
    let store = temporary.store
    let samples = try Paths.sampleFiles().map { try JSONParser.parse(Data(contentsOf: $0)) }
    var mutator = Mutator(random: SeededGenerator(seed: 0xF022))
    var accepted = 0
    var refused = 0
    var otherErrors: [String] = []
    let cases = Self.caseCount
    for number in 0..<cases {
      var value = samples[mutator.pick(samples.count)]
      for _ in 0..<(1 + mutator.pick(3)) { value = mutator.mutate(value) }
      if mutator.chance(15) { value = .array([value, value]) }  // the same trace id twice in one input
      var bytes = JSONWriter.compactBytes(value)
      if mutator.chance(35) { bytes = mutator.damage(bytes) }
      let layout: TraceFileLayout = mutator.chance(20) ? .jsonl : .json
      do {
        let report = try store.ingest(
          data: Data(bytes), source: "case \(number)", options: .init(strict: mutator.chance(30), layout: layout))
        accepted += report.accepted
        refused += report.rejected.count
        for problem in report.rejected where problem.message.isEmpty { otherErrors.append("case \(number): empty message") }
      } catch {
        // The API's typed throws guarantee a TraceKVError here.
        refused += 1
        if error.kind != .invalidInput { otherErrors.append("case \(number): \(error.kind): \(error.message)") }
      }
      if number % 250 == 249 {
        // What was accepted can be read, rebuilt, searched and exported.
        for id in try store.traceIDs(limit: 50) {
          _ = try #require(try store.messages(traceID: id))
          _ = try #require(try store.turns(traceID: id))
          _ = try #require(try store.spanTree(traceID: id))
        }
        _ = try store.search(SearchQuery(text: "tool error weather", limit: 10, explain: true, withMessages: true))
        _ = try store.search(SearchQuery(text: "x", filter: TraceFilter(minRating: 4), limit: 10))
        try store.export(format: .jsonl, limit: 100, to: { _ in })
        _ = try store.statistics()
        _ = try store.toolUsage()
      }
    }
    #expect(otherErrors.isEmpty, "\(otherErrors.prefix(10))")
    #expect(accepted > 0 && refused > 0, "accepted \(accepted), refused \(refused)")
    #expect(try store.verify() == [])
    // The accepted traces export and re-ingest into a store that verifies.
    var exported = ""
    try store.export(format: .jsonl, to: { exported += $0 })
    let copy = try TemporaryStore()
    let file = copy.directory.url.appendingPathComponent("export.jsonl")
    try exported.write(to: file, atomically: true, encoding: .utf8)
    let report = try copy.store.ingest(contentsOf: file)
    #expect(report.rejected.isEmpty, "\(report.rejected.prefix(3))")
    #expect(try copy.store.verify() == [])
    print("fuzz: \(cases) cases, \(accepted) traces accepted, \(refused) refused")
  }

  /// An AI rating far outside 1...5 once trapped the filter columns (Int8).
  @Test func outOfRangeAIRatingIsStoredAndSearchable() throws {
    let temporary = try TemporaryStore()
    try temporary.store.ingest(json: #"{"trace_id": "r", "attributes": {"tracebrain.ai_evaluation": {"rating": 1000, "confidence": 1e999}}, "spans": [{"span_id": "s", "attributes": {"tracebrain.llm.completion": "hello"}}]}"#)
    try temporary.store.ingest(json: #"{"trace_id": "q", "attributes": {"tracebrain.ai_evaluation": {"rating": -1000}}, "spans": []}"#)
    #expect(try temporary.store.search(SearchQuery(text: "hello", filter: TraceFilter(minRating: 4))).hits.map(\.traceID) == ["r"])
    #expect(try temporary.store.verify() == [])
  }
}

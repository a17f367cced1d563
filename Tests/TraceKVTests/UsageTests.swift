import Foundation
import Testing

@testable import TraceKV

/// `TraceStore.usage`, the price table and the nearest-rank percentiles.
/// Expected numbers were computed from the sample JSON files by a separate
/// Python script (summing `tracebrain.usage` of `llm_inference` spans and
/// taking x[ceil(p·n/100)] of the sorted end − start times), not by TraceKV.
@Suite struct UsageTests {
  /// gemini-2.5-flash at 0.30 / 2.50 per million (no cached price), as the built-in table says.
  static let geminiOnly = PriceTable(models: [
    "gemini-2.5-flash": ModelPrice(input: 0.3, output: 2.5, cached: nil)
  ])

  @Test func samplesInTotalAndByModel() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store

    let total = try store.usage(prices: Self.geminiOnly).total
    #expect(total.llmCalls == 40)
    #expect(
      total.tokens == TokenUsage(inputTokens: 3912, outputTokens: 1510, cachedTokens: 0, reasoningTokens: 0))
    #expect(total.toolCalls == 23)
    #expect(total.toolErrors == 4 && total.llmErrors == 0)
    #expect(total.traces == 20)
    #expect(total.latency == LatencyPercentiles(p50: 1200, p95: 2000, p99: 2000))
    #expect(total.toolLatency == LatencyPercentiles(p50: 250, p95: 1200, p99: 1400))
    // Samples 18, 19 and 20 name no model: 6 calls without a price, so no total cost.
    #expect(total.cost == nil)
    #expect(total.unpricedCalls == 6)
    #expect(total.unpricedModels == [nil])
    #expect(total.errorRate == 4.0 / 63.0)

    let byModel = try store.usage(by: .model, prices: Self.geminiOnly)
    #expect(byModel.groups.map(\.key) == ["gemini-2.5-flash", nil])
    let gemini = byModel.groups[0].figures
    #expect(gemini.llmCalls == 34)
    #expect(gemini.tokens.inputTokens == 3512 && gemini.tokens.outputTokens == 1390)
    // (3512 × 0.30 + 1390 × 2.50) / 1,000,000 = (1053.6 + 3475) / 1e6.
    #expect(gemini.cost == Decimal(string: "0.0045286"))
    #expect(gemini.toolCalls == 0 && gemini.traces == 17)
    let none = byModel.groups[1].figures
    #expect(none.llmCalls == 6 && none.tokens.inputTokens == 400 && none.tokens.outputTokens == 120)
    #expect(none.cost == nil && none.unpricedCalls == 6)
    // Sorted latencies 800, 1100, 1200, 1500, 1900, 2000: ranks 3, 6, 6.
    #expect(none.latency == LatencyPercentiles(p50: 1200, p95: 2000, p99: 2000))

    // No price table at all: tokens still counted, no cost anywhere.
    let unpriced = try store.usage(by: .model)
    #expect(unpriced.groups.allSatisfy { $0.figures.cost == nil })
    #expect(unpriced.total.tokens.inputTokens == 3912)

    let byTool = try store.usage(by: .tool).groups
    #expect(byTool.count == 17)
    #expect(byTool.last?.key == nil)  // sample 15's tool span names no tool
    let web = try #require(byTool.first { $0.key == "web_search" }).figures
    #expect(web.toolCalls == 3 && web.llmCalls == 0 && web.traces == 2)
    #expect(web.toolLatency == LatencyPercentiles(p50: 1200, p95: 1400, p99: 1400))
    #expect(web.latency == nil)
    let booking = try #require(byTool.first { $0.key == "book_flight" }).figures
    #expect(booking.toolCalls == 2 && booking.toolErrors == 1 && booking.errorRate == 0.5)
    let ceo = try #require(byTool.first { $0.key == "get_ceo" }).figures
    #expect(ceo.toolLatency == LatencyPercentiles(p50: 1095, p95: 1095, p99: 1095))

    let byEpisode = try store.usage(by: .episode).groups
    #expect(byEpisode.count == 17)
    let shared = try #require(byEpisode.first { $0.key == "ep-c3d4e5f6" }).figures
    #expect(shared.traces == 2 && shared.llmCalls == 3 && shared.toolCalls == 2 && shared.errors == 2)
    #expect(shared.tokens.inputTokens == 246 && shared.tokens.outputTokens == 86)
    #expect(shared.latency == LatencyPercentiles(p50: 1100, p95: 1800, p99: 1800))
    #expect(shared.toolLatency == LatencyPercentiles(p50: 30, p95: 350, p99: 350))

    let byDay = try store.usage(by: .day).groups
    #expect(
      byDay.map(\.key) == [
        "2025-11-20", "2025-11-21", "2025-11-22", "2025-11-23", "2025-11-24", "2025-11-25", "2025-11-26",
        "2025-11-27", "2025-11-28", "2025-12-01",
      ])
    let day = byDay[1].figures
    #expect(day.llmCalls == 7 && day.tokens.inputTokens == 659 && day.tokens.outputTokens == 256)
    #expect(day.toolCalls == 5 && day.errors == 1 && day.traces == 3)
    #expect(day.latency == LatencyPercentiles(p50: 1100, p95: 1400, p99: 1400))

    // TraceBrain samples name no agent: one group, the nil key, holding every step.
    let byAgent = try store.usage(by: .agent).groups
    #expect(byAgent.map(\.key) == [nil])
    #expect(byAgent.first?.figures.llmCalls == 40 && byAgent.first?.figures.toolCalls == 23)

    // The list filters apply: one episode of two traces.
    let filtered = try store.usage(TraceFilter(episodeID: "ep-b2c3d4e5"), prices: Self.geminiOnly).total
    #expect(filtered.traces == 2 && filtered.llmCalls == 4 && filtered.toolCalls == 3)
    #expect(filtered.tokens.inputTokens == 363 && filtered.tokens.outputTokens == 132)
    // (363 × 0.30 + 132 × 2.50) / 1e6 = (108.9 + 330) / 1e6.
    #expect(filtered.cost == Decimal(string: "0.0004389"))
    let empty = try store.usage(TraceFilter(episodeID: "no-such-episode")).total
    #expect(empty.traces == 0 && empty.llmCalls == 0 && empty.cost == 0 && empty.latency == nil)
  }

  @Test func nearestRankPercentiles() {
    let ten = (1...10).map(Double.init)
    // ranks ⌈0.5·10⌉ = 5, ⌈0.95·10⌉ = 10, ⌈0.99·10⌉ = 10.
    #expect(LatencyPercentiles(ten) == LatencyPercentiles(p50: 5, p95: 10, p99: 10))
    let hundred = (1...100).map(Double.init).shuffled()
    #expect(LatencyPercentiles(hundred) == LatencyPercentiles(p50: 50, p95: 95, p99: 99))
    #expect(LatencyPercentiles([7]) == LatencyPercentiles(p50: 7, p95: 7, p99: 7))
    // n = 101: ranks 51, 96, 100.
    let hundredOne = (1...101).map(Double.init)
    #expect(LatencyPercentiles(hundredOne) == LatencyPercentiles(p50: 51, p95: 96, p99: 100))
    #expect(LatencyPercentiles([]) == nil)
    #expect(LatencyPercentiles.nearestRank(1, ofSorted: [3, 4]) == 3)
    #expect(LatencyPercentiles.nearestRank(100, ofSorted: [3, 4]) == 4)
  }

  @Test func priceTableLookupAndCost() throws {
    let table = try PriceTable(
      json: Array(
        #"{"currency": "USD", "as_of": "2026-12-01", "models": {"gpt-4o-mini": {"input": 0.15, "output": 0.60, "cached": 0.075}, "m": {"input": 1, "output": 2}}}"#
          .utf8), origin: "test")
    #expect(table.asOf == "2026-12-01")
    #expect(table.price(for: "gpt-4o-mini-2024-07-18") == table.price(for: "gpt-4o-mini"))
    #expect(table.price(for: "gpt-4o-mini-2024-07") == nil)
    #expect(table.price(for: "gpt-4o") == nil)
    #expect(table.price(for: nil) == nil)
    let mini = try #require(table.price(for: "gpt-4o-mini"))
    // (532 − 256) × 0.15 + 256 × 0.075 + 85 × 0.60 = 41.4 + 19.2 + 51 = 111.6 per million.
    #expect(
      mini.cost(TokenUsage(inputTokens: 532, outputTokens: 85, cachedTokens: 256, reasoningTokens: 12))
        == Decimal(string: "0.0001116"))
    let noCached = try #require(table.price(for: "m"))
    #expect(noCached.cost(TokenUsage(inputTokens: 10, outputTokens: 5)) == Decimal(string: "0.00002"))
    // Cached tokens at an unknown cached price: no price, not a guess.
    #expect(noCached.cost(TokenUsage(inputTokens: 10, outputTokens: 5, cachedTokens: 1)) == nil)
  }

  @Test(arguments: [
    (#"[]"#, "top level"), (#"{"models": []}"#, "\"models\""), (#"{"currency": "EUR", "models": {}}"#, "USD"),
    (#"{"models": {"m": {"output": 1}}}"#, "needs \"input\""),
    (#"{"models": {"m": {"input": -1, "output": 1}}}"#, "at least 0"),
    (#"{"models": {"m": {"input": "1", "output": 1}}}"#, "must be a number"),
    (#"{"models": {"m": 3}}"#, "must be an object"),
    (#"{"models": "#, "JSON"),
  ])
  func badPriceTablesAreRefused(_ text: String, _ says: String) {
    #expect {
      _ = try PriceTable(json: Array(text.utf8), origin: "bad.json")
    } throws: { error in
      guard let error = error as? TraceKVError else { return false }
      return error.kind == .invalidInput && (error.message.contains(says) || says == "JSON")
    }
  }

  @Test func builtInTableIsDatedAndSourced() throws {
    let table = try PriceTable.builtIn()
    #expect(table.origin == "built-in")
    #expect(table.asOf != nil)
    #expect(!table.models.isEmpty)
    for (model, price) in table.models {
      #expect(price.source?.isEmpty == false, "\(model) names no source")
      #expect(price.asOf != nil, "\(model) has no date")
    }
    // The built-in table resolves the captures' dated model id.
    #expect(table.price(for: "gpt-4o-mini-2024-07-18")?.input == Decimal(string: "0.15"))
  }

  /// The captures' stub returned, per call, 142/18/0/0, 176/26/128/0 and
  /// 214/41/128/12 input/output/cached/reasoning tokens (captures README):
  /// 532/85/256/12 in all. openai-v2 records only input and output tokens.
  /// pydantic-ai also puts run totals on its agent span, which must not count.
  @Test(arguments: OTLPCaptureTests.scenarios)
  func capturesHaveTheirKnownTokens(_ scenario: String) throws {
    let base = OTLPCaptureTests.folder.appendingPathComponent(scenario)
    let expected = try #require(
      try JSONParser.parse(Array(Data(contentsOf: base.appendingPathComponent("expected.json")))).objectValue)
    let temporary = try TemporaryStore()
    for sent in (expected["requests"]?.arrayValue ?? []).compactMap(\.stringValue) {
      let body = Array(try Data(contentsOf: base.appendingPathComponent(sent)))
      _ = try temporary.store.ingestOTLP(
        body, signal: sent.contains(".logs.") ? .logs : .traces, encoding: .protobuf, source: sent)
    }
    let report = try temporary.store.usage(by: .model, prices: try PriceTable.builtIn())
    let total = report.total
    #expect(total.llmCalls == 3)
    #expect(total.tokens.inputTokens == 532 && total.tokens.outputTokens == 85)
    let detailed = !scenario.hasPrefix("openai-v2")
    #expect(total.tokens.cachedTokens == (detailed ? 256 : 0))
    #expect(total.tokens.reasoningTokens == (detailed ? 12 : 0))
    // gpt-4o-mini at 0.15 / 0.60 / 0.075: 111.6 per million with cached tokens; without,
    // 532 × 0.15 + 85 × 0.60 = 130.8 per million.
    #expect(
      total.cost == Decimal(string: detailed ? "0.0001116" : "0.0001308"), "\(report.groups.map(\.key))")
    #expect(report.groups.count == 1)
    #expect(total.latency != nil)
  }

  @Test func agentGroupsOfAnAgentFramework() throws {
    let base = OTLPCaptureTests.folder.appendingPathComponent("pydantic-ai")
    let temporary = try TemporaryStore()
    let body = Array(try Data(contentsOf: base.appendingPathComponent("001.traces.pb")))
    _ = try temporary.store.ingestOTLP(body, signal: .traces, encoding: .protobuf, source: "001.traces.pb")
    let groups = try temporary.store.usage(by: .agent).groups
    #expect(groups.map(\.key) == ["weather_assistant"])
    #expect(groups.first?.figures.llmCalls == 3 && groups.first?.figures.toolCalls == 2)
    #expect(groups.first?.figures.tokens.inputTokens == 532)
  }
}

import ArgumentParser
import Foundation
import VectorIndex
@_spi(Benchmarks) import TraceKV

/// `tracekv-bench search`: per-query search latency on an existing store,
/// so a change to the query path can be timed without ingesting again.
struct SearchLatencyBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Search latency per mode on an existing store (queries drawn from its traces).")

  @Option(help: "The store to search (opened read-only).")
  var store: String

  @Option(help: "Queries per mode.")
  var searches = 300

  @Option(help: "Hits per query.")
  var limit = 10

  @Option(help: "Modes to time, comma-separated: lexical, vector, hybrid (default: every mode the store supports).")
  var modes: String?

  @Option(
    help: "Time these queries (a BEIR queries.jsonl, e.g. a prepared collection's), the first --searches of them, instead of queries drawn from the store's traces.")
  var queries: String?

  @Option(help: "Filter every query to traces rated at least this (as TraceBrain's search sends min_rating).")
  var minRating: Int?

  @OptionGroup var output: ReportOutput

  func run() throws {
    guard searches > 0, limit > 0 else { throw ValidationError("--searches and --limit must be at least 1") }
    guard FileManager.default.fileExists(atPath: store) else { throw ValidationError("no store at \(store)") }
    let opened = try TraceStore(path: store, options: .init(readOnly: true, create: false))
    let ids = try opened.traceIDs()
    let chosen = try modes.map { list in
      try list.split(separator: ",").map { name in
        guard let mode = SearchMode(rawValue: String(name)) else { throw ValidationError("unknown mode '\(name)'") }
        return mode
      }
    }
    let given = try queries.map { path in
      try BEIRCollection.queries(at: path).prefix(searches).map(\.text)
    }
    let (figures, count) = try SearchLatency.measure(
      opened, traceIDs: ids, searches: searches, limit: limit, modes: chosen, queries: given,
      filter: TraceFilter(minRating: minRating))
    let report = SearchLatencyReport(
      traces: ids.count, limit: limit, queries: queries, queryCount: count, minRating: minRating, search: figures,
      context: .current())
    report.print()
    try output.write(report)
  }
}

/// Times `TraceStore.search` one query at a time, per mode.
enum SearchLatency {
  /// p50 and p99 in milliseconds per mode: lexical, and vector and hybrid
  /// when the store embeds (or the `modes` given). Each query is one of
  /// `queries` when given, else drawn from a random trace's conversation
  /// (`DrawnQuery`); queries are embedded before the clock starts, and one
  /// untimed search per mode goes first: the store's first search loads its
  /// search state (the graph, the filter columns, 1.3 s for a million
  /// traces), a cost of opening the store rather than of a query.
  static func measure(
    _ store: TraceStore, traceIDs: [String], searches: Int, limit: Int, modes chosen: [SearchMode]? = nil,
    queries: [String]? = nil, filter: TraceFilter = TraceFilter()
  ) throws -> (figures: [String: Latency], queries: Int) {
    guard searches > 0, !traceIDs.isEmpty else { return ([:], 0) }
    let texts =
      try queries
      ?? DrawnQuery.draw(searches, from: traceIDs.count) { number in
        (try store.messages(traceID: traceIDs[number]) ?? []).map(\.content).joined(separator: " ")
      }
    guard !texts.isEmpty else { return ([:], 0) }
    let vectors = try texts.map { try store.embedQuery($0) }
    let supported: [SearchMode] = vectors[0] == nil ? [.lexical] : [.lexical, .vector, .hybrid]
    let modes = chosen ?? supported
    if let refused = modes.first(where: { !supported.contains($0) }) {
      throw ValidationError("this store has no vector index: \(refused.rawValue) search is not available")
    }
    var figures: [String: Latency] = [:]
    for mode in modes {
      var warmUp = SearchQuery(text: texts[0], mode: mode, filter: filter, limit: limit)
      warmUp.vector = vectors[0]
      _ = try store.search(warmUp)
      var latencies: [Double] = []
      var progress = ProgressLine("\(mode.rawValue) searches", total: texts.count)
      for (number, text) in texts.enumerated() {
        var query = SearchQuery(text: text, mode: mode, filter: filter, limit: limit)
        query.vector = vectors[number]
        let start = nowNanoseconds()
        _ = try store.search(query)
        latencies.append(Double(nowNanoseconds() - start) / 1e6)
        progress.update(number + 1)
      }
      progress.finish()
      figures[mode.rawValue] = Latency(milliseconds: latencies)
    }
    return (figures, texts.count)
  }
}

extension SearchLatencyReport {
  func print() {
    guard !search.isEmpty else { return }
    let source = queries.map { "from \($0)" } ?? "drawn from the traces"
    let counted = queryCount.map { "\($0) " } ?? ""
    let filtered = minRating.map { ", rated ≥ \($0)" } ?? ""
    Swift.print(
      "search (limit \(limit)\(filtered), excluding the query embedding) over \(traces) traces, \(counted)queries \(source):")
    Swift.print(Self.table(search).text)
  }
}

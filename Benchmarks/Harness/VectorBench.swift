import ArgumentParser
import Foundation
import VectorIndex
@_spi(Benchmarks) import TraceKV

/// `tracekv-bench ann`: builds an HNSWIndex over a base file, then sweeps ef
/// and reports recall@k, queries/s (one query at a time), p50/p99 latency,
/// build time, memory and the time to reopen the index from its records.
struct ANNBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ann", abstract: "HNSW recall@k and queries/s over .fbin/.ibin files (big-ann-benchmarks format).")

  @Option(help: "Base vectors (.fbin or .npy).") var base: String
  @Option(help: "Query vectors (.fbin or .npy).") var queries: String
  @Option(help: "Exact neighbour ids (.ibin), as written by `prepare`.") var truth: String?
  @Option(help: "innerProduct, cosine or l2.") var metric = "innerProduct"
  @Option(help: "Links per node (layer 0 keeps 2·M).") var m = 16
  @Option(help: "Beam width while building.") var efConstruction = 200
  @Option(help: "Comma-separated beam widths to sweep.") var ef = "10,20,40,80,120,200,400"
  @Option(help: "Neighbours per query.") var k = 10
  @Option(help: "Search threads (the build is single-threaded).") var threads = 1
  @Option(help: "Comma-separated fractions of the base allowed by a random filter (e.g. 0.01); exact filtered truth is computed.")
  var filterSelectivity: String?
  @Option(help: "Use only the first N base vectors (truth is recomputed exactly).") var limitBase: Int?
  @Option(help: "Use only the first N queries.") var limitQueries: Int?
  @Option(help: "Seed of the level generator and the filter.") var seed: UInt64 = 42
  @OptionGroup var output: ReportOutput
  @Option(help: "Also persist the graph in a TraceKV store at this path and time opening it + a first query.")
  var store: String?

  func run() throws {
    guard let metric = VectorMetric(rawValue: self.metric) else { throw ValidationError("unknown metric \(self.metric)") }
    let efs = ef.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !efs.isEmpty else { throw ValidationError("--ef needs at least one number") }
    let selectivities = filterSelectivity?.split(separator: ",").compactMap { Double($0) } ?? []

    let baseVectors = try readVectors(base, limit: limitBase)
    let queryVectors = try readVectors(queries, limit: limitQueries)
    guard baseVectors.columns == queryVectors.columns else { throw ValidationError("base and queries differ in dimension") }
    log("base \(baseVectors.rows) × \(baseVectors.columns), queries \(queryVectors.rows), metric \(metric)")

    // Build.
    let rssBefore = residentBytes()
    var index = try HNSWIndex(dimension: baseVectors.columns, metric: metric, m: m, efConstruction: efConstruction, seed: seed)
    index.reserveCapacity(baseVectors.rows)
    var progress = ProgressLine("build", total: baseVectors.rows)
    let buildStart = nowNanoseconds()
    let buildCPUStart = cpuSeconds()
    for row in 0..<baseVectors.rows {
      try index.insert(Array(baseVectors.row(row)), label: UInt32(row))
      progress.update(row + 1)
    }
    let buildSeconds = secondsSince(buildStart)
    let buildCPUSeconds = cpuSeconds() - buildCPUStart
    progress.finish()
    let memoryBytes = residentBytes() - rssBefore
    log("built in \(fixed(buildSeconds, 1)) s (CPU \(fixed(buildCPUSeconds, 1)) s); resident +\(memoryBytes / 1_000_000) MB, index arrays \(index.memoryBytes / 1_000_000) MB")

    let (openSeconds, openCPUSeconds) = try measureReopen(index, query: Array(queryVectors.row(0)))
    log("reopen from records + first query: \(fixed(openSeconds * 1000, 1)) ms (CPU \(fixed(openCPUSeconds * 1000, 1)) ms)")

    var storeOpenSeconds: Double?
    if let store {
      storeOpenSeconds = try measureStoreOpen(index, path: store, query: Array(queryVectors.row(0)))
      log("persisted store at \(store): open + load + first query \(fixed(storeOpenSeconds! * 1000, 1)) ms")
    }

    var points: [CurvePoint]
    var filtered: [ANNReport.FilteredSweep]?
    if selectivities.isEmpty {
      let truthIds = try groundTruth(baseVectors, queryVectors, metric, allowed: nil)
      points = try sweep(index, queryVectors, truthIds, efs: efs, allowed: nil)
      print(ANNReport.table(points, title: "unfiltered", k: k).text)
    } else {
      var sweeps: [ANNReport.FilteredSweep] = []
      for selectivity in selectivities {
        var generator = SplitMix64(seed: seed ^ UInt64(selectivity * 1e9))
        let allowedCount = max(1, Int((selectivity * Double(baseVectors.rows)).rounded()))
        let allowed = LabelSet((0..<UInt32(baseVectors.rows)).shuffled(using: &generator).prefix(allowedCount))
        let truthIds = try groundTruth(baseVectors, queryVectors, metric, allowed: allowed)
        let sweep = try sweep(index, queryVectors, truthIds, efs: efs, allowed: allowed)
        print(ANNReport.table(sweep, title: "filter selectivity \(selectivity) (\(allowedCount) allowed)", k: k).text)
        sweeps.append(.init(selectivity: selectivity, allowed: allowedCount, points: sweep))
      }
      points = sweeps[0].points
      filtered = sweeps
    }
    let report = ANNReport(
      buildSeconds: buildSeconds, buildCPUSeconds: buildCPUSeconds, memoryBytes: memoryBytes, indexBytes: index.memoryBytes,
      openSeconds: openSeconds, openCPUSeconds: openCPUSeconds, storeOpenFirstQueryMilliseconds: storeOpenSeconds.map { $0 * 1000 },
      dataset: .init(base: base, queries: queries, n: baseVectors.rows, d: baseVectors.columns, queryCount: queryVectors.rows),
      parameters: .init(m: m, efConstruction: efConstruction, k: k, metric: metric.rawValue, threads: threads),
      points: points, filtered: filtered, context: .current())
    print("build \(fixed(buildSeconds, 1)) s (CPU \(fixed(buildCPUSeconds, 1)) s), memory +\(memoryBytes / 1_000_000) MB (index arrays \(index.memoryBytes / 1_000_000) MB), reopen \(fixed(openSeconds * 1000, 1)) ms (CPU \(fixed(openCPUSeconds * 1000, 1)) ms)")
    try output.write(report)
  }

  /// The truth file when it applies to this base; exact search otherwise
  /// (a limited base or a filter).
  private func groundTruth(
    _ base: Matrix<Float>, _ queries: Matrix<Float>, _ metric: VectorMetric, allowed: LabelSet?
  ) throws -> Matrix<Int32> {
    if let truth, limitBase == nil, allowed == nil {
      let ids = try BinFile.readInts(truth, limit: limitQueries)
      guard ids.rows >= queries.rows, ids.columns >= k else { throw ValidationError("truth file too small for k \(k)") }
      return ids
    }
    return try exactNeighbours(base: base, queries: queries, metric: metric, k: k, allowed: allowed, label: "exact truth")
  }

  /// One row per ef: recall@k, queries/s, p50/p99 latency in µs.
  private func sweep(
    _ index: HNSWIndex, _ queries: Matrix<Float>, _ truth: Matrix<Int32>, efs: [Int], allowed: LabelSet?
  ) throws -> [CurvePoint] {
    let queryRows = (0..<queries.rows).map { Array(queries.row($0)) }
    let k = self.k
    @Sendable func search(_ query: [Float], _ ef: Int) throws -> [SearchResult] {
      if let allowed { return try index.search(query, k: k, ef: ef, allowing: allowed) }
      return try index.search(query, k: k, ef: ef)
    }
    for query in queryRows.prefix(200) { _ = try search(query, efs[0]) }  // warm caches and scratch
    var points: [CurvePoint] = []
    for ef in efs {
      var latencies = [Double](repeating: 0, count: queryRows.count)
      var found = [[SearchResult]](repeating: [], count: queryRows.count)
      let start = nowNanoseconds()
      let cpuStart = cpuSeconds()
      if threads <= 1 {
        for (position, query) in queryRows.enumerated() {
          let queryStart = nowNanoseconds()
          found[position] = try search(query, ef)
          latencies[position] = Double(nowNanoseconds() - queryStart) / 1000
        }
      } else {
        let lanes = threads
        let box = ResultsBox(count: queryRows.count)
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
          for position in stride(from: lane, to: queryRows.count, by: lanes) {
            let queryStart = nowNanoseconds()
            let hits = (try? search(queryRows[position], ef)) ?? []
            box.set(position, hits, Double(nowNanoseconds() - queryStart) / 1000)
          }
        }
        (found, latencies) = (box.found, box.latencies)
      }
      let seconds = secondsSince(start)
      let cpu = cpuSeconds() - cpuStart
      var hitsTotal = 0
      for position in 0..<queryRows.count {
        let expected = Set(truth.row(position).prefix(k).filter { $0 >= 0 })
        hitsTotal += found[position].filter { expected.contains(Int32($0.label)) }.count
        if expected.count < k { hitsTotal += k - expected.count }  // fewer than k allowed: all found count as full
      }
      let recall = Double(hitsTotal) / Double(k * queryRows.count)
      points.append(
        CurvePoint(
          ef: ef, recall: recall, qps: Double(queryRows.count) / seconds, p50: percentile(latencies, 50),
          p99: percentile(latencies, 99), cpuQPS: Double(queryRows.count) / cpu))
    }
    return points
  }

  /// Encodes every record as a store would hold it, then times the
  /// one-pass restore plus a first query (the "open" a store pays, minus
  /// reading the bytes from LMDB).
  private func measureReopen(_ index: HNSWIndex, query: [Float]) throws -> (wall: Double, cpu: Double) {
    let dump = index.allRecords()
    let header = dump.header.encoded()
    let nodes = dump.nodes.map { ($0.slot, $0.encoded()) }
    let blocks = dump.vectorBlocks.map { ($0.block, $0.encoded()) }
    let lists = dump.linkLists.map { ($0.slot, $0.level, $0.encoded()) }
    let start = nowNanoseconds()
    let cpuStart = cpuSeconds()
    var loader = try HNSWIndex.Loader(header: HNSWHeader(decoding: header))
    for (slot, bytes) in nodes { try loader.addNode(slot: slot, bytes: bytes) }
    for (block, bytes) in blocks { try loader.addVectorBlock(block, bytes: bytes) }
    for (slot, level, bytes) in lists { try loader.addLinkList(slot: slot, level: level, bytes: bytes) }
    let reopened = try loader.finish()
    let first = try reopened.search(query, k: k, ef: 64)
    let seconds = secondsSince(start)
    let cpu = cpuSeconds() - cpuStart
    guard first == (try index.search(query, k: k, ef: 64)) else { throw ValidationError("reopened index answers differently") }
    return (seconds, cpu)
  }

  /// Writes the graph into a new TraceKV store, closes it, then times what a
  /// process pays to open the file, load the graph through LMDB and answer.
  private func measureStoreOpen(_ index: HNSWIndex, path: String, query: [Float]) throws -> Double {
    for suffix in ["", "-lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    do {
      let writer = try TraceStore(path: path, options: .init(embedder: .none))
      try writer.replaceVectorIndex(with: index)
    }
    let start = nowNanoseconds()
    let reader = try TraceStore(path: path)
    let first = try reader.firstVectorQuery(query, k: k)
    let seconds = secondsSince(start)
    guard first == (try index.search(query, k: k, ef: 64)).map(\.label) else {
      throw ValidationError("the store's graph answers differently")
    }
    return seconds
  }

  private func log(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }
}

/// Collects per-query results from concurrent search lanes.
private final class ResultsBox: @unchecked Sendable {
  // @unchecked: each lane writes disjoint positions under `lock`.
  private let lock = NSLock()
  var found: [[SearchResult]]
  var latencies: [Double]

  init(count: Int) {
    found = Array(repeating: [], count: count)
    latencies = Array(repeating: 0, count: count)
  }

  func set(_ position: Int, _ hits: [SearchResult], _ latency: Double) {
    lock.lock()
    found[position] = hits
    latencies[position] = latency
    lock.unlock()
  }
}


/// Resident set size of this process, from /proc/self/statm.
func residentBytes() -> Int {
  guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
  let fields = statm.split(separator: " ")
  guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
  return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

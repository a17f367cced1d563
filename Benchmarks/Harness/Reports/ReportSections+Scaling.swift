import Foundation

extension ReportSections {
  /// The scaling tables, a log-log growth chart relative to the smallest run,
  /// and extrapolations to 10 M from the two largest runs.
  static func scaling(_ report: ScalingReport, miniLMRate: (rate: Double, batch: Int)?, charts: inout ChartWriter) -> String {
    var text = "### Scaling\n\n"
    var series: [SVGSeries] = []
    var smallest = Double.infinity
    var largest = 0.0
    var extrapolations: [String] = []

    func growth(_ name: String, _ points: [(n: Int, value: Double?)]) {
      let points = positive(points)
      guard let first = points.first, points.count > 1 else { return }
      smallest = min(smallest, first.0)
      largest = max(largest, points.last!.0)
      series.append(SVGSeries(name: name, points: points.map { ($0.0, $0.1 / first.1) }))
    }

    if let vector = report.vector, !vector.rows.isEmpty {
      let rows = vector.rows
      text += "Vectors (`tracekv-bench ann`, \(vector.dataset), ef \(count(vector.ef)), \(count(vector.queries)) queries):\n\n"
      text += vector.table.markdown
      growth("vector build time", rows.map { ($0.n, $0.buildSeconds) })
      growth("vector index bytes", rows.map { ($0.n, Double($0.indexBytes)) })
      growth("vector time per query", rows.map { ($0.n, $0.qps.map { 1 / $0 }) })
      if case let (build, slope)? = extrapolate(rows.map { ($0.n, $0.buildSeconds) }) {
        extrapolations.append("an HNSW build of 10 M vectors ≈ \(fixed(build / 3600, 1)) h on one core (n^\(fixed(slope)))")
      }
      if case let (bytes, _)? = extrapolate(rows.map { ($0.n, Double($0.indexBytes)) }) {
        extrapolations.append("its arrays ≈ \(fixed(bytes / 1e9, 1)) GB held in memory by every process that opens the store")
      }
      text += "\n"
    }
    if let hybrid = report.hybrid, !hybrid.rows.isEmpty {
      let rows = hybrid.rows
      let hashing = hybrid.embedder == "hashing"
      text += "Traces (`tracekv-bench retrieval --mode hybrid`: \(hybrid.dataset) documents stored as traces, "
        + "embedder \(hybrid.embedder); build = ingest with both indexes in the same transactions):\n\n"
      if hashing {
        text += "The hashing embedder stands in for MiniLM here: these rows measure the store and its indexes (build "
          + "time, memory, queries/s, bytes), not the model. MiniLM's per-text cost is the embedding benchmark's "
          + "(above); a MiniLM store adds it to every trace ingested and to every query.\n\n"
      }
      text += hybrid.table.markdown
      growth("trace store build time", rows.map { ($0.n, $0.buildSeconds) })
      growth("trace store bytes", rows.map { ($0.n, Double($0.storeBytes)) })
      growth("hybrid p50 latency", rows.map { ($0.n, $0.mode.p50) })
      growth("peak RSS (hybrid)", rows.map { ($0.n, Double($0.peakRSSBytes)) })
      if case let (bytes, _)? = extrapolate(rows.map { ($0.n, Double($0.storeBytes)) }) {
        extrapolations.append("a store of 10 M such traces ≈ \(fixed(bytes / 1e9, 1)) GB on disk")
      }
      if case let (build, _)? = extrapolate(rows.map { ($0.n, $0.buildSeconds) }) {
        var ingest = "ingesting them ≈ \(fixed(build / 3600, 1)) h with one writer"
        if hashing {
          ingest +=
            miniLMRate.map {
              " (hashing embedder), plus ≈ \(fixed(1e7 / $0.rate / 3600, 0)) h of MiniLM embedding at the measured "
                + "\(fixed($0.rate, 1)) texts/s (batch \($0.batch)) for a MiniLM store"
            } ?? " (hashing embedder; a MiniLM store adds the model's per-text cost)"
        }
        extrapolations.append(ingest)
      }
      if case let (p50, slope)? = extrapolate(rows.map { ($0.n, $0.mode.p50) }) {
        extrapolations.append("a hybrid query ≈ \(fixed(p50, 2)) ms p50 (n^\(fixed(slope)))")
      }
      text += "\n"
    }
    if smallest.isFinite, largest > smallest {
      let file = charts.add(
        "scaling.svg",
        growthChart(
          "Growth with size, relative to the smallest run (log-log)", sizes: "vectors / traces", of: "run",
          series, from: smallest, to: largest))
      text += "![growth of build time, bytes and latency with size]({{IMG}}\(file))\n\n"
    }
    if !extrapolations.isEmpty {
      text += "Extrapolated from the two largest runs along their measured log-log slope (a rough guide, not a "
        + "measurement): " + extrapolations.joined(separator: "; ") + ".\n"
    }
    return text
  }

  /// A log-log chart of `series` (each relative to its smallest size) with a
  /// dashed line for linear growth from `smallest` to `largest`.
  static func growthChart(
    _ title: String, sizes: String, of unit: String, _ series: [SVGSeries], from smallest: Double, to largest: Double
  ) -> String {
    let linear = SVGSeries(name: "∝ n (linear)", points: [(smallest, 1), (largest, largest / smallest)], isReference: true)
    return SVGLineChart(
      title: title, x: SVGAxis(label: "\(sizes) (log scale)", logarithmic: true),
      y: SVGAxis(label: "× the smallest \(unit) (log scale)", logarithmic: true), series: series + [linear]
    ).render()
  }

  /// The points with a positive value, by size.
  private static func positive(_ points: [(n: Int, value: Double?)]) -> [(Double, Double)] {
    points.compactMap { point in point.value.flatMap { $0 > 0 ? (Double(point.n), $0) : nil } }.sorted { $0.0 < $1.0 }
  }

  /// value × (10M / n)^slope, the slope from the two largest sizes.
  static func extrapolate(_ points: [(n: Int, value: Double?)]) -> (value: Double, slope: Double)? {
    let points = positive(points)
    guard points.count >= 2 else { return nil }
    let (a, b) = (points[points.count - 2], points[points.count - 1])
    let slope = log(b.1 / a.1) / log(b.0 / a.0)
    return (b.1 * pow(1e7 / b.0, slope), slope)
  }
}

extension ReportSections {
  /// The `live` reports of several store sizes side by side, and how their
  /// costs grow with the store: a log-log chart relative to the smallest,
  /// with a line for linear growth. Nil for fewer than two sizes.
  static func liveScaling(_ stores: [LiveReport.Store], charts: inout ChartWriter) -> String? {
    let stores = Dictionary(stores.map { ($0.traces, $0) }, uniquingKeysWith: { _, later in later }).values
      .sorted { $0.traces < $1.traces }
    guard stores.count > 1, let first = stores.first, let last = stores.last else { return nil }
    var text = "### Live use at every size\n\n"
    text += "`tracekv-bench live --traces N` (the TraceBrain samples replicated under fresh ids, hashing vectors), "
      + "one report per size:\n\n"
    text += markdownTable(
      [
        "traces", "write p50 / p99 ms", "CPU per write ms", "catch-up search p50 / p99 ms", "warm search p50 ms",
        "open + first search ms", "reader RssAnon MB", "on disk MB",
      ],
      stores.map { store in
        [
          count(store.traces), "\(fixed(store.traceWrite.p50, 2)) / \(fixed(store.traceWrite.p99, 2))",
          fixed(store.traceWriteCPUMilliseconds, 2),
          "\(fixed(store.catchUpSearch.p50, 2)) / \(fixed(store.catchUpSearch.p99, 2))", fixed(store.warmSearch.p50, 3),
          fixed(store.openFirstSearchMilliseconds, 0), megabytes(Double(store.readerAnonKB) * 1024),
          megabytes(Double(store.bytesOnDisk)),
        ]
      })
    func growth(_ name: String, _ value: (LiveReport.Store) -> Double) -> SVGSeries? {
      guard value(first) > 0 else { return nil }
      return SVGSeries(name: name, points: stores.map { (Double($0.traces), value($0) / value(first)) })
    }
    let series = [
      growth("write p50") { $0.traceWrite.p50 }, growth("catch-up search p50") { $0.catchUpSearch.p50 },
      growth("open + first search") { $0.openFirstSearchMilliseconds },
      growth("reader RssAnon") { Double($0.readerAnonKB) }, growth("bytes on disk") { Double($0.bytesOnDisk) },
    ].compactMap { $0 }
    let file = charts.add(
      "live-scaling.svg",
      growthChart(
        "Live use: growth with the store, relative to the smallest (log-log)", sizes: "traces", of: "store", series,
        from: Double(first.traces), to: Double(last.traces)))
    text += "\n![growth of write, catch-up, open, memory and bytes with the store]({{IMG}}\(file))\n"
    return text
  }
}

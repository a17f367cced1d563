import Foundation

/// Self-contained SVG charts for `tracekv-bench report`: line charts on
/// linear or logarithmic axes and grouped bar charts. No dependency, no
/// script, no external font: the files render the same in a browser, on
/// GitHub and in `rsvg-convert`.

/// One axis of a line chart.
struct SVGAxis {
  var label: String
  var logarithmic = false
  /// Fixed bounds; the data's (rounded outwards to ticks) when nil.
  var bounds: ClosedRange<Double>? = nil
}

/// One line of a line chart.
struct SVGSeries {
  var name: String
  var points: [(x: Double, y: Double)]
  /// A small label beside each point (e.g. the ef that produced it).
  var pointLabels: [String]? = nil
  /// Dashed and without markers: a reference line, not a measurement.
  var isReference = false
}

/// A line chart: one polyline with markers per series, a legend on the right.
struct SVGLineChart {
  var title: String
  var x: SVGAxis
  var y: SVGAxis
  var series: [SVGSeries]
  var width = 760.0
  var height = 440.0

  func render() -> String {
    var canvas = SVGCanvas(width: width, height: height, title: title)
    let plot = canvas.plotArea(legendEntries: series.map(\.name))
    let usable = series.map { line in line.points.filter { isDrawable($0.x, on: x) && isDrawable($0.y, on: y) } }
    let xScale = SVGScale(axis: x, values: usable.flatMap { $0.map(\.x) }, from: plot.minX, to: plot.maxX)
    let yScale = SVGScale(axis: y, values: usable.flatMap { $0.map(\.y) }, from: plot.maxY, to: plot.minY)
    canvas.drawAxes(plot: plot, x: xScale, y: yScale, xLabel: x.label, yLabel: y.label)

    canvas.body += "<g clip-path=\"url(#plot)\">\n"
    for (number, line) in series.enumerated() {
      let color = line.isReference ? SVGCanvas.referenceColor : SVGCanvas.color(number)
      let points = usable[number].sorted { $0.x < $1.x }.map { (xScale.position($0.x), yScale.position($0.y)) }
      guard !points.isEmpty else { continue }
      let path = points.map { "\(svgNumber($0.0)),\(svgNumber($0.1))" }.joined(separator: " ")
      let dash = line.isReference ? " stroke-dasharray=\"6 4\"" : ""
      canvas.body +=
        "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(number == 0 ? 2.5 : 1.8)\"\(dash)/>\n"
      guard !line.isReference else { continue }
      for point in points {
        canvas.body +=
          "<circle cx=\"\(svgNumber(point.0))\" cy=\"\(svgNumber(point.1))\" r=\"3\" fill=\"\(color)\"/>\n"
      }
      if let labels = line.pointLabels {
        let labelled = zip(line.points, labels).filter { isDrawable($0.0.x, on: x) && isDrawable($0.0.y, on: y) }
        for (point, label) in labelled {
          canvas.body += SVGCanvas.text(
            label, x: xScale.position(point.x) + 4, y: yScale.position(point.y) - 5, size: 9, color: color)
        }
      }
    }
    canvas.body += "</g>\n"
    canvas.drawLegend(
      series.enumerated().map {
        ($0.element.name, $0.element.isReference ? SVGCanvas.referenceColor : SVGCanvas.color($0.offset), $0.element.isReference)
      },
      plot: plot)
    return canvas.finish()
  }

  private func isDrawable(_ value: Double, on axis: SVGAxis) -> Bool {
    value.isFinite && (!axis.logarithmic || value > 0)
  }
}

/// Grouped bars: one group per category, one bar per series in each group.
struct SVGBarChart {
  var title: String
  var categories: [String]
  /// A value per category (nil: no bar) for each series.
  var series: [(name: String, values: [Double?])]
  var yLabel: String
  var yBounds: ClosedRange<Double>? = nil
  var width = 760.0
  var height = 400.0

  func render() -> String {
    var canvas = SVGCanvas(width: width, height: height, title: title)
    let plot = canvas.plotArea(legendEntries: series.map(\.name))
    let values = series.flatMap { $0.values.compactMap { $0 } }.filter(\.isFinite)
    let yScale = SVGScale(
      axis: SVGAxis(label: yLabel, bounds: yBounds), values: values + [0, (values.max() ?? 1) * 1.12], from: plot.maxY,
      to: plot.minY)
    canvas.drawAxes(plot: plot, x: nil, y: yScale, xLabel: "", yLabel: yLabel)

    let groupWidth = plot.width / Double(max(categories.count, 1))
    let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
    for (column, category) in categories.enumerated() {
      let left = plot.minX + Double(column) * groupWidth + groupWidth * 0.1
      canvas.body += SVGCanvas.text(category, x: left + groupWidth * 0.4, y: plot.maxY + 18, anchor: "middle")
      for (number, line) in series.enumerated() {
        guard column < line.values.count, let value = line.values[column], value.isFinite else { continue }
        let top = yScale.position(value)
        let x = left + Double(number) * barWidth
        canvas.body +=
          "<rect x=\"\(svgNumber(x + 1))\" y=\"\(svgNumber(top))\" width=\"\(svgNumber(max(barWidth - 2, 1)))\" "
          + "height=\"\(svgNumber(max(plot.maxY - top, 0)))\" fill=\"\(SVGCanvas.color(number))\"/>\n"
        canvas.body += SVGCanvas.text(
          String(format: "%.3f", value), x: x + barWidth / 2, y: top - 4, size: 10, anchor: "middle")
      }
    }
    canvas.drawLegend(series.enumerated().map { ($0.element.name, SVGCanvas.color($0.offset), false) }, plot: plot)
    return canvas.finish()
  }
}

/// Maps data values to pixels along one axis, with its ticks.
struct SVGScale {
  let logarithmic: Bool
  let lower: Double
  let upper: Double
  let ticks: [Double]
  private let from: Double
  private let to: Double

  init(axis: SVGAxis, values: [Double], from: Double, to: Double) {
    logarithmic = axis.logarithmic
    self.from = from
    self.to = to
    let finite = values.filter { $0.isFinite && (!axis.logarithmic || $0 > 0) }
    var low = axis.bounds?.lowerBound ?? finite.min() ?? (axis.logarithmic ? 1 : 0)
    var high = axis.bounds?.upperBound ?? finite.max() ?? (axis.logarithmic ? 10 : 1)
    if high <= low { (low, high) = axis.logarithmic ? (low / 2, low * 2) : (low - 0.5, high + 0.5) }
    if axis.logarithmic {
      // Widen to the neighbouring 1-2-5 values so every point sits inside.
      if axis.bounds == nil {
        low = SVGScale.niceLogBelow(low)
        high = SVGScale.niceLogAbove(high)
      }
      ticks = SVGScale.logTicks(low, high)
    } else {
      let step = SVGScale.niceStep((high - low) / 6)
      if axis.bounds == nil {
        low = (low / step).rounded(.down) * step
        high = (high / step).rounded(.up) * step
      }
      ticks = stride(from: low, through: high + step / 1000, by: step).map { ($0 / step).rounded() * step }
    }
    lower = low
    upper = high
  }

  /// The pixel position of `value`.
  func position(_ value: Double) -> Double {
    let fraction =
      logarithmic ? (log10(value) - log10(lower)) / (log10(upper) - log10(lower)) : (value - lower) / (upper - lower)
    return from + (to - from) * fraction
  }

  /// The ticks inside the axis's bounds.
  var visibleTicks: [Double] { ticks.filter { $0 >= lower * (1 - 1e-9) && $0 <= upper * (1 + 1e-9) } }

  /// 1, 2 or 5 times a power of ten, near `rough`.
  static func niceStep(_ rough: Double) -> Double {
    guard rough > 0, rough.isFinite else { return 1 }
    let power = pow(10, (log10(rough)).rounded(.down))
    let fraction = rough / power
    return (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * power
  }

  /// Powers of ten over the range; with 2× and 5× steps when it spans fewer than 2.5 decades.
  static func logTicks(_ low: Double, _ high: Double) -> [Double] {
    let first = Int(log10(low).rounded(.down))
    let last = Int(log10(high).rounded(.up))
    let multiples: [Double] = log10(high / low) < 2.5 ? [1, 2, 5] : [1]
    var ticks: [Double] = []
    for exponent in first...last {
      for multiple in multiples { ticks.append(multiple * pow(10, Double(exponent))) }
    }
    return ticks
  }

  static func niceLogBelow(_ value: Double) -> Double {
    let power = pow(10, log10(value).rounded(.down))
    return [5, 2, 1].map { $0 * power }.first { $0 <= value * (1 + 1e-9) } ?? power
  }

  static func niceLogAbove(_ value: Double) -> Double {
    let power = pow(10, log10(value).rounded(.down))
    return [1, 2, 5, 10].map { $0 * power }.first { $0 >= value * (1 - 1e-9) } ?? 10 * power
  }
}

/// The frame every chart shares: background, title, axes, grid, legend.
struct SVGCanvas {
  let width: Double
  let height: Double
  let title: String
  var body = ""

  /// A palette that stays distinguishable in print and for the common colour-vision deficiencies.
  static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
  static func color(_ number: Int) -> String { palette[number % palette.count] }
  static let referenceColor = "#777777"

  struct Area {
    var minX: Double
    var minY: Double
    var maxX: Double
    var maxY: Double
    var width: Double { maxX - minX }
    var height: Double { maxY - minY }
  }

  /// The plotting rectangle, leaving room for the legend's longest entry.
  func plotArea(legendEntries: [String]) -> Area {
    let legendWidth = min(Double(legendEntries.map(\.count).max() ?? 0) * 6.6 + 34, width * 0.4)
    return Area(minX: 72, minY: 40, maxX: width - legendWidth - 16, maxY: height - 52)
  }

  mutating func drawAxes(plot: Area, x: SVGScale?, y: SVGScale, xLabel: String, yLabel: String) {
    body += "<defs><clipPath id=\"plot\"><rect x=\"\(svgNumber(plot.minX - 4))\" y=\"\(svgNumber(plot.minY - 4))\" "
      + "width=\"\(svgNumber(plot.width + 8))\" height=\"\(svgNumber(plot.height + 8))\"/></clipPath></defs>\n"
    for tick in y.visibleTicks {
      let position = y.position(tick)
      body += Self.line(plot.minX, position, plot.maxX, position, color: "#e4e4e4")
      body += Self.text(svgTickLabel(tick), x: plot.minX - 6, y: position + 4, size: 11, anchor: "end")
    }
    if let x {
      for tick in x.visibleTicks {
        let position = x.position(tick)
        body += Self.line(position, plot.minY, position, plot.maxY, color: "#e4e4e4")
        body += Self.text(svgTickLabel(tick), x: position, y: plot.maxY + 16, size: 11, anchor: "middle")
      }
    }
    body += "<rect x=\"\(svgNumber(plot.minX))\" y=\"\(svgNumber(plot.minY))\" width=\"\(svgNumber(plot.width))\" "
      + "height=\"\(svgNumber(plot.height))\" fill=\"none\" stroke=\"#444\"/>\n"
    if !xLabel.isEmpty { body += Self.text(xLabel, x: plot.minX + plot.width / 2, y: height - 12, anchor: "middle") }
    let middle = plot.minY + plot.height / 2
    body += "<text x=\"16\" y=\"\(svgNumber(middle))\" transform=\"rotate(-90 16 \(svgNumber(middle)))\" "
      + "text-anchor=\"middle\" font-size=\"12\">\(svgEscape(yLabel))</text>\n"
  }

  mutating func drawLegend(_ entries: [(name: String, color: String, dashed: Bool)], plot: Area) {
    for (number, entry) in entries.enumerated() {
      let y = plot.minY + 8 + Double(number) * 18
      let dash = entry.dashed ? " stroke-dasharray=\"6 4\"" : ""
      body += "<line x1=\"\(svgNumber(plot.maxX + 12))\" y1=\"\(svgNumber(y))\" x2=\"\(svgNumber(plot.maxX + 32))\" "
        + "y2=\"\(svgNumber(y))\" stroke=\"\(entry.color)\" stroke-width=\"3\"\(dash)/>\n"
      body += Self.text(entry.name, x: plot.maxX + 38, y: y + 4, size: 11)
    }
  }

  static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String) -> String {
    "<line x1=\"\(svgNumber(x1))\" y1=\"\(svgNumber(y1))\" x2=\"\(svgNumber(x2))\" y2=\"\(svgNumber(y2))\" "
      + "stroke=\"\(color)\"/>\n"
  }

  static func text(
    _ content: String, x: Double, y: Double, size: Double = 12, anchor: String = "start", color: String = "#222"
  ) -> String {
    "<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" font-size=\"\(svgNumber(size))\" text-anchor=\"\(anchor)\" "
      + "fill=\"\(color)\">\(svgEscape(content))</text>\n"
  }

  func finish() -> String {
    """
    <svg xmlns="http://www.w3.org/2000/svg" width="\(svgNumber(width))" height="\(svgNumber(height))" \
    viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
    <title>\(svgEscape(title))</title>
    <rect width="100%" height="100%" fill="#ffffff"/>
    <text x="\(svgNumber(width / 2))" y="22" font-size="14" font-weight="bold" text-anchor="middle">\(svgEscape(title))</text>
    \(body)</svg>

    """
  }
}

/// A coordinate with one decimal: enough for a pixel, short in the file.
func svgNumber(_ value: Double) -> String {
  let rounded = (value * 10).rounded() / 10
  return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
}

/// 1.5k, 20k, 1M, 0.95: tick labels that stay short.
func svgTickLabel(_ value: Double) -> String {
  func trimmed(_ number: Double) -> String {
    let text = String(format: "%.3g", number)
    return text.contains("e") ? String(format: "%.0f", number) : text
  }
  let magnitude = abs(value)
  if magnitude >= 1e9 { return trimmed(value / 1e9) + "G" }
  if magnitude >= 1e6 { return trimmed(value / 1e6) + "M" }
  if magnitude >= 1e3 { return trimmed(value / 1e3) + "k" }
  return trimmed(value)
}

/// Text made safe for SVG character data and attribute values.
func svgEscape(_ text: String) -> String {
  var escaped = ""
  for character in text {
    switch character {
    case "&": escaped += "&amp;"
    case "<": escaped += "&lt;"
    case ">": escaped += "&gt;"
    case "\"": escaped += "&quot;"
    default: escaped.append(character)
    }
  }
  return escaped
}

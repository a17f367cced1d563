import ArgumentParser
import Foundation

/// `tracekv-bench serve`: `tracekv serve` under K OTLP/protobuf writers and M
/// searchers (spans/s, acknowledgement and search latency, time until each
/// index finds a trace), and beside it TraceBrain's own server taking the same
/// traces and reads from the same client. The client is one Python script,
/// `Benchmarks/peers/serve_bench.py` (processes, not threads, so no client
/// waits for another's interpreter lock); this command runs it, prints the
/// tables and writes the JSON.
struct ServeBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "tracekv serve under write and search load, and TraceBrain's server on the same traces and reads.",
    discussion: """
      Needs a release tracekv (beside this executable) and a venv with Benchmarks/peers/requirements-serve.txt. \
      Example: tracekv-bench serve --python /work/venv-serve/bin/python \
      --base-store bench-data/rep-100000/ingest.tkv --json serve.json
      """)

  @Option(help: "Python with Benchmarks/peers/requirements-serve.txt installed (its venv's tracebrain is the peer).")
  var python = ".venv-serve/bin/python"

  @Option(help: "The tracekv executable (default: the one beside this executable).")
  var tracekv: String?

  @Option(help: "A store to copy and serve under the write load (e.g. 100k traces); default: a fresh one.")
  var baseStore: String?

  @Option(help: "A fresh store's embedder: hashing or minilm.")
  var embedder = "hashing"

  @Option(help: "OTLP writers (processes).") var writers = 4
  @Option(help: "Searchers (processes) while the writers run.") var searchers = 2
  @Option(help: "Requests per writer.") var requests = 250
  @Option(help: "Whole traces (3 spans each) per OTLP request.") var tracesPerRequest = 10
  @Option(help: "Traces posted to POST /api/v1/traces on each server.") var restTraces = 4_000
  @Option(help: "Writers (processes) posting them.") var restWriters = 4
  @Flag(help: "Skip TraceBrain's server.") var noPeer = false
  @Option(help: "Folder for the stores.") var work = "bench-data/serve"
  @Option(name: .customLong("json"), help: "Write the report as JSON to this file.") var jsonPath: String?

  func run() throws {
    let binary = tracekv ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("tracekv").path
    var arguments = [
      "Benchmarks/peers/serve_bench.py", "--tracekv", binary, "--embedder", embedder, "--work", work,
      "--writers", "\(writers)", "--searchers", "\(searchers)", "--requests", "\(requests)",
      "--traces-per-request", "\(tracesPerRequest)", "--rest-traces", "\(restTraces)", "--rest-writers", "\(restWriters)",
    ]
    if let baseStore { arguments += ["--base-store", baseStore] }
    if !noPeer {
      arguments += ["--tracebrain", URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("tracebrain").path]
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw ValidationError(
        "the client failed (exit \(process.terminationStatus)); install it with: python3 -m venv .venv-serve && "
          + ".venv-serve/bin/pip install -r Benchmarks/peers/requirements-serve.txt")
    }
    print(Self.render(report))
    if let jsonPath {
      var object = report
      object["context"] = runContext()
      try writeJSON(object, to: jsonPath)
    }
  }

  static func render(_ report: [String: Any]) -> String {
    func number(_ value: Any?) -> String {
      switch value {
      case let value as Int: "\(value)"
      case let value as Double: fixed(value, value < 10 ? 2 : 1)
      default: "-"
      }
    }
    var text = ""
    if let load = report["write_load"] as? [String: Any] {
      let ack = load["ack"] as? [String: Any] ?? [:]
      let search = load["search"] as? [String: Any] ?? [:]
      let bm25 = load["findable_bm25"] as? [String: Any] ?? [:]
      let vector = load["findable_vector"] as? [String: Any] ?? [:]
      var table = TextTable(["write load", "value"], numericColumns: [false, true])
      table.add(["spans/s committed", number(load["spans_per_second"])])
      table.add(["traces/s committed", number(load["traces_per_second"])])
      table.add(["ack p50 / p99 ms", "\(number(ack["p50_ms"])) / \(number(ack["p99_ms"]))"])
      table.add(["search p50 / p99 ms", "\(number(search["p50_ms"])) / \(number(search["p99_ms"]))"])
      // What the server says of the same searches (Server-Timing): its wall time and its thread's CPU time.
      let server = search["server"] as? [String: Any] ?? [:]
      for (label, key) in [("server: search", "search"), ("server: search CPU", "cpu"), ("server: queue", "queue")] {
        let metric = server[key] as? [String: Any] ?? [:]
        table.add(["\(label) p50 / p99 ms", "\(number(metric["p50_ms"])) / \(number(metric["p99_ms"]))"])
      }
      table.add(["searches", number(search["count"])])
      table.add(["errors", number(load["errors"])])
      table.add(["findable by BM25 p50 / max ms", "\(number(bm25["p50_ms"])) / \(number(bm25["max_ms"]))"])
      table.add(["findable by vector p50 / max ms", "\(number(vector["p50_ms"])) / \(number(vector["max_ms"]))"])
      text += table.render() + "\n"
    }
    if let rest = report["rest"] as? [String: Any], let ours = rest["tracekv"] as? [String: Any] {
      let theirs = rest["tracebrain"] as? [String: Any]
      var table = TextTable(["REST", "TraceKV", "TraceBrain", "ratio"], numericColumns: [false, true, true, true])
      let ratios = rest["ratios"] as? [String: Any] ?? [:]
      table.add(["traces/s", number(ours["traces_per_second"]), number(theirs?["traces_per_second"]), number(ratios["traces_per_second"])])
      let feedback = (ours["concurrent_feedback"] as? [String: Any], theirs?["concurrent_feedback"] as? [String: Any])
      table.add([
        "feedback from \(number(feedback.0?["writers"])) clients, /s", number(feedback.0?["per_second"]),
        number(feedback.1?["per_second"]), number(ratios["concurrent_feedback_per_second"]),
      ])
      // `health` is the client's own floor: its round trip to the cheapest route.
      for name in ["health", "get", "list_20", "feedback", "export_min_rating_4"] {
        let a = (ours["reads"] as? [String: Any])?[name] as? [String: Any]
        let b = (theirs?["reads"] as? [String: Any])?[name] as? [String: Any]
        table.add(["\(name) p50 ms", number(a?["p50_ms"]), number(b?["p50_ms"]), number(ratios[name + "_p50"])])
      }
      text += "\n" + table.render() + "\n"
    }
    return text
  }
}

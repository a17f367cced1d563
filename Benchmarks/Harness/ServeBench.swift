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

  @OptionGroup var tracekv: TraceKVBinary

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
  @OptionGroup var output: ReportOutput

  func run() throws {
    let binary = try tracekv.resolved()
    var arguments = [
      "Benchmarks/peers/serve_bench.py", "--tracekv", binary, "--embedder", embedder, "--work", work,
      "--writers", "\(writers)", "--searchers", "\(searchers)", "--requests", "\(requests)",
      "--traces-per-request", "\(tracesPerRequest)", "--rest-traces", "\(restTraces)", "--rest-writers", "\(restWriters)",
    ]
    if let baseStore { arguments += ["--base-store", baseStore] }
    if !noPeer {
      arguments += ["--tracebrain", URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("tracebrain").path]
    }
    var report: ServeReport
    do {
      // The client prints its report as one pretty JSON document.
      report = try JSONDecoder().decode(ServeReport.self, from: DatasetTool.run([python] + arguments))
    } catch {
      throw ValidationError(
        "the client failed (\(error)); install it with: python3 -m venv .venv-serve && "
          + ".venv-serve/bin/pip install -r Benchmarks/peers/requirements-serve.txt")
    }
    print(report.tables.map(\.text).joined(separator: "\n\n"))
    report.context = .current()
    try output.write(report)
  }
}

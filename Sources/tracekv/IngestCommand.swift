import ArgumentParser
import ConsoleSupport
import Foundation
import TraceKV

struct IngestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ingest",
    abstract: "Ingest trace files: TraceBrain JSON (a trace or an array) or JSONL, or OTLP traces and logs (JSON or protobuf).",
    discussion: """
      PATH may be a file, a folder (its .json, .jsonl, .ndjson, .pb and .binpb files, recursively) or '-' for stdin.
      A trace id the store holds is merged (TraceBrain semantics). A bad document is reported with its
      line and skipped (exit code 1), unless --strict, which refuses the whole input before writing.
      --format auto tells each document by its shape: an object with resourceSpans is an OTLP
      ExportTraceServiceRequest, one with resourceLogs an ExportLogsServiceRequest (one per file, a
      JSON array of them, or one per line as the OpenTelemetry collector's file exporter writes); a
      .pb/.binpb file, or one that opens like protobuf, is an OTLP protobuf body or the file
      exporter's length-prefixed protobuf (otlp-protobuf forces that). Log records join their span
      by trace and span id, in any order and across files. LLM prompts are stored as deltas.
      """)

  @OptionGroup var storeOptions: StoreOptions

  @Argument(help: "Files, folders, or '-' for stdin.")
  var paths: [String]

  @Option(help: "auto, tracebrain, otlp or otlp-protobuf.")
  var format: String = "auto"

  @Flag(help: "Refuse the whole input if any document is bad; nothing is written.")
  var strict = false

  @Option(parsing: .unconditional, help: "Traces per write transaction.")
  var batchSize = 1000

  @Option(
    help: """
      Threads that parse and embed ahead of the one writer, 1 to \(Limits.maximumIngestWorkers) (default: the \
      processors this process may use, here \(TraceStore.IngestOptions.defaultWorkers)). The store's contents do \
      not depend on it. With several, set OPENBLAS_NUM_THREADS=1 so each worker embeds on its own core.
      """)
  var workers = TraceStore.IngestOptions.defaultWorkers

  @Option(help: "For a new store: minilm, hashing or none (default: minilm when its model is present, else hashing).")
  var embedder: String?

  @Flag(help: "Print the report as JSON.")
  var json = false

  func validate() throws {
    guard TraceStore.IngestFormat(rawValue: format) != nil else {
      throw ValidationError("--format must be auto, tracebrain, otlp or otlp-protobuf")
    }
    guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    guard (1...Limits.maximumIngestWorkers).contains(workers) else {
      throw ValidationError("--workers must be between 1 and \(Limits.maximumIngestWorkers)")
    }
    _ = try embedderChoice()
  }

  private func embedderChoice() throws -> TraceStore.EmbedderChoice {
    switch embedder {
    case nil: return .recorded
    case "minilm": return .miniLM
    case "hashing": return .hashing
    case "none": return .none
    default: throw ValidationError("--embedder must be minilm, hashing or none")
    }
  }

  func run() throws {
    let files = try expand(paths)
    let store = try storeOptions.open(create: true, embedder: try embedderChoice())
    let options = TraceStore.IngestOptions(
      strict: strict, batchSize: batchSize, format: TraceStore.IngestFormat(rawValue: format) ?? .auto,
      workers: workers)
    let totalBytes = files.reduce(0) { $0 + ($1.size ?? 0) }
    var progress = ProgressLine("ingest", total: max(totalBytes, 1))
    var report = IngestReport()
    var bytesBefore = 0
    let showProgress = totalBytes > 4 << 20
    do {
      for file in files {
        var committed = IngestReport()  // this file's, until it returns
        do {
          let fileReport: IngestReport
          if let url = file.url {
            fileReport = try store.ingest(contentsOf: url, options: options) { step in
              committed = step.committed
              guard showProgress else { return }
              progress.update(bytesBefore + step.bytesDone, detail: "\(report.accepted + step.documentsDone) traces")
            }
          } else {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            fileReport = try store.ingest(data: data, source: "stdin", options: options) { committed = $0.committed }
          }
          report.absorb(fileReport)
        } catch {
          report.absorb(committed)
          throw error
        }
        bytesBefore += file.size ?? 0
      }
    } catch {
      // Whatever stopped the ingest, say what is already in the store.
      if showProgress { progress.finish() }
      printReport(report, store: store, failure: error)
      throw error
    }
    if showProgress { progress.finish() }
    printReport(report, store: store, failure: nil)
    if !report.rejected.isEmpty { throw ExitCode.failure }
  }

  private func printReport(_ report: IngestReport, store: TraceStore, failure: (any Error)?) {
    for warning in report.warnings.prefix(20) { Console.warning(warning) }
    if report.warnings.count > 20 { Console.warning("… and \(report.warnings.count - 20) more warnings") }
    for problem in report.rejected { Console.error("rejected \(problem)") }
    if json {
      var object = JSONObject([
        "added": .int(report.added), "merged": .int(report.merged), "spans": .int(report.spansWritten),
        "rejected": .array(report.rejected.map { problem in
          .object(JSONObject(["source": .string(problem.source), "line": Console.int(problem.line),
                              "message": .string(problem.message)]))
        }),
        "warnings": .array(report.warnings.map(JSONValue.string)),
      ])
      if let failure { object["error"] = .string("\(failure)") }
      Console.printJSON(.object(object))
    } else {
      print(
        "ingested \(report.accepted) traces (\(report.added) new, \(report.merged) merged), "
          + "\(report.spansWritten) spans, \(report.rejected.count) rejected, into \(store.path)"
          + (failure == nil ? "" : "; then the ingest stopped on the error below"))
    }
  }

  private struct InputFile {
    var url: URL?  // nil: stdin
    var size: Int?
  }

  private func expand(_ paths: [String]) throws -> [InputFile] {
    var files: [InputFile] = []
    let manager = FileManager.default
    for path in paths {
      if path == "-" {
        files.append(InputFile(url: nil, size: nil))
        continue
      }
      var isDirectory: ObjCBool = false
      guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw CommandFailure("no such file or folder: \(path)")
      }
      if isDirectory.boolValue {
        let enumerator = manager.enumerator(atPath: path)
        var found: [String] = []
        while let relative = enumerator?.nextObject() as? String {
          if [".json", ".jsonl", ".ndjson", ".pb", ".binpb"].contains(where: relative.hasSuffix) { found.append(relative) }
        }
        for relative in found.sorted() {
          let full = (path as NSString).appendingPathComponent(relative)
          files.append(InputFile(url: URL(fileURLWithPath: full), size: fileSize(full)))
        }
      } else {
        files.append(InputFile(url: URL(fileURLWithPath: path), size: fileSize(path)))
      }
    }
    return files
  }

  private func fileSize(_ path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
  }
}

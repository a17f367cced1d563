import ArgumentParser
import ConsoleSupport
import TraceKV

struct ShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show one trace: its span tree, rebuilt messages, turns, or raw JSON.")

  enum View: String, ExpressibleByArgument, CaseIterable {
    case tree, messages, turns, raw
  }

  @OptionGroup var target: TraceTarget

  @Option(help: "tree, messages, turns or raw (default: tree; with --json, the trace).")
  var view: View?

  @OptionGroup var output: OutputOptions

  func run() throws {
    let traceID = target.traceID
    let store = try target.storeOptions.open()
    guard let trace = try store.trace(id: traceID) else {
      throw CommandFailure("no trace with id '\(traceID)' in \(store.path)")
    }
    switch (view, output.json) {
    case (.messages, true):
      Console.printJSON(.array((try store.messages(traceID: traceID) ?? []).map(\.json)))
    case (.messages, false):
      let messages = try store.messages(traceID: traceID) ?? []
      if messages.isEmpty { print("no LLM messages in trace \(traceID)") }
      for message in messages { print(message.transcript() + "\n") }
    case (.turns, true):
      Console.printJSON(.array((try store.turns(traceID: traceID) ?? []).map(\.json)))
    case (.turns, false):
      for (index, turn) in (try store.turns(traceID: traceID) ?? []).enumerated() {
        print("turn \(index + 1): \(turn.promptForModel.count) messages in the prompt")
        if let thought = turn.thought { print("  thought:    \(Console.short(thought, 100))") }
        if let code = turn.toolCode { print("  tool code:  \(Console.short(code, 100))") }
        if let output = turn.toolOutput { print("  tool out:   \(Console.short(output, 100))") }
        if let completion = turn.modelCompletion { print("  completion: \(Console.short(completion, 100))") }
      }
    case (.tree, true):
      Console.printJSON(.array((try store.spanTree(traceID: traceID) ?? []).map(Self.treeJSON)))
    case (.tree, false), (nil, false):
      printHeader(trace)
      for node in (try store.spanTree(traceID: traceID) ?? []) { printTree(node, depth: 0) }
    case (.raw, _), (nil, true):
      Console.printJSON(.object(TraceJSON.detailed(trace)))
    }
  }

  private func printHeader(_ trace: Trace) {
    print("trace \(trace.traceID)")
    print("  status \(trace.status.rawValue), priority \(trace.priority), episode \(trace.episodeID ?? "-")"
      + ", rating \(trace.rating.map(String.init) ?? "-"), \(trace.spans.count) spans")
    if let evaluation = trace.aiEvaluation {
      print("  AI evaluation: rating \(evaluation.rating.map(String.init) ?? "-"), confidence "
        + "\(evaluation.confidence.map { String($0) } ?? "-"), error \(evaluation.errorType?.rawValue ?? "-")")
    }
    if let feedback = trace.feedback {
      print("  feedback: \(feedback.rating)/5 \(feedback.comment ?? "") \(feedback.tags.map { "#" + $0 }.joined(separator: " "))")
    }
    print("")
  }

  private func printTree(_ node: SpanNode, depth: Int) {
    let span = node.span
    let indent = String(repeating: "  ", count: depth)
    var line = "\(indent)- \(span.name.isEmpty ? span.spanID : span.name)"
    if let time = span.startTime { line += "  @ \(time.text)" }
    if span.isError { line += "  [ERROR \(span.errorDescription ?? "")]" }
    print(line)
    let detail: String? =
      span.isTool
      ? "\(span.toolName ?? "?")(\(span.text("tracebrain.tool.input") ?? "")) -> \(span.toolOutput ?? "")"
      : span.finalAnswer.map { "final: " + $0 } ?? span.toolCode.map { "calls: " + $0 }
    if let detail { print("\(indent)    \(Console.short(detail, 100))") }
    for child in node.children { printTree(child, depth: depth + 1) }
  }

  private static func treeJSON(_ node: SpanNode) -> JSONValue {
    var object = TraceJSON.span(node.span)
    object["children"] = .array(node.children.map(treeJSON))
    return .object(object)
  }
}

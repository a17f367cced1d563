import Foundation
import TestSupport
import Testing

@testable import TraceKV

/// OTLP files through `ingest(contentsOf:)` and the command line: one request
/// per file, a JSON array of requests, the collector file exporter's JSONL,
/// a trace split over two files, format detection, and errors that name the
/// file, line and field.
@Suite struct OTLPIngestTests {
  static let traceID = "5b8efff798038103d269b633813fc60c"
  static let expectedMessages = [
    ChatMessage(role: "system", content: "You are a weather assistant."),
    ChatMessage(role: "user", content: "What is the weather in Tokyo?"),
    ChatMessage(
      role: "assistant", content: "",
      toolCalls: [ChatMessage.ToolCall(id: "call_1", name: "get_weather", arguments: #"{"location":"Tokyo"}"#)]),
    ChatMessage(role: "tool", content: "sunny, 24C", toolCallID: "call_1"),
  ]

  /// What every layout of the weather-agent trace must give.
  private func checkWeatherTrace(_ store: TraceStore) throws {
    let trace = try #require(try store.trace(id: Self.traceID))
    #expect(
      Set(trace.spans.map(\.spanID)) == [
        "a1a1a1a1a1a1a1a1", "b1b1b1b1b1b1b1b1", "c1c1c1c1c1c1c1c1", "d1d1d1d1d1d1d1d1",
      ])
    #expect(trace.systemPrompt == "You are a weather assistant.")
    #expect(trace.episodeID == "conv-42")
    #expect(trace.status == .running)
    #expect(trace.attributes["tracekv.agent.name"] == .string("weather-agent"))
    #expect(trace.attributes["otel.resource"]?.objectValue?["service.name"] == .string("weather-service"))
    #expect(try #require(try store.messages(traceID: Self.traceID)) == Self.expectedMessages)
    let turns = try #require(try store.turns(traceID: Self.traceID))
    #expect(turns.map(\.promptForModel.count) == [2, 4])
    #expect(turns.map(\.toolCode) == [#"get_weather({"location":"Tokyo"})"#, nil])
    // The tool span is the LLM span's sibling; its call id links it to the step.
    #expect(turns.map(\.toolOutput) == ["sunny, 24C", nil])
    #expect(turns.last?.modelCompletion == "It is sunny in Tokyo, 24C.")
    let second = try #require(trace.spans.first { $0.spanID == "d1d1d1d1d1d1d1d1" })
    #expect(second.attributes["tracekv.llm.context_from"] == .string("b1b1b1b1b1b1b1b1"))
    #expect(second.finalAnswer == "It is sunny in Tokyo, 24C.")
    #expect(second.parentID == "a1a1a1a1a1a1a1a1")
    let tool = try #require(trace.spans.first { $0.spanID == "c1c1c1c1c1c1c1c1" })
    #expect(tool.isTool && tool.toolName == "get_weather" && tool.toolOutput == "sunny, 24C")
    #expect(try store.toolUsage().tools.map(\.tool) == ["get_weather"])
    #expect(try store.verify().isEmpty)
  }

  @Test func oneRequestPerFileWithUnknownFields() throws {
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(contentsOf: OTLP.data.appendingPathComponent("genai_agent.json"))
    #expect(report.added == 1 && report.spansWritten == 4 && report.rejected.isEmpty)
    try checkWeatherTrace(temporary.store)
  }

  @Test func theCollectorFileExporterLayout() throws {
    // One request per line in a .json file, the trace split over the lines.
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(
      contentsOf: OTLP.data.appendingPathComponent("collector_file_exporter.json"),
      options: .init(format: .otlp))
    #expect(report.added == 1 && report.merged == 0 && report.spansWritten == 4 && report.rejected.isEmpty)
    try checkWeatherTrace(temporary.store)
  }

  @Test func aJSONArrayOfRequests() throws {
    let lines = try String(
      contentsOf: OTLP.data.appendingPathComponent("collector_file_exporter.json"), encoding: .utf8
    )
    .split(separator: "\n")
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(json: "[" + lines.joined(separator: ",") + "]")
    #expect(report.added == 1 && report.spansWritten == 4)
    try checkWeatherTrace(temporary.store)
  }

  @Test func aTraceSplitOverTwoFiles() throws {
    let lines = try String(
      contentsOf: OTLP.data.appendingPathComponent("collector_file_exporter.json"), encoding: .utf8
    )
    .split(separator: "\n")
    let directory = try TemporaryDirectory()
    let temporary = try TemporaryStore()
    for (index, line) in lines.enumerated() {
      let file = directory.url.appendingPathComponent("part\(index).json")
      try Data(line.utf8).write(to: file)
      try temporary.store.ingest(contentsOf: file, options: .init(strict: true))
    }
    try checkWeatherTrace(temporary.store)
  }

  @Test func aBadSpanIsReportedWithFileLineAndFieldAndTheRestIsKept() throws {
    let file = OTLP.data.appendingPathComponent("bad_span_id.jsonl")
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(contentsOf: file)
    #expect(
      report.rejected == [
        IngestProblem(
          source: file.path, line: 2,
          message:
            "resourceSpans[0].scopeSpans[0].spans[1].spanId: must be 16 hex characters (8 bytes), got 14 characters"
        )
      ])
    #expect(try temporary.store.trace(id: Self.traceID)?.spans.count == 3)
    #expect(report.rejected.first?.description.hasPrefix("\(file.path):2: resourceSpans[0]") == true)

    let strict = try TemporaryStore()
    #expect(
      throws: TraceKVError.invalid(
        "\(file.path):2: resourceSpans[0].scopeSpans[0].spans[1].spanId: must be 16 hex characters (8 bytes), got 14 characters; nothing was written"
      )
    ) {
      try strict.store.ingest(contentsOf: file, options: .init(strict: true))
    }
    #expect(try strict.store.contains(traceID: Self.traceID) == false)
  }

  @Test func aBadSpanInAPrettyPrintedRequestNamesItsLine() throws {
    let original = try String(
      contentsOf: OTLP.data.appendingPathComponent("genai_agent.json"), encoding: .utf8)
    let text = original.replacingOccurrences(of: #""spanId": "c1c1c1c1c1c1c1c1""#, with: #""spanId": "c1c1""#)
    let line =
      try #require(
        text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(#""c1c1""#) })
      + 1
    let directory = try TemporaryDirectory()
    let file = directory.url.appendingPathComponent("request.json")
    try Data(text.utf8).write(to: file)
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(contentsOf: file)
    #expect(
      report.rejected == [
        IngestProblem(
          source: file.path, line: line,
          message:
            "resourceSpans[0].scopeSpans[0].spans[2].spanId: must be 16 hex characters (8 bytes), got 4 characters"
        )
      ])
  }

  @Test(
    "the field locator",
    arguments: [
      ("a", 2), ("b[1]", 4), ("b[2].c", 6), ("d.e", 8), ("missing", nil), ("b[9]", nil),
    ] as [(String, Int?)])
  func fieldLocator(_ path: String, _ line: Int?) throws {
    let text = """
      {"x": "tricky \\" [ { ,",
       "a": 1,
       "b": [{"n": [1, {"m": "]"}]},
        "two",
        {"q": null,
         "c": true}],
       "d": {
        "e": -1.5e3}}
      """
    var bytes = Array(text.utf8)
    let found = bytes.withUnsafeMutableBytes {
      OTLPFieldLocator.line(of: path, in: UnsafeRawBufferPointer($0))
    }
    #expect(found == line)
  }

  @Test func formatsAreToldApartAndAskedFor() throws {
    let temporary = try TemporaryStore()
    let otlp = OTLP.data.appendingPathComponent("genai_agent.json")
    let asTraceBrain = try temporary.store.ingest(contentsOf: otlp, options: .init(format: .tracebrain))
    #expect(
      asTraceBrain.rejected.map(\.message) == [
        "this is OpenTelemetry (OTLP) JSON, not a TraceBrain trace; ingest it with format otlp or auto"
      ])
    let sample = try #require(try Paths.sampleFiles().first)
    let asOTLP = try temporary.store.ingest(contentsOf: sample, options: .init(format: .otlp))
    #expect(
      asOTLP.rejected.map(\.message) == [
        "resourceSpans: is missing; this is not an OTLP ExportTraceServiceRequest"
      ])
    // auto reads both, in one input.
    let mixed =
      "[" + (try String(contentsOf: sample, encoding: .utf8)) + ","
      + (try String(contentsOf: otlp, encoding: .utf8)) + "]"
    let report = try temporary.store.ingest(json: mixed)
    #expect(report.added == 2)
  }

  @Test func anExportReingestsToTheSameMessagesAndTurns() throws {
    let source = try TemporaryStore()
    try source.store.ingest(contentsOf: OTLP.data.appendingPathComponent("genai_agent.json"))
    var exported = ""
    try source.store.export(format: .jsonl, to: { exported += $0 })
    let copy = try TemporaryStore()
    try copy.store.ingest(json: "[" + exported.split(separator: "\n").joined(separator: ",") + "]")
    #expect(try copy.store.messages(traceID: Self.traceID) == Self.expectedMessages)
    let copied = try #require(try copy.store.turns(traceID: Self.traceID))
    let original = try #require(try source.store.turns(traceID: Self.traceID))
    #expect(copied.map(\.json) == original.map(\.json))
  }

  @Test func aPromptThatCannotBeRenderedWholeIsKeptAsSent() throws {
    let input = #"[{"role": "user", "parts": [{"type": "text", "content": "hi"}]}, "stray"]"#
    let temporary = try TemporaryStore()
    try OTLP.ingest(
      OTLP.request([
        OTLP.span(
          "0000000000000001",
          attributes: [
            OTLP.string("gen_ai.operation.name", "chat"), OTLP.string("gen_ai.input.messages", input),
          ])
      ]), into: temporary.store)
    let span = try #require(try temporary.store.trace(id: OTLP.trace)?.spans.first)
    #expect(span.attributes["gen_ai.input.messages"] == .string(input))
    #expect(span.attributes["tracebrain.llm.new_content"] == nil)
  }

  @Test func anErrorSpanSendsTheTraceToReview() throws {
    let temporary = try TemporaryStore()
    try OTLP.ingest(
      OTLP.request([
        OTLP.span(
          "0000000000000001", attributes: [OTLP.string("gen_ai.operation.name", "execute_tool")],
          extra: #", "status": {"code": 2, "message": "tool crashed"}"#)
      ]), into: temporary.store)
    let trace = try #require(try temporary.store.trace(id: OTLP.trace))
    #expect(trace.status == .needsReview)
    #expect(trace.spans.first?.errorDescription == "tool crashed")
  }

  @Test func theCommandLineIngestsOTLP() throws {
    let tracekv = Paths.product("tracekv")
    let directory = try TemporaryDirectory()
    let store = directory.path("cli.tkv")
    let ingest = try run(
      tracekv,
      [
        "--store", store, "ingest", "--format", "otlp",
        OTLP.data.appendingPathComponent("collector_file_exporter.json").path,
      ])
    #expect(ingest.status == 0, "\(ingest.error)")
    #expect(ingest.output.contains("ingested 1 traces (1 new, 0 merged), 4 spans, 0 rejected"))
    let show = try run(tracekv, ["--store", store, "show", Self.traceID, "--view", "messages", "--json"])
    #expect(show.status == 0)
    let messages = try #require(try json(show.output).arrayValue)
    #expect(
      messages.count == 4
        && messages.first?.objectValue?["content"] == .string("You are a weather assistant."))

    let bad = OTLP.data.appendingPathComponent("bad_span_id.jsonl").path
    let failed = try run(tracekv, ["--store", store, "ingest", "--format", "auto", bad])
    #expect(failed.status == 1)
    #expect(
      failed.error.contains(
        "\(bad):2: resourceSpans[0].scopeSpans[0].spans[1].spanId: must be 16 hex characters"))
    let usage = try run(tracekv, ["--store", store, "ingest", "--format", "zipkin", bad])
    #expect(usage.status == 2)
  }
}

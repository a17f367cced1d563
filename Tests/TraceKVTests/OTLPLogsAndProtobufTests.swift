import Foundation
import TestSupport
import Testing

@testable import TraceKV

/// OTLP log records joined to their spans in any order and across requests,
/// and protobuf bodies encoded by an independent encoder (Google's protobuf
/// runtime via `opentelemetry-proto`, `OTLPData/make_protobuf.py`) ingesting
/// exactly as their JSON.
@Suite struct OTLPLogsAndProtobufTests {
  static let data = OTLP.data
  static let traceID = "0123456789abcdef0123456789abcdef"
  static let call = ChatMessage.ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city": "Oslo"}"#)
  /// Read from logs/genai_events.*.json: two chat calls whose messages are log records.
  static let messages = [
    ChatMessage(role: "system", content: "You are a weather bot."),
    ChatMessage(role: "user", content: "Weather in Oslo?"),
    ChatMessage(role: "assistant", content: "", toolCalls: [call]),
    ChatMessage(role: "tool", content: "cold, -3C", toolCallID: "call_1"),
  ]

  static func bytes(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: data.appendingPathComponent(path)))
  }

  private func checkWeather(_ store: TraceStore) throws {
    #expect(try rebuilt(store.messages(traceID: Self.traceID)) == Self.messages)
    let turns = try rebuilt(store.turns(traceID: Self.traceID))
    #expect(turns.map(\.promptForModel.count) == [2, 4])
    #expect(turns.map(\.modelCompletion) == [nil, "It is cold in Oslo: -3C."])
    #expect(turns.first?.toolCode == #"get_weather({"city": "Oslo"})"#)
    #expect(turns.first?.toolOutput == "cold, -3C")
    let summary = try #require(try store.callSummary(traceID: Self.traceID))
    #expect(
      summary.llmCalls == 2 && summary.toolCallsRequested == ["get_weather"] && summary.toolExecutions == 1)
    // The agent span's 150/30 is the sum of the calls', not added again.
    #expect(summary.inputTokens == 150 && summary.outputTokens == 30)
  }

  @Test(
    "log records join their spans in any order, over separate requests",
    arguments: [
      ["genai_events.traces", "genai_events.logs"], ["genai_events.logs", "genai_events.traces"],
    ], [TraceStore.OTLPEncoding.json, .protobuf])
  func logsJoinSpans(_ order: [String], _ encoding: TraceStore.OTLPEncoding) throws {
    let temporary = try TemporaryStore()
    for name in order {
      let body = try Self.bytes(encoding == .json ? "logs/\(name).json" : "protobuf/\(name).binpb")
      let signal: TraceStore.OTLPSignal = name.hasSuffix("logs") ? .logs : .traces
      let report = try temporary.store.ingestOTLP(body, signal: signal, encoding: encoding, source: name)
      #expect(report.rejected.isEmpty)
    }
    try checkWeather(temporary.store)
    // Nothing waits any more.
    let waiting = try temporary.store.read { transaction in
      try transaction.withValue(
        temporary.store.tables.meta, key: Array("otlp.pending-logs.\(Self.traceID)".utf8)
      ) {
        $0.byteCount
      }
    }
    #expect(waiting == nil)
  }

  /// An application's own log record, arriving after its span, is kept as an event of it and
  /// changes no message.
  @Test func aLateApplicationLogIsAnEventOfItsSpan() throws {
    let temporary = try TemporaryStore()
    for name in ["genai_events.traces", "genai_events.logs"] {
      try temporary.store.ingestOTLP(
        try Self.bytes("logs/\(name).json"), signal: name.hasSuffix("logs") ? .logs : .traces,
        encoding: .json,
        source: name)
    }
    let record =
      #"{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "1765000001500000000", "traceId": "\#(Self.traceID)", "spanId": "2222222222222222", "severityText": "INFO", "body": {"stringValue": "cache miss"}}]}]}]}"#
    let report = try temporary.store.ingestOTLP(
      Array(record.utf8), signal: .logs, encoding: .json, source: "app")
    #expect(report.rejected.isEmpty)
    try checkWeather(temporary.store)
    let span = try #require(
      try temporary.store.trace(id: Self.traceID)?.spans.first { $0.spanID == "2222222222222222" })
    let bodies = (span.attributes["otel.events"]?.arrayValue ?? []).compactMap {
      $0.objectValue?["attributes"]?.objectValue?["log.body"]
    }
    #expect(bodies.contains(.string("cache miss")))
  }

  @Test func logsAloneMakeNoTraceAndWait() throws {
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingestOTLP(
      try Self.bytes("logs/genai_events.logs.json"), signal: .logs, encoding: .json, source: "logs")
    #expect(report.accepted == 0)
    #expect(report.warnings.contains { $0.contains("8 log records wait in the store for their span") })
    #expect(try temporary.store.contains(traceID: Self.traceID) == false)
  }

  /// The collector file exporter's protobuf file: logs then traces, length-prefixed.
  @Test func theFileExportersProtobufFile() throws {
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(
      contentsOf: Self.data.appendingPathComponent("protobuf/file_exporter.pb"), options: .init(strict: true))
    #expect(report.added == 1)
    try checkWeather(temporary.store)
  }

  /// JSON log files and trace files through `ingest(contentsOf:)`, as the CLI ingests a folder.
  @Test func jsonFilesInEitherOrder() throws {
    for order in [["logs", "traces"], ["traces", "logs"]] {
      let temporary = try TemporaryStore()
      for name in order {
        try temporary.store.ingest(
          contentsOf: Self.data.appendingPathComponent("logs/genai_events.\(name).json"),
          options: .init(strict: true))
      }
      try checkWeather(temporary.store)
    }
  }

  /// Every real file: its protobuf form (encoded by Google's runtime) stores the same spans as its JSON.
  @Test(arguments: OTLPRealFilesTests.files.keys.sorted())
  func protobufIngestsLikeJSON(_ name: String) throws {
    let json = try TemporaryStore()
    try json.store.ingest(
      contentsOf: OTLPRealFilesTests.real.appendingPathComponent(name), options: .init(strict: true))
    let protobuf = try TemporaryStore()
    let stem = (name as NSString).deletingPathExtension
    let report = try protobuf.store.ingest(
      contentsOf: Self.data.appendingPathComponent("protobuf/\(stem).binpb"), options: .init(strict: true))
    #expect(report.rejected.isEmpty)
    for expected in OTLPRealFilesTests.files[name]! {
      let fromJSON = try #require(try json.store.trace(id: expected.traceID))
      let fromProtobuf = try #require(try protobuf.store.trace(id: expected.traceID))
      #expect(fromProtobuf.spans == fromJSON.spans, "\(expected)")
      #expect(fromProtobuf.systemPrompt == fromJSON.systemPrompt)
      #expect(fromProtobuf.attributes == fromJSON.attributes)
    }
    try OTLPRealFilesTests.check(protobuf.store, OTLPRealFilesTests.files[name]!)
  }

  @Test(
    "bad protobuf is refused with the field path, never a crash",
    arguments: [
      ([0x0A, 0x05, 0x0A], "resourceSpans[0]: a length of 5 bytes, but only 1 are left"),
      ([0x0A, 0x80], "resourceSpans[0]: a varint runs past the end"),
      ([0x0B], "a field number"),  // field 1, wire type 3 (a group)
      ([0x0A, 0x04, 0x12, 0x02, 0x12, 0x00], "resourceSpans[0].scopeSpans[0].spans[0].traceId: is missing"),
      (
        [0x0A, 0x08, 0x12, 0x06, 0x12, 0x04, 0x2A, 0x02, 0xC3, 0x28],
        "resourceSpans[0].scopeSpans[0].spans[0].name: a string that is not UTF-8"
      ),
    ] as [([UInt8], String)])
  func badProtobuf(_ body: [UInt8], _ message: String) throws {
    let temporary = try TemporaryStore()
    do {
      let report = try temporary.store.ingestOTLP(body, signal: .traces, encoding: .protobuf, source: "body")
      #expect(report.rejected.contains { $0.message.contains(message) }, "\(report.rejected)")
    } catch {
      #expect(error.message.contains(message) || message == "a field number", "\(error.message)")
    }
  }

  /// Message nesting is bounded (`OTLPProtobuf.maximumDepth`, 64): AnyValue
  /// arrays nested past it are refused, not a stack overflow.
  @Test func nestingIsBounded() throws {
    // Envelope: request → resourceSpans → scopeSpans → span → keyValue → value: 5 levels, then
    // each AnyValue array adds 2 (ArrayValue, AnyValue).
    #expect(throws: Never.self) { try OTLPProtobuf.traces(body(arrays: 29)) }  // 5 + 58 = 63 levels
    #expect(throws: TraceKVError.self) { try OTLPProtobuf.traces(body(arrays: 30)) }  // 65
  }

  private func body(arrays: Int) -> [UInt8] {
    var value: [UInt8] = [0x0A, 0x00]  // AnyValue.stringValue ""
    for _ in 0..<arrays {
      let array = [0x0A] + varint(value.count) + value  // ArrayValue.values
      value = [0x2A] + varint(array.count) + array  // AnyValue.arrayValue
    }
    let keyValue = [0x0A, 0x01, 0x6B] + [0x12] + varint(value.count) + value
    var span: [UInt8] =
      [0x0A, 0x10] + [UInt8](repeating: 1, count: 16) + [0x12, 0x08] + [UInt8](repeating: 2, count: 8)
    span += [0x4A] + varint(keyValue.count) + keyValue
    let scope = [0x12] + varint(span.count) + span
    let resource = [0x12] + varint(scope.count) + scope
    return [0x0A] + varint(resource.count) + resource
  }

  /// The command line: logs and traces as separate protobuf files in separate processes
  /// (the records wait in the store file), then the file exporter's protobuf form.
  @Test func theCommandLineIngestsProtobufAndLogs() throws {
    let tracekv = Paths.product("tracekv")
    let directory = try TemporaryDirectory()
    let store = directory.path("cli.tkv")
    for name in ["genai_events.logs", "genai_events.traces"] {
      let path = Self.data.appendingPathComponent("protobuf/\(name).binpb").path
      let ingest = try run(tracekv, ["--store", store, "ingest", "--embedder", "hashing", "--json", path])
      #expect(ingest.status == 0, "\(ingest.error)")
      let report = try #require(try json(ingest.output).objectValue)
      #expect(report["added"] == .int(name.hasSuffix("logs") ? 0 : 1))
    }
    let show = try run(tracekv, ["--store", store, "show", Self.traceID, "--view", "messages", "--json"])
    #expect(show.status == 0)
    let messages = try #require(try json(show.output).arrayValue)
    #expect(messages == Self.messages.map(\.json))

    let framed = directory.path("framed.tkv")
    let ingest = try run(
      tracekv,
      [
        "--store", framed, "ingest", "--embedder", "hashing", "--format", "otlp-protobuf",
        Self.data.appendingPathComponent("protobuf/file_exporter.pb").path,
      ])
    #expect(ingest.status == 0, "\(ingest.error)")
    #expect(ingest.output.contains("ingested 1 traces (1 new, 0 merged), 4 spans, 0 rejected"))
  }

  /// No bytes crash the decoder: random bodies, and real bodies with bytes flipped or cut,
  /// give a request or a typed error. (Crashes are what this tests; both outcomes are fine.)
  @Test func anyBytesGiveARequestOrATypedError() throws {
    var random = SeededGenerator(seed: 16)
    let real = try ["genai_events.traces", "genai_events.logs", "10_agentevals_hand_strands_span_events"].map
    {
      try Self.bytes("protobuf/\($0).binpb")
    }
    var refused = 0
    let store = try TemporaryStore()
    for round in 0..<3000 {
      var body: [UInt8]
      if round < 1000 {
        body = (0..<Int.random(in: 0..<64, using: &random)).map { _ in
          UInt8.random(in: 0...255, using: &random)
        }
      } else {
        body = real[round % real.count]
        for _ in 0..<Int.random(in: 1...4, using: &random) {
          body[Int.random(in: 0..<body.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
        }
        if round % 2 == 0 { body = Array(body.prefix(Int.random(in: 0..<body.count, using: &random))) }
      }
      do { _ = try OTLPProtobuf.traces(body) } catch { refused += 1 }
      do { _ = try OTLPProtobuf.logs(body) } catch { refused += 1 }
      _ = OTLPProtobuf.signal(of: body)
      if round % 10 == 0 {  // and the whole ingest path, into a real store
        _ = try? store.store.ingestOTLP(
          body, signal: round % 20 == 0 ? .traces : .logs, encoding: .protobuf, source: "x")
      }
    }
    // Most damaged bodies are refused, so the errors were reached, not skipped.
    #expect(refused > 1000)
  }

  /// A bad log record in a JSONL file is reported with the file, its line and the field, and
  /// the good records are kept; in a framed protobuf file, the frame stands for the line.
  @Test func aBadLogRecordNamesFileLineAndField() throws {
    let good = String(decoding: try Self.bytes("logs/genai_events.logs.json"), as: UTF8.self)
    let compact = JSONWriter.compact(try JSONParser.parse(good))
    let bad = compact.replacingOccurrences(of: "2222222222222222", with: "22")
    let directory = try TemporaryDirectory()
    let file = directory.path("logs.jsonl")
    try (compact + "\n" + bad + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingest(contentsOf: URL(fileURLWithPath: file))
    #expect(report.rejected.count == 3)  // the three records of the first call, on line 2
    #expect(
      report.rejected.first?.description
        == "\(file):2: resourceLogs[0].scopeLogs[0].logRecords[0].spanId: must be 16 hex characters (8 bytes), got 2 characters"
    )

    // A file exporter file whose second frame is a broken message.
    let logs = try Self.bytes("protobuf/genai_events.logs.binpb")
    let length = withUnsafeBytes(of: UInt32(logs.count).bigEndian, Array.init)
    let framed = length + logs + [0, 0, 0, 3, 0x0A, 0x05, 0x0A]
    let path = directory.path("broken.pb")
    try Data(framed).write(to: URL(fileURLWithPath: path))
    let broken = try temporary.store.ingest(contentsOf: URL(fileURLWithPath: path))
    #expect(
      broken.rejected.map(\.description) == [
        "\(path):2: resourceSpans[0]: a length of 5 bytes, but only 1 are left"
      ])
  }

  /// `0x0A` opens both an OTLP protobuf message and a JSON text after a blank line:
  /// stdin (no file name) is told by its content.
  @Test func formatAutoTellsABlankLineFromProtobuf() throws {
    let traces = String(decoding: try Self.bytes("logs/genai_events.traces.json"), as: UTF8.self)
    let logs = String(decoding: try Self.bytes("logs/genai_events.logs.json"), as: UTF8.self)
    let jsonl =
      "\n" + JSONWriter.compact(try JSONParser.parse(traces)) + "\n"
      + JSONWriter.compact(try JSONParser.parse(logs))
      + "\n"
    let inputs = [
      Array(jsonl.utf8), Array(("\n" + traces).utf8), try Self.bytes("protobuf/genai_events.traces.binpb"),
    ]
    for input in inputs {
      let temporary = try TemporaryStore()
      let file = try TemporaryDirectory()
      let url = URL(fileURLWithPath: file.path("stdin"))  // no extension to go by
      try Data(input).write(to: url)
      let report = try temporary.store.ingest(contentsOf: url)
      #expect(report.rejected.isEmpty && report.added == 1)
    }
  }

  /// Records waiting for a span that never comes are bounded per trace: the oldest go first.
  @Test func waitingRecordsAreBounded() throws {
    let limit = OTLPLogRecord.maximumWaitingPerTrace
    func body(_ count: Int, from first: Int) -> [UInt8] {
      let records = (first..<first + count).map { k in
        #"{"timeUnixNano": "\#(1_765_000_000_000_000_000 + k)", "traceId": "\#(Self.traceID)", "spanId": "1111111111111111", "eventName": "gen_ai.user.message", "body": {"stringValue": "m\#(k)"}}"#
      }
      return Array(
        #"{"resourceLogs": [{"scopeLogs": [{"logRecords": [\#(records.joined(separator: ","))]}]}]}"#.utf8)
    }
    let temporary = try TemporaryStore()
    var report = try temporary.store.ingestOTLP(
      body(limit, from: 0), signal: .logs, encoding: .json, source: "a")
    #expect(report.warnings.contains { $0.contains("\(limit) log records wait") })
    #expect(!report.warnings.contains { $0.contains("dropped") })
    report = try temporary.store.ingestOTLP(body(1, from: limit), signal: .logs, encoding: .json, source: "b")
    #expect(report.warnings.contains { $0.contains("\(limit) log records wait") })
    #expect(report.warnings.contains { $0.contains("the 1 oldest were dropped") })
  }

  /// A body of `Limits.maximumDocumentBytes` is read (one unknown field, skipped); one byte more is refused.
  @Test func bodySizeLimit() throws {
    let limit = Limits.maximumDocumentBytes
    let header = [0x7A] + varint(limit - 1 - varint(limit).count)  // field 15, length-delimited
    var body = header + [UInt8](repeating: 0, count: limit - header.count)
    #expect(body.count == limit)
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingestOTLP(body, signal: .traces, encoding: .protobuf, source: "body")
    #expect(report.rejected.isEmpty && report.accepted == 0)
    body.append(0)
    #expect(throws: TraceKVError.self) {
      try temporary.store.ingestOTLP(body, signal: .traces, encoding: .protobuf, source: "body")
    }
  }

  /// Base64 ids and enum names (the protobuf-JSON mapping) are read, and the report says so.
  @Test func base64IDsAndEnumNamesAreToleratedWithAWarning() throws {
    let trace = Data([UInt8](repeating: 0xAB, count: 16)).base64EncodedString()
    let span = Data([UInt8](repeating: 0xCD, count: 8)).base64EncodedString()
    let body =
      #"{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "\#(trace)", "spanId": "\#(span)", "name": "x", "kind": "SPAN_KIND_CLIENT", "startTimeUnixNano": 1765000000000000000}]}]}]}"#
    let temporary = try TemporaryStore()
    let report = try temporary.store.ingestOTLP(
      Array(body.utf8), signal: .traces, encoding: .json, source: "body")
    #expect(report.added == 1)
    #expect(report.warnings.contains { $0.contains("ids written in base64") })
    #expect(report.warnings.contains { $0.contains("enum names") })
    let stored = try #require(try temporary.store.trace(id: String(repeating: "ab", count: 16)))
    #expect(stored.spans.map(\.spanID) == [String(repeating: "cd", count: 8)])
    #expect(stored.spans[0].attributes["otel.span_kind"] == .string("CLIENT"))
  }

  private func varint(_ value: Int) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    repeat {
      bytes.append(UInt8(value & 0x7F) | (value > 0x7F ? 0x80 : 0))
      value >>= 7
    } while value > 0
    return bytes
  }
}

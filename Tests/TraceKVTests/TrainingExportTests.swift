import Foundation
import TestSupport
import Testing

@testable import TraceKV

/// `export --format openai-chat` and `--format preference`: every line is
/// checked by `Oracle/training_format_check.py`, a checker of OpenAI's
/// documented rules written apart from the exporter (it shares no code).
@Suite struct TrainingExportTests {
  static let checker = Paths.packageRoot.appendingPathComponent(
    "Tests/TraceKVTests/Oracle/training_format_check.py")

  /// Runs the checker on `text`: its exit status, the lines it read, its complaints.
  static func check(_ mode: String, _ text: String) throws -> (status: Int32, lines: Int, problems: [String])
  {
    let directory = try TemporaryDirectory()
    let file = directory.path("lines.jsonl")
    try Data(text.utf8).write(to: URL(fileURLWithPath: file))
    let result = try run(URL(fileURLWithPath: "/usr/bin/python3"), [checker.path, mode, file])
    let problems = result.error.split(separator: "\n").map(String.init)
    return (result.status, Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1, problems)
  }

  static func export(
    _ store: TraceStore, _ format: ExportFormat, _ filter: TraceFilter = TraceFilter(), limit: Int = .max,
    training: TrainingExportOptions = TrainingExportOptions()
  ) throws -> (text: String, lines: [JSONObject]) {
    var text = ""
    try store.export(filter, format: format, limit: limit, training: training, to: { text += $0 })
    let lines = try text.split(separator: "\n").map {
      try #require(try JSONParser.parse(String($0)).objectValue)
    }
    return (text, lines)
  }

  static func roles(_ line: JSONObject) -> [String] {
    (line["messages"]?.arrayValue ?? []).map { $0.objectValue?["role"]?.stringValue ?? "?" }
  }

  @Test func checkerRefusesWhatOpenAIRefuses() throws {
    let bad = [
      #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":""}]}"#,  // empty assistant turn
      #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]}],"tools":[{"type":"function","function":{"name":"f"}}]}"#,  // call never answered
      #"{"messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"x","content":"out"},{"role":"assistant","content":"ok"}]}"#,  // tool message without a call
      #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"a","content":"1"},{"role":"assistant","content":"ok"}]}"#,  // f not declared
      #"{"messages":[{"role":"reviewer","content":"hi"},{"role":"assistant","content":"ok"}]}"#,  // unknown role
      #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{'x': 1}"}}]},{"role":"tool","tool_call_id":"a","content":"1"},{"role":"assistant","content":"ok"}],"tools":[{"type":"function","function":{"name":"f"}}]}"#,  // arguments not JSON
      #"{"messages":[{"role":"user","content":"hi"}]}"#,  // no assistant turn
    ]
    let result = try Self.check("chat", bad.joined(separator: "\n") + "\n")
    #expect(result.status == 1 && result.lines == 7)
    #expect(
      Set(result.problems.map { $0.split(separator: ":").first.map(String.init) ?? "" }).count == 7,
      "\(result.problems)")
    let good = #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}"#
    #expect(try Self.check("chat", good + "\n").status == 0)
  }

  @Test func openAIChatOfTheSamples() throws {
    let temporary = try TemporaryStore.withSamples()
    let (text, lines) = try Self.export(temporary.store, .openAIChat)
    #expect(lines.count == 20)
    let checked = try Self.check("chat", text)
    #expect(checked.status == 0 && checked.lines == 20, "\(checked.problems)")

    // Sample 7: two parallel calls recorded in the next step's new_content, with their ids.
    let parallel = try #require(
      lines.first { Self.roles($0).count == 6 && JSONWriter.compact(.object($0)).contains("call_par") })
    #expect(Self.roles(parallel) == ["system", "user", "assistant", "tool", "tool", "assistant"])
    let messages = parallel["messages"]!.arrayValue!.map { $0.objectValue! }
    #expect(messages[2]["content"] == .null)
    let calls = messages[2]["tool_calls"]!.arrayValue!.map { $0.objectValue! }
    #expect(calls.map { $0["id"] } == [.string("call_par"), .string("call_ber")])
    #expect(calls[0]["function"]?.objectValue?["arguments"] == .string(#"{"city":"Paris"}"#))
    #expect(
      messages[3]["tool_call_id"] == .string("call_par") && messages[3]["content"] == .string("2.1 million"))
    #expect(
      messages[4]["tool_call_id"] == .string("call_ber") && messages[4]["content"] == .string("3.6 million"))
    #expect(
      messages[5]["content"]
        == .string(
          "Based on the data, Berlin has a larger population (3.6 million) compared to Paris (2.1 million)."))
    #expect(
      parallel["tools"]
        == (try json(
          #"[{"type":"function","function":{"name":"get_population","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]"#
        )))

    // Sample 20: the call exists only as a tool span, so it is made from the span:
    // its id from the span id, its Python-dict input wrapped as {"input": …}.
    let retrieval = try #require(lines.first { JSONWriter.compact(.object($0)).contains("TechCorp report") })
    let made = retrieval["messages"]!.arrayValue!.map { $0.objectValue! }
    #expect(Self.roles(retrieval) == ["system", "user", "assistant", "tool", "assistant"])
    let call = made[2]["tool_calls"]?.arrayValue?.first?.objectValue
    #expect(call?["id"] == .string("call_4002b3c4d5e6f7a8"))
    #expect(
      call?["function"]?.objectValue?["arguments"] == .string(#"{"input":"{'query': 'TechCorp report'}"}"#))
    #expect(made[3]["tool_call_id"] == .string("call_4002b3c4d5e6f7a8"))

    // Sample 6: no tool, so no tools member.
    let greeting = try #require(
      lines.first { JSONWriter.compact(.object($0)).contains("Hello, how are you today?") })
    #expect(Self.roles(greeting) == ["system", "user", "assistant"] && greeting["tools"] == nil)
    // Sample 19: the reviewer agent speaks as a named user.
    let review = try #require(lines.first { JSONWriter.compact(.object($0)).contains("[reviewer] ") })
    #expect(Self.roles(review) == ["system", "user", "assistant", "user", "assistant"])
  }

  @Test func openAIChatFiltersLimitsAndDuplicates() throws {
    let temporary = try TemporaryStore.withSamples()
    // Rated 4 or more (human, else AI): samples 1–6, 8, 9, 13, 14, 19, 20.
    #expect(try Self.export(temporary.store, .openAIChat, TraceFilter(minRating: 4)).lines.count == 12)
    #expect(try Self.export(temporary.store, .openAIChat, limit: 3).lines.count == 3)
    // A copy of sample 1 under another id is the same conversation: written once.
    let sample = try String(
      contentsOf: Paths.samples.appendingPathComponent("sample_1_simple_success.json"), encoding: .utf8)
    let copy = sample.replacingOccurrences(
      of: "a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8", with: "00000000000000000000000000000001")
    #expect(copy != sample)
    _ = try temporary.store.ingest(json: copy)
    #expect(try temporary.store.list(limit: 0).total == 21)
    #expect(try Self.export(temporary.store, .openAIChat).lines.count == 20)
  }

  /// Episode ep-demo-group-001: attempt 1 (11…) and attempt 2 (9999…), both rated 3 by the AI.
  @Test func preferencePairs() throws {
    let temporary = try TemporaryStore.withSamples()
    let store = temporary.store
    #expect(try Self.export(store, .preference).lines.isEmpty)  // equal ratings: no pair
    try store.addFeedback(traceID: CurriculumTests.s12, rating: 5)
    try store.addFeedback(traceID: CurriculumTests.s11, rating: 2)
    // Gap 3: a pair at gaps 1, 2 and 3 (the limit), none at 4 (one past).
    for gap in 1...3 {
      #expect(try Self.export(store, .preference, training: .init(minimumRatingGap: gap)).lines.count == 1)
    }
    #expect(try Self.export(store, .preference, training: .init(minimumRatingGap: 4)).lines.isEmpty)

    let (text, lines) = try Self.export(store, .preference)
    #expect(try Self.check("preference-openai", text).status == 0)
    let expected = try json(
      #"""
      {"input":{"messages":[{"role":"system","content":"You are a travel assistant. You must confirm details before booking."},{"role":"user","content":"Book me a flight from SFO to JFK next Monday morning. Traveler name: Alex Kim."}]},
       "preferred_output":[{"role":"assistant","content":"Your flight is booked. Confirmation number: ABC-12345."}],
       "non_preferred_output":[{"role":"assistant","content":"I need your full name to complete the booking. Please provide the traveler name."}]}
      """#)
    #expect(lines.map(JSONValue.object) == [expected])

    let trl = try Self.export(store, .preference, training: .init(preferenceStyle: .trl))
    #expect(try Self.check("preference-trl", trl.text).status == 0)
    #expect(trl.lines.first?.keys == ["prompt", "chosen", "rejected"])
    #expect(trl.lines.first?["chosen"] == expected.objectValue?["preferred_output"])
    #expect(trl.lines.first?["prompt"] == expected.objectValue?["input"]?.objectValue?["messages"])

    // Filters apply before pairing: without attempt 1 there is nothing to pair.
    #expect(try Self.export(store, .preference, TraceFilter(minRating: 3)).lines.isEmpty)

    for gap in [0, 5] {
      #expect(throws: TraceKVError.self) {
        try Self.export(store, .preference, training: .init(minimumRatingGap: gap))
      }
    }
  }

  /// The OTLP captures: tool calls with the ids the application used, each answered.
  @Test(arguments: OTLPCaptureTests.scenarios)
  func openAIChatOfCaptures(_ scenario: String) throws {
    let base = OTLPCaptureTests.folder.appendingPathComponent(scenario)
    let expected = try #require(
      try JSONParser.parse(Array(Data(contentsOf: base.appendingPathComponent("expected.json")))).objectValue)
    let temporary = try TemporaryStore()
    for sent in try #require(expected["requests"]?.arrayValue).compactMap(\.stringValue) {
      let body = Array(try Data(contentsOf: base.appendingPathComponent(sent)))
      _ = try temporary.store.ingestOTLP(
        body, signal: sent.contains(".logs.") ? .logs : .traces, encoding: .protobuf, source: sent)
    }
    let (text, lines) = try Self.export(temporary.store, .openAIChat)
    if !lines.isEmpty {
      let checked = try Self.check("chat", text)
      #expect(checked.status == 0, "\(scenario): \(checked.problems)")
    }
    guard expected["content_captured"] != .bool(false) else { return }
    let line = try #require(lines.first, "\(scenario)")
    let exported = JSONWriter.compact(.object(line))
    for id in ["call_weather_paris", "call_convert_18c"] {
      #expect(
        exported.components(separatedBy: "\"\(id)\"").count == 3, "\(scenario): \(id) called and answered")
    }
    let tools = (line["tools"]?.arrayValue ?? []).compactMap {
      $0.objectValue?["function"]?.objectValue?["name"]?.stringValue
    }
    #expect(tools == ["get_weather", "convert_units"], "\(scenario)")
    #expect(Self.roles(line).last == "assistant", "\(scenario)")
  }
}

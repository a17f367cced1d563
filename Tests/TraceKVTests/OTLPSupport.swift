import Foundation

@testable import TraceKV

/// Hand-written OTLP/JSON for the OTLP tests.
enum OTLP {
  static let data = Paths.packageRoot.appendingPathComponent("Tests/TraceKVTests/OTLPData")
  static let trace = "0af7651916cd43dd8448eb211c80319c"

  /// A JSON string literal.
  static func quoted(_ text: String) -> String { JSONWriter.compact(.string(text)) }

  /// `{"key": …, "value": {"stringValue": …}}`
  static func string(_ key: String, _ value: String) -> String {
    #"{"key": \#(quoted(key)), "value": {"stringValue": \#(quoted(value))}}"#
  }

  static func int(_ key: String, _ value: Int) -> String {
    #"{"key": \#(quoted(key)), "value": {"intValue": "\#(value)"}}"#
  }

  /// A span; `start` in seconds after a fixed instant.
  static func span(
    _ id: String, parent: String = "", trace: String = OTLP.trace, name: String = "span", start: Int = 0,
    attributes: [String] = [], extra: String = ""
  ) -> String {
    let nanos = 1_763_800_000_000_000_000 + start * 1_000_000_000
    return
      #"{"traceId": "\#(trace)", "spanId": "\#(id)", "parentSpanId": "\#(parent)", "name": \#(quoted(name)), "startTimeUnixNano": "\#(nanos)", "endTimeUnixNano": "\#(nanos + 500_000_000)", "attributes": [\#(attributes.joined(separator: ", "))]\#(extra)}"#
  }

  /// One `ExportTraceServiceRequest` holding `spans` under one resource and scope.
  static func request(_ spans: [String], resource: [String] = []) -> String {
    #"{"resourceSpans": [{"resource": {"attributes": [\#(resource.joined(separator: ", "))]}, "scopeSpans": [{"scope": {"name": "test"}, "spans": [\#(spans.joined(separator: ", "))]}]}]}"#
  }

  /// `gen_ai.input.messages` as JSON text: `[{role, parts: [{type: "text", content}]}]`.
  static func inputMessages(_ messages: [(String, String)]) -> String {
    JSONWriter.compact(
      .array(
        messages.map { role, text in
          .object(JSONObject(["role": .string(role), "parts": textParts(text)]))
        }))
  }

  private static func textParts(_ text: String) -> JSONValue {
    .array([.object(JSONObject(["type": .string("text"), "content": .string(text)]))])
  }

  /// A GenAI chat span whose prompt is `messages` (`[(role, text)]`) and whose reply is `reply`.
  static func chat(_ id: String, parent: String = "", start: Int, messages: [(String, String)], reply: String)
    -> String
  {
    let output = JSONValue.array([
      .object(
        JSONObject([
          "role": .string("assistant"), "parts": textParts(reply), "finish_reason": .string("stop"),
        ]))
    ])
    return span(
      id, parent: parent, name: "chat", start: start,
      attributes: [
        string("gen_ai.operation.name", "chat"), string("gen_ai.input.messages", inputMessages(messages)),
        string("gen_ai.output.messages", JSONWriter.compact(output)),
      ])
  }

  /// Ingests OTLP JSON text (strict, so a bad request throws).
  @discardableResult
  static func ingest(_ text: String, into store: TraceStore) throws -> IngestReport {
    try store.ingest(data: Data(text.utf8), source: "input", options: .init(strict: true, format: .otlp))
  }
}

import Foundation
import Testing

@testable import TraceKV

/// The OTLP/JSON encoding: ids, 64-bit integers, enums, AnyValue kinds,
/// events, links, resource and scope, unknown fields, and errors that name
/// the field.
@Suite struct OTLPDecoderTests {
  private func decode(_ text: String) throws -> OTLPDecoder.Decoded { try OTLPDecoder.decode(try json(text)) }

  @Test func idsAreCaseInsensitiveHexAndEmptyOrZeroParentsAreRoots() throws {
    let decoded = try decode(
      OTLP.request([
        OTLP.span("A1B2C3D4E5F60718", trace: "5B8EFFF798038103D269B633813FC60C"),
        OTLP.span("0000000000000002", parent: "0000000000000000", trace: "5b8efff798038103d269b633813fc60c"),
        OTLP.span("0000000000000003", parent: "A1B2C3D4E5F60718", trace: "5B8EFFF798038103d269b633813fc60c"),
      ]))
    #expect(decoded.problems.isEmpty)
    #expect(decoded.spans.map(\.traceID) == Array(repeating: "5b8efff798038103d269b633813fc60c", count: 3))
    #expect(decoded.spans.map(\.spanID) == ["a1b2c3d4e5f60718", "0000000000000002", "0000000000000003"])
    #expect(decoded.spans.map(\.parentSpanID) == [nil, nil, "a1b2c3d4e5f60718"])
  }

  @Test(
    "a bad id refuses its span only, naming the field",
    arguments: [
      (
        #""traceId": "TRACE", "spanId": "abc""#,
        "spanId: must be 16 hex characters (8 bytes), got 3 characters"
      ),
      (#""traceId": "TRACE", "spanId": "zzzzzzzzzzzzzzzz""#, "spanId: must be hex, got \"zzzzzzzzzzzzzzzz\""),
      (
        #""traceId": "TRACE", "spanId": "0000000000000000""#,
        "spanId: is all zeros, which OpenTelemetry defines as invalid"
      ),
      (
        #""traceId": "TRACE", "spanId": "AAAAAAAAAAAAAAAA", "parentSpanId": "0102""#,
        "parentSpanId: must be 16 hex characters (8 bytes), got 4 characters"
      ),
      (
        #""traceId": "TRACEFF", "spanId": "AAAAAAAAAAAAAAAA""#,
        "traceId: must be 32 hex characters (16 bytes), got 34 characters"
      ),
      (#""traceId": "", "spanId": "AAAAAAAAAAAAAAAA""#, "traceId: is missing"),
      (#""traceId": "TRACE", "spanId": 12"#, "spanId: must be a string"),
    ])
  func badID(_ fields: String, _ message: String) throws {
    let bad = "{" + fields.replacingOccurrences(of: "TRACE", with: OTLP.trace) + "}"
    let decoded = try decode(OTLP.request([OTLP.span("0000000000000001"), bad]))
    #expect(decoded.spans.map(\.spanID) == ["0000000000000001"])
    #expect(decoded.problems == [TraceKVError.invalid("resourceSpans[0].scopeSpans[0].spans[1].\(message)")])
  }

  @Test func int64AsStringsOrNumbersAndEnumsAsIntegersOrNames() throws {
    let decoded = try decode(
      OTLP.request([
        #"{"traceId": "\#(OTLP.trace)", "spanId": "0000000000000001", "kind": 3, "startTimeUnixNano": "1763800000123456789", "endTimeUnixNano": 1763800001000000000, "status": {"code": 2, "message": "boom"}}"#,
        #"{"traceId": "\#(OTLP.trace)", "spanId": "0000000000000002", "kind": "SPAN_KIND_SERVER", "status": {"code": "STATUS_CODE_OK"}}"#,
        #"{"traceId": "\#(OTLP.trace)", "spanId": "0000000000000003", "kind": "SPAN_KIND_BOGUS"}"#,
        #"{"traceId": "\#(OTLP.trace)", "spanId": "0000000000000004", "startTimeUnixNano": "soon"}"#,
      ]))
    #expect(decoded.spans.count == 2)
    #expect(
      decoded.spans[0].kind == .client && decoded.spans[0].status.code == .error
        && decoded.spans[0].status.message == "boom")
    #expect(decoded.spans[0].startTime?.microseconds == 1_763_800_000_123_456)
    #expect(decoded.spans[0].startTime?.text == "2025-11-22T08:26:40.123456Z")
    #expect(decoded.spans[0].endTime?.microseconds == 1_763_800_001_000_000)
    #expect(decoded.spans[1].kind == .server && decoded.spans[1].status.code == .ok)
    #expect(decoded.spans[1].startTime == nil)  // absent: no time
    #expect(
      decoded.problems.map(\.message) == [
        #"resourceSpans[0].scopeSpans[0].spans[2].kind: unknown enum value "SPAN_KIND_BOGUS""#,
        #"resourceSpans[0].scopeSpans[0].spans[3].startTimeUnixNano: must be nanoseconds since 1970 as a decimal string, got "soon""#,
      ])
  }

  @Test func everyAnyValueKind() throws {
    let attributes = #"""
      [{"key": "s", "value": {"stringValue": "text"}},
       {"key": "b", "value": {"boolValue": true}},
       {"key": "i", "value": {"intValue": "-9007199254740993"}},
       {"key": "n", "value": {"intValue": 42}},
       {"key": "d", "value": {"doubleValue": 0.25}},
       {"key": "ds", "value": {"doubleValue": "NaN"}},
       {"key": "a", "value": {"arrayValue": {"values": [{"stringValue": "x"}, {"intValue": "1"}, {"arrayValue": {}}]}}},
       {"key": "k", "value": {"kvlistValue": {"values": [{"key": "inner", "value": {"boolValue": false}}]}}},
       {"key": "y", "value": {"bytesValue": "aGVsbG8"}},
       {"key": "u", "value": {"bytesValue": "-_8="}},
       {"key": "e", "value": {}},
       {"key": "future", "value": {"someNewValue": 1}}]
      """#
    let decoded = try decode(
      OTLP.request([
        #"{"traceId": "\#(OTLP.trace)", "spanId": "0000000000000001", "attributes": \#(attributes)}"#
      ]))
    let got = try #require(decoded.spans.first?.attributes)
    let expected = try json(
      #"""
      {"s": "text", "b": true, "i": -9007199254740993, "n": 42, "d": 0.25, "ds": "NaN", "a": ["x", 1, []],
       "k": {"inner": false}, "y": "aGVsbG8=", "u": "+/8=", "e": null, "future": null}
      """#)
    #expect(JSONValue.object(got) == expected)
    #expect(got["i"] == .number("-9007199254740993"))  // exact, not through a Double
  }

  @Test(
    "a bad attribute value refuses the span, naming its path",
    arguments: [
      (
        #"{"key": "x", "value": {"intValue": "1.5"}}"#,
        "attributes[0].value.intValue: must be a 64-bit integer"
      ),
      (
        #"{"key": "x", "value": {"boolValue": "yes"}}"#,
        "attributes[0].value.boolValue: must be true or false"
      ),
      (
        #"{"key": "x", "value": {"bytesValue": "not base64!"}}"#,
        "attributes[0].value.bytesValue: must be base64"
      ),
      (
        #"{"key": "x", "value": {"arrayValue": {"values": [{"doubleValue": "abc"}]}}}"#,
        "attributes[0].value.arrayValue.values[0].doubleValue: must be a number"
      ),
      (#"{"value": {"stringValue": "x"}}"#, "attributes[0].key: must be a string"),
    ])
  func badAttribute(_ attribute: String, _ message: String) throws {
    let decoded = try decode(
      OTLP.request([
        #"{"traceId": "\#(OTLP.trace)", "spanId": "0000000000000001", "attributes": [\#(attribute)]}"#
      ]))
    #expect(decoded.spans.isEmpty)
    #expect(
      decoded.problems.first?.message.hasPrefix("resourceSpans[0].scopeSpans[0].spans[0].\(message)") == true)
  }

  @Test func eventsLinksResourceScopeAndUnknownFields() throws {
    let decoded = try decode(
      #"""
      {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}], "droppedAttributesCount": 0, "newThing": 1},
        "schemaUrl": "https://opentelemetry.io/schemas/1.30.0",
        "scopeSpans": [{"scope": {"name": "lib", "version": "1.0", "attributes": [{"key": "scope.attr", "value": {"intValue": "7"}}]},
          "spans": [{"traceId": "\#(OTLP.trace)", "spanId": "0000000000000001", "flags": 257, "traceState": "k=v", "droppedEventsCount": 0,
            "events": [{"timeUnixNano": "1763800000000000000", "name": "exception", "attributes": [{"key": "exception.type", "value": {"stringValue": "ValueError"}}]}],
            "links": [{"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "AAAAAAAAAAAAAAAA", "attributes": []}],
            "unknownSpanField": {"deep": [1, 2]}}]}]}],
       "unknownTopLevel": true}
      """#)
    #expect(decoded.problems.isEmpty)
    let span = try #require(decoded.spans.first)
    #expect(span.resource["service.name"] == .string("svc"))
    #expect(
      span.scope.name == "lib" && span.scope.version == "1.0"
        && span.scope.attributes["scope.attr"] == .number("7"))
    #expect(span.traceState == "k=v")
    #expect(
      span.events.count == 1 && span.events[0].name == "exception"
        && span.events[0].time?.microseconds == 1_763_800_000_000_000)
    #expect(
      span.links.map(\.spanID) == ["aaaaaaaaaaaaaaaa"]
        && span.links[0].traceID == "5b8efff798038103d269b633813fc60c")
  }

  @Test(
    "a broken envelope refuses the request",
    arguments: [
      (#"{"resourceSpans": {}}"#, "resourceSpans: must be an array"),
      (
        #"{"resourceSpans": [{"scopeSpans": [{"spans": 3}]}]}"#,
        "resourceSpans[0].scopeSpans[0].spans: must be an array"
      ),
      (
        #"{"resourceSpans": [{"resource": {"attributes": [3]}}]}"#,
        "resourceSpans[0].resource.attributes[0]: must be a {key, value} object"
      ),
      (#"[1]"#, "an OTLP request must be a JSON object with resourceSpans"),
      (#"{"trace_id": "x"}"#, "resourceSpans: is missing; this is not an OTLP ExportTraceServiceRequest"),
    ])
  func brokenEnvelope(_ text: String, _ message: String) throws {
    #expect(throws: TraceKVError.invalid(message)) { try decode(text) }
  }

  @Test func emptyRequestsAreValid() throws {
    #expect(try decode(#"{"resourceSpans": []}"#).spans.isEmpty)
    #expect(try decode(#"{"resourceSpans": [{"scopeSpans": [{"spans": []}]}]}"#).spans.isEmpty)
  }
}

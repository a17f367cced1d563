"""The OTLP/HTTP receiver (POST /v1/traces, /v1/logs) against the store it writes.

JSON bodies go through `requests`; the OpenTelemetry SDK's exporters send
protobuf (gzip), spans and log records.
"""

import copy
import gzip
import json
import time

import pytest
import requests

from conftest import OTLP_DATA, cli, cli_json, trace_ids

GENAI = json.loads((OTLP_DATA / "genai_agent.json").read_text())
GENAI_TRACE = "5b8efff798038103d269b633813fc60c"
MAX_BODY = 16 << 20
MAX_INFLATED = 64 << 20

def one_request_per_span(request):
    """The request split into requests of one span each, as SimpleSpanProcessor sends them."""
    requests_ = []
    for resource in request["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                single = copy.deepcopy(request)
                single["resourceSpans"] = [dict(resource, scopeSpans=[dict(scope, spans=[span])])]
                requests_.append(single)
    return requests_


def post(url, body, content_type="application/json", **headers):
    return requests.post(url + "/v1/traces", data=body, headers={"Content-Type": content_type, **headers}, timeout=60)


def test_spans_one_per_request_in_reverse_order_rebuild_the_same_conversation(server, tmp_path):
    # A later request brings an earlier LLM call: the deltas must still rebuild the whole conversation.
    for request in reversed(one_request_per_span(GENAI)):
        response = post(server.url, json.dumps(request))
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json"
        # Full success; a warning (this fixture writes enum names) rides in a
        # partialSuccess that rejects nothing, as the OTLP specification allows.
        answer = response.json()
        assert answer == {} or int(answer["partialSuccess"].get("rejectedSpans", "0")) == 0, answer
    reference = tmp_path / "reference.tkv"
    cli(reference, "ingest", str(OTLP_DATA / "genai_agent.json"))
    served = cli_json(server.store, "show", GENAI_TRACE, "--view", "messages")
    assert served == cli_json(reference, "show", GENAI_TRACE, "--view", "messages")
    assert [m["role"] for m in served] == ["system", "user", "assistant", "tool"]
    assert cli_json(server.store, "show", GENAI_TRACE)["spans"].__len__() == 4


def test_gzip_body_is_inflated(server):
    response = post(server.url, gzip.compress(json.dumps(GENAI).encode()), **{"Content-Encoding": "gzip"})
    assert response.status_code == 200, response.text
    assert trace_ids(server.store) == {GENAI_TRACE}


def test_a_bad_span_is_a_partial_success_and_the_good_ones_are_kept(server):
    request = copy.deepcopy(GENAI)
    spans = request["resourceSpans"][0]["scopeSpans"][0]["spans"]
    bad = copy.deepcopy(spans[-1])
    bad["spanId"] = "not-hex"
    spans.append(bad)
    response = post(server.url, json.dumps(request))
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "spanId" in partial["errorMessage"]
    # The OTLP protobuf definitions read the answer as an ExportTraceServiceResponse.
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

    parsed = json_format.Parse(response.text, ExportTraceServiceResponse())
    assert parsed.partial_success.rejected_spans == 1 and "spanId" in parsed.partial_success.error_message
    assert len(cli_json(server.store, "show", GENAI_TRACE)["spans"]) == 4


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_another_content_type_is_415(server, content_type):
    response = post(server.url, json.dumps(GENAI), content_type=content_type)
    assert response.status_code == 415
    assert "Content-Type" in response.json()["message"]
    assert trace_ids(server.store) == set()


def test_another_content_encoding_is_415(server):
    response = post(server.url, json.dumps(GENAI), **{"Content-Encoding": "br"})
    assert response.status_code == 415
    assert trace_ids(server.store) == set()


MALFORMED = [
    b"",
    b"{",
    b"[]",
    b"null",
    b'{"resourceSpans": 3}',
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": 5}]}]}]}',
    b"[" * 100_000,
    b'{"a":' * 50_000,
    bytes(range(256)) * 64,
    "{\"resourceSpans\": [\"\ud800\"]}".encode("utf-8", "surrogatepass"),
]


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_a_malformed_body_is_refused_with_a_status_and_the_server_lives_on(server, body):
    response = post(server.url, body)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        from google.protobuf import json_format
        from google.rpc.status_pb2 import Status

        status = json_format.Parse(response.text, Status())
        assert status.code == 3 and status.message
    else:  # a readable request whose every span is refused
        assert int(response.json()["partialSuccess"]["rejectedSpans"]) >= 1
    assert requests.get(server.url + "/health", timeout=10).status_code == 200
    assert trace_ids(server.store) == set()


def test_truncated_gzip_is_400(server):
    body = gzip.compress(json.dumps(GENAI).encode())[:-10]
    response = post(server.url, body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "gzip" in response.json()["message"]


def padded(size):
    """A valid empty OTLP request of exactly `size` bytes (JSON allows trailing spaces)."""
    head = b'{"resourceSpans":[]}'
    return head + b" " * (size - len(head))


def test_body_limit_at_the_limit_and_one_past(server):
    assert post(server.url, padded(MAX_BODY)).status_code == 200
    response = post(server.url, padded(MAX_BODY + 1))
    assert response.status_code == 413
    assert str(MAX_BODY) in response.json()["message"]


def test_inflated_limit_at_the_limit_and_one_past(server):
    at = post(server.url, gzip.compress(padded(MAX_INFLATED)), **{"Content-Encoding": "gzip"})
    assert at.status_code == 200, at.text
    past = post(server.url, gzip.compress(padded(MAX_INFLATED + 1)), **{"Content-Encoding": "gzip"})
    assert past.status_code == 413
    assert str(MAX_INFLATED) in past.json()["message"]


def sdk_conversation(endpoint_url, processor_kind):
    """A tool-calling conversation through the OpenTelemetry SDK and its http/protobuf exporter (gzip)."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    exporter = OTLPSpanExporter(endpoint=endpoint_url + "/v1/traces", compression=Compression.Gzip)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter) if processor_kind == "simple" else BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("client-test")
    with tracer.start_as_current_span("invoke_agent weather-agent") as root:
        root.set_attribute("gen_ai.operation.name", "invoke_agent")
        with tracer.start_as_current_span("chat gpt-4o") as chat:
            chat.set_attribute("gen_ai.operation.name", "chat")
            chat.set_attribute("gen_ai.input.messages", json.dumps([{"role": "user", "parts": [{"type": "text", "content": "Weather in Tokyo?"}]}]))
        with tracer.start_as_current_span("execute_tool get_weather") as tool:
            tool.set_attribute("gen_ai.operation.name", "execute_tool")
            tool.set_attribute("gen_ai.tool.name", "get_weather")
        trace_id = format(root.get_span_context().trace_id, "032x")
    assert provider.force_flush(30_000)
    provider.shutdown()
    return trace_id


@pytest.mark.parametrize("processor_kind", ["simple", "batch"])
def test_opentelemetry_sdk_exporter_http_protobuf_gzip(server, processor_kind):
    trace_id = sdk_conversation(server.url, processor_kind)
    assert len(cli_json(server.store, "show", trace_id)["spans"]) == 3


@pytest.mark.parametrize("logs_first", [True, False])
def test_opentelemetry_sdk_log_exporter_joins_the_span(server, logs_first):
    """A prompt sent as a GenAI log event (the SDK's log exporter) becomes a
    message of the LLM span it names, whether the log or the span arrives first."""
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    logs = LoggerProvider()
    logs.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=server.url + "/v1/logs")))
    spans = TracerProvider()
    spans.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=server.url + "/v1/traces")))
    tracer = spans.get_tracer("client-test")
    text = "what is the weather in Paris? (%s)" % ("logs first" if logs_first else "span first")
    with tracer.start_as_current_span("chat gpt-4o") as span:
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.request.model", "gpt-4o")
        trace_id = format(span.get_span_context().trace_id, "032x")
        if logs_first:
            logs.get_logger("client-test").emit(
                body={"content": text}, attributes={"event.name": "gen_ai.user.message"})
            assert logs.force_flush(30_000)
        else:
            span_context = span.get_span_context()
    if not logs_first:
        # The span is exported when it ends; the log record names it afterwards.
        from opentelemetry import trace as trace_api

        with trace_api.use_span(trace_api.NonRecordingSpan(span_context)):
            logs.get_logger("client-test").emit(
                body={"content": text}, attributes={"event.name": "gen_ai.user.message"})
        assert logs.force_flush(30_000)
    assert spans.force_flush(30_000)
    messages = cli_json(server.store, "show", trace_id, "--view", "messages")
    assert {"role": "user", "content": text} in [{"role": m["role"], "content": m["content"]} for m in messages]

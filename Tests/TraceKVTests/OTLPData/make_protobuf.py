#!/usr/bin/env python3
"""Encodes the OTLP/JSON test files as protobuf with an encoder independent of
TraceKV: the `opentelemetry-proto` package from PyPI (Google's protobuf runtime).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install opentelemetry-proto==1.45.2
    /tmp/venv/bin/python Tests/TraceKVTests/OTLPData/make_protobuf.py

Writes, under OTLPData/protobuf/:
- one `NAME.binpb` per JSON request in OTLPData/real/ and OTLPData/logs/ (traces
  or logs, told by resourceSpans / resourceLogs);
- `file_exporter.pb`: the OpenTelemetry collector file exporter's `format: proto`
  layout, each message preceded by its length as a 4-byte big-endian integer,
  holding logs/genai_events.logs.json then logs/genai_events.traces.json.

OTLP/JSON differs from the protobuf JSON mapping that `json_format` reads:
ids are hex (the mapping wants base64) and the pre-1.0 field names (`batches`,
`instrumentationLibrarySpans`, `instrumentationLibrary`) are renamed; nothing
else is touched.
"""
import base64
import json
import pathlib
import struct

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

ROOT = pathlib.Path(__file__).resolve().parent
OUT = ROOT / "protobuf"
RENAMES = {"batches": "resourceSpans", "instrumentationLibrarySpans": "scopeSpans", "instrumentationLibrary": "scope"}
IDS = {"traceId", "spanId", "parentSpanId"}


def to_mapping(value):
    """OTLP/JSON → protobuf JSON mapping: hex ids to base64, old names renamed."""
    if isinstance(value, list):
        return [to_mapping(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {}
    for key, member in value.items():
        key = RENAMES.get(key, key)
        if key in IDS and isinstance(member, str):
            if member == "":
                continue
            member = base64.b64encode(bytes.fromhex(member)).decode()
        converted[key] = to_mapping(member)
    return converted


def encode(path):
    request = json.loads(path.read_text(encoding="utf-8"))
    message = ExportLogsServiceRequest() if "resourceLogs" in request else ExportTraceServiceRequest()
    json_format.ParseDict(to_mapping(request), message)
    return message.SerializeToString()


def main():
    OUT.mkdir(exist_ok=True)
    for folder in ["real", "logs"]:
        for path in sorted((ROOT / folder).glob("*.json")):
            (OUT / (path.stem + ".binpb")).write_bytes(encode(path))
    frames = b""
    for name in ["genai_events.logs.json", "genai_events.traces.json"]:
        body = encode(ROOT / "logs" / name)
        frames += struct.pack(">I", len(body)) + body
    (OUT / "file_exporter.pb").write_bytes(frames)


if __name__ == "__main__":
    main()

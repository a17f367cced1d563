"""Captures what current GenAI instrumentations send over OTLP/HTTP, for TraceKV's ingest tests.

Starts a stub OpenAI-compatible endpoint and a stub OTLP/HTTP collector on 127.0.0.1, runs
every scenario in a fresh subprocess (child.py) with the real client library and the real
OpenTelemetry SDK exporters (http/protobuf), and writes per scenario a folder with the raw
request bodies (NNN.traces.pb / NNN.logs.pb, in send order), their OTLP/JSON twins and
expected.json, written from what the script sent and scripted (scenario.py), never from the
captures. See README.md.

Usage: python capture.py [--legacy-python PATH] [SCENARIO ...]   (default: all scenarios)
"""

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import scenario as s
from stubs import CollectorStub, ModelStub

HERE = Path(__file__).resolve().parent

V2 = "opentelemetry-instrumentation-openai-v2"
LATEST = {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}
CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

# name, family, library (the instrumentation), mode, runner, span/log processor, env, content captured
SCENARIOS = [
    # util-genai >= 1.0b0 always takes the latest-experimental path, so the legacy 1.30 path
    # (per-message log events) needs the older util-genai: these two run in the legacy venv.
    dict(name="openai-v2-legacy-default", family="openai-v2", library=V2, python="legacy",
         mode="legacy semconv 1.30 (util-genai 0.4b0), no content", runner="chat", processor="simple",
         env={}, content=False),
    dict(name="openai-v2-legacy-content", family="openai-v2", library=V2, python="legacy",
         mode="legacy semconv 1.30 (util-genai 0.4b0), content=true", runner="chat", processor="simple",
         env={CONTENT: "true"}, content=True),
    dict(name="openai-v2-default", family="openai-v2", library=V2, mode="current default, no content",
         runner="chat", processor="simple", env={}, content=False),
    dict(name="openai-v2-span-only", family="openai-v2", library=V2, mode="gen_ai_latest_experimental, span_only",
         runner="chat", processor="simple", env={**LATEST, CONTENT: "span_only"}, content=True),
    dict(name="openai-v2-event-only", family="openai-v2", library=V2, mode="gen_ai_latest_experimental, event_only",
         runner="chat", processor="simple", env={**LATEST, CONTENT: "event_only"}, content=True),
    dict(name="openai-v2-span-and-event", family="openai-v2", library=V2,
         mode="gen_ai_latest_experimental, span_and_event", runner="chat", processor="simple",
         env={**LATEST, CONTENT: "span_and_event"}, content=True),
    dict(name="openai-v2-span-and-event-stream", family="openai-v2", library=V2,
         mode="gen_ai_latest_experimental, span_and_event, streaming", runner="chat_stream", processor="simple",
         env={**LATEST, CONTENT: "span_and_event"}, content=True),
    dict(name="openinference-openai", family="openinference-openai", library="openinference-instrumentation-openai",
         mode="default", runner="chat", processor="simple", env={}, content=True),
    dict(name="openinference-openai-stream", family="openinference-openai",
         library="openinference-instrumentation-openai", mode="default, streaming", runner="chat_stream",
         processor="simple", env={}, content=True),
    dict(name="openinference-openai-agents", family="openinference-openai-agents",
         library="openinference-instrumentation-openai-agents", mode="default, Responses API", runner="agents",
         processor="batch", env={}, content=True),
    dict(name="openllmetry-attributes", family="openllmetry", library="opentelemetry-instrumentation-openai",
         mode="use_attributes=True (default)", runner="chat", processor="simple", env={}, content=True,
         use_attributes=True),
    dict(name="openllmetry-events", family="openllmetry", library="opentelemetry-instrumentation-openai",
         mode="use_attributes=False", runner="chat", processor="simple", env={}, content=True,
         use_attributes=False),
    dict(name="pydantic-ai", family="pydantic-ai", library="pydantic-ai-slim", mode="InstrumentationSettings() default",
         runner="pydantic-ai", processor="batch", env={}, content=True),
    dict(name="pydantic-ai-v6", family="pydantic-ai", library="pydantic-ai-slim", mode="InstrumentationSettings(version=6)",
         runner="pydantic-ai", processor="batch", env={}, content=True, version=6),
]


ID_KEYS = {"traceId", "spanId", "parentSpanId"}


def hex_ids(node):
    """OTLP/JSON writes trace and span ids as lower-case hex, not protobuf-JSON's base64."""
    if isinstance(node, dict):
        return {k: (base64.b64decode(v).hex() if k in ID_KEYS and isinstance(v, str) else hex_ids(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [hex_ids(v) for v in node]
    return node


def otlp_json(signal, body):
    message = ExportTraceServiceRequest() if signal == "traces" else ExportLogsServiceRequest()
    message.ParseFromString(body)
    return hex_ids(json_format.MessageToDict(message, use_integers_for_enums=True))


def expected(config, requests, child):
    calls = s.REPLIES
    tool_calls = [r["tool_call"]["name"] for r in calls if "tool_call" in r]
    return {
        "scenario": config["name"],
        "library": child["versions"][0],
        "mode": config["mode"],
        "content_captured": config["content"],
        "span_processor": config["processor"],
        "environment": config["env"],
        "versions": child["versions"][1:],
        "llm_api": "responses" if config["runner"] == "agents" else "chat.completions",
        "streaming": config["runner"] == "chat_stream",
        "requests": [r["file"] for r in requests],
        "request_headers": [{"file": r["file"], "content_type": r["content_type"],
                             "content_encoding": r["content_encoding"]} for r in requests],
        "conversation": s.expected_conversation(config["content"]),
        "llm_calls": len(calls),
        "tool_calls_requested": tool_calls,
        "tools_executed": child["tools_executed"],
        "request_model": s.REQUEST_MODEL,
        "response_model": s.RESPONSE_MODEL,
        "usage": {
            "input_tokens": sum(r["usage"]["input_tokens"] for r in calls),
            "output_tokens": sum(r["usage"]["output_tokens"] for r in calls),
        },
        "llm_call_usage": [r["usage"] for r in calls],
    }


def run(config, model_stub, collector, pythons):
    model_stub.reset()
    collector.reset()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_", "TRACELOOP_"))}
    env.update(config["env"])
    env["PYTHONPATH"] = str(HERE)
    python = pythons[config.get("python", "current")]
    child = subprocess.run(
        [python, str(HERE / "child.py"), json.dumps(config), model_stub.url, collector.url],
        env=env, capture_output=True, text=True, timeout=300,
    )
    if child.returncode != 0:
        raise RuntimeError(f"{config['name']} failed:\n{child.stdout}\n{child.stderr}")
    report = json.loads(child.stdout.strip().splitlines()[-1])
    tools_executed = report["tools_executed"]
    # The capture is only worth keeping if the library really replayed the script.
    scripted_tools = [r["tool_call"]["name"] for r in s.REPLIES if "tool_call" in r]
    if tools_executed != scripted_tools or len(model_stub.requests) != len(s.REPLIES):
        raise RuntimeError(f"{config['name']}: ran {tools_executed}, {len(model_stub.requests)} model calls")

    folder = HERE / config["name"]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    requests = []
    # No meter provider is configured, so only traces and logs arrive; metrics would be dropped here.
    kept = [r for r in collector.bodies if r["signal"] in ("traces", "logs")]
    for index, record in enumerate(kept, start=1):
        name = f"{index:03d}.{record['signal']}"
        (folder / f"{name}.pb").write_bytes(record["body"])
        twin = otlp_json(record["signal"], record["body"])
        (folder / f"{name}.json").write_text(json.dumps(twin, indent=1, ensure_ascii=False) + "\n")
        requests.append({**record, "file": f"{name}.pb"})
    if not any(r["signal"] == "traces" for r in requests):
        raise RuntimeError(f"{config['name']}: no spans were exported")
    document = expected(config, requests, report)
    (folder / "expected.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    stderr = [line for line in child.stderr.splitlines() if line.strip()]
    print(f"{config['name']}: {len(requests)} requests"
          + (f" (child stderr: {len(stderr)} lines, last: {stderr[-1][:160]})" if stderr else ""))


def main():
    args = sys.argv[1:]
    pythons = {"current": sys.executable, "legacy": None}
    if "--legacy-python" in args:
        at = args.index("--legacy-python")
        pythons["legacy"] = args[at + 1]
        del args[at:at + 2]
    wanted = set(args)
    unknown = wanted - {c["name"] for c in SCENARIOS}
    if unknown:
        raise SystemExit(f"unknown scenarios: {sorted(unknown)}")
    model_stub, collector = ModelStub(), CollectorStub()
    for config in SCENARIOS:
        if wanted and config["name"] not in wanted:
            continue
        if pythons[config.get("python", "current")] is None:
            print(f"{config['name']}: skipped, needs --legacy-python (see README.md)")
            continue
        run(config, model_stub, collector, pythons)


if __name__ == "__main__":
    main()

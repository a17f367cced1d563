"""Spot-check of the captures: decodes every .pb with opentelemetry-proto and lists, per scenario,
span names, span attribute keys, span event names, log event names and log attribute keys.

Usage: python summarize.py [--markdown] [SCENARIO ...]
Numbered keys (gen_ai.prompt.0.role, llm.input_messages.1.message.content) are folded to N.
"""

import re
import sys
from pathlib import Path

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

HERE = Path(__file__).resolve().parent


def fold(key):
    return re.sub(r"\.\d+(?=\.|$)", ".N", key)


def scan(folder):
    found = {"spans": {}, "span_attrs": set(), "span_events": set(), "logs": {}, "log_attrs": set(),
             "log_bodies": set(), "traces": 0, "requests": 0, "span_count": 0, "log_count": 0}
    for path in sorted(folder.glob("*.pb")):
        found["requests"] += 1
        body = path.read_bytes()
        if path.name.endswith(".traces.pb"):
            message = ExportTraceServiceRequest.FromString(body)
            for resource in message.resource_spans:
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        found["span_count"] += 1
                        found["spans"][span.name] = found["spans"].get(span.name, 0) + 1
                        found["span_attrs"].update(fold(a.key) for a in span.attributes)
                        found["span_events"].update(e.name for e in span.events)
        else:
            message = ExportLogsServiceRequest.FromString(body)
            for resource in message.resource_logs:
                for scope in resource.scope_logs:
                    for record in scope.log_records:
                        found["log_count"] += 1
                        name = record.event_name or next(
                            (a.value.string_value for a in record.attributes if a.key == "event.name"), "(none)")
                        found["logs"][name] = found["logs"].get(name, 0) + 1
                        found["log_attrs"].update(fold(a.key) for a in record.attributes)
                        found["log_bodies"].add(record.body.WhichOneof("value") or "empty")
    return found


def markdown(folders):
    """An overview table, then the attribute keys, grouping scenarios whose key sets are equal."""
    import json

    print("| scenario | library | mode | requests (traces + logs) | spans (count) | span events | log records: event name (count); body |")
    print("|---|---|---|---|---|---|---|")
    keys = {}
    for folder in folders:
        f = scan(folder)
        meta = json.loads((folder / "expected.json").read_text())
        traces = sum(1 for r in meta["requests"] if r.endswith(".traces.pb"))
        spans = ", ".join(f"`{n}` ({c})" for n, c in f["spans"].items())
        logs = ", ".join(f"`{n}` ({c})" for n, c in f["logs"].items())
        logs = f"{logs}; body {'/'.join(sorted(f['log_bodies']))}" if logs else "none"
        events = ", ".join(f"`{k}`" for k in sorted(f["span_events"])) or "none"
        print(f"| {folder.name} | {meta['library']} | {meta['mode']} | {traces} + {f['requests'] - traces} "
              f"| {spans} | {events} | {logs} |")
        for kind in ("span_attrs", "log_attrs"):
            if f[kind]:
                keys.setdefault((kind, tuple(sorted(f[kind]))), []).append(folder.name)
    for kind, title in (("span_attrs", "Span attribute keys"), ("log_attrs", "Log record attribute keys")):
        print(f"\n{title} (numbered segments folded to `N`):\n")
        for (k, names), scenarios in keys.items():
            if k == kind:
                print(f"- {', '.join(scenarios)}: " + ", ".join(f"`{n}`" for n in names))


def main():
    args = [a for a in sys.argv[1:] if a != "--markdown"]
    if not args:  # every captured scenario, in capture.py's order
        from capture import SCENARIOS

        args = [c["name"] for c in SCENARIOS if (HERE / c["name"] / "expected.json").exists()]
    folders = [HERE / a for a in args]
    if "--markdown" in sys.argv:
        return markdown(folders)
    for folder in folders:
        f = scan(folder)
        spans = ", ".join(f"{n} ({c})" for n, c in f["spans"].items())
        logs = ", ".join(f"{n} ({c})" for n, c in f["logs"].items()) or "none"
        print(f"== {folder.name}: {f['requests']} requests, {f['span_count']} spans, {f['log_count']} log records")
        print(f"  spans: {spans}\n  span attributes: {', '.join(sorted(f['span_attrs']))}")
        print(f"  span events: {', '.join(sorted(f['span_events'])) or 'none'}\n  logs: {logs}")
        print(f"  log attributes: {', '.join(sorted(f['log_attrs']))}\n  log bodies: {'/'.join(sorted(f['log_bodies']))}")


if __name__ == "__main__":
    main()

"""A load run against `tracekv serve` (not a test): K clients post OTLP/HTTP JSON batches while
M clients search; prints spans committed per second, acknowledgement and search latency
percentiles, and errors, then checks the store holds every acknowledged span.

    python Tests/ClientTests/serve_load.py --tracekv .build/release/tracekv --writers 8 --requests 100 \\
        --spans 10 --searchers 2 --embedder hashing
"""

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
import pathlib

import requests

import conftest
from conftest import Server, cli_json


def batch(spans):
    """One request: `spans` one-span traces, each an LLM call with a distinct answer."""
    items = []
    for _ in range(spans):
        trace_id = uuid.uuid4().hex
        items.append({"traceId": trace_id, "spanId": trace_id[:16], "name": "chat gpt-4o", "kind": 3,
                      "startTimeUnixNano": "1763800000000000000", "endTimeUnixNano": "1763800001000000000",
                      "attributes": [
                          {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                          {"key": "gen_ai.output.messages", "value": {"stringValue": json.dumps([{
                              "role": "assistant", "parts": [{"type": "text", "content": f"weather report {trace_id}"}]}])}}]})
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": items}]}]})


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracekv", required=True)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--requests", type=int, default=100, help="per writer")
    parser.add_argument("--spans", type=int, default=10, help="per request")
    parser.add_argument("--searchers", type=int, default=2)
    parser.add_argument("--embedder", default="hashing", help="the new store's: hashing, minilm or none")
    args = parser.parse_args()
    conftest.TRACEKV = args.tracekv
    folder = pathlib.Path(tempfile.mkdtemp())
    store = folder / "load.tkv"
    # `serve` opens the store with its recorded embedder; an empty ingest records the one asked for.
    (folder / "empty.json").write_text("[]")
    conftest.cli(store, "ingest", "--embedder", args.embedder, str(folder / "empty.json"))
    server = Server(store)
    acks, searches, errors = [], [], []
    lock = threading.Lock()
    writing = threading.Event()
    writing.set()
    bodies = [[batch(args.spans) for _ in range(args.requests)] for _ in range(args.writers)]

    def writer(n):
        with requests.Session() as session:
            for body in bodies[n]:
                start = time.perf_counter()
                response = session.post(server.url + "/v1/traces", data=body, headers={"Content-Type": "application/json"})
                with lock:
                    (acks if response.status_code == 200 else errors).append(time.perf_counter() - start)

    def searcher():
        with requests.Session() as session:
            while writing.is_set():
                start = time.perf_counter()
                response = session.get(server.url + "/api/v1/traces/search", params={"text": "weather report", "min_rating": 1, "limit": 3})
                with lock:
                    (searches if response.status_code == 200 else errors).append(time.perf_counter() - start)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
    readers = [threading.Thread(target=searcher) for _ in range(args.searchers)]
    began = time.perf_counter()
    for thread in threads + readers:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    writing.clear()
    for thread in readers:
        thread.join()
    assert server.stop() == 0
    stored = cli_json(store, "stats")["total_spans"]
    print(json.dumps({
        "embedder": args.embedder, "writers": args.writers, "requests_per_writer": args.requests, "spans_per_request": args.spans,
        "searchers": args.searchers, "seconds": round(elapsed, 2),
        "spans_committed_per_second": round(len(acks) * args.spans / elapsed),
        "ack_p50_ms": round(percentile(acks, 50) * 1000, 2), "ack_p99_ms": round(percentile(acks, 99) * 1000, 2),
        "searches": len(searches), "search_p50_ms": round(percentile(searches, 50) * 1000, 2),
        "search_p99_ms": round(percentile(searches, 99) * 1000, 2),
        "errors": len(errors), "spans_stored": stored, "spans_acknowledged": len(acks) * args.spans,
    }, indent=2))


if __name__ == "__main__":
    main()

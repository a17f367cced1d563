"""`tracekv serve` acknowledges a write once committed and BM25-indexed; a background embedder
gives the trace its vector later (once quiet, or once its root span arrived), and catches up
after a restart. The CLI writes to the same store while the server runs."""

import json
import pathlib
import threading
import time
import uuid

import requests

from conftest import EXAMPLES, Server, cli, cli_json, trace_ids

WORD = "quokkaferry"


def span(trace_id, span_id, parent, reply):
    """One OTLP/JSON request holding one chat span whose reply is `reply`."""
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": trace_id, "spanId": span_id, "parentSpanId": parent, "name": "chat gpt-4o", "kind": 3,
        "startTimeUnixNano": "1763800000000000000", "endTimeUnixNano": "1763800001000000000",
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.output.messages", "value": {"stringValue": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": reply}]}])}},
        ]}]}]}]})


def send_children(url, trace_id, root="f0f0f0f0f0f0f0f0", count=5):
    """`count` child spans, one request each, as SimpleSpanProcessor sends them; BM25 finds the trace after each."""
    for n in range(count):
        response = requests.post(url + "/v1/traces", data=span(trace_id, f"{n + 1:016x}", root, f"{WORD} timetable part {n}"),
                                 headers={"Content-Type": "application/json"}, timeout=60)
        assert response.status_code == 200, response.text


def found(store, mode, text=WORD):
    """Trace ids `tracekv search --mode MODE` returns (the CLI is another process reading the same file)."""
    return [hit["trace_id"] for hit in cli_json(store, "search", text, "--mode", mode, "--limit", "50")["results"]]


def poll(condition, what, attempts=600):
    """Polls `condition` every 0.1 s; fails with `what` if it never holds (a bound, not a timing claim)."""
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def test_a_trace_sent_over_many_requests_is_found_by_bm25_at_once_and_by_vector_once_its_root_arrives(store):
    # An hour of quiet time: only the root span's arrival can make the vector due.
    server = Server(store, "--embed-after", "3600")
    try:
        trace_id = uuid.uuid4().hex
        send_children(server.url, trace_id)
        assert found(store, "lexical") == [trace_id]
        assert found(store, "vector") == []
        root = span(trace_id, "f0f0f0f0f0f0f0f0", "", "the agent run")
        assert requests.post(server.url + "/v1/traces", data=root, headers={"Content-Type": "application/json"},
                             timeout=60).status_code == 200
        poll(lambda: found(store, "vector") == [trace_id], "the vector search finds the trace")
    finally:
        assert server.stop() == 0
    assert cli(store, "verify").returncode == 0
    assert len(cli_json(store, "show", trace_id)["spans"]) == 6


def test_vectors_left_waiting_by_a_stop_are_embedded_by_the_next_server(store):
    server = Server(store, "--embed-after", "3600")
    trace_id = uuid.uuid4().hex
    try:
        send_children(server.url, trace_id)  # no root: the vector waits for an hour of quiet
    finally:
        assert server.stop() == 0
    assert found(store, "lexical") == [trace_id]
    assert found(store, "vector") == []
    assert cli(store, "verify").returncode == 0  # a waiting vector is not damage
    restarted = Server(store, "--embed-after", "0")
    try:
        poll(lambda: found(store, "vector") == [trace_id], "the restarted server embeds the waiting trace")
    finally:
        assert restarted.stop() == 0
    assert cli(store, "verify").returncode == 0


def test_embed_in_write_gives_the_vector_before_the_acknowledgement(store):
    server = Server(store, "--embed-in-write")
    try:
        trace_id = uuid.uuid4().hex
        send_children(server.url, trace_id, count=1)
        assert found(store, "vector") == [trace_id]
    finally:
        assert server.stop() == 0


def test_bad_embedder_options_are_refused(store):
    for option, value in (("--embed-after", "-1"), ("--embed-batch", "0")):
        result = cli(store, "serve", "--port", "0", option, value, check=False)
        assert result.returncode == 2 and option in result.stderr, result.stderr


def test_an_embed_batch_of_one_embeds_every_waiting_trace(store):
    server = Server(store, "--embed-after", "0", "--embed-batch", "1")
    try:
        ids = [uuid.uuid4().hex for _ in range(3)]
        for trace_id in ids:
            send_children(server.url, trace_id, count=1)
        poll(lambda: set(found(store, "vector")) == set(ids), "every trace has its vector")
    finally:
        assert server.stop() == 0


def test_cli_writes_while_serve_runs_are_seen_by_both(store, tmp_path):
    server = Server(store, "--embed-after", "0")
    posted, failures = [], []

    def post_traces():
        # OTLP requests keep arriving while the CLI writes.
        with requests.Session() as session:
            for _ in range(40):
                trace_id = uuid.uuid4().hex
                response = session.post(server.url + "/v1/traces", data=span(trace_id, "a1a1a1a1a1a1a1a1", "", "served answer"),
                                        headers={"Content-Type": "application/json"}, timeout=60)
                (posted if response.status_code == 200 else failures).append(trace_id)

    try:
        writer = threading.Thread(target=post_traces)
        writer.start()
        samples = sorted(EXAMPLES.glob("sample_*.json"))
        cli(store, "ingest", *map(str, samples))
        cli(store, "feedback", "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5", "--rating", "5", "--comment", "from the CLI")
        writer.join()
        assert failures == [] and len(posted) == 40
        sample_ids = {json.loads(path.read_text())["trace_id"] for path in samples}
        assert len(sample_ids) == 20

        # The server sees what the CLI wrote: the trace, its feedback, and search over it.
        got = requests.get(server.url + "/api/v1/traces/a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5", timeout=60).json()
        assert [(f["rating"], f["comment"]) for f in got["feedbacks"]] == [(5, "from the CLI")]
        listed = requests.get(server.url + "/api/v1/traces", params={"limit": 100}, timeout=60).json()
        assert listed["total"] == 60
        search = requests.get(server.url + "/api/v1/traces/search",
                              params={"text": "market cap of NVIDIA", "min_rating": 5, "limit": 5}, timeout=60).json()
        # Its AI rating is 1: only the CLI's feedback lets it pass min_rating 5.
        assert "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5" in [t["trace_id"] for t in search["results"]]
        # The CLI sees what the server wrote, and both indexes hold it.
        assert trace_ids(store) == sample_ids | set(posted)
        poll(lambda: set(posted) <= set(found(store, "vector", "served answer")), "every served trace has its vector")
        assert set(posted) <= set(found(store, "lexical", "served answer"))
    finally:
        assert server.stop() == 0
    assert cli(store, "verify").returncode == 0


def test_rest_search_mode_selects_one_index(server):
    sample = json.loads((EXAMPLES / "sample_10_partial_failure.json").read_text())
    assert requests.post(server.url + "/api/v1/traces", json=sample, timeout=60).status_code in (200, 201)

    def search(mode):
        response = requests.get(server.url + "/api/v1/traces/search", timeout=60,
                                params={"text": "market cap of NVIDIA", "min_rating": 1, "mode": mode})
        assert response.status_code == 200, response.text
        return [hit["trace_id"] for hit in response.json()["results"]]

    assert search("lexical") == [sample["trace_id"]]
    poll(lambda: search("vector") == [sample["trace_id"]], "the vector side finds the trace")
    assert search("hybrid") == [sample["trace_id"]]
    bad = requests.get(server.url + "/api/v1/traces/search", params={"text": "x", "mode": "fuzzy"}, timeout=60)
    assert bad.status_code == 422 and "mode must be" in bad.text

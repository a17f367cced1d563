"""Security, concurrency and shutdown of `tracekv serve`."""

import json
import os
import signal
import socket
import subprocess
import threading
import uuid

import requests

from conftest import TRACEKV, Server, cli_json, trace_ids


def otlp_trace(trace_id, span_id="a1a1a1a1a1a1a1a1"):
    """A one-span OTLP JSON request with an LLM call."""
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": trace_id, "spanId": span_id, "name": "chat gpt-4o", "kind": 3,
        "startTimeUnixNano": "1763800000000000000", "endTimeUnixNano": "1763800001000000000",
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.output.messages", "value": {"stringValue": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": "answer " + trace_id}]}])}},
        ]}]}]}]})


def test_a_non_loopback_host_is_refused_without_a_token(store):
    env = {k: v for k, v in os.environ.items() if k != "TRACEKV_TOKEN"}
    result = subprocess.run([TRACEKV, "--store", str(store), "serve", "--host", "0.0.0.0", "--port", "0"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1
    assert "without a token" in result.stderr
    assert result.stdout == ""


def test_with_a_token_every_route_but_health_needs_it(store):
    server = Server(store, "--host", "0.0.0.0", env=dict(os.environ, TRACEKV_TOKEN="s3cret"))
    try:
        url = server.url.replace("0.0.0.0", "127.0.0.1")
        assert requests.get(url + "/health", timeout=10).status_code == 200
        assert requests.get(url + "/api/v1/health", timeout=10).status_code == 200
        trace_id = uuid.uuid4().hex
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}, {"Authorization": "Bearer s3cre"}):
            for method, path in [("get", "/api/v1/traces"), ("post", "/v1/traces"), ("post", "/mcp"), ("get", "/api/v1/openapi.json")]:
                response = requests.request(method, url + path, data=otlp_trace(trace_id), timeout=10,
                                            headers={"Content-Type": "application/json", **headers})
                assert response.status_code == 401, (method, path, headers)
                assert response.headers["WWW-Authenticate"] == "Bearer"
        assert trace_ids(store) == set()
        good = {"Authorization": "Bearer s3cret", "Content-Type": "application/json"}
        assert requests.post(url + "/v1/traces", data=otlp_trace(trace_id), headers=good, timeout=10).status_code == 200
        assert requests.get(url + "/api/v1/traces", headers=good, timeout=10).json()["total"] == 1
        assert trace_ids(store) == {trace_id}
    finally:
        assert server.stop() == 0


def test_no_cors_headers(server):
    response = requests.get(server.url + "/api/v1/health", headers={"Origin": "https://evil.example"}, timeout=10)
    assert not any(name.lower().startswith("access-control-") for name in response.headers)
    preflight = requests.options(server.url + "/api/v1/traces", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, timeout=10)
    assert not any(name.lower().startswith("access-control-") for name in preflight.headers)


MAX_HEADER_VALUE = 16 << 10
MAX_HEADER_SECTION = 64 << 10


def raw_status(url, request_head):
    """The status line answered to a raw request head (b"closed" when NIO drops the connection)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request_head.encode() + b"\r\n")
        try:
            data = connection.recv(1000)
        except ConnectionResetError:
            data = b""
    return data.split(b"\r\n")[0] if data else b"closed"


def test_header_value_limit_at_and_one_past(server):
    def head(size):
        return f"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: {'a' * size}\r\n"

    assert raw_status(server.url, head(MAX_HEADER_VALUE)) == b"HTTP/1.1 200 OK"
    assert raw_status(server.url, head(MAX_HEADER_VALUE + 1)).startswith(b"HTTP/1.1 400")
    assert requests.get(server.url + "/health", timeout=10).status_code == 200


def test_header_count_limit_at_and_one_past(server):
    def head(count):  # Host and count - 1 more
        return "GET /health HTTP/1.1\r\nHost: x\r\n" + "".join(f"X-H{i}: v\r\n" for i in range(count - 1))

    assert raw_status(server.url, head(100)) == b"HTTP/1.1 200 OK"
    assert raw_status(server.url, head(101)).startswith(b"HTTP/1.1 400")


def test_header_section_limit_at_and_one_past(server):
    # NIO counts the request target and every header name and value.
    target = "/health"
    fixed = [("Host", "x")] + [(f"X-P{i}", "a" * 16000) for i in range(4)]
    counted = len(target) + sum(len(n) + len(v) for n, v in fixed) + len("X-Q")

    def head(last):
        fields = "".join(f"{n}: {v}\r\n" for n, v in fixed + [("X-Q", "b" * last)])
        return f"GET {target} HTTP/1.1\r\n{fields}"

    assert raw_status(server.url, head(MAX_HEADER_SECTION - counted)) == b"HTTP/1.1 200 OK"
    assert raw_status(server.url, head(MAX_HEADER_SECTION - counted + 1)).startswith(b"HTTP/1.1 400")


def test_concurrent_clients_lose_nothing(server):
    acknowledged = []
    lock = threading.Lock()

    def client(worker):
        with requests.Session() as session:
            for _ in range(25):
                trace_id = uuid.uuid4().hex
                response = session.post(server.url + "/v1/traces", data=otlp_trace(trace_id),
                                        headers={"Content-Type": "application/json"}, timeout=60)
                assert response.status_code == 200, response.text
                with lock:
                    acknowledged.append(trace_id)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(acknowledged) == 200
    assert trace_ids(server.store) == set(acknowledged)
    assert cli_json(server.store, "stats")["total_spans"] == 200


def test_sigterm_mid_stream_keeps_everything_acknowledged(store):
    server = Server(store)
    acknowledged = []
    lock = threading.Lock()
    stop = threading.Event()
    enough = threading.Event()

    def client():
        with requests.Session() as session:
            while not stop.is_set():
                trace_id = uuid.uuid4().hex
                try:
                    response = session.post(server.url + "/v1/traces", data=otlp_trace(trace_id),
                                            headers={"Content-Type": "application/json"}, timeout=60)
                except requests.ConnectionError:
                    return
                if response.status_code == 200:
                    with lock:
                        acknowledged.append(trace_id)
                        if len(acknowledged) >= 100:
                            enough.set()
                elif response.status_code != 503:
                    raise AssertionError(response.text)

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    assert enough.wait(120)
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=60)
    stop.set()
    for thread in threads:
        thread.join()
    assert code == 0
    stored = trace_ids(store)
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged traces lost"
    assert len(acknowledged) >= 100


def test_a_saturated_writer_answers_503_with_retry_after_and_writes_nothing(store):
    server = Server(store, "--max-queued-requests", "0")
    try:
        response = requests.post(server.url + "/v1/traces", data=otlp_trace(uuid.uuid4().hex),
                                 headers={"Content-Type": "application/json"}, timeout=10)
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        assert "saturated" in response.json()["message"]
        rest = requests.post(server.url + "/api/v1/traces", json={"trace_id": uuid.uuid4().hex, "spans": []}, timeout=10)
        assert rest.status_code == 503 and rest.headers["Retry-After"] == "1"
        assert requests.get(server.url + "/api/v1/stats", timeout=10).status_code == 200
    finally:
        assert server.stop() == 0
    assert trace_ids(store) == set()


def test_a_small_queue_under_load_answers_200_or_503_and_keeps_every_200(store):
    server = Server(store, "--max-queued-requests", "1")
    outcomes = []
    lock = threading.Lock()

    def client():
        with requests.Session() as session:
            for _ in range(20):
                trace_id = uuid.uuid4().hex
                response = session.post(server.url + "/v1/traces", data=otlp_trace(trace_id),
                                        headers={"Content-Type": "application/json"}, timeout=60)
                with lock:
                    outcomes.append((trace_id, response.status_code, response.headers.get("Retry-After")))

    threads = [threading.Thread(target=client) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.stop() == 0
    assert all(code == 200 or (code == 503 and retry == "1") for _, code, retry in outcomes)
    assert trace_ids(store) == {trace_id for trace_id, code, _ in outcomes if code == 200}

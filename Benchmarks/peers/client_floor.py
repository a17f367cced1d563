"""The load client's own cost: `serve_bench.py`'s plain-socket `Client` against Python's `http.client`, both
timing GETs to a trivial server (a separate process answering every request with a fixed 2-byte body) on
127.0.0.1. Prints, for each client and round, the round trip's p50 and the client's CPU per request.

  VENV/bin/python Benchmarks/peers/client_floor.py [--requests 5000] [--rounds 2]
"""

import argparse
import http.client
import json
import multiprocessing
import pathlib
import resource
import socket
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import serve_bench as bench  # noqa: E402

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def trivial_server(listener):
    while True:
        connection, _ = listener.accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        while data := connection.recv(65536):
            pending += data
            while b"\r\n\r\n" in pending:
                _, _, pending = pending.partition(b"\r\n\r\n")
                connection.sendall(ANSWER)


class StandardClient:
    """http.client over one kept connection, as `serve_bench.py` used before."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.connection.connect()
        self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def get(self, path):
        self.connection.request("GET", path)
        return self.connection.getresponse().read()

    def close(self):
        self.connection.close()


def measure(client, requests):
    for _ in range(300):
        client.get("/x")
    latencies, before = [], resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(requests):
        began = time.perf_counter()
        client.get("/x")
        latencies.append(time.perf_counter() - began)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / requests
    return {"p50_ms": round(bench.percentile(latencies, 50) * 1000, 3), "cpu_us_per_request": round(cpu * 1e6, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = multiprocessing.get_context("fork").Process(target=trivial_server, args=(listener,), daemon=True)
    server.start()
    results = []
    for round_number in range(args.rounds):
        for name, client in (("http.client", StandardClient(port)), ("plain socket", bench.Client(f"http://127.0.0.1:{port}"))):
            results.append({"round": round_number + 1, "client": name, **measure(client, args.requests)})
            client.close()  # the server answers one connection at a time
    server.terminate()
    print(json.dumps(results))


if __name__ == "__main__":
    main()

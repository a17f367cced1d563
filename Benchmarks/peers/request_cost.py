"""What one request costs `tracekv serve`: one client (`serve_bench.py`'s plain-socket `Client`, one
kept connection) sends the same kind of request back to back for a while, and the server's CPU over that
span (from /proc) is divided by the requests answered. For comparing two builds on one store, run
alternately; the store is copied first, so feedback leaves it as it was.

  VENV/bin/python Benchmarks/peers/request_cost.py --tracekv BIN --store S [--route health|get|feedback] \\
      [--seconds 4] [--rounds 2] [--compare OTHER_BIN]

Routes: `health` (GET /api/v1/health), `get` (GET /api/v1/traces/ID, the store's first trace), `feedback`
(POST /api/v1/traces/ID/feedback, cycling over the first 50 traces). Prints one line per build and round:
requests/s, p50 ms, server CPU µs and bytes the server sent to the disk (/proc/PID/io `write_bytes`) a
request; `--json` prints them as JSON objects, one a line.
VENV as `serve_bench.py`'s (Benchmarks/peers/requirements-serve.txt).
"""

import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import serve_bench as bench  # noqa: E402


def first_traces(binary, store, count):
    listed = subprocess.run([binary, "--store", str(store), "--read-only", "list", "--limit", str(count), "--json"],
                            capture_output=True, text=True, check=True)
    found = json.loads(listed.stdout)
    return [trace["trace_id"] for trace in found["traces"]]


def disk_bytes(server):
    fields = dict(line.split(": ") for line in pathlib.Path(f"/proc/{server.process.pid}/io").read_text().splitlines())
    return int(fields["write_bytes"])


def measure(binary, store, route, seconds, ids):
    with tempfile.TemporaryDirectory() as folder:
        copy = pathlib.Path(folder) / "store.tkv"
        shutil.copyfile(store, copy)
        server = bench.TraceKVServer(binary, copy)
        try:
            with bench.Client(server.url) as client:
                def once(number):
                    if route == "health":
                        return client.get("/api/v1/health")
                    if route == "get":
                        return client.get(f"/api/v1/traces/{ids[0]}")
                    return client.post(f"/api/v1/traces/{ids[number % len(ids)]}/feedback",
                                       {"rating": 3 + number % 3, "comment": "cost"})
                for number in range(200):  # warm: the first requests open pages and caches
                    once(number)
                latencies = []
                cpu_before, disk_before = server.cpu_seconds(), disk_bytes(server)
                end = time.perf_counter() + seconds
                while time.perf_counter() < end:
                    start = time.perf_counter()
                    response = once(len(latencies))
                    latencies.append(time.perf_counter() - start)
                    if response.status_code != 200:
                        raise SystemExit(f"{route}: status {response.status_code}: {response.text[:200]}")
                cpu, disk = server.cpu_seconds() - cpu_before, disk_bytes(server) - disk_before
        finally:
            server.stop()
    return {"build": binary, "route": route, "requests": len(latencies),
            "per_second": round(len(latencies) / seconds, 1), "p50_ms": bench.ms(bench.percentile(latencies, 50)),
            "server_cpu_us": round(cpu / len(latencies) * 1e6, 1), "disk_bytes": round(disk / len(latencies))}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracekv", required=True)
    parser.add_argument("--compare", help="a second build, run alternately with --tracekv")
    parser.add_argument("--store", required=True)
    parser.add_argument("--route", choices=["health", "get", "feedback"], default="health")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    ids = first_traces(options.tracekv, options.store, 50)
    if not ids:
        raise SystemExit("the store holds no trace")
    builds = [options.tracekv] + ([options.compare] if options.compare else [])
    for _ in range(options.rounds):
        for binary in builds:
            row = measure(binary, options.store, options.route, options.seconds, ids)
            if options.json:
                print(json.dumps(row), flush=True)
            else:
                print(f"{row['build']}  {row['route']}: {row['per_second']:,.0f} requests/s, p50 {row['p50_ms']} ms, "
                      f"{row['server_cpu_us']} µs of server CPU and {row['disk_bytes']:,} bytes to disk a request",
                      flush=True)


if __name__ == "__main__":
    main()

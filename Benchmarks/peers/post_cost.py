"""What posting traces costs `tracekv serve`: W processes post N TraceBrain traces (the REST part's,
`serve_bench.py`) to `POST /api/v1/traces` on a fresh store, and the server's CPU and the bytes it
writes (from /proc/PID/stat and /proc/PID/io) are divided by the traces. For comparing two builds,
run alternately.

  VENV/bin/python Benchmarks/peers/post_cost.py --tracekv BIN [--compare OTHER_BIN] [--traces 4000] \\
      [--writers 4] [--rounds 2] [--json]

Prints one line per build and round: traces/s, server CPU ms a trace, and per trace the bytes the
server handed to write calls (`wchar`), the bytes that reached the disk (`write_bytes`) and its write
calls (`syscw`). Env TKV_* variables pass through to the server (for experiments). VENV as
`serve_bench.py`'s (Benchmarks/peers/requirements-serve.txt).
"""

import argparse
import json
import pathlib
import random
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import serve_bench as bench  # noqa: E402


def io_counters(pid):
    lines = pathlib.Path(f"/proc/{pid}/io").read_text().splitlines()
    return {name: int(value) for name, value in (line.split(": ") for line in lines)}


def measure(binary, traces, writers, folder):
    store = bench.fresh_store_at(binary, pathlib.Path(folder), "post.tkv")
    server = bench.TraceKVServer(binary, store)
    try:
        per = [traces[n::writers] for n in range(writers)]
        processes = [(bench.poster, (server.url, "/api/v1/traces", "application/json", [json.dumps(t) for t in chunk]))
                     for chunk in per]
        cpu_before, io_before = server.cpu_seconds(), io_counters(server.process.pid)
        elapsed, results = bench.run_processes(processes)
        cpu, io = server.cpu_seconds() - cpu_before, io_counters(server.process.pid)
    finally:
        server.stop()
    errors = [e for r in results for e in r["errors"]]
    if errors:
        raise SystemExit(f"{binary}: {len(errors)} errors, first: {errors[0]}")
    count = len(traces)
    return {"build": binary, "traces": count, "writers": writers, "per_second": round(count / elapsed, 1),
            "server_cpu_ms": round(cpu * 1000 / count, 3),
            **{f"{name}_per_trace": round((io[name] - io_before[name]) / count)
               for name in ("wchar", "write_bytes", "syscw")}}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracekv", required=True)
    parser.add_argument("--compare", help="a second build, run alternately with --tracekv")
    parser.add_argument("--traces", type=int, default=4000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    rng = random.Random(2)
    templates = [json.loads(path.read_text()) for path in bench.SAMPLES]
    traces = [bench.tracebrain_trace(rng, templates[n % len(templates)]) for n in range(options.traces)]
    builds = [options.tracekv] + ([options.compare] if options.compare else [])
    for _ in range(options.rounds):
        for binary in builds:
            with tempfile.TemporaryDirectory() as folder:
                row = measure(binary, traces, options.writers, folder)
            if options.json:
                print(json.dumps(row), flush=True)
            else:
                print(f"{row['build']}: {row['per_second']:,.1f} traces/s, {row['server_cpu_ms']} ms of server CPU a "
                      f"trace; a trace wrote {row['wchar_per_trace']:,} bytes ({row['write_bytes_per_trace']:,} to disk) "
                      f"in {row['syscw_per_trace']} calls", flush=True)


if __name__ == "__main__":
    main()

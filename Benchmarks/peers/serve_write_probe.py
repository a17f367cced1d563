"""What one TraceBrain trace posted to `tracekv serve` costs the server: traces/s, the server's CPU per
trace, and what it writes per trace (`/proc/PID/io`: `wchar`, bytes handed to write calls; `write_bytes`,
bytes the kernel sent to the disk; `syscw`, write calls). W processes post N traces (the samples with fresh
ids, as `serve_bench.py`'s REST part does) to a fresh store; the server's CPU counts its background embedder.

  VENV/bin/python Benchmarks/peers/serve_write_probe.py --tracekv .build/release/tracekv [--traces 6000]
      [--writers 4] [--perf perf.data]   # --perf: `perf record -g` of the server while the traces are posted

Run two builds one after the other, alternating, to compare them: the figures move with the machine's load.
"""

import argparse
import json
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import serve_bench as bench  # noqa: E402  (the same client, traces and server wrapper)


def io_counters(pid):
    lines = pathlib.Path(f"/proc/{pid}/io").read_text().splitlines()
    return {name: int(value) for name, value in (line.split(": ") for line in lines)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracekv", required=True)
    parser.add_argument("--traces", type=int, default=6000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--perf", help="write a perf profile of the server's posting to this file")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="serve-write-probe-"))
    (work / "empty.json").write_text("[]")
    store = work / "probe.tkv"
    subprocess.run([args.tracekv, "--store", str(store), "ingest", "--embedder", "hashing", str(work / "empty.json")],
                   check=True, capture_output=True)
    server = bench.TraceKVServer(args.tracekv, store)
    rng = random.Random(2)
    templates = [json.loads(path.read_text()) for path in bench.SAMPLES]
    traces = [bench.tracebrain_trace(rng, templates[n % len(templates)]) for n in range(args.traces)]
    writers = [(bench.poster, (server.url, "/api/v1/traces", "application/json",
                               [json.dumps(t) for t in traces[n::args.writers]])) for n in range(args.writers)]
    profiler = None
    if args.perf:
        profiler = subprocess.Popen(["perf", "record", "-F", "4000", "-g", "-p", str(server.process.pid), "-o", args.perf],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    cpu, io = server.cpu_seconds(), io_counters(server.process.pid)
    elapsed, results = bench.run_processes(writers)
    bench.settle(server.process.pid)  # the background embedder's share belongs to the posts
    cpu, io = server.cpu_seconds() - cpu, {k: v - io[k] for k, v in io_counters(server.process.pid).items()}
    if profiler:
        profiler.send_signal(signal.SIGINT)
        profiler.wait()
    errors = sum(len(r["errors"]) for r in results)
    server.stop()
    print(json.dumps({
        "traces": args.traces, "writers": args.writers, "traces_per_second": round(args.traces / elapsed, 1),
        "server_cpu_ms_per_trace": round(cpu * 1000 / args.traces, 3),
        "per_trace": {name: round(io[name] / args.traces) for name in ("wchar", "write_bytes", "syscw")},
        "errors": errors}))


if __name__ == "__main__":
    main()

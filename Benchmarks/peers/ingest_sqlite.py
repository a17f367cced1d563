#!/usr/bin/env python3
"""SQLite peer for the ingest benchmark (Python 3 standard library only).

    python3 Benchmarks/peers/ingest_sqlite.py TRACES.jsonl OUT.db [--batch 1000] [--tracebrain-schema]

Loads a JSONL file of TraceBrain traces (one trace object per line) into
SQLite the way TraceBrain's development store does: Python sqlite3, WAL,
synchronous=NORMAL, a `traces` and a `spans` table with attributes stored as
JSON text, status/priority computed at ingest, timestamps parsed, and one
transaction per batch of traces (1,000 by default).

Timed: reading and parsing each line, building rows, inserts and commits.
Not timed: creating the schema, the final WAL checkpoint and the counts.
Prints one JSON object to stdout:
    {"traces", "spans", "seconds", "traces_per_s", "spans_per_s",
     "bytes_on_disk", "bytes_per_span"}
where traces/spans are the rows in the tables after the load and
bytes_on_disk = db + wal + shm after a final checkpoint(TRUNCATE).
Notes (rejected lines, schema, SQLite version) go to stderr.

Schema: by default the minimal one, spans keyed by PRIMARY KEY (trace_id,
span_id) (this unique index also serves lookups by trace_id, like
TraceBrain's UniqueConstraint("trace_id", "span_id")). --tracebrain-schema
adds what TraceBrain's ORM declares on top: a foreign key spans.trace_id ->
traces with PRAGMA foreign_keys=ON, and its secondary indexes (traces:
created_at, episode_id; spans: span_id, trace_id, parent_id,
(trace_id, parent_id), (trace_id, start_time)).

An existing OUT.db (and its -wal/-shm) is replaced. A trace whose trace_id is
already loaded, or a span whose (trace_id, span_id) is already loaded, is
ignored (INSERT OR IGNORE); TraceBrain would merge instead, which a benchmark
input with unique ids never exercises.
"""

import argparse
import json
import os
import re
import sqlite3
import sys
import time
from datetime import datetime, timezone

CRITICAL_ERROR_TYPES = {
    "logic_loop", "hallucination", "invalid_tool_usage", "tool_execution_error",
    "format_error", "misinterpretation", "context_overflow",
}
STATUSES = {"running", "completed", "needs_review", "failed"}
HUMAN_HELP_TOOL = "request_human_intervention"
TIMESTAMP_RE = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.([0-9]+))?(Z|[+-][0-9]{2}:?[0-9]{2})?"
)

SCHEMA = """
CREATE TABLE traces (
    trace_id   TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    priority   INTEGER,
    episode_id TEXT,
    attributes TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE spans (
    span_id    TEXT NOT NULL,
    trace_id   TEXT NOT NULL{fk},
    parent_id  TEXT,
    name       TEXT NOT NULL,
    start_time TEXT,
    end_time   TEXT,
    attributes TEXT NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);
"""

TRACEBRAIN_INDEXES = """
CREATE INDEX idx_trace_created_at ON traces (created_at);
CREATE INDEX idx_trace_episode_id ON traces (episode_id);
CREATE INDEX ix_spans_span_id ON spans (span_id);
CREATE INDEX ix_spans_trace_id ON spans (trace_id);
CREATE INDEX ix_spans_parent_id ON spans (parent_id);
CREATE INDEX idx_span_trace_parent ON spans (trace_id, parent_id);
CREATE INDEX idx_span_trace_time ON spans (trace_id, start_time);
"""


def parse_timestamp(value):
    """ISO 8601 text normalised like TraceBrain stores it, or None."""
    if not isinstance(value, str):
        return None
    m = TIMESTAMP_RE.fullmatch(value)
    if not m:
        return None
    base, frac, tz = m.group(1), m.group(2), m.group(3) or ""
    if tz == "Z":
        tz = "+00:00"
    elif tz and ":" not in tz:
        tz = tz[:3] + ":" + tz[3:]
    text = base + ("." + frac[:6].ljust(6, "0") if frac else "") + tz
    try:
        return datetime.fromisoformat(text).isoformat(sep=" ")
    except ValueError:
        return None


def needs_review(attributes, spans):
    """TraceBrain's three rules: help request, critical AI evaluation, ERROR span."""
    evaluation = attributes.get("tracebrain.ai_evaluation")
    if isinstance(evaluation, dict):
        error_type = evaluation.get("error_type")
        if isinstance(error_type, str) and error_type in CRITICAL_ERROR_TYPES:
            return True
        confidence = evaluation.get("confidence")
        if isinstance(confidence, (int, float)) and not isinstance(confidence, bool) and confidence < 0.75:
            return True
    for span in spans:
        a = span.get("attributes")
        if not isinstance(a, dict):
            continue
        if a.get("otel.status_code") == "ERROR":
            return True
        kind = a.get("tracebrain.span.type")
        if kind == "tool_execution" and a.get("tracebrain.tool.name") == HUMAN_HELP_TOOL:
            return True
        code = a.get("tracebrain.llm.tool_code")
        if kind == "llm_inference" and isinstance(code, str) and HUMAN_HELP_TOOL in code:
            return True
    return False


def trace_rows(trace):
    """(trace row, span rows) for one parsed trace; ValueError if unusable."""
    trace_id = trace.get("trace_id") if isinstance(trace, dict) else None
    if not isinstance(trace_id, str) or not trace_id:
        raise ValueError("missing or empty trace_id")
    attributes = trace.get("attributes")
    attributes = dict(attributes) if isinstance(attributes, dict) else {}
    spans = [s for s in (trace.get("spans") or []) if isinstance(s, dict)]

    status = attributes.get("tracebrain.trace.status")
    if not isinstance(status, str) or status not in STATUSES:
        status = "running"
    if needs_review(attributes, spans):
        status = "needs_review"
    priority = attributes.get("tracebrain.trace.priority")
    if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 5:
        priority = 3
    attributes["tracebrain.trace.status"] = status
    episode_id = attributes.get("tracebrain.episode.id")
    created_at = datetime.now(timezone.utc).isoformat(sep=" ")
    row = (trace_id, status, priority, episode_id if isinstance(episode_id, str) else None,
           json.dumps(attributes), created_at)

    span_rows = []
    for span in spans:
        span_id = span.get("span_id")
        if not isinstance(span_id, str) or not span_id:
            raise ValueError(f"trace {trace_id}: missing or empty span_id")
        span_attributes = span.get("attributes") or {}
        if isinstance(span_attributes, dict) and "system_prompt" in span_attributes:
            span_attributes = {k: v for k, v in span_attributes.items() if k != "system_prompt"}
        parent_id = span.get("parent_id")
        span_rows.append((
            span_id, trace_id, parent_id if isinstance(parent_id, str) else None,
            span.get("name") or "Unknown",
            parse_timestamp(span.get("start_time")), parse_timestamp(span.get("end_time")),
            json.dumps(span_attributes),
        ))
    return row, span_rows


def remove_db(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


def bytes_on_disk(path):
    return sum(os.path.getsize(path + s) for s in ("", "-wal", "-shm") if os.path.exists(path + s))


def main():
    ap = argparse.ArgumentParser(description="Load TraceBrain JSONL into SQLite and time it.")
    ap.add_argument("jsonl")
    ap.add_argument("db")
    ap.add_argument("--batch", type=int, default=1000, help="traces per transaction (default 1000)")
    ap.add_argument("--tracebrain-schema", action="store_true",
                    help="add TraceBrain's foreign key and secondary indexes")
    args = ap.parse_args()
    if args.batch < 1:
        ap.error("--batch must be at least 1")

    remove_db(args.db)
    con = sqlite3.connect(args.db, isolation_level=None)  # explicit BEGIN/COMMIT
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    if args.tracebrain_schema:
        con.execute("PRAGMA foreign_keys=ON")
        con.executescript(SCHEMA.format(fk=" REFERENCES traces(trace_id) ON DELETE CASCADE"))
        con.executescript(TRACEBRAIN_INDEXES)
    else:
        con.executescript(SCHEMA.format(fk=""))

    insert_trace = "INSERT OR IGNORE INTO traces VALUES (?, ?, ?, ?, ?, ?)"
    insert_span = "INSERT OR IGNORE INTO spans VALUES (?, ?, ?, ?, ?, ?, ?)"
    rejected = 0

    def flush(trace_batch, span_batch):
        con.execute("BEGIN")
        con.executemany(insert_trace, trace_batch)
        con.executemany(insert_span, span_batch)
        con.execute("COMMIT")

    start = time.perf_counter()
    with open(args.jsonl, "rb") as f:
        trace_batch, span_batch = [], []
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row, span_rows = trace_rows(json.loads(line))
            except ValueError as e:  # includes JSON errors
                rejected += 1
                if rejected <= 5:
                    print(f"line {line_no}: rejected: {e}", file=sys.stderr)
                continue
            trace_batch.append(row)
            span_batch.extend(span_rows)
            if len(trace_batch) >= args.batch:
                flush(trace_batch, span_batch)
                trace_batch, span_batch = [], []
        if trace_batch:
            flush(trace_batch, span_batch)
    seconds = time.perf_counter() - start

    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    traces = con.execute("SELECT COUNT(*) FROM traces").fetchone()[0]
    spans = con.execute("SELECT COUNT(*) FROM spans").fetchone()[0]
    size = bytes_on_disk(args.db)  # measured with the connection open, so -shm is counted
    con.close()

    print(f"sqlite {sqlite3.sqlite_version}, schema {'tracebrain' if args.tracebrain_schema else 'minimal'}, "
          f"batch {args.batch}, rejected lines {rejected}", file=sys.stderr)
    print(json.dumps({
        "traces": traces,
        "spans": spans,
        "seconds": round(seconds, 6),
        "traces_per_s": round(traces / seconds, 1) if seconds > 0 else None,
        "spans_per_s": round(spans / seconds, 1) if seconds > 0 else None,
        "bytes_on_disk": size,
        "bytes_per_span": round(size / spans, 1) if spans else None,
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Whether two builds, each on its own store of the same traces, return the same hits.

For a change to the search path or to the index's format: each build searches its own store
(ingested from the same input, so the same trace ids) through `tracekv search --json`, lexical and
hybrid, limit 100, and every result list must match: the same trace ids in the same order, and
the same scores (with --relative-tolerance, scores within that fraction of each other, for a change
that sums a score's terms in another order). The queries: 40 of a BEIR queries.jsonl (seeded) and
10 runs of ten words drawn from the messages of the traces named.

  python3 Benchmarks/peers/same_hits.py --before BIN STORE --after BIN STORE \
      --queries bench-data/traces-1m/queries.jsonl --trace ID [--trace ID ...]

Prints one line per differing list and a summary; exits 1 when any list differs.
"""
import argparse
import json
import random
import subprocess
import sys


def tracekv(binary, store, *arguments):
    done = subprocess.run([binary, "--store", store, "--read-only", *arguments], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{binary} {' '.join(arguments[:2])}: {done.stderr.strip()}")
    return done.stdout


def matches(before, after, tolerance):
    if [trace for trace, _ in before] != [trace for trace, _ in after]:
        return False
    return all(abs(a - b) <= tolerance * max(abs(a), abs(b)) for (_, a), (_, b) in zip(before, after))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", nargs=2, metavar=("BIN", "STORE"), required=True)
    parser.add_argument("--after", nargs=2, metavar=("BIN", "STORE"), required=True)
    parser.add_argument("--queries", required=True, help="a BEIR queries.jsonl")
    parser.add_argument("--trace", action="append", default=[], help="a trace whose words make queries")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--relative-tolerance", type=float, default=0.0,
                        help="scores may differ by this fraction of the larger (default 0: identical)")
    options = parser.parse_args()

    generator = random.Random(options.seed)
    with open(options.queries) as lines:
        texts = [json.loads(line)["text"] for line in lines if line.strip()]
    queries = generator.sample(texts, min(40, len(texts)))
    words = []
    for trace in options.trace:
        words += tracekv(*options.before, "show", trace, "--view", "messages").split()
    if words:
        queries += [" ".join(generator.choice(words) for _ in range(10)) for _ in range(10)]

    same = identical = total = 0
    for query in queries:
        for mode in ("lexical", "hybrid"):
            lists = []
            for binary, store in (options.before, options.after):
                found = json.loads(tracekv(binary, store, "search", "--mode", mode, "--limit", "100", "--json", query))
                lists.append([(hit["trace_id"], hit["score"]) for hit in found["results"]])
            total += 1
            identical += lists[0] == lists[1]
            if not matches(lists[0], lists[1], options.relative_tolerance):
                print(f"differ: {mode} {query[:60]!r}: {len(lists[0])} and {len(lists[1])} hits")
                continue
            same += 1
            if lists[0] != lists[1]:
                worst = max(abs(a - b) / max(abs(a), abs(b)) for (_, a), (_, b) in zip(*lists))
                print(f"alike: {mode} {query[:60]!r}: largest relative score difference {worst:.1e}")
    print(f"{identical} of {total} result lists identical (trace ids and scores)")
    if options.relative_tolerance > 0:
        print(f"{same} of {total} with the same trace ids in order and scores within {options.relative_tolerance:g}")
    sys.exit(0 if same == total else 1)


if __name__ == "__main__":
    main()

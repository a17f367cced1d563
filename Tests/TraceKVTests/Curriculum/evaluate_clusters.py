#!/usr/bin/env python3
"""Scores `tracekv curriculum --json` against the labelled failures.

    tracekv curriculum --json | python3 evaluate_clusters.py labelled_failures.jsonl

purity: the share of clustered runs whose cluster's most common true type is
their own (1.0: no cluster mixes types). inverse purity: the share of runs in
the cluster holding most of their true type (1.0: no type is split). Runs
whose true type is "success" count against purity (they are not failures).
"""
import collections
import json
import sys

truth = {}
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        trace = json.loads(line)
        truth[trace["trace_id"]] = trace["attributes"]["eval.true_type"]
report = json.load(sys.stdin)
clusters = [[truth[i] for i in cluster["trace_ids"]] for cluster in report["clusters"]]
runs = sum(len(c) for c in clusters)
majority = sum(collections.Counter(c).most_common(1)[0][1] for c in clusters)
by_type = collections.defaultdict(list)
for index, cluster in enumerate(clusters):
    for label, count in collections.Counter(cluster).items():
        by_type[label].append(count)
failures = sum(1 for label in truth.values() if label != "success")
print(json.dumps({
    "failed_runs_true": failures, "failed_runs_found": report["failed_runs"], "clustered_runs": runs,
    "true_types": len([t for t in by_type if t != "success"]), "clusters": len(clusters),
    "purity": round(majority / runs, 3) if runs else None,
    "inverse_purity": round(sum(max(v) for v in by_type.values()) / runs, 3) if runs else None,
}))

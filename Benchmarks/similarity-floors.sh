#!/bin/bash
# The similarity-floor sweep: nDCG@10 / R@100 on each collection, and the hits
# queries from the other collection get (filler), at each floor.
cd "$(dirname "$0")/.."
B=.build/release/tracekv-bench
export OPENBLAS_NUM_THREADS=1
mkdir -p bench-results/floors
for emb in minilm hashing; do
for pair in "tau2-banking debian-2000" "debian-2000 tau2-banking"; do
  set -- $pair
  for floor in 0 0.05 0.1 0.15 0.2 0.25 0.3 0.35 0.4; do
    echo "== $emb $1 floor $floor (foreign: $2)"
    $B retrieval --beir bench-data/$1 --mode all --embedder $emb --min-similarity $floor --foreign-queries bench-data/$2 \
      --json bench-results/floors/$emb-$1-$floor.json 2>/dev/null | grep -E "^(mode|lexical|vector|hybrid)"
  done
done
done

"""How much of term at a time's postings dynamic pruning could skip at depth k, on a
BEIR folder, by exact BM25 (k1 1.2, b 0.75) in NumPy: MaxScore's non-essential lists at
the final k-th score, with a top tier per long list, block maxima of 128 and 32 postings,
and windowed MaxScore's probes with the final and with a seeded threshold (BENCHMARKS.md,
"BM25 at scale"). Tokens are approximated by lower-cased runs of letters and digits.

    python bm25_pruning_headroom.py bench-data/traces-100k 100
"""
import json, re, math, sys, collections
import numpy as np
path = sys.argv[1]; K = int(sys.argv[2]) if len(sys.argv) > 2 else 100
tok = re.compile(r"[^\W_]+", re.U)
docs = []
for line in open(path + "/corpus.jsonl"):
    d = json.loads(line); docs.append(collections.Counter(tok.findall((d.get("title","") + " " + d["text"]).lower())))
N = len(docs); lengths = np.array([sum(c.values()) for c in docs], dtype=np.float64); avg = lengths.mean()
post = collections.defaultdict(list)
for i, c in enumerate(docs):
    for t, f in c.items(): post[t].append((i, f))
lists = {t: (np.array([p[0] for p in v]), np.array([p[1] for p in v], dtype=np.float64)) for t, v in post.items()}
k1, b = 1.2, 0.75
queries = [json.loads(l)["text"] for l in open(path + "/queries.jsonl")][:400]
agg = collections.Counter()
for q in queries:
    terms = collections.Counter(t for t in tok.findall(q.lower()) if t in lists)
    if not terms: continue
    scores = np.zeros(N); contrib = {}
    for t, qf in terms.items():
        d, f = lists[t]; idf = math.log(1 + (N - len(d) + 0.5) / (len(d) + 0.5))
        s = qf * idf * f / (f + k1 * (1 - b + b * lengths[d] / avg)); contrib[t] = (d, s); scores[d] += s
    theta = np.sort(scores)[-K] if (scores > 0).sum() >= K else 0.0
    total = sum(len(d) for d, s in contrib.values()); agg["postings"] += total
    # MaxScore over virtual lists with bound per list: postings in non-essential lists
    def nonessential(virtual):  # list of (bound, count)
        virtual = sorted(virtual); run = 0; skipped = 0
        for bound, count in virtual:
            run += bound
            if run > theta: break
            skipped += count
        return skipped
    agg["term"] += nonessential([(s.max(), len(s)) for d, s in contrib.values()])
    for P in (256, 1024):
        virt = []
        for d, s in contrib.values():
            if len(s) > 2 * P:
                order = np.sort(s)[::-1]; virt.append((order[0], P)); virt.append((order[P], len(s) - P))
            else: virt.append((s.max(), len(s)))
        agg["tier%d" % P] += nonessential(virt)
    # Block bounds: a posting in a block whose bound + other terms' global bounds <= theta is skippable
    U = {t: s.max() for t, (d, s) in contrib.items()}; sumU = sum(U.values())
    for B in (128, 32):
        sk = 0
        for t, (d, s) in contrib.items():
            n = len(s) // B * B
            if n == 0: continue
            bm = s[:n].reshape(-1, B).max(axis=1)
            sk += int(((bm + sumU - U[t]) <= theta).sum()) * B
        agg["block%d" % B] += sk
    # Oracle: postings whose document ends in the top k (the least any exact method must score)
    top = set(np.argsort(-scores)[:K]); agg["oracle_needed"] += sum(int(np.isin(d, list(top)).sum()) for d, s in contrib.values())
    # Seed: k-th best partial over the most selective terms holding <= 10 % of the query's postings
    byidf = sorted(contrib.items(), key=lambda kv: len(kv[1][0])); budget = 0; seedp = np.zeros(N); used = 0
    for t, (d, s) in byidf:
        if used and budget + len(d) > 0.1 * total: break
        budget += len(d); used += 1; seedp[d] += s
    theta0 = np.sort(seedp)[-K] if (seedp > 0).sum() >= K else 0.0
    agg["seed_postings"] += budget; agg["theta0_over_theta"] += theta0 / theta if theta > 0 else 0
    theta_final = theta; theta = theta0
    # Windowed MaxScore at the seed theta: essential lists accumulate, docs passing partial + nonEssBound probe
    items = sorted(contrib.items(), key=lambda kv: kv[1][1].max()); run = 0; ne = []
    for t, (d, s) in items:
        if run + s.max() > theta: break
        run += s.max(); ne.append(t)
    ess = [t for t, _ in items if t not in ne]
    partial = np.zeros(N); touched = np.zeros(N, bool)
    for t in ess: d, s = contrib[t]; partial[d] += s; touched[d] = True
    agg["ess_docs"] += int(touched.sum()); agg["probed_docs"] += int((touched & (partial + run > theta)).sum())
    agg["ess_postings"] += sum(len(contrib[t][0]) for t in ess); theta = theta_final
    agg["ne_terms"] += len(ne); agg["terms"] += len(items)
    agg["queries"] += 1
print(K, {k: (v if k in ("postings", "queries", "ess_docs", "probed_docs", "ne_terms", "terms", "seed_postings", "theta0_over_theta", "ess_postings") else round(v / agg["postings"], 4)) for k, v in agg.items()})

#!/usr/bin/env python3
"""sentence-transformers all-MiniLM-L6-v2 on the CPU: the peer of `tracekv-bench embed`.

Reads the same JSONL texts and the same model directory as the Swift harness,
embeds them at one batch size, and prints one JSON object on stdout:
{"peer", "batch", "texts", "seconds", "texts_per_s", "peak_rss_mb", "versions"}.
The harness runs one process per batch size so that peak memory is per run.
"""
import argparse
import json
import resource
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="model directory (config.json, model.safetensors, ...)")
    parser.add_argument("--input", required=True, help="JSONL file, one {'text': ...} per line")
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="use the first N texts (0: all)")
    parser.add_argument("--warmup", type=int, default=32, help="texts embedded once before timing")
    args = parser.parse_args()

    import torch
    import sentence_transformers
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    with open(args.input, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    if args.limit:
        texts = texts[: args.limit]

    model = SentenceTransformer(args.model, device="cpu")
    model.encode(texts[: args.warmup], batch_size=args.batch, normalize_embeddings=True)

    start = time.perf_counter()
    # One encode call over all texts, the library's normal use: it sorts the
    # texts by length before batching, which minimizes its padding (its best
    # case; the Swift side packs sequences and has no padding to minimize).
    model.encode(texts, batch_size=args.batch, normalize_embeddings=True)
    seconds = time.perf_counter() - start

    json.dump(
        {
            "peer": "sentence-transformers",
            "batch": args.batch,
            "threads": torch.get_num_threads(),
            "texts": len(texts),
            "seconds": seconds,
            "texts_per_s": len(texts) / seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "versions": {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__},
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()

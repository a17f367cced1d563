#!/usr/bin/env python3
"""Write Tests/TraceKVTests/Expected/<stem>.json for every TraceBrain fixture
and edge_<stem>.json for every hand-made edge trace in Oracle/edge/.

    python3 Tests/TraceKVTests/Oracle/generate.py [--fixtures DIR] [--check]

--fixtures defaults to the repository's Examples/tracebrain (identical to the
shared fixture set). --check writes nothing and exits 1 if any expected file
is missing or differs. Prints the status counts of the fixtures.
"""

import argparse
import collections
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep __pycache__ out of the test target
sys.path.insert(0, str(HERE))
from tracebrain_reference import dumps_expected, expected_for  # noqa: E402

REPO = HERE.parents[2]
EXPECTED = HERE.parent / "Expected"
EDGE = HERE / "edge"


def fixture_key(path):
    """sample_2_x sorts before sample_10_x."""
    parts = path.stem.split("_")
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0, path.name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", type=Path, default=REPO / "Examples" / "tracebrain")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    jobs = [(p, p.stem) for p in sorted(args.fixtures.glob("*.json"), key=fixture_key)]
    jobs += [(p, "edge_" + p.stem) for p in sorted(EDGE.glob("*.json"))]
    if not jobs:
        sys.exit(f"no fixtures found in {args.fixtures}")

    EXPECTED.mkdir(parents=True, exist_ok=True)
    counts = collections.Counter()
    stale = []
    for src, name in jobs:
        with open(src, encoding="utf-8") as f:
            trace = json.load(f)
        result = expected_for(trace)
        if not name.startswith("edge_"):
            counts[result["status"]] += 1
        text = dumps_expected(result)
        out = EXPECTED / f"{name}.json"
        if args.check:
            if not out.exists() or out.read_text(encoding="utf-8") != text:
                stale.append(out.name)
        else:
            out.write_text(text, encoding="utf-8")

    print("fixture statuses:", dict(sorted(counts.items())))
    if args.check:
        if stale:
            print("stale or missing:", ", ".join(stale))
            sys.exit(1)
        print(f"{len(jobs)} expected files up to date")
    else:
        print(f"wrote {len(jobs)} files to {EXPECTED.relative_to(REPO)}")


if __name__ == "__main__":
    main()

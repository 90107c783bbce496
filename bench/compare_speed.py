"""Who said what, timed: /api/compare against /api/ask on the same questions, over a real `qa serve`.

Each question of an eval file is asked both ways, alternately, after a warm-up; the script prints the p50 and
p90 of each, their ratio, the answer sizes and how many parties a comparison ranks. Prints, asserts nothing.

Usage: .venv/bin/python bench/compare_speed.py --corpus-dir /tmp/ungdc --eval ../shared/eval/ungdc-2021-dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import free_port, get, pct, serve

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--index-dir", default="")
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in Path(args.eval).read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    env = {**os.environ, "QA_CORPUS_DIR": args.corpus_dir, "PYTHONPATH": str(ROOT)}
    if args.index_dir:
        env["QA_INDEX_DIR"] = args.index_dir
    port = free_port()
    proc = serve(env, port)
    base = f"http://127.0.0.1:{port}"
    times: dict[str, list[float]] = {"ask": [], "compare": []}
    sizes: dict[str, list[int]] = {"ask": [], "compare": []}
    parties: list[int] = []
    try:
        for q in questions[:3]:  # warm-up: first calls load lazy tables
            get(f"{base}/api/ask?q={urllib.parse.quote(q)}")
            get(f"{base}/api/compare?q={urllib.parse.quote(q)}")
        for q in questions:
            for kind in ("ask", "compare"):
                t = time.perf_counter()
                status, body = get(f"{base}/api/{kind}?q={urllib.parse.quote(q)}")
                times[kind].append(1000 * (time.perf_counter() - t))
                sizes[kind].append(len(body))
                if status != 200:
                    raise SystemExit(f"{kind} {q!r}: HTTP {status}: {body[:200]!r}")
                if kind == "compare":
                    parties.append(json.loads(body)["total"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ask, compare = statistics.median(times["ask"]), statistics.median(times["compare"])
    print(f"{len(questions)} questions over {args.corpus_dir}")
    print("| endpoint | p50 ms | p90 ms | answer size (median) |\n|---|---|---|---|")
    for kind in ("ask", "compare"):
        print(f"| /api/{kind} | {statistics.median(times[kind]):.0f} | {pct(times[kind], 90):.0f} | "
              f"{statistics.median(sizes[kind]) / 1024:.0f} KB |")
    print(f"\ncompare / ask (p50): {compare / ask:.2f}; parties ranked per comparison: median "
          f"{statistics.median(parties):.0f}, max {max(parties)}")
    broad = [i for i, n in enumerate(parties) if n > 20]  # questions naming no party: every speaker is compared
    if broad:
        a, c = (statistics.median(times[kind][i] for i in broad) for kind in ("ask", "compare"))
        print(f"questions that compare more than 20 parties: {len(broad)}; p50 ask {a:.0f} ms, compare {c:.0f} ms "
              f"(ratio {c / a:.2f})")


if __name__ == "__main__":
    main()

"""Sentence vectors made late (from the paragraph's pass) against independent (each sentence on its own): the quality
table of issue 20, from `qa eval` on each question set.

For each question set and each method, an index of the set's corpus is built in WORK/<set>-<method> with
`qa --sentence-vectors <method> index` (vectors from the embedding cache where it has them), then scored with
`qa eval --json` over every channel (`all`) and the sentence channel alone (`--channels sentence`), with the
relevance judgement and, with --no-judge, without it. Printed per row: recall@1/5/10, MRR@10 and the marked
answering sentence (of the questions whose passage is found, the share whose marked sentence holds a gold quote).
Prints, asserts nothing; the corpora's own index folders are not touched.

Usage: .venv/bin/python bench/sentence_vectors.py --set ../shared/eval/dev.jsonl=corpus \
           --set ../shared/eval/ungdc-2021-dev.jsonl=/tmp/ungdc [--work DIR] [--no-judge]
(/tmp/ungdc: `qa init /tmp/ungdc && qa add --manifest ../shared/corpora/ungdc-2021/manifest.jsonl --corpus-dir
/tmp/ungdc`)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("independent", "late")


def qa(*args: str) -> str:
    cmd = [sys.executable, "-m", "qa.cli.main", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}).stdout


def scores(summary: dict[str, Any]) -> str:
    a = summary["by_group"]["all"]
    return (f"{a['recall@1']:.3f} | {a['recall@5']:.3f} | {a['recall@10']:.3f} | {a['mrr@10']:.3f} | "
            f"{summary['answer_sentence']:.3f} ({summary['answer_sentence_found']})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="EVAL=CORPUS",
                    help="a question file and the corpus folder it is asked of (repeatable)")
    ap.add_argument("--work", type=Path, default=None, help="where the indexes go (default: a temporary folder)")
    ap.add_argument("--no-judge", action="store_true", help="also score without the relevance judgement")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sentence-vectors-"))
    runs = [("all", ["--channels", "all"]), ("sentence", ["--channels", "sentence"])]
    if args.no_judge:
        runs += [(f"{name}, no judgement", [*flags, "--no-judge"]) for name, flags in runs]
    print("| set | channels | sentence vectors | R@1 | R@5 | R@10 | MRR@10 | marked sentence (found) |")
    print("|---|---|---|---|---|---|---|---|")
    for pair in args.set:
        eval_file, corpus = (Path(x).resolve() for x in pair.split("=", 1))
        for name, flags in runs:
            for method in METHODS:
                index_dir = work / f"{eval_file.stem}-{method}"
                common = ["--sentence-vectors", method]
                where = ["--corpus-dir", str(corpus), "--index-dir", str(index_dir)]
                qa(*common, "index", *where)
                summary = json.loads(qa(*common, "eval", str(eval_file), *where, "--json", *flags))["summary"]
                print(f"| {eval_file.name} | {name} | {method} | {scores(summary)} |", flush=True)


if __name__ == "__main__":
    main()

"""Benchmark: the FAISS and the Milvus store side by side on one corpus and question set; prints figures, asserts nothing.

For each store, two fresh processes, one after the other (Milvus Lite lets one process open a .db):
- build: `build_index` with every vector from the embedding cache (no model time), its wall time and peak RSS;
- serve: model and index opened as `qa serve` opens them (`Engine.open`), RSS after opening; the question set
  scored as `qa eval` scores it; then `Engine.ask` (in process, no HTTP, k=10) timed over every question,
  after one untimed pass (Lite builds its inverted index on the first lexical search of a process); peak RSS.
Then how many questions got the very same ten passages from both stores.

Usage: .venv/bin/python bench/stores.py --corpus-dir corpus --eval ../shared/eval/dev.jsonl
       .venv/bin/python bench/stores.py --corpus-dir /tmp/ungdc-m --eval ../shared/eval/ungdc-2021-dev.jsonl
Options: --work DIR (indexes, default a temporary folder), --rounds N (timed passes, default 2),
         --milvus LOCATION (default milvus:WORK/qa.db; e.g. milvus:http://host:19530#bench for a server).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from memory import peak_rss_mb as peak_mb  # VmHWM, not ru_maxrss (see memory.py)
from memory import rss_mb


def du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20 if path.is_dir() else float("nan")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def build(args: argparse.Namespace) -> dict[str, Any]:
    from qa.documents.corpus import load_corpus
    from qa.embedding.factory import load_encoder
    from qa.settings import Settings
    from qa.store.index import build_index

    settings = Settings.load({"corpus_dir": args.corpus_dir, "index_dir": args.index_dir, "store": args.store})
    corpus = load_corpus(settings.corpus_dir)
    encoder = load_encoder(settings)
    before = rss_mb()
    t = time.perf_counter()
    store = build_index(settings.index_dir, corpus, encoder, rebuild=True, progress=False, cache_dir=settings.cache_dir,
                        store_kind=settings.store)
    seconds = time.perf_counter() - t
    assert store.manifest["counts"]["embedded"] == 0, "some vectors were not in the cache: the time includes the model"
    return {"build_s": seconds, "paragraphs": store.size, "sentences": store.manifest["counts"]["sentences"],
            "build_rss_before_mb": before, "build_peak_mb": peak_mb()}


def serve(args: argparse.Namespace) -> dict[str, Any]:
    from qa.search.engine import Engine
    from qa.search.evaluate import document_files, evaluate, load_questions
    from qa.settings import Settings

    settings = Settings.load({"corpus_dir": args.corpus_dir, "index_dir": args.index_dir, "store": args.store})
    t = time.perf_counter()
    engine = Engine.open(settings, build_missing=False, log=lambda s: None)
    open_s = time.perf_counter() - t
    opened = rss_mb()
    questions = load_questions(Path(args.eval))
    doc_files = document_files(engine.documents.values())
    speakers = {doc_files[d.id]: (d.submitted_by, d.author) for d in engine.documents.values()}
    top: dict[str, list[str]] = {}

    def ask(q: str) -> Any:
        answer = engine.ask(q, 10)
        top[q] = [h.paragraph.id for h in answer.hits]
        return answer

    summary = evaluate(questions, ask, doc_files, speakers)["summary"]
    times = []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            engine.ask(q.question, 10)
            times.append((time.perf_counter() - t) * 1000)
    return {"open_s": open_s, "serve_rss_mb": opened, "serve_peak_mb": peak_mb(), "p50_ms": pct(times, 50),
            "p90_ms": pct(times, 90), "asks": len(times), "summary": summary, "top": top}


def child(store: str, phase: str, args: argparse.Namespace, index_dir: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", phase, "--store", store, "--index-dir", str(index_dir),
           "--corpus-dir", args.corpus_dir, "--eval", args.eval, "--rounds", str(args.rounds)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"{store} {phase} failed:\n{out.stderr}")
    return dict(json.loads(out.stdout.splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus-dir", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--work", default="")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--milvus", default="")
    ap.add_argument("--phase", default="", help=argparse.SUPPRESS)
    ap.add_argument("--store", default="", help=argparse.SUPPRESS)
    ap.add_argument("--index-dir", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps({"build": build, "serve": serve}[args.phase](args), ensure_ascii=False))
        return
    work = Path(args.work or tempfile.mkdtemp(prefix="stores-bench-"))
    results = {}
    milvus = args.milvus or f"milvus:{work / 'qa.db'}"
    for name, store in (("FAISS", "faiss"), ("Milvus Lite" if milvus.endswith(".db") else "Milvus", milvus)):
        index_dir = work / f"index-{name.split()[0].lower()}"
        results[name] = {**child(store, "build", args, index_dir), **child(store, "serve", args, index_dir),
                         "disk_mb": du_mb(Path(store[len("milvus:"):]) if store.endswith(".db") else index_dir)}
    report(results)


def report(results: dict[str, dict[str, Any]]) -> None:
    rows = [("R@1 / R@5 / R@10 (all)", lambda r: "{recall@1:.3f} / {recall@5:.3f} / {recall@10:.3f}".format(
                **r["summary"]["by_group"]["all"])),
            ("MRR@10", lambda r: f"{r['summary']['by_group']['all']['mrr@10']:.3f}"),
            ("attribution@1", lambda r: f"{r['summary']['attribution@1']:.3f}"),
            ("negatives said not covered", lambda r: "{negative_said_not_covered}/{negative_total}".format(**r["summary"])),
            ("answerable said not covered",
             lambda r: "{answerable_said_not_covered}/{answerable_total}".format(**r["summary"])),
            ("Engine.ask p50 / p90 (k=10)", lambda r: f"{r['p50_ms']:.0f} / {r['p90_ms']:.0f} ms ({r['asks']} asks)"),
            ("build (vectors cached)", lambda r: f"{r['build_s']:.1f} s ({r['paragraphs']} paragraphs, "
                                                 f"{r['sentences']} sentences)"),
            ("build peak RSS", lambda r: f"{r['build_peak_mb']:.0f} MB"),
            ("on disk (FAISS: index folder; Lite: the .db)", lambda r: f"{r['disk_mb']:.0f} MB"),
            ("open (model + index)", lambda r: f"{r['open_s']:.1f} s"),
            ("serve RSS after open / peak", lambda r: f"{r['serve_rss_mb']:.0f} / {r['serve_peak_mb']:.0f} MB")]
    names = list(results)
    print(f"| | {' | '.join(names)} |\n|---|{'---|' * len(names)}")
    for label, cell in rows:
        print(f"| {label} | {' | '.join(cell(results[n]) for n in names)} |")
    a, b = (results[n]["top"] for n in names)
    same = sum(a[q] == b.get(q) for q in a)
    print(f"\nQuestions with the same ten passages in the same order: {same} of {len(a)}")
    for q in a:
        if a[q] != b.get(q):
            print(f"  differs: {q[:70]!r}: {a[q][:3]} vs {b.get(q, [])[:3]}")


if __name__ == "__main__":
    main()

"""The engine at scale: indexes of 10,000 to a million paragraphs, measured through the real search and API.

The indexes are synthetic (`synthetic.py`): recombinations of the real paragraphs of every corpus in ../shared
(the seed papers, the 2021 General Assembly statements, the 2014 NPT PrepCom reports), with the real model's
vectors blended and perturbed so that near-duplicates do not dominate; building costs no model time.
Questions are the two dev sets', encoded by the real model. Every size is opened and queried in a fresh
process, which reports:
- start-up: `Engine.open` as `qa serve --read-only` runs it (model, question analysers, index);
- GET /api/ask and /api/compare through the app (`create_app`, in process), p50 and p90;
- peak RSS while serving (VmHWM), before the exact scans below;
- ANN recall@10 against exact search, for the paragraph channel and the sentence channel (a paragraph by its
  closest sentence), asking for 10 and for the 100 candidates the engine asks for;
- how far the exact top 10 are copies of one source (`synthetic.copies_in_top`; 10 would be all copies).

Usage: python bench/scale.py [--sizes 10000,100000,1000000] [--json] [--work /tmp/qa-scale] [--reuse]
                             [--profile]

--reuse measures the indexes a previous run left in --work (the million takes about 45 minutes to write) and
reports the build time recorded then; the index format and this bench's corpus must not have changed since
(`index-N.build.json` records the bench's corpus version, and a mismatch rebuilds). --profile writes
`profile-N.txt` (cProfile of the /api/ask loop, by cumulative time) into --work.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
from memory import peak_rss_mb  # VmHWM, not ru_maxrss (see memory.py)

CORPUS_VERSION = 2  # of the synthetic corpus: 1 was copies of the 2021 statements with noise (before issue 20)
SOURCES = {"seeds": None, "ungdc-2021": "corpora/ungdc-2021/manifest.jsonl",
           "npt2014-reports": "corpora/npt2014-reports/manifest.jsonl"}


def source_indexes(work: Path) -> list[Path]:
    """An index of each corpus in ../shared, built in `work` (vectors from the embedding cache when it has them)."""
    from qa.documents.corpus import add_documents, load_corpus
    from qa.documents.manifest import read_manifest
    from qa.embedding.factory import load_encoder
    from qa.settings import Settings
    from qa.store.index import build_index

    settings = Settings.load()
    encoder = None
    out = []
    for name, manifest in SOURCES.items():
        corpus_dir = ROOT / "corpus" if manifest is None else work / "sources" / name / "corpus"
        if manifest is not None and not (corpus_dir / "documents.json").exists():
            entries, _ = read_manifest(SHARED / manifest)
            add_documents(corpus_dir, entries)
        encoder = encoder or load_encoder(settings)
        index_dir = work / "sources" / name / "index"
        build_index(index_dir, load_corpus(corpus_dir), encoder, progress=False, cache_dir=settings.cache_dir,
                    log=lambda s: print(s, file=sys.stderr))
        out.append(index_dir)
    return out


def write_index(syn: Any, pool: Any, index_dir: Path) -> None:
    """Commit the synthetic corpus as `qa index` commits a corpus (one segment), and where its rows came from."""
    from qa.store.base import Change, Segment, Sentences
    from qa.store.faiss.store import commit

    n = len(syn.paragraphs)
    counts = np.unique(pool.language[syn.base], return_counts=True)
    manifest = {**pool.manifest, "counts": {"documents": len(syn.documents), "paragraphs": n,
                                            "sentences": len(syn.sentence_row)},
                "languages": {str(k): int(v) for k, v in zip(*counts)}, "corpus_fingerprint": f"synthetic-{n}"}
    sentences = Sentences(syn.sentences, syn.sentence_row, syn.sentence_span[:, 0], syn.sentence_span[:, 1])
    segment = Segment(syn.paragraphs, syn.vectors, sentences, syn.tokens, [f"{i:032x}" for i in range(n)],
                      [f"{i:032x}" for i in range(len(syn.sentence_row))])
    shutil.rmtree(index_dir, ignore_errors=True)
    commit(index_dir, "", Change(manifest, syn.documents, segment, frozenset(), pool.background, rebuild=True))
    np.savez(index_dir.parent / f"{index_dir.name}.sources.npz", base=syn.base, sentence_source=syn.sentence_source)


def questions() -> list[str]:
    out = []
    for name in ("dev.jsonl", "ungdc-2021-dev.jsonl"):
        out += [json.loads(line)["question"] for line in (SHARED / "eval" / name).read_text().splitlines() if line]
    return out


def serve(index_dir: Path, profile: Path | None) -> dict[str, Any]:
    """In this (fresh) process: open the index as `qa serve --read-only` does, then query it through the API."""
    from fastapi.testclient import TestClient

    from qa.search.engine import Engine
    from qa.settings import Settings
    from qa.web.app import create_app

    settings = Settings.load({"index_dir": str(index_dir), "corpus_dir": str(index_dir.parent / "no-corpus")})
    t0 = time.perf_counter()
    engine = Engine.open(settings, build_missing=False, log=lambda s: print(s, file=sys.stderr))
    startup = time.perf_counter() - t0
    qs = questions()
    with TestClient(create_app(settings, engine)) as client:  # one event loop for every request, as a server has
        for q in qs[:5]:  # the first questions fill per-process tables (jieba's, CC-CEDICT's)
            client.get("/api/ask", params={"q": q, "k": 10}).raise_for_status()
        ask = [timed(client, "/api/ask", {"q": q, "k": 10}) for _ in range(2) for q in qs]
        compare = [timed(client, "/api/compare", {"q": q, "k": 3}) for q in qs[::4]]
    if profile is not None:  # the engine in this thread (the app runs it on a worker thread, out of cProfile's sight)
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(lambda: [engine.ask(q, 10) for q in qs])
        with profile.open("w") as f:
            pstats.Stats(profiler, stream=f).sort_stats("cumulative").print_stats(80)
    serving_rss = round(peak_rss_mb())  # before the exact scans below
    sources = np.load(index_dir.parent / f"{index_dir.name}.sources.npz")
    (seg,) = engine.store._segments
    return {"ann": f"{type(seg.dense).__name__}, {type(seg.sentence_index).__name__}",
            "startup_s": round(startup, 2), "serving_peak_rss_mb": serving_rss,
            "ask_p50_ms": pct([w for w, _ in ask], 50), "ask_p90_ms": pct([w for w, _ in ask], 90),
            "ask_cpu_p50_ms": pct([c for _, c in ask], 50),
            "compare_p50_ms": pct([w for w, _ in compare], 50), "compare_p90_ms": pct([w for w, _ in compare], 90),
            **ann_recall(engine.store, engine.encoder.encode_queries(qs), sources), "peak_rss_mb": round(peak_rss_mb())}


def timed(client: Any, path: str, params: dict[str, Any]) -> tuple[float, float]:
    """Milliseconds of one request: wall, and CPU of the whole process (every thread; steadier than wall on a
    shared machine, and above it when the model's two threads both run)."""
    t, cpu = time.perf_counter(), time.process_time()
    client.get(path, params=params).raise_for_status()
    return 1000 * (time.perf_counter() - t), 1000 * (time.process_time() - cpu)


def pct(ms: list[float], p: float) -> float:
    return round(float(np.percentile(ms, p)), 1)


def exact_tops(store: Any, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact top `k` by inner product over every stored vector (one segment, as `write_index` makes it):
    paragraph rows by their own vector, paragraph rows by their closest sentence, and sentences themselves."""
    (seg,) = store._segments
    vectors, sentences, owner = seg.arrays["vectors"], seg.arrays["sentences"], np.asarray(seg.arrays["sentence_row"])

    def merge(best: tuple[np.ndarray, np.ndarray] | None, scores: np.ndarray, ids: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best of the best so far and a new chunk's scores, per question (in no particular order)."""
        ids = np.broadcast_to(ids, scores.shape)
        if best is not None:
            scores, ids = np.hstack([best[0], scores]), np.hstack([best[1], ids])
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k] if scores.shape[1] > k else np.argsort(-scores, axis=1)
        return np.take_along_axis(scores, top, 1), np.take_along_axis(ids, top, 1)

    by_paragraph = by_sentence = sentence_top = None
    for lo in range(0, len(vectors), 100_000):
        hi = min(lo + 100_000, len(vectors))
        by_paragraph = merge(by_paragraph, queries @ np.asarray(vectors[lo:hi], dtype=np.float32).T, np.arange(lo, hi))
        a, b = np.searchsorted(owner, [lo, hi])
        sims = queries @ np.asarray(sentences[a:b], dtype=np.float32).T
        sentence_top = merge(sentence_top, sims, np.arange(a, b))
        firsts = np.flatnonzero(np.diff(owner[a:b], prepend=-1))
        by_sentence = merge(by_sentence, np.maximum.reduceat(sims, firsts, axis=1), owner[a:b][firsts])
    assert by_paragraph is not None and by_sentence is not None and sentence_top is not None
    return by_paragraph[1], by_sentence[1], sentence_top[1]


def ann_recall(store: Any, queries: np.ndarray, sources: Any) -> dict[str, Any]:
    """Recall@10 of the store's approximate search against `exact_tops`, for paragraphs and for sentences, asking
    for 10 and for the engine's 100; and how far the exact lists are copies of one source."""
    from synthetic import copies_in_top

    (seg,) = store._segments
    paragraphs, by_sentence, sentence_top = exact_tops(store, queries)
    out: dict[str, Any] = {}
    for name, search, exact in (("paragraphs", store.search_paragraphs, paragraphs),
                                ("sentences", store.search_sentences, by_sentence)):
        for k in (10, 100):
            found = total = 0
            for q, rows in zip(queries, exact):
                want = {seg.row_id(int(r)) for r in rows}
                found += len(want & {pid for pid, _ in search(q, k)[:10]})
                total += len(want)
            out[f"recall_{name}_k{k}"] = round(found / total, 4)
    out["copies_paragraphs"] = copies_in_top(paragraphs, sources["base"])
    out["copies_sentences"] = copies_in_top(sentence_top, sources["sentence_source"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--json", action="store_true", help="Print one JSON list, a row per size.")
    parser.add_argument("--work", default="/tmp/qa-scale", help="Folder for the indexes (kept for reruns).")
    parser.add_argument("--reuse", action="store_true", help="Measure indexes a previous run left in --work.")
    parser.add_argument("--profile", action="store_true", help="Write profile-N.txt of the /api/ask loop to --work.")
    parser.add_argument("--serve", default="", help=argparse.SUPPRESS)  # internal: measure one index
    args = parser.parse_args()
    work = Path(args.work)
    if args.serve:
        index_dir = Path(args.serve)
        profile = work / f"profile-{index_dir.name.split('-')[-1]}.txt" if args.profile else None
        print(json.dumps(serve(index_dir, profile)))
        return
    from synthetic import load_pool, neighbours, synthesize

    work.mkdir(parents=True, exist_ok=True)
    pool = near = None
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        index_dir = work / f"index-{n}"
        built = work / f"index-{n}.build.json"  # when it was written, how long that took, from which corpus
        record = json.loads(built.read_text()) if built.exists() else {}
        if args.reuse and record.get("corpus_version") == CORPUS_VERSION and (index_dir / "CURRENT").exists():
            build_s = float(record["build_s"])
        else:
            if pool is None:
                pool = load_pool(source_indexes(work))
                near = neighbours(pool.vectors, pool.language)
            t0 = time.perf_counter()
            write_index(synthesize(pool, n, np.random.default_rng(n), near), pool, index_dir)
            build_s = time.perf_counter() - t0
            built.write_text(json.dumps({"build_s": build_s, "at": time.strftime("%Y-%m-%d %H:%M"),
                                         "corpus_version": CORPUS_VERSION}))
        disk = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
        cmd = [sys.executable, __file__, "--serve", str(index_dir), "--work", str(work)] + (
            ["--profile"] if args.profile else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode:
            raise SystemExit(f"measuring {index_dir} failed:\n{proc.stderr[-3000:]}")
        row = {"paragraphs": n, "build_s": round(build_s, 1), "disk_bytes_per_paragraph": round(disk / n),
               **json.loads(proc.stdout.splitlines()[-1]), "load1": load1()}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(table(rows))


def load1() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def table(rows: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table, a row per size."""
    head = ("| paragraphs | build s | start-up s | /api/ask p50 / p90 ms | /api/compare p50 / p90 ms | peak RSS serving MB"
            " | ANN recall@10 paragraphs (k=10, k=100) | sentences (k=10, k=100) | top-10 copies of one source, mean "
            "(paragraphs, sentences) | bytes / paragraph | load |")
    out = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        out.append(f"| {r['paragraphs']:,} | {r['build_s']} | {r['startup_s']} | {r['ask_p50_ms']} / {r['ask_p90_ms']} "
                   f"| {r['compare_p50_ms']} / {r['compare_p90_ms']} | {r['serving_peak_rss_mb']} | "
                   f"{r['recall_paragraphs_k10']}, {r['recall_paragraphs_k100']} | {r['recall_sentences_k10']}, "
                   f"{r['recall_sentences_k100']} | {r['copies_paragraphs']['mean']}, {r['copies_sentences']['mean']} "
                   f"| {r['disk_bytes_per_paragraph']} | {r['load1']} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()

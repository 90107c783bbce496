"""The engine at scale: indexes of 10,000 to a million paragraphs, measured through the real search.

Each index is made of real paragraphs (the 2021 General Assembly statements and the seed papers) repeated
under new document ids, with their real vectors slightly perturbed, so building costs no model time; queries
are real questions encoded by the real model. Every size is then opened and queried in a fresh process,
which reports start-up time, /api/ask- and /api/compare-equivalent latency through `Engine`, peak RSS and the
recall@10 of the approximate index against exact search. Also measured: the real encoder's build rate on real
English and Chinese paragraphs.

Usage: .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--json] [--work /tmp/qa-scale] [--reuse]

--reuse measures the indexes a previous run left in --work (the million takes about 45 minutes to write) and
reports the build time recorded then; the index format must not have changed since.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
NOISE = 0.012  # per dimension: a perturbed copy keeps a cosine of about 0.97 to its source vector


def source(work: Path, encoder: Any) -> dict[str, Any]:
    """Real paragraphs with their vectors, sentences and tokens: the seeds and the 2021 statements."""
    from qa.documents.corpus import add_documents, load_corpus
    from qa.documents.manifest import read_manifest
    from qa.settings import Settings
    from qa.store.faiss.store import load
    from qa.store.index import build_index

    corpus_dir = work / "source-corpus"
    if not (corpus_dir / "documents.json").exists():
        entries, _ = read_manifest(SHARED / "corpora" / "ungdc-2021" / "manifest.jsonl")
        add_documents(corpus_dir, entries)
    corpus = load_corpus(corpus_dir)
    build_index(work / "source-index", corpus, encoder, progress=True, cache_dir=Settings.load().cache_dir,
                log=lambda s: print(s, file=sys.stderr))
    store = load(work / "source-index")
    seg = store._segments[0]
    a = seg.arrays
    rows = [seg.row_paragraph(r) for r in range(seg.size)]
    from qa.store.index import lexical_tokens

    docs = store.documents
    return {"paragraphs": rows, "vectors": np.asarray(a["vectors"], dtype=np.float32),
            "sentences": np.asarray(a["sentences"], dtype=np.float32), "sentence_row": np.asarray(a["sentence_row"]),
            "sentence_span": np.asarray(a["sentence_span"]), "tokens": [lexical_tokens(p, docs[p.doc]) for p in rows],
            "documents": docs, "background": store.background, "manifest": store.manifest}


def synthesize(src: dict[str, Any], n: int, index_dir: Path, rng: np.random.Generator) -> float:
    """Write an index of `n` paragraphs (32 to a document) from the source; returns the seconds it took."""
    from qa.documents.document import Document
    from qa.store.base import Change, Segment, Sentences
    from qa.store.faiss.store import commit

    t0 = time.perf_counter()
    m = len(src["paragraphs"])
    pick = np.arange(n) % m
    states = sorted({s for d in src["documents"].values() for s in d.submitted_by})
    paragraphs, documents = [], []
    for start in range(0, n, 32):
        doc_id = f"d{start // 32:06d}"
        first = src["paragraphs"][pick[start]]
        model = src["documents"][first.doc]
        documents.append(Document(id=doc_id, file=f"{doc_id}.txt", title=model.title, title_en=model.title_en,
                                  submitted_by=(states[(start // 32) % len(states)],), date=model.date,
                                  meeting=model.meeting, language=model.language, kind=model.kind))
        for j, i in enumerate(pick[start:start + 32]):
            p = src["paragraphs"][i]
            paragraphs.append(replace(p, id=f"{doc_id}:{j + 1}", doc=doc_id, label=str(j + 1), position=j,
                                      numbered=False, ordinal=j + 1, author=""))
    vectors = _perturb(src["vectors"][pick], rng)
    counts = np.bincount(src["sentence_row"], minlength=m)
    starts = np.concatenate([[0], np.cumsum(counts)])
    sentence_index = np.concatenate([np.arange(starts[i], starts[i + 1]) for i in pick])
    sentence_row = np.repeat(np.arange(n), counts[pick]).astype(np.int32)
    spans = src["sentence_span"][sentence_index]
    sentences = Sentences(_perturb(src["sentences"][sentence_index], rng), sentence_row, spans[:, 0], spans[:, 1])
    keys = [f"{i:032x}" for i in range(n)]
    manifest = {**src["manifest"], "counts": {"documents": len(documents), "paragraphs": n},
                "corpus_fingerprint": f"synthetic-{n}"}
    segment = Segment(tuple(paragraphs), vectors, sentences, [src["tokens"][i] for i in pick], keys,
                      [f"{i:032x}" for i in range(len(sentence_row))])
    shutil.rmtree(index_dir, ignore_errors=True)
    commit(index_dir, "", Change(manifest, tuple(documents), segment, frozenset(), src["background"], rebuild=True))
    return time.perf_counter() - t0


def _perturb(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = vectors + rng.normal(0, NOISE, vectors.shape).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def questions() -> list[str]:
    out = []
    for name in ("dev.jsonl", "ungdc-2021-dev.jsonl"):
        out += [json.loads(line)["question"] for line in (SHARED / "eval" / name).read_text().splitlines() if line]
    return out


def serve(index_dir: Path) -> dict[str, Any]:
    """In this (fresh) process: open the index and the model as `qa serve` does, then query it."""
    from qa.embedding.factory import load_encoder
    from qa.search.engine import Engine
    from qa.settings import Settings
    from qa.store.faiss.store import load

    t0 = time.perf_counter()
    store = load(index_dir)
    store_s = time.perf_counter() - t0
    settings = Settings.load({"index_dir": str(index_dir)})
    encoder = load_encoder(settings, latency=True)  # as `qa serve` loads it
    engine = Engine(settings, store, encoder)
    startup = time.perf_counter() - t0
    qs = questions()
    engine.ask(qs[0], 10)  # the first question builds per-process tables (jieba, CC-CEDICT)
    ask_ms = []
    for q in qs:
        t = time.perf_counter()
        engine.ask(q, 10)
        ask_ms.append(1000 * (time.perf_counter() - t))
    compare_ms = []
    for q in qs[:20]:
        t = time.perf_counter()
        engine.compare(q, 3)
        compare_ms.append(1000 * (time.perf_counter() - t))
    serving_rss = peak_rss_mb()  # before the exact scans below
    recall = _ann_recall(store, encoder.encode_queries(qs[:100]))
    return {"startup_s": round(startup, 2), "store_open_s": round(store_s, 3), "serving_peak_rss_mb": serving_rss,
            "ask_p50_ms": round(float(np.percentile(ask_ms, 50)), 1),
            "ask_p99_ms": round(float(np.percentile(ask_ms, 99)), 1),
            "compare_p50_ms": round(float(np.percentile(compare_ms, 50)), 1),
            "peak_rss_mb": peak_rss_mb(),
            "ann_recall_at_10": recall}


def peak_rss_mb() -> int:
    """This process's resident high-water mark (VmHWM). Not getrusage's ru_maxrss: Linux carries a forked
    child's pre-exec high-water mark into it, so a child of this bench reported the parent's 19.6 GB."""
    status = Path("/proc/self/status").read_text()
    return round(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024)


def _ann_recall(store: Any, queries: np.ndarray) -> float:
    """Share of the exact top 10 paragraphs (numpy over every vector) that the store's index returns."""
    found = total = 0
    for q in queries:
        exact: list[tuple[float, str]] = []
        for s in store._segments:
            v = s.arrays["vectors"]
            scores = np.concatenate([np.asarray(v[i:i + 200_000], dtype=np.float32) @ q
                                     for i in range(0, len(v), 200_000)])
            top = np.argpartition(-scores, 10)[:10] if len(scores) > 10 else np.arange(len(scores))
            exact += [(float(scores[r]), s.row_id(int(r))) for r in top]
        want = {pid for _, pid in sorted(exact, reverse=True)[:10]}
        got = {pid for pid, _ in store.search_paragraphs(q, 10)}
        found, total = found + len(want & got), total + len(want)
    return round(found / max(total, 1), 4)


def encoder_rate(encoder: Any, src: dict[str, Any]) -> dict[str, float]:
    """The real encoder on 200 real English and 200 real Chinese paragraphs (as `qa index` embeds them)."""
    from qa.documents.corpus import load_corpus
    from qa.store.index import passage_text

    english = [p.text for p in src["paragraphs"][:200]]
    seeds = load_corpus(ROOT / "corpus")
    chinese = [passage_text(p, seeds.document(p.doc)) for p in seeds.searchable()[:200]]
    out = {}
    for name, texts in (("en", english), ("zh", chinese)):
        t = time.perf_counter()
        encoder.encode_passages(texts, batch_size=32)
        out[f"encode_{name}_per_s"] = round(len(texts) / (time.perf_counter() - t), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--json", action="store_true", help="Print one JSON list, a row per size.")
    parser.add_argument("--work", default="/tmp/qa-scale", help="Folder for the indexes (kept for reruns).")
    parser.add_argument("--reuse", action="store_true", help="Measure indexes a previous run left in --work.")
    parser.add_argument("--serve", default="", help=argparse.SUPPRESS)  # internal: measure one index
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(serve(Path(args.serve))))
        return
    from qa.embedding.factory import load_encoder
    from qa.settings import Settings

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    encoder = load_encoder(Settings.load())
    src = source(work, encoder)
    rates = encoder_rate(encoder, src)
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        index_dir = work / f"index-{n}"
        built = work / f"index-{n}.build.json"  # when it was written and how long that took
        if args.reuse and built.exists() and (index_dir / "CURRENT").exists():
            build_s = float(json.loads(built.read_text())["build_s"])
        else:
            build_s = synthesize(src, n, index_dir, np.random.default_rng(n))
            built.write_text(json.dumps({"build_s": build_s, "at": time.strftime("%Y-%m-%d %H:%M")}))
        disk = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
        proc = subprocess.run([sys.executable, __file__, "--serve", str(index_dir)], capture_output=True, text=True,
                              check=False)
        if proc.returncode:
            raise SystemExit(f"measuring {index_dir} failed:\n{proc.stderr[-3000:]}")
        row = {"paragraphs": n, "build_s": round(build_s, 1), "disk_bytes_per_paragraph": round(disk / n),
               **json.loads(proc.stdout.splitlines()[-1]), **rates}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    keys = ["paragraphs", "build_s", "startup_s", "ask_p50_ms", "ask_p99_ms", "compare_p50_ms", "peak_rss_mb",
            "disk_bytes_per_paragraph", "ann_recall_at_10", "encode_en_per_s", "encode_zh_per_s"]
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row[k]) for k in keys))


if __name__ == "__main__":
    main()

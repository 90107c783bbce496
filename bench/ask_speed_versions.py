"""/api/ask and /api/compare, old code against new, in one run: two real `qa serve` on loopback, alternately.

Each tree is served by a python that imports that tree (a venv per tree, `pip install --no-deps -e TREE`,
since package data is read through importlib.resources), with PYTHONPATH pointing at it too. Each server has a
corpus folder of its own (a copy: a different tree may find the index out of date and update it, which must not
touch the other's), over the same documents. After a warm-up, every question of the eval file is asked of both
servers in turn (which goes first alternates), then compared on both, for `--rounds` passes; the script prints
p50/p90 of ask and compare on each, the ratios new/old and compare/ask, and the load average at start and end.
Prints, asserts nothing.

Usage (an old commit checked out with `git worktree add /tmp/old COMMIT`, a venv for it as above, and two copies
of a corpus folder made with `qa init` + `qa add --manifest ../shared/corpora/ungdc-2021/manifest.jsonl`):
  .venv/bin/python bench/ask_speed_versions.py --old-tree /tmp/old --old-python /tmp/venv-old/bin/python \
      --old-corpus /tmp/ungdc-old --new-corpus /tmp/ungdc [--new-tree .] [--new-python .venv/bin/python] \
      [--eval ../shared/eval/ungdc-2021-dev.jsonl] [--rounds 3] [--limit 60]
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
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import free_port, get, pct

ROOT = Path(__file__).resolve().parent.parent


def start(python: str, tree: Path, corpus: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A `qa serve` of `tree` over `corpus` on a free loopback port, once /healthz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["PYTHONPATH"] = str(tree)
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([python, "-m", "qa.cli.main", "serve", "--corpus-dir", corpus, "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:
        try:
            if get(f"{base}/healthz", timeout=2)[0] == 200:
                return proc, base
        except OSError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"{tree}: the server did not start; see {log}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old-tree", required=True, help="a checkout of the old commit")
    ap.add_argument("--old-python", required=True, help="a python that imports the old tree")
    ap.add_argument("--old-corpus", required=True, help="the old server's own copy of the corpus folder")
    ap.add_argument("--new-tree", default=str(ROOT))
    ap.add_argument("--new-python", default=sys.executable)
    ap.add_argument("--new-corpus", required=True, help="the new server's corpus folder")
    ap.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval" / "ungdc-2021-dev.jsonl"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=60)
    args = ap.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    questions = [json.loads(line)["question"] for line in Path(args.eval).read_text(encoding="utf-8").splitlines()
                 if line.strip()][:args.limit]
    trees = {"old": (args.old_python, Path(args.old_tree).resolve(), args.old_corpus),
             "new": (args.new_python, Path(args.new_tree).resolve(), args.new_corpus)}
    for name, (python, tree, _) in trees.items():
        where = subprocess.run([python, "-c", "import qa; print(qa.__file__)"], cwd=tempfile.gettempdir(),
                               env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
                               check=True).stdout.strip()
        commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
        print(f"{name}: {tree} at {commit}, {python} imports {where}")
        if not where.startswith(str(tree)):
            raise SystemExit(f"{python} does not import {tree}")
    logs = Path(tempfile.mkdtemp(prefix="ask-versions-"))
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    times = {(name, kind): [] for name in trees for kind in ("ask", "compare")}
    try:
        for name, (python, tree, corpus) in trees.items():  # one after the other: an index update needs the cores
            t = time.perf_counter()
            servers[name] = start(python, tree, corpus, logs / f"{name}.log")
            print(f"{name} server up in {time.perf_counter() - t:.1f} s at {servers[name][1]} (log {logs / name}.log)")

        def call(name: str, kind: str, q: str) -> float:
            t = time.perf_counter()
            status, body = get(f"{servers[name][1]}/api/{kind}?q={urllib.parse.quote(q)}")
            ms = 1000 * (time.perf_counter() - t)
            if status != 200:
                raise SystemExit(f"{name} {kind} {q!r}: HTTP {status}: {body[:200]!r}")
            return ms

        for q in questions[:3]:  # warm-up: first calls load lazy tables
            for name in trees:
                call(name, "ask", q)
                call(name, "compare", q)
        for r in range(args.rounds):
            for n, q in enumerate(questions):
                order = ("old", "new") if (r + n) % 2 == 0 else ("new", "old")
                for kind in ("ask", "compare"):
                    for name in order:
                        times[name, kind].append(call(name, kind, q))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
        for proc, _ in servers.values():
            proc.wait(timeout=30)
    p50 = {key: statistics.median(v) for key, v in times.items()}
    p90 = {key: pct(v, 90) for key, v in times.items()}
    print(f"\n{len(questions)} questions × {args.rounds} rounds, alternating old/new; {args.eval}")
    print("| endpoint | old p50 ms | old p90 ms | new p50 ms | new p90 ms | new/old p50 | new/old p90 |")
    print("|---|---|---|---|---|---|---|")
    for kind in ("ask", "compare"):
        print(f"| /api/{kind} | {p50['old', kind]:.0f} | {p90['old', kind]:.0f} | {p50['new', kind]:.0f} | "
              f"{p90['new', kind]:.0f} | {p50['new', kind] / p50['old', kind]:.2f} | "
              f"{p90['new', kind] / p90['old', kind]:.2f} |")
    print(f"\nask new/old (p50): {p50['new', 'ask'] / p50['old', 'ask']:.2f}  (limit 1.5)")
    print(f"compare/ask new (p50): {p50['new', 'compare'] / p50['new', 'ask']:.2f}  (limit 4); "
          f"old: {p50['old', 'compare'] / p50['old', 'ask']:.2f}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

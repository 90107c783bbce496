"""A one-shot `qa ask` with no server running: the wall time of a fresh process, in English and in Chinese,
against the 3 s target of issue 20, and where that time goes. Prints figures, asserts nothing.

Every run is a new `qa ask` process over the tree's own corpus and index (the seed papers by default), run as a
user runs it: the console script next to `--python`, bytecode written and reused (PYTHONDONTWRITEBYTECODE is
dropped for the children unless `--no-bytecode`, and the bytecode goes to a folder of its own under the temporary
folder, PYTHONPYCACHEPREFIX, so the checkout gets no __pycache__), the page cache warm from one warm-up run per language. The
children get no QA_* variable but QA_PORT, set to a loopback port nobody listens on: the hand-off probe fails
at once, as it does when no `qa serve` runs, so the path measured is always the one that loads the model and
the index (even if a `qa serve` is running on the default port). Runs alternate between the languages.

The breakdown comes from two more runs per language: one with the functions that load things wrapped by
timers (a timeline from the process's spawn, with the thread each ran on; the modules that must stay off this
path are checked at exit), one under `python -X importtime` (import time by top-level package; imports made
on the loading threads are counted too, so their sum can exceed the import phase of the timeline).

The machine is shared: take the medians as provisional, and compare trees in one run of the same load.

Usage (build the index first: `qa index`):
  .venv/bin/python bench/oneshot_ask.py [--runs 7] [--python .venv/bin/python] [--tree .] [--no-breakdown]
      [--no-bytecode] [--en QUESTION] [--zh QUESTION]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 3.0
QUESTIONS = {
    "en": "Which state proposed a stepping-stone approach?",
    "zh": "名人小组建议所有国家重申关于核战争胜负的什么原则？",
}
# What the loading functions are called where the ask path looks them up (module globals, so wrapping the
# attribute times every call made through it). A name the tree does not have is reported, not fatal.
TIMED = [
    ("qa.cli.handoff", "ask_server"),
    ("qa.search.engine", "Engine.open"),
    ("qa.search.engine", "prepare"),
    ("qa.search.query", "load_cedict"),
    ("qa.search.query", "load_dictionaries"),
    ("qa.text.analyzers", "segmenter"),
    ("qa.search.engine", "load_encoder"),
    ("qa.embedding.runtimes", "open_streams"),
    ("qa.embedding.runtimes", "load_tokenizer"),
    ("qa.embedding.runtimes", "QuestionTokenizer"),
    ("qa.embedding.question_tokenizer", "Vocabulary.encode_batch"),
    ("qa.search.engine", "load_corpus"),
    ("qa.search.engine", "load_index"),
    ("qa.search.engine", "staleness"),
    ("qa.search.engine", "Engine.ask"),
    ("qa.search.answer", "Answer.to_json"),
]
# Never needed to answer one question from the command line; each costs from a tenth of a second to seconds.
OFF_PATH = ["torch", "transformers", "sentence_transformers", "fastapi", "starlette", "pydantic", "uvicorn",
            "jinja2", "scipy", "sklearn", "pandas", "onnxruntime", "nncf", "onnx", "pymilvus", "pypdf", "docx",
            "tqdm", "pkg_resources"]


# --- the child that records a timeline ------------------------------------------------------------------------


def _timed(owner: Any, attr: str, label: str, events: list[tuple[str, str, float, float]], t0: float) -> None:
    inner = owner.__dict__[attr]
    is_class_method = isinstance(inner, classmethod)
    fn = inner.__func__ if is_class_method else inner

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.time()
        try:
            return fn(*args, **kwargs)
        finally:
            events.append((label, threading.current_thread().name, start - t0, time.time() - t0))

    setattr(owner, attr, classmethod(wrapper) if is_class_method else wrapper)


def child(out: str, spawned: float, argv: list[str]) -> None:
    """Run `qa` with `argv` in this process, the TIMED functions wrapped; write the timeline to `out`."""
    events: list[tuple[str, str, float, float]] = [("interpreter start-up", "MainThread", 0.0, time.time() - spawned)]
    start = time.time()
    import qa.cli.main as cli_main

    events.append(("import qa.cli.main (the console script)", "MainThread", start - spawned, time.time() - spawned))
    start = time.time()
    missing = []
    for module, name in TIMED:
        try:
            owner: Any = importlib.import_module(module)
            *path, attr = name.split(".")
            for part in path:
                owner = getattr(owner, part)
            _timed(owner, attr, name, events, spawned)
        except (ImportError, AttributeError, KeyError):
            missing.append(f"{module}.{name}")
    events.append(("imports of the ask command", "MainThread", start - spawned, time.time() - spawned))
    sys.argv = ["qa", *argv]
    code: Any = 0
    leave = os._exit

    def write() -> None:
        loaded = [m for m in OFF_PATH if m in sys.modules]
        Path(out).write_text(json.dumps({"events": events, "missing": missing, "loaded": loaded, "exit": code,
                                         "end": time.time() - spawned}), encoding="utf-8")

    def write_and_leave(status: int) -> None:  # `qa ask` may leave without the interpreter's teardown
        write()
        leave(status)

    os._exit = write_and_leave
    try:
        cli_main.main()
    except SystemExit as e:
        code = e.code
    write()


# --- the parent -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env(bytecode: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["QA_PORT"] = str(free_port())  # nobody listens: the no-server path, whatever runs on 8000
    if bytecode:  # written and reused as by a user's `qa`, in a folder of its own: the checkout stays clean
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "oneshot-ask-bytecode")
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, int, str]:
    """Wall seconds, CPU seconds (user + system), peak RSS in MB, exit code and stderr of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, proc.returncode, err


def timeline(python: str, tree: Path, env: dict[str, str], question: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "timeline.json"
        cmd = [python, str(Path(__file__).resolve()), "--child", str(out), str(time.time()), "ask", question]
        wall, *_ = run(cmd, env, tree)
        data = json.loads(out.read_text(encoding="utf-8"))
    calls: dict[tuple[str, str], list[float]] = defaultdict(lambda: [1e9, 0.0, 0.0, 0])
    for label, thread, start, end in data["events"]:
        row = calls[(label, thread)]
        row[0], row[1], row[2], row[3] = min(row[0], start), max(row[1], end), row[2] + end - start, row[3] + 1
    print(f"  timeline from spawn (s), wall {wall:.2f}, exit {data['exit']}:")
    for (label, thread), (start, end, busy, n) in sorted(calls.items(), key=lambda kv: kv[1][0]):
        times = f", {n} calls, {busy:.2f} s in them" if n > 1 else ""
        print(f"    {start:5.2f} → {end:5.2f}  {end - start:5.2f}  {label} [{thread}]{times}")
    print(f"    {data['end']:5.2f}  process done; exit and teardown to {wall:.2f}")
    if data["missing"]:
        print(f"    (not in this tree, not timed: {', '.join(data['missing'])})")
    print(f"  off-path modules imported: {', '.join(data['loaded']) or 'none'}")


def import_summary(python: str, tree: Path, env: dict[str, str], question: str, top: int = 9) -> None:
    qa = str(Path(python).with_name("qa"))
    _, _, _, _, err = run([python, "-X", "importtime", qa, "ask", question], env, tree)
    own: dict[str, int] = defaultdict(int)
    for m in re.finditer(r"import time:\s+(-?\d+) \|\s+-?\d+ \|( *)(\S+)", err):
        own[m.group(3).partition(".")[0]] += max(0, int(m.group(1)))
    total = sum(own.values()) / 1e6
    ranked = sorted(own.items(), key=lambda kv: -kv[1])[:top]
    print(f"  import time by package (-X importtime, self times, all threads): {total:.2f} s; "
          + ", ".join(f"{name} {us / 1e6:.2f}" for name, us in ranked))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="timed runs per language (after one warm-up each)")
    ap.add_argument("--python", default=sys.executable, help="the python of the venv whose `qa` is measured")
    ap.add_argument("--tree", default=str(ROOT), help="the checkout that python imports qa from (cwd of the runs)")
    ap.add_argument("--en", default=QUESTIONS["en"])
    ap.add_argument("--zh", default=QUESTIONS["zh"])
    ap.add_argument("--no-breakdown", action="store_true", help="wall times only")
    ap.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE: every run compiles")
    args = ap.parse_args()
    tree = Path(args.tree).resolve()
    qa = str(Path(args.python).with_name("qa"))
    env = child_env(not args.no_bytecode)
    questions = {"en": args.en, "zh": args.zh}
    where = subprocess.run([args.python, "-c", "import qa; print(qa.__file__)"], env=env, cwd=tree,
                           capture_output=True, text=True, check=True).stdout.strip()
    commit = subprocess.run(["git", "-C", str(tree), "log", "-1", "--format=%h %s"], capture_output=True,
                            text=True, check=False).stdout.strip()
    print(f"qa from {where} ({commit[:70]}); bytecode {'off' if args.no_bytecode else 'on'}; "
          f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    for lang, q in questions.items():
        wall, _, _, code, err = run([qa, "ask", q], env, tree)
        note = " (it built or updated the index: run again)" if "index" in err.lower() else ""
        print(f"warm-up {lang}: {wall:.2f} s, exit {code}{note}")
        if code != 0:
            raise SystemExit(f"`qa ask` failed: {err.strip()[-500:]}")
    rows: dict[str, list[tuple[float, float, int]]] = {lang: [] for lang in questions}
    for _ in range(args.runs):
        for lang, q in questions.items():
            wall, cpu, rss, code, err = run([qa, "ask", q], env, tree)
            if code != 0:
                raise SystemExit(f"`qa ask` failed: {err.strip()[-500:]}")
            rows[lang].append((wall, cpu, rss))
    print(f"\none-shot `qa ask`, no server, {args.runs} runs each (target ≤ {TARGET_S:.0f} s wall):")
    print("  lang  wall p50   min    max    CPU p50  peak RSS  verdict")
    for lang, r in rows.items():
        walls = [w for w, _, _ in r]
        p50 = statistics.median(walls)
        print(f"  {lang}    {p50:6.2f}  {min(walls):5.2f}  {max(walls):5.2f}  {statistics.median(c for _, c, _ in r):7.2f}"
              f"  {max(m for _, _, m in r):5d} MB  {'within' if p50 <= TARGET_S else 'OVER'} the target")
    if not args.no_breakdown:
        for lang, q in questions.items():
            print(f"\nwhere the time goes, {lang}: {q}")
            timeline(args.python, tree, env, q)
            import_summary(args.python, tree, env, q)
    print(f"\nload average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--child":
        child(sys.argv[2], float(sys.argv[3]), sys.argv[4:])
    else:
        main()

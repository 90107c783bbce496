"""The index under damage and crashes: every damaged file is reported and refused, a failing or killed build
leaves the previous index sound, and only one `qa` writes at a time.

The real index is built once per session (the `engine` fixture); each destructive test damages a copy. The
kill tests rebuild a one-document corpus, so the real model and FAISS run but a rebuild takes seconds.
`bench/faults.py` runs the same damage and kill loops for many more iterations.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Self

import faiss
import numpy as np
import pytest
from click.testing import CliRunner

from qa.cli.main import cli
from qa.documents.corpus import add_document, load_corpus
from qa.errors import Busy, IndexDamaged, QAError
from qa.files import sha256_bytes, writer_lock
from qa.search.engine import Engine
from qa.store.faiss.segments import ARRAYS
from qa.store.index import build_index, load_index, verify_index

ROOT = Path(__file__).resolve().parent.parent
QA = [sys.executable, "-m", "qa.cli.main"]
SEGMENT_FILES = ("segment.json", "paragraphs.jsonl", "dense.faiss", "sentences.faiss", *(f"{a}.npy" for a in ARRAYS))
INDEX_FILES = ("CURRENT", "commit", "background", *SEGMENT_FILES)


# --- helpers ------------------------------------------------------------------------------------------------


def copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".lock", ".tmp-*"))
    return dst


def live_commit(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text(encoding="utf-8").split()[0]


def file_of(index_dir: Path, name: str) -> Path:
    """A file of the live index: CURRENT, the commit, the background vectors or a file of its first segment."""
    if name == "CURRENT":
        return index_dir / name
    commit = live_commit(index_dir)
    if name == "commit":
        return index_dir / commit
    data = json.loads((index_dir / commit).read_text(encoding="utf-8"))
    if name == "background":
        return index_dir / data["background"]["file"]
    return index_dir / data["segments"][0]["name"] / name


def index_files(index_dir: Path) -> list[str]:
    """The commits, segments and background files of an index folder (what a failed build must not change)."""
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(("commit-", "seg-", "background-")))


def damage(path: Path, how: str, at: float = 0.5) -> None:
    """Flip one byte (XOR 0xFF) at fraction `at` of the file, or cut the file to that fraction."""
    data = bytearray(path.read_bytes())
    i = min(len(data) - 1, int(len(data) * at))
    if how == "flip":
        data[i] ^= 0xFF
    else:
        del data[i:]
    path.write_bytes(bytes(data))


def reseal(index_dir: Path) -> None:
    """Recompute every checksum after a deliberate edit, as a careful forger would: only the cross-checks remain."""
    name = live_commit(index_dir)
    commit = json.loads((index_dir / name).read_text(encoding="utf-8"))
    for entry in commit["segments"]:
        folder = index_dir / entry["name"]
        meta = json.loads((folder / "segment.json").read_text(encoding="utf-8"))
        for file in meta["files"]:
            st = (folder / file).stat()
            meta["files"][file] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns,
                                   "sha256": sha256_bytes((folder / file).read_bytes())}
        raw = json.dumps(meta, ensure_ascii=False).encode()
        (folder / "segment.json").write_bytes(raw)
        entry["sha256"] = sha256_bytes(raw)
    raw = json.dumps(commit, ensure_ascii=False, indent=1).encode()
    (index_dir / name).write_bytes(raw)
    (index_dir / "CURRENT").write_text(f"{name}\n{sha256_bytes(raw)}\n", encoding="utf-8")


def temps(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.rglob(".tmp-*"))


def one_line(text: str) -> bool:
    return text.strip() != "" and "\n" not in text.strip() and "Traceback" not in text


def assert_cites_exactly(answer: Any, corpus: Any) -> None:
    """Every hit shows its own paragraph: the text under a citation is the corpus paragraph with that id."""
    assert answer.hits
    for h in answer.hits:
        assert h.paragraph.text == corpus.paragraph(h.paragraph.id).text
        assert h.document.id == h.paragraph.doc


@pytest.fixture
def index_copy(engine, tmp_path: Path) -> Path:
    return copy_index(engine.settings.index_dir, tmp_path / "index")


# --- damage: flipped or truncated files ------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flip", "truncate"])
@pytest.mark.parametrize("name", INDEX_FILES)
def test_every_damaged_index_file_is_reported_and_refused(engine, index_copy: Path, name: str, how: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    damage(file_of(index_copy, name), how)
    with pytest.raises(IndexDamaged) as e:
        verify_index(index_copy, engine.corpus, engine.encoder.identity())
    assert "damaged" in e.value.message and "qa index --rebuild" in e.value.message
    assert one_line(e.value.message)
    settings = engine.settings.with_(index_dir=index_copy)
    with pytest.raises(IndexDamaged):  # what `qa ask` and `qa serve` open: it must not fall back to a rebuild
        Engine.open(settings, build_missing=True, log=lambda s: None, encoder=engine.encoder)


DRIVER = r"""
# Runs `qa verify` and `qa ask` on many index folders in one process (the model is loaded once), as the CLI
# runs them: a crash by signal ends this process and fails the test.
import contextlib, io, json, sys
import qa.embedding.factory, qa.search.engine
from qa.cli.main import cli

from qa.settings import Settings

_load, _cache = qa.embedding.factory.load_encoder, {}
def cached(settings, log=None, built_with="", latency=False, one_shot=False):
    if settings.model not in _cache:
        _cache[settings.model] = _load(settings, log, built_with)
    return _cache[settings.model]
qa.embedding.factory.load_encoder = qa.search.engine.load_encoder = cached
cached(Settings.load())  # load once, before any output is captured
out = []
for args in json.loads(sys.argv[1]):
    err, std = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        try:
            cli.main(args, prog_name="qa")
            code = 0
        except SystemExit as e:
            code = e.code
    out.append({"args": args, "code": code, "stderr": err.getvalue(), "stdout": std.getvalue()})
print(json.dumps(out))
"""


@pytest.mark.slow
def test_damaged_index_is_refused_by_qa_verify_and_qa_ask_in_subprocesses(engine, tmp_path: Path) -> None:
    runs = []
    for name in INDEX_FILES:
        for how in ("flip", "truncate"):
            folder = copy_index(engine.settings.index_dir, tmp_path / f"{name}-{how}")
            damage(file_of(folder, name), how)
            runs += [["--index-dir", str(folder), "verify"],
                     ["--index-dir", str(folder), "ask", "negative security assurances"]]
    proc = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(runs)], capture_output=True, text=True,
                          cwd=ROOT, timeout=900, check=False)
    assert proc.returncode == 0, f"driver died (signal {-proc.returncode})" if proc.returncode < 0 else proc.stderr
    results = json.loads(proc.stdout.splitlines()[-1])
    assert len(results) == len(runs) == 4 * len(INDEX_FILES)
    for r in results:
        assert r["code"] == 1, r
        assert r["stdout"] == "", r
        assert one_line(r["stderr"]) and r["stderr"].startswith("error: Index in ") and "damaged" in r["stderr"], r

    # and once each as a real `qa` process: exit status 1 with one line, never a signal or a traceback
    for name, how, command in (("vectors.npy", "flip", ["ask", "stepping stone"]),
                               ("paragraphs.jsonl", "truncate", ["verify"])):
        folder = tmp_path / f"{name}-{how}"
        proc = subprocess.run([*QA, "--index-dir", str(folder), *command], capture_output=True, text=True,
                              cwd=ROOT, timeout=300, check=False)
        assert proc.returncode == 1, (proc.returncode, proc.stderr)
        lines = [x for x in proc.stderr.splitlines() if x.startswith("error:") or "Traceback" in x]
        assert len(lines) == 1 and "is damaged" in lines[0] and "qa index --rebuild" in lines[0], proc.stderr
        assert proc.stdout == ""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dense.faiss", "CURRENT", "commit"])
def test_qa_index_rebuild_repairs_a_damaged_index(engine, tiny: dict[str, Any], tmp_path: Path, name: str) -> None:
    index_dir = copy_index(tiny["index"], tmp_path / "index")
    damage(file_of(index_dir, name), "flip")
    args = ["--corpus-dir", str(tiny["corpus_dir"]), "--index-dir", str(index_dir)]
    assert CliRunner().invoke(cli, [*args, "verify"]).exit_code == 1
    result = CliRunner().invoke(cli, [*args, "index", "--rebuild"])
    assert result.exit_code == 0, result.output
    verify_index(index_dir, tiny["corpus"], engine.encoder.identity())
    assert temps(index_dir) == []


def test_verify_reports_stores_that_disagree_even_with_valid_checksums(engine, index_copy: Path) -> None:
    path = file_of(index_copy, "dense.faiss")
    dense = faiss.deserialize_index(np.frombuffer(path.read_bytes(), dtype=np.uint8).copy())
    shorter = faiss.IndexFlatIP(dense.d)
    shorter.add(dense.reconstruct_n(0, dense.ntotal - 1))
    path.write_bytes(faiss.serialize_index(shorter).tobytes())
    reseal(index_copy)
    with pytest.raises(IndexDamaged, match=r"seg-[^:]+: counts disagree"):
        verify_index(index_copy, engine.corpus, engine.encoder.identity())


def test_verify_reports_a_different_model(engine, index_copy: Path) -> None:
    other = {**engine.encoder.identity(), "name": "some-other-model", "weights_sha256": "0" * 64}
    with pytest.raises(IndexDamaged, match="was built with model .* not the configured 'some-other-model'"):
        verify_index(index_copy, engine.corpus, other)


def test_qa_verify_passes_on_a_sound_index(engine) -> None:
    result = CliRunner().invoke(cli, ["--index-dir", str(engine.settings.index_dir), "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: commit-") and "files match their checksums" in result.output


# --- injected write errors -------------------------------------------------------------------------------------


class _Failing:
    """A file whose writes fail with `err` after writing half of the data (a disk that fills up mid-file)."""

    def __init__(self, f: Any, err: int) -> None:
        self._f, self._err = f, err

    def write(self, data: bytes) -> int:
        self._f.write(data[: len(data) // 2])
        raise OSError(self._err, os.strerror(self._err))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


def _fail_nth(real: Any, n: int, err: int) -> Any:
    calls = [0]

    def fake(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == n:
            raise OSError(err, os.strerror(err))
        return real(*args, **kwargs)

    return fake


# (what fails, at which call): every file write, every fsync up to the switch, both renames
INJECTIONS = (
    [("write", n) for n in range(1, 7)]
    + [("fsync", n) for n in range(1, 10)]
    + [("replace", 1), ("replace", 2), ("mkdtemp", 1)]
)


@pytest.mark.slow
@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EIO])
@pytest.mark.parametrize("what, n", INJECTIONS)
def test_write_error_during_save_is_clean_and_keeps_the_previous_index(
    engine, tiny: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str, n: int, err: int
) -> None:
    import qa.store.faiss.segments
    import qa.store.faiss.store

    index_copy = copy_index(tiny["index"], tmp_path / "index")

    before = (index_copy / "CURRENT").read_bytes()
    builds = index_files(index_copy)
    if what == "write":
        opened = [0]

        def failing_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            f = builtins.open(path, mode, *args, **kwargs)  # noqa: SIM115 - closed by the caller's `with`
            opened[0] += 1
            return _Failing(f, err) if opened[0] == n else f

        monkeypatch.setattr(qa.store.faiss.segments, "open", failing_open, raising=False)
    elif what == "fsync":
        monkeypatch.setattr(os, "fsync", _fail_nth(os.fsync, n, err))
    elif what == "replace":
        monkeypatch.setattr(os, "replace", _fail_nth(os.replace, n, err))
    else:
        monkeypatch.setattr(qa.store.faiss.store.tempfile, "mkdtemp", _fail_nth(qa.store.faiss.store.tempfile.mkdtemp, n, err))

    with pytest.raises(QAError) as e:
        build_index(index_copy, tiny["corpus"], engine.encoder, progress=False, rebuild=True)
    monkeypatch.undo()

    reason = "the disk is full" if err == errno.ENOSPC else "an I/O error"
    assert e.value.message.startswith("Could not write ") and reason in e.value.message, e.value.message
    assert one_line(e.value.message)
    assert (index_copy / "CURRENT").read_bytes() == before
    assert index_files(index_copy) == builds
    assert temps(index_copy) == []
    verify_index(index_copy, tiny["corpus"], engine.encoder.identity())


@pytest.mark.slow
def test_write_error_in_the_last_fsync_leaves_a_sound_index(engine, tiny: dict[str, Any], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The last fsync of a build comes after CURRENT was renamed: the new commit is live (or the old one after a
    crash), and both are sound."""
    counted = copy_index(tiny["index"], tmp_path / "counted")
    calls = [0]
    real = os.fsync

    def count(fd: int) -> None:
        calls[0] += 1
        real(fd)

    monkeypatch.setattr(os, "fsync", count)
    build_index(counted, tiny["corpus"], engine.encoder, progress=False, rebuild=True)
    monkeypatch.undo()

    index_copy = copy_index(tiny["index"], tmp_path / "index")
    old = live_commit(index_copy)
    monkeypatch.setattr(os, "fsync", _fail_nth(os.fsync, calls[0], errno.EIO))
    with pytest.raises(QAError):
        build_index(index_copy, tiny["corpus"], engine.encoder, progress=False, rebuild=True)
    monkeypatch.undo()
    assert temps(index_copy) == []
    assert (index_copy / old).is_file()
    verify_index(index_copy, tiny["corpus"], engine.encoder.identity())


# --- one writer at a time --------------------------------------------------------------------------------------


def test_second_qa_index_fails_fast_while_one_is_writing(engine, index_copy: Path) -> None:
    with writer_lock(index_copy, "building the index"):
        t = time.perf_counter()
        result = CliRunner().invoke(cli, ["--index-dir", str(index_copy), "index"])
        seconds = time.perf_counter() - t
    assert result.exit_code == Busy.exit_code, result.output
    assert "Another `qa` process is writing" in result.output and one_line(result.output)
    print(f"second `qa index` refused in {seconds:.2f}s")


def test_second_qa_add_fails_fast_while_the_corpus_is_locked(corpus_copy: Path, tmp_path: Path) -> None:
    f = tmp_path / "paper.txt"
    f.write_text("核武器国家应当减少核风险。\n\n所有国家都应参与。\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in corpus_copy.iterdir() if p.is_file() and p.name != ".lock"}
    with writer_lock(corpus_copy, "adding a document"):
        result = CliRunner().invoke(cli, ["--corpus-dir", str(corpus_copy), "add", str(f), "--title", "T",
                                          "--submitted-by", "Sweden"])
    assert result.exit_code == Busy.exit_code, result.output
    assert "Another `qa` process is writing" in result.output
    assert {p.name: p.read_bytes() for p in corpus_copy.iterdir() if p.is_file() and p.name != ".lock"} == before


def test_add_racing_another_add_is_refused_and_loses_neither_document(corpus_copy: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A second `qa add` that finishes while the first is still reading its file must not be overwritten."""
    import qa.documents.corpus

    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("第一份文件的第一段。\n\n第一份文件的第二段。\n", encoding="utf-8")
    second.write_text("第二份文件的第一段。\n\n第二份文件的第二段。\n", encoding="utf-8")
    real_read = qa.documents.corpus.read_text
    raced: list[Any] = []

    def read_while_another_add_runs(path: Path) -> str:
        if path.name == first.name and not raced:
            raced.append(add_document(corpus_copy, second, title="Second", submitted_by=["Japan"]))
        return real_read(path)

    monkeypatch.setattr(qa.documents.corpus, "read_text", read_while_another_add_runs)
    with pytest.raises(Busy, match="changed while the files were being read"):
        add_document(corpus_copy, first, title="First", submitted_by=["Sweden"])
    monkeypatch.undo()
    corpus = load_corpus(corpus_copy)
    assert raced[0].id in {d.id for d in corpus.documents}
    add_document(corpus_copy, first, title="First", submitted_by=["Sweden"])  # the retry the message asks for
    titles = [d.title for d in load_corpus(corpus_copy).documents]
    assert "First" in titles and "Second" in titles


# --- kill -9 of `qa index --rebuild` -----------------------------------------------------------------------------

TINY_TEXT = """减少核风险的工作文件

1. 核武器国家应当采取具体步骤减少核风险，包括加强危机沟通渠道。

2. All States should reaffirm that a nuclear war cannot be won and must never be fought.

3. 无核武器国家呼吁提供具有法律约束力的消极安全保证。
"""

# `qa index` with every fsync slowed, so the save phase lasts long enough to be hit by a kill
SLOW_SAVE = (
    "import os, sys, time\n"
    "_fsync = os.fsync\n"
    "def fsync(fd):\n"
    "    time.sleep(float(os.environ['QA_TEST_FSYNC_DELAY']))\n"
    "    _fsync(fd)\n"
    "os.fsync = fsync\n"
    "from qa.cli.main import main\n"
    "main()\n"
)


@pytest.fixture(scope="module")
def tiny(engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A one-document corpus and its index, built with the real model."""
    folder = tmp_path_factory.mktemp("tiny")
    corpus_dir = folder / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "documents.json").write_text("[]\n", encoding="utf-8")
    (folder / "risk.txt").write_text(TINY_TEXT, encoding="utf-8")
    add_document(corpus_dir, folder / "risk.txt", title="减少核风险", submitted_by=["Sweden"], date="2023")
    corpus = load_corpus(corpus_dir)
    build_index(folder / "index", corpus, engine.encoder, progress=False)
    return {"corpus_dir": corpus_dir, "corpus": corpus, "index": folder / "index"}


def _rebuild_and_kill(tiny: dict[str, Any], index_dir: Path, moment: str, delay: float) -> dict[str, Any]:
    """Start `qa index --rebuild`, SIGKILL it at `moment`; returns what was seen at the kill."""
    env = {**os.environ, "QA_TEST_FSYNC_DELAY": "0.25" if moment == "save" else "0"}
    args = ["--corpus-dir", str(tiny["corpus_dir"]), "--index-dir", str(index_dir), "index", "--rebuild"]
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, *args], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert proc.stderr is not None
    stderr: list[str] = []
    embedding = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for raw in iter(proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace")
            stderr.append(line)
            if "to embed" in line:
                embedding.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: dict[str, Any] = {"moment": moment}
    try:
        if moment == "start":
            time.sleep(delay)
        elif moment == "embedding":
            assert embedding.wait(300), "".join(stderr)
            time.sleep(delay)
        else:
            deadline = time.time() + 300
            while not any(index_dir.glob(".tmp-seg-*")) and proc.poll() is None and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(delay)
        seen["tmp_build"] = bool(any(index_dir.glob(".tmp-seg-*")))
        seen["finished_before_kill"] = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    reader.join(5)
    seen["returncode"] = proc.returncode
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("moment, delay", [("start", 0.3), ("embedding", 0.0), ("save", 0.1), ("save", 0.9),
                                           ("save", 2.0)])
def test_killed_rebuild_leaves_the_old_or_the_new_index(engine, tiny: dict[str, Any], tmp_path: Path,
                                                        moment: str, delay: float) -> None:
    index_dir = copy_index(tiny["index"], tmp_path / "index")
    old = live_commit(index_dir)
    seen = _rebuild_and_kill(tiny, index_dir, moment, delay)
    print(f"kill -9 {seen}")
    assert seen["finished_before_kill"] or seen["returncode"] == -signal.SIGKILL

    settings = engine.settings.with_(corpus_dir=tiny["corpus_dir"], index_dir=index_dir)
    index = verify_index(index_dir, tiny["corpus"], engine.encoder.identity())  # old or new, sound either way
    print(f"after kill -9 at {moment}+{delay}s: {'old' if live_commit(index_dir) == old else 'new'} index is live")
    answer = Engine(settings, index, engine.encoder, corpus=tiny["corpus"]).ask("减少核风险 危机沟通", 3)
    assert_cites_exactly(answer, tiny["corpus"])

    runner = CliRunner()
    verified = runner.invoke(cli, ["--corpus-dir", str(tiny["corpus_dir"]), "--index-dir", str(index_dir), "verify"])
    assert verified.exit_code == 0, verified.output

    # the next build clears what the killed one left behind
    build_index(index_dir, tiny["corpus"], engine.encoder, progress=False)
    assert temps(index_dir) == []
    verify_index(index_dir, tiny["corpus"], engine.encoder.identity())


@pytest.mark.slow
def test_second_qa_index_process_is_refused_while_a_rebuild_embeds(engine, tiny: dict[str, Any],
                                                                   tmp_path: Path) -> None:
    index_dir = copy_index(tiny["index"], tmp_path / "index")
    env = {**os.environ, "QA_TEST_FSYNC_DELAY": "0.5"}  # keeps the first writer busy long enough
    args = ["--corpus-dir", str(tiny["corpus_dir"]), "--index-dir", str(index_dir), "index", "--rebuild"]
    first = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, *args], cwd=ROOT, env=env,
                             stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        assert first.stderr is not None
        for raw in iter(first.stderr.readline, b""):
            if b"to embed" in raw:
                break
        second = subprocess.run([*QA, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
        assert second.returncode == Busy.exit_code, second.stderr
        assert "Another `qa` process is writing" in second.stderr and one_line(second.stderr)
    finally:
        first.kill()
        first.wait(30)
    load_index(index_dir, engine.encoder.identity())


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.6, 1.5, 3.0, 6.0])
def test_killed_append_leaves_the_old_or_the_new_index(engine, tiny: dict[str, Any], tmp_path: Path,
                                                       delay: float) -> None:
    """`qa index` adding a document (a new segment, no rebuild), SIGKILLed while it saves: the index is the old one
    (one document) or the new one (two), sound either way, and the next `qa index` completes it."""
    corpus_dir = copy_index(tiny["corpus_dir"], tmp_path / "corpus")
    index_dir = copy_index(tiny["index"], tmp_path / "index")
    (tmp_path / "more.txt").write_text("1. 各国应当加强危机沟通渠道，避免误判。\n\n2. 核裁军需要所有国家的参与。\n",
                                       encoding="utf-8")
    add_document(corpus_dir, tmp_path / "more.txt", title="危机沟通", submitted_by=["Japan"], date="2024")
    env = {**os.environ, "QA_TEST_FSYNC_DELAY": "0.1"}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, "--corpus-dir", str(corpus_dir), "--index-dir",
                             str(index_dir), "index"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not any(index_dir.glob(".tmp-seg-*")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    store = load_index(index_dir, engine.encoder.identity())
    assert set(store.documents) in ({d.id for d in tiny["corpus"].documents},
                                    {d.id for d in load_corpus(corpus_dir).documents})
    print(f"after kill -9 +{delay}s: {len(store.documents)} documents live")
    build_index(index_dir, load_corpus(corpus_dir), engine.encoder, progress=False)
    verify_index(index_dir, load_corpus(corpus_dir), engine.encoder.identity())
    assert temps(index_dir) == []

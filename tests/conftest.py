"""Shared fixtures: the real corpus (read-only) and a private copy of it for tests that write."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from qa.documents.corpus import Corpus, load_corpus
from qa.documents.paragraph import Paragraph
from qa.documents.segmentation import paragraphs

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
UNGDC_DIR = SHARED / "corpora" / "ungdc-2021"
NPT_DIR = SHARED / "corpora" / "npt2014-reports"
INDEX_CACHE = ROOT / ".cache" / "test-index"  # the `engine` fixture's index, kept between sessions (gitignored)


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """The real corpus, loaded once. Never write to it: use `corpus_copy`."""
    return load_corpus(CORPUS_DIR)


def shared_file(path: Path) -> Path:
    """A file of ../shared that a test reads. Missing, it fails the test rather than skipping it: CI has ../shared
    beside the project, and a test that quietly stops running checks nothing."""
    if not path.is_file():
        pytest.fail(f"{path} is missing: the tests need ../shared beside the project (as CI has it).")
    return path


def _segment_folder(folder: Path) -> dict[str, tuple[Paragraph, ...]]:
    """file (as in the folder's manifest.jsonl, 'texts/X.txt') -> its paragraphs, ids '<file stem>:<label>'."""
    out = {}
    for line in shared_file(folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        file = json.loads(line)["file"]
        out[file] = paragraphs(Path(file).stem, (folder / file).read_text(encoding="utf-8"))
    return out


@pytest.fixture(scope="session")
def ungdc() -> dict[str, tuple[Paragraph, ...]]:
    """The 194 English UN General Debate statements of 2021 (shared, read-only), segmented once."""
    return _segment_folder(UNGDC_DIR)


@pytest.fixture(scope="session")
def npt() -> dict[str, tuple[Paragraph, ...]]:
    """The 21 NPT 2014 PrepCom documents as a PDF text export (shared, read-only), segmented once."""
    return _segment_folder(NPT_DIR)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A copy of corpus/ in a temporary folder, for tests that add or damage documents."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, target, ignore=shutil.ignore_patterns(".lock", ".tmp-*"))
    return target


# --- the web app over the real corpus, model and index (pages and browser tests) ---------------------------


@pytest.fixture(scope="session")
def encoder():
    """The real embedding model, loaded once per session."""
    from qa.embedding.factory import load_encoder
    from qa.settings import Settings

    return load_encoder(Settings.load())


@pytest.fixture(scope="session")
def engine(encoder, corpus: Corpus, tmp_path_factory: pytest.TempPathFactory):
    """The real engine (real corpus and model) over an index that this session's code builds.

    The build is the incremental one `qa index` runs. Its folder, `.cache/test-index`, is kept between sessions,
    so a warm session re-embeds only texts that changed and builds in seconds; the index itself is still
    written by the code under test every time. With QA_TEST_FRESH_INDEX=1 (as `.ci/run` sets it) the index is
    built from nothing in a temporary folder, as on a first run.
    """
    from qa.errors import Busy
    from qa.search.engine import Engine
    from qa.settings import Settings
    from qa.store.index import build_index

    fresh = os.environ.get("QA_TEST_FRESH_INDEX", "") not in ("", "0")
    index_dir = tmp_path_factory.mktemp("index") if fresh else INDEX_CACHE
    try:
        store = build_index(index_dir, corpus, encoder, progress=False)
    except Busy:  # another test session is updating the kept folder right now: build a private one
        index_dir = tmp_path_factory.mktemp("index")
        store = build_index(index_dir, corpus, encoder, progress=False)
    settings = Settings.load().with_(corpus_dir=CORPUS_DIR, index_dir=index_dir)
    return Engine(settings, store, encoder, corpus=corpus)


@pytest.fixture(scope="session")
def web_app(engine):
    from qa.web.app import create_app

    return create_app(engine.settings, engine)


@pytest.fixture
def app_client(web_app):
    """A fresh TestClient (no cookies carried over) on the session's app."""
    from fastapi.testclient import TestClient

    with TestClient(web_app) as client:
        yield client


XSS_TEXT = """恶意文件

1. 本段包含一个恶意脚本：<script>alert("doc")</script>，用来测试泄露机密的恶意脚本是否被转义。

2. 第二段包含图片标签<img src=x onerror=alert("img")>以及 "引号" 和 &amp; 符号，同样是恶意脚本测试。
"""


@pytest.fixture(scope="session")
def xss_client(tmp_path_factory: pytest.TempPathFactory, engine):
    """(client, doc id) for an app over a one-document corpus whose text and metadata carry HTML."""
    from fastapi.testclient import TestClient

    from qa.documents.corpus import add_document
    from qa.search.engine import Engine
    from qa.web.app import create_app

    folder = tmp_path_factory.mktemp("xss")
    corpus_dir = folder / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "documents.json").write_text("[]\n", encoding="utf-8")
    source = folder / "evil.txt"
    source.write_text(XSS_TEXT, encoding="utf-8")
    doc = add_document(corpus_dir, source, title="<b>恶意</b>标题", title_en="<i>Evil</i> title",
                       submitted_by=["<script>alert('state')</script>"], date="2020-01-01",
                       meeting="<svg onload=alert(1)>")
    settings = engine.settings.with_(corpus_dir=corpus_dir, index_dir=folder / "index")
    xss_engine = Engine.open(settings, build_missing=True, log=lambda message: None)
    with TestClient(create_app(settings, xss_engine)) as client:
        yield client, doc.id


# --- a handful of the 2021 General Assembly statements (English) ----------------------------------------------

STATEMENTS = ("AUT", "IRL", "MNG", "FJI", "KIR", "NZL")  # two on nuclear disarmament at length, four mostly not


@pytest.fixture(scope="session")
def statements_engine(encoder, tmp_path_factory: pytest.TempPathFactory):
    """An engine over six English statements of the 2021 general debate, imported from the shared manifest the
    way a user does (`qa add --manifest`), indexed with the real model (kept in .cache between sessions)."""
    from qa.documents.corpus import add_documents, load_corpus
    from qa.documents.manifest import read_manifest
    from qa.errors import Busy
    from qa.search.engine import Engine
    from qa.settings import Settings
    from qa.store.index import build_index

    if not (UNGDC_DIR / "manifest.jsonl").exists():
        pytest.fail(f"{UNGDC_DIR} is missing: the tests need ../shared beside the project (as CI has it).")
    entries, refused = read_manifest(UNGDC_DIR / "manifest.jsonl")
    chosen = [e for e in entries if Path(e.source).name.split("_")[0] in STATEMENTS]
    assert not refused and len(chosen) == len(STATEMENTS)
    corpus_dir = tmp_path_factory.mktemp("statements") / "corpus"
    add_documents(corpus_dir, chosen)
    corpus = load_corpus(corpus_dir)
    fresh = os.environ.get("QA_TEST_FRESH_INDEX", "") not in ("", "0")
    index_dir = tmp_path_factory.mktemp("statements-index") if fresh else ROOT / ".cache" / "test-statements-index"
    try:
        store = build_index(index_dir, corpus, encoder, progress=False)
    except Busy:
        index_dir = tmp_path_factory.mktemp("statements-index")
        store = build_index(index_dir, corpus, encoder, progress=False)
    return Engine(Settings.load().with_(corpus_dir=corpus_dir, index_dir=index_dir), store, encoder, corpus=corpus)

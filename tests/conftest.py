"""Shared fixtures: the real corpus (read-only) and a private copy of it for tests that write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.corpus import Corpus, load_corpus

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = ROOT / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """The real corpus, loaded once. Never write to it: use `corpus_copy`."""
    return load_corpus(CORPUS_DIR)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A copy of corpus/ in a temporary folder, for tests that add or damage documents."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, target, ignore=shutil.ignore_patterns(".lock", ".tmp-*"))
    return target

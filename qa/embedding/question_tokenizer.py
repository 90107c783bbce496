"""The tokenizer for a one-shot question, without building the model's whole vocabulary.

Building the `tokenizers` Unigram model of XLM-R's 250,002 pieces takes 0.7 s and holds the GIL all along (it is
most of what a one-shot `qa ask` cannot do while the model compiles); `tokenizers` has no lighter way to load
it. But a Unigram tokenizer picks, by Viterbi, among the pieces that occur in the normalised text: a model of
just those pieces, with the same scores and the same lowest score (which prices an unknown character), gives
the same tokens. So a short text is tokenised by such a model, built in a millisecond from the pieces found in
a SQLite copy of the vocabulary, and its ids are mapped back. Anything longer, or holding a special token's
text, goes to the whole tokenizer, loaded then. tests/test_oneshot.py checks the ids against it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from qa.files import TMP_PREFIX

SMALL_CHARS = 4000  # texts of a batch, in all, tokenised by a model of their own pieces; more loads the whole
FORMAT = 1  # bump when the database's layout changes


class Encoded(NamedTuple):
    """What the runtimes read of a `tokenizers.Encoding`: its ids (mapped back to the whole vocabulary's)."""

    ids: list[int]


class QuestionTokenizer:
    """`encode_batch` as the whole tokenizer's (made by `load_full`), which it loads only for a long batch."""

    def __init__(self, tokenizer_json: Path, max_tokens: int, load_full: Callable[[], Any]) -> None:
        self._max_tokens = max_tokens
        self._load_full = load_full
        self._full: Any = None
        self._lock = threading.Lock()
        self._vocabulary: Vocabulary | None = None
        with contextlib.suppress(OSError, sqlite3.Error, ValueError, KeyError):  # then the whole one, as before
            self._vocabulary = Vocabulary.open(tokenizer_json)

    def encode_batch(self, texts: Sequence[str]) -> list[Any]:
        if self._full is None and self._vocabulary and sum(len(t) for t in texts) <= SMALL_CHARS:
            encoded = self._vocabulary.encode_batch(list(texts), self._max_tokens)
            if encoded is not None:
                return list(encoded)
        return self.full().encode_batch(list(texts))

    def full(self) -> Any:
        with self._lock:
            if self._full is None:
                self._full = self._load_full()
            return self._full

    def __getattr__(self, name: str) -> Any:
        """Anything else asked of a tokenizer (`to_str`, `encode`, …) is the whole one's."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.full(), name)


class Vocabulary:
    """The pieces of a Unigram tokenizer.json with their ids and scores, in SQLite, and the rest of the file."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._lock = threading.Lock()  # one connection, used by one thread at a time
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        self._skeleton = json.loads(meta["skeleton"])  # the tokenizer.json without its vocabulary
        self._specials = [tuple(p) for p in json.loads(meta["specials"])]  # ids 0.. that open the vocabulary
        self._lowest = tuple(json.loads(meta["lowest"]))  # a piece of the lowest score
        self._longest = int(meta["longest"])
        self._texts_of_specials = [t["content"] for t in self._skeleton.get("added_tokens", [])]

    @classmethod
    def open(cls, tokenizer_json: Path) -> Vocabulary:
        """The database beside `tokenizer_json`, built from it the first time (about 2 s) or when it changed."""
        path = tokenizer_json.with_name("tokenizer-vocabulary.sqlite")
        stamp = _stamp(tokenizer_json)
        with contextlib.suppress(sqlite3.Error, KeyError):
            db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            if dict(db.execute("SELECT key, value FROM meta").fetchall()).get("stamp") == stamp:
                return cls(db)
            db.close()
        _build(tokenizer_json, path, stamp)
        return cls(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False))

    def encode_batch(self, texts: list[str], max_tokens: int) -> list[Encoded] | None:
        """The ids the whole tokenizer gives `texts`, or None when a text holds a special token's text (those
        are cut out before normalising, which this model would have to redo)."""
        if any(special in t for t in texts for special in self._texts_of_specials):
            return None
        skeleton = self._tokenizer([])
        seen: set[str] = set()
        for text in texts:
            for piece, _ in skeleton.pre_tokenizer.pre_tokenize_str(skeleton.normalizer.normalize_str(text)):
                seen.update(piece[i:j] for i in range(len(piece))
                            for j in range(i + 1, min(len(piece), i + self._longest) + 1))
        with self._lock:
            rows = self._db.execute("SELECT piece, id, score FROM vocabulary WHERE piece IN "
                                    "(SELECT value FROM json_each(?))", (json.dumps(list(seen)),)).fetchall()
        found = [r for r in rows if r[1] >= len(self._specials) and r[1] != self._lowest[1]]
        pieces = [*self._specials, *found, self._lowest]
        tokenizer = self._tokenizer([(p, score) for p, _, score in pieces])
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_tokens)
        ids = [i for _, i, _ in pieces]
        return [Encoded([ids[i] if i < len(ids) else i for i in e.ids]) for e in tokenizer.encode_batch(texts)]

    def _tokenizer(self, vocab: list[tuple[str, float]]) -> Any:
        from tokenizers import Tokenizer

        vocab = vocab or [(p, score) for p, _, score in self._specials]
        spec = {**self._skeleton, "model": {**self._skeleton["model"], "vocab": vocab}}
        return Tokenizer.from_str(json.dumps(spec))


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{FORMAT} {st.st_size} {st.st_mtime_ns}"


def _build(tokenizer_json: Path, path: Path, stamp: str) -> None:
    """Write the database for `tokenizer_json` atomically (a temporary file renamed into place)."""
    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    model = spec["model"]
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        raise ValueError(f"{tokenizer_json} is not a Unigram tokenizer without byte fallback")
    vocab = [(str(p), float(s)) for p, s in model["vocab"]]
    specials = {t["id"] for t in spec.get("added_tokens", []) if t.get("special")}
    opening = 0
    while opening in specials:  # the special tokens that open the vocabulary keep their ids in every model
        opening += 1
    lowest = min(range(len(vocab)), key=lambda i: vocab[i][1])
    meta = {"stamp": stamp, "skeleton": json.dumps({**spec, "model": {**model, "vocab": []}}),
            "specials": json.dumps([[p, i, s] for i, (p, s) in enumerate(vocab[:opening])]),
            "lowest": json.dumps([vocab[lowest][0], lowest, vocab[lowest][1]]),
            "longest": str(max(len(p) for p, _ in vocab))}
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}-{os.getpid()}-{threading.get_ident()}")
    tmp.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(tmp)) as db:
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
            db.execute("CREATE TABLE vocabulary (piece TEXT PRIMARY KEY, id INTEGER, score REAL) WITHOUT ROWID")
            db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            db.executemany("INSERT INTO vocabulary VALUES (?, ?, ?)",
                           ((p, i, s) for i, (p, s) in enumerate(vocab)))
            db.commit()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

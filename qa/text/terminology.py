"""The field's terminology: curated English <-> Chinese terms of the NPT and disarmament field, and phrase matching.

`corpus/terminology.tsv` holds general vocabulary of the field (english, chinese with '|' between variants,
notes), never words picked from evaluation questions. English is compared by light stems so "assurances"
meets "assurance"; acronyms (US, CD, P5) must match in capitals.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from qa.errors import CorpusError
from qa.resources import data_file
from qa.text.english import STOPWORDS, WORD, is_acronym, stem
from qa.text.english import words as english_words
from qa.text.scripts import detect_language

TERMINOLOGY_PATH = data_file("terminology.tsv")

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
    surface: tuple[str, ...] = ()  # the words, singular and lower-case, when another entry has the same stems

    def fits(self, words: Sequence[str]) -> bool:
        """Whether words with this phrase's stems are this phrase: its acronyms as written, and its words where
        the stems cannot tell it from another entry ("Convention" and "conventional" are both "convent")."""
        return (all(x is None or x == w for x, w in zip(self.exact, words))
                and (not self.surface or tuple(singular(w) for w in words) == self.surface))


def singular(word: str) -> str:
    """A word lower-cased without its plural ending ("Conventions": "convention", "arms": "arm")."""
    low = word.lower()
    if low.endswith("ies") and len(low) > 4:
        return low[:-3] + "y"
    if low.endswith(("ches", "shes", "sses", "xes", "zes")):
        return low[:-2]
    return low[:-1] if low.endswith("s") and not low.endswith("ss") and len(low) > 3 else low


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
def _phrase_table(path: Path = TERMINOLOGY_PATH) -> tuple[dict[tuple[str, ...], list[_Phrase]], dict[str, int]]:
    """Phrases by their stems, and for each first stem the longest phrase it starts (most words start none)."""
    table: dict[tuple[str, ...], list[_Phrase]] = defaultdict(list)
    longest: dict[str, int] = {}
    for term in load_terminology(path):
        words = english_words(term.english)
        if not words:
            continue
        phrase = _Phrase(tuple(stem(w) for w in words), tuple(w if is_acronym(w) else None for w in words), term)
        table[phrase.stems].append(phrase)
        longest[phrase.stems[0]] = max(longest.get(phrase.stems[0], 0), len(words))
    for stems, phrases in table.items():  # entries of other meanings that share their stems keep their words
        if len({concept(p.term) for p in phrases}) > 1:
            table[stems] = [replace(p, surface=tuple(singular(w) for w in english_words(p.term.english)))
                            for p in phrases]
    return dict(table), longest


def match_terminology(words: list[str], frame: AbstractSet[str] = frozenset()) -> list[tuple[int, int, Term]]:
    """Greedy longest matches of terminology phrases in a word sequence: (start, end, term). A question's words
    that frame it (`frame`: "What did Japan report about …") are not a term of one word ("reporting")."""
    table, longest = _phrase_table()
    stems = [stem(w) for w in words]
    found, i = [], 0
    while i < len(words):
        for n in range(min(longest.get(stems[i], 0), len(words) - i), 0, -1):
            hit = next((p for p in table.get(tuple(stems[i:i + n]), ()) if p.fits(words[i:i + n])), None)
            if hit is not None and n == 1 and words[i].lower() in frame:
                continue
            if hit is not None:
                found.append((i, i + n, hit.term))
                i += n
                break
        else:
            i += 1
    return found


def chinese_matches(text: str) -> list[tuple[int, int, Term]]:
    """Longest, non-overlapping occurrences of the terminology's Chinese forms (two characters or more) in text."""
    forms = _chinese_forms()
    found: list[tuple[int, int, Term]] = []
    i = 0
    while i < len(text):
        for n in range(min(forms.longest.get(text[i], 0), len(text) - i), 1, -1):
            term = forms.by_form.get(text[i:i + n])
            if term is not None:
                found.append((i, i + n, term))
                i += n
                break
        else:
            i += 1
    return found


@dataclass(frozen=True)
class _Forms:
    by_form: dict[str, Term]
    longest: dict[str, int]  # first character -> length of the longest form it starts
    first: re.Pattern[str]  # any of those first characters


@lru_cache(maxsize=4)
def _chinese_forms(path: Path = TERMINOLOGY_PATH) -> _Forms:
    by_form: dict[str, Term] = {}
    for t in load_terminology(path):
        for zh in t.chinese:
            if len(zh) >= 2:
                by_form.setdefault(zh, t)
    longest: dict[str, int] = {}
    for form in by_form:
        longest[form[0]] = max(longest.get(form[0], 0), len(form))
    first = f"[{''.join(re.escape(c) for c in sorted(longest))}]" if longest else "(?!)"  # (?!): nowhere
    return _Forms(by_form, longest, re.compile(first))


@lru_cache(maxsize=4)
def _synsets(path: Path = TERMINOLOGY_PATH) -> dict[str, tuple[Term, ...]]:
    """Entries that share a Chinese form mean the same thing ('NPT', 'Non-Proliferation Treaty'): grouped, keyed
    by the group's first Chinese form in file order."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    terms = load_terminology(path)
    for t in terms:
        for zh in t.chinese[1:]:
            parent[root(zh)] = root(t.chinese[0])
    groups: dict[str, list[Term]] = {}
    for t in terms:
        groups.setdefault(root(t.chinese[0]), []).append(t)
    return {t.english: tuple(groups[root(t.chinese[0])]) for t in terms}


def synonyms(term: Term) -> tuple[Term, ...]:
    """The entries that mean what `term` means, itself included."""
    return _synsets().get(term.english, (term,))


def concept(term: Term) -> str:
    """One key per meaning, the same for every synonym: the Chinese form the group's first entry prefers."""
    return synonyms(term)[0].chinese[0]


def field_terms(question: str, frame: AbstractSet[str] = frozenset()) -> list[Term]:
    """The terminology entries a question names: English phrases matched (not its words in `frame`, see
    `match_terminology`), or Chinese forms it contains."""
    if detect_language(question) == "en":
        return [term for _, _, term in match_terminology(english_words(question), frame)]
    return [term for _, _, term in chinese_matches(question)]


CONCEPT = "\u2261"  # '≡': the prefix of concept tokens, which no analyzer makes from text
QUOTE_MARKS = "“”‘’「」『』《》〈〉\"'"  # quotation marks, which a term written in a text may carry inside it
_QUOTES = str.maketrans("", "", QUOTE_MARKS)


def concepts_in(text: str) -> list[str]:
    """The concepts of the field a text names, in either language: one key per meaning (see `concept`), nested
    ones included ('Chemical Weapons Convention' also names 'convention').

    Indexed as tokens (`CONCEPT` + key), they tell in one lookup whether a corpus mentions a field term in any
    of its names, and match a question to a paragraph across languages on exactly that term.
    """
    words, joined = _words_joined(text)
    found = {concept(t) for t in _all_english_terms(words, joined)}
    found |= {concept(t) for t in _all_chinese_terms(text.translate(_QUOTES))}
    return sorted(found)


def nested_terms(text: str) -> set[Term]:
    """Every terminology entry an English phrase names, nested ones included ("no first use": "first use")."""
    return _all_english_terms(*_words_joined(text))


def _words_joined(text: str) -> tuple[list[str], list[bool]]:
    """The English words of a text, and for each whether a hyphen joins it to the word before ("Test-Ban")."""
    spans = [(m.start(), m.end()) for m in WORD.finditer(text)]
    return ([text[a:b] for a, b in spans],
            [i > 0 and text[spans[i - 1][1]:a] in _HYPHENS for i, (a, _) in enumerate(spans)])


_HYPHENS = frozenset("-‐‑–")


def _all_english_terms(words: list[str], joined: Sequence[bool] = ()) -> set[Term]:
    """Every terminology phrase in a word sequence, overlapping and nested ones included, but none that starts
    inside a hyphenated word and ends outside it: "ban treaty" is not in "Nuclear-Test-Ban Treaty" (though
    "test ban" is), nor "nuclear-weapon States" in "non-nuclear-weapon States", which means the opposite."""
    table, longest = _phrase_table()
    stems = [stem(w) for w in words]
    found: set[Term] = set()
    inside = [i < len(joined) and joined[i] for i in range(len(words))]
    for i in range(len(words)):
        for n in range(1, min(longest.get(stems[i], 0), len(words) - i) + 1):
            if inside[i] and not all(inside[i + 1:i + n]):
                break
            for p in table.get(tuple(stems[i:i + n]), ()):
                if p.fits(words[i:i + n]):
                    found.add(p.term)
    return found | _shared_heads(words, stems, inside, table, longest)


_COORDINATORS = frozenset({"and", "or"})


def _shared_heads(words: list[str], stems: list[str], inside: list[bool],
                  table: dict[tuple[str, ...], list[_Phrase]], longest: dict[str, int]) -> set[Term]:
    """The terms whose modifier is coordinated with another before their head: "disarmament and
    non-proliferation education" names disarmament education, "chemical and biological weapons" chemical
    weapons. The other conjunct is one word (or one hyphenated word), not a stopword."""
    found: set[Term] = set()
    for i, w in enumerate(words):
        if w.lower() not in _COORDINATORS or i == 0 or i + 2 >= len(words):
            continue
        j = i + 2  # the word after the other conjunct
        while j < len(words) and inside[j]:
            j += 1
        if j >= len(words) or words[i + 1].lower() in STOPWORDS or inside[i + 1]:
            continue
        for m in range(1, 4):  # the modifier's words, before the coordinator
            if m > i:
                break
            if inside[i - m]:
                continue  # starts inside a hyphenated word
            for r in range(1, 3):  # the head's words
                phrase = tuple(stems[i - m:i] + stems[j:j + r])
                if j + r > len(words) or longest.get(phrase[0], 0) < len(phrase):
                    continue
                for p in table.get(phrase, ()):
                    if p.fits(words[i - m:i] + words[j:j + r]):
                        found.add(p.term)
    return found


def _all_chinese_terms(text: str) -> set[Term]:
    """Every terminology Chinese form in a text, overlapping and nested ones included, but not the rest of a
    longer form that negates it: 核武器国家 is not in 无核武器国家 (核武器 is), as in English."""
    forms = _chinese_forms()
    matches: list[tuple[int, int, Term]] = []
    for m in forms.first.finditer(text):  # where a form may start, found by the regex engine: in an English
        i = m.start()  # paragraph, nowhere (a loop over its characters cost 0.36 ms of a question's ~30)
        for n in range(2, min(forms.longest[text[i]], len(text) - i) + 1):
            term = forms.by_form.get(text[i:i + n])
            if term is not None:
                matches.append((i, i + n, term))
    negated = {(a + 1, b) for a, b, _ in matches if text[a] in "无非"}
    return {term for a, b, term in matches if (a, b) not in negated}

"""Sentences: one splitter for Chinese, English and mixed paragraphs, for the answering sentence of a hit and
the sentence vectors of the index (it runs on every searchable paragraph at index time, so it is one regular
expression pass plus a look at the word before each candidate full stop).

Chinese: 。！？； (and ASCII ! ? ; between Chinese characters) end a sentence, closing quotes and brackets
attached. English: . ! ? followed by a space and a capital, digit, quote or bracket end a sentence, except
after an abbreviation (Mr., e.g., U.S., Jan., p.), a single initial ("A. Dunn"), a list marker at the start of
the paragraph ("1. The", "II. Nuclear") or an ellipsis. A footnote number glued to the stop ("mankind.2 It")
stays with its sentence.

A semicolon ends an English sentence only in a long list: a sentence of more than `LIST_CHARS` characters
with at least two semicolons is split at them (measured on the UNGDC and NPT corpora, see
`bench/segment.py`: plain sentences rarely reach that length, so joined clauses stay one answer unit,
while a run-on list of measures becomes items a reader can take in at a glance).
"""

from __future__ import annotations

import re
from itertools import pairwise

LIST_CHARS = 320  # an English sentence this long with two or more semicolons is a list: split at them

_CLOSE = frozenset("”’」』）)》】\"']")
_ZH_CLOSE = frozenset("）》】」』")
_CANDIDATE = re.compile(r"[.!?;…。！？；]+")  # every place a sentence may end; one character class scans fastest
_OPENS = re.compile(r"\s+[A-Z0-9\"“‘'(\[\u3400-\u9fff\uf900-\ufaff]")  # what an English sentence starts with
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Words after which a full stop does not end a sentence (compared without the stop, case-sensitive).
_ABBREVIATIONS = frozenset({
    "Mr", "Mrs", "Ms", "Mme", "Messrs", "Dr", "Prof", "St", "Mt", "No", "Nos", "para", "paras", "art",
    "arts", "Art", "Arts", "vol", "vols", "Vol", "Vols", "p", "pp", "e.g", "i.e", "cf", "Cf", "al", "Jr",
    "Sr", "Gen", "Col", "Lt", "Capt", "Sgt", "Rev", "Hon", "Amb", "Sen", "Rep", "Gov", "Fig", "fig", "figs",
    "Ch", "ch", "sect", "Sect", "approx", "U.N", "U.S", "U.K", "E.U", "H.E", "a.m", "p.m", "A.M", "P.M",
    "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Inc", "Ltd", "Co",
    "Corp", "vs",
})
_LIST_MARKER = re.compile(r"\s*(?:\d{1,3}|[A-Za-z]|[IVXLC]{1,6}|[ivxlc]{1,6})\.\s")


SENTENCE_FORMAT = "sentences/v2"  # bump when the splitting rules change: indexes built before go stale

def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, in order, whitespace trimmed.

    Nothing is lost: the spans, with the whitespace between them, rebuild the text. Text of whitespace only
    has no sentence.
    """
    cuts: list[int] = []
    semis: list[int] = []
    marker = _LIST_MARKER.match(text)
    skip = marker.end() if marker else 0
    n = len(text)
    for m in _CANDIDATE.finditer(text):
        stop, start, end = m.group(), m.start(), m.end()
        while end < n and text[end] in _CLOSE:
            end += 1
        if stop[0] in "。！？；" or stop[-1] in "。！？；":
            cuts.append(end)
        elif stop.strip(".…") and _chinese_context(text, start, end):
            cuts.append(end)  # ASCII ! ? ; between Chinese characters
        elif stop == ";":
            if end < n and text[end].isspace():
                semis.append(end)
        elif end > skip:
            end = _english_end(text, start, end, stop)
            if end:
                cuts.append(end)
    if semis:
        cuts = _with_list_semicolons(text, cuts, semis)
    spans = []
    start = 0
    for end in [*cuts, n]:
        s, e = _trim(text, start, end)
        if e > s:
            spans.append((s, e))
        start = end
    return spans


def _chinese_context(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else ""
    after = text[end:end + 8].lstrip()[:1]
    return bool(before and (_CJK.match(before) or before in _ZH_CLOSE)) or bool(after and _CJK.match(after))


def _english_end(text: str, start: int, end: int, stop: str) -> int:
    """Where the English sentence ending with `stop` at `start` ends (after closers and a glued footnote
    number, "mankind.2"), or 0 when it does not end there: the next word must start as a sentence does."""
    note = end
    if start and text[start - 1].isalpha() or text[end - 1] in _CLOSE:
        while note < len(text) and note - end < 3 and text[note].isdigit():
            note += 1
    if not _OPENS.match(text, note):
        if note == end or not _OPENS.match(text, end):
            return 0
        note = end
    return note if _ends_english(text, start, stop) else 0


def _ends_english(text: str, at: int, stop: str) -> bool:
    """Whether the stop `stop` found at `at` ends an English sentence (it is followed by a capital)."""
    if stop[0] != ".":
        return not stop.startswith("…")  # ! ? end; an ellipsis does not
    if stop.startswith("..."):
        return False
    word_start = at
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in "(“\"‘'[":
        word_start -= 1
    word = text[word_start:at]
    if word in _ABBREVIATIONS or word.rstrip(".") in _ABBREVIATIONS:
        return False
    return not (len(word) == 1 and word.isupper())  # an initial: "A. Dunn"


def _with_list_semicolons(text: str, cuts: list[int], semis: list[int]) -> list[int]:
    """Add the semicolons of every English sentence longer than `LIST_CHARS` that holds two or more."""
    out = []
    bounds = [0, *cuts, len(text)]
    k = 0
    for a, b in pairwise(bounds):
        inside = []
        while k < len(semis) and semis[k] <= b:
            if semis[k] > a:
                inside.append(semis[k])
            k += 1
        if b - a > LIST_CHARS and len(inside) >= 2:
            out.extend(inside)
        if b != len(text):
            out.append(b)
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end

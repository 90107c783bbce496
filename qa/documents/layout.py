"""Layout: how a text was printed. Pages (form feeds, or running headers, footers and page numbers found by
their repetition, position and number sequence), hyphenation across line ends, and blank lines, put together
with `lines.classify_lines()` into the `Layout` that `segment.py` groups into paragraphs.

Pure functions over strings; every rule is general, never keyed to one corpus or file.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

from qa.documents.lines import Line, classify_lines, is_cjk_text, is_wrapped


@dataclass(frozen=True)
class Layout:
    """The classified lines of a text and the document-wide facts grouping needs."""

    lines: list[Line]
    cjk: bool  # mostly Chinese: the Chinese rules apply and the English ones do not
    wrapped: bool  # hard-wrapped at a fixed width
    indented: bool  # paragraph starts indented
    blank_paragraphs: bool  # blank lines separate paragraphs (not every wrapped line)
    width: float  # median length of a text line
    words: frozenset[str]  # lower-case words of the text, from whole (not hyphen-broken) tokens
    pairs: frozenset[str]  # lower-case "a-b" pairs of hyphenated words of the text
    columns: float = 0.0  # a full line's display width (a Chinese character takes two), in wrapped Chinese text


def classify(text: str) -> Layout:
    """Every non-blank line of `text` with its kind, marker and page, and the document-wide layout facts."""
    raw_lines, feeds = split_lines(text)
    cjk_doc = is_cjk_text(text)
    out = classify_lines(raw_lines, cjk_doc)
    furniture = find_furniture(raw_lines, feeds, is_wrapped(out)[0])
    pages = page_of_lines(raw_lines, feeds, furniture)
    prev_no = 0
    for ln in out:
        ln.page = pages[ln.no - 1]
        if ln.no - 1 in furniture:
            ln.kind, ln.marker, ln.marker_kind = "furniture", "", ""
            prev_no = -1  # what follows a page break says nothing about paragraph breaks
            continue
        ln.blank_before = prev_no > 0 and ln.no > prev_no + 1
        ln.after_break = prev_no < 0
        prev_no = ln.no
    wrapped, indented = is_wrapped(out)
    body = [ln for ln in out if ln.kind == "text"]
    width = statistics.median([len(ln.raw.rstrip()) for ln in body] or [0])
    blanks = sum(ln.blank_before for ln in body[1:]) / max(len(body) - 1, 1)
    hyphenated = not cjk_doc and any(_HYPHEN_END.search(line) for line in raw_lines)
    words, pairs = vocabulary(raw_lines) if hyphenated else (frozenset(), frozenset())
    full = [display_width(ln.raw.rstrip()) for ln in body if len(ln.text) >= 8] if cjk_doc and wrapped else []
    return Layout(out, cjk_doc, wrapped, indented, wrapped and blanks < 0.6, width, words, pairs,
                  sorted(full)[int(0.9 * (len(full) - 1))] if full else 0.0)


def display_width(text: str) -> int:
    """Display width: a Chinese character or full-width mark takes two columns. A Chinese PDF export fills each
    line to the same width in columns, not in characters (a Latin letter or digit takes one)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def short_line(layout: Layout, line: Line) -> bool:
    """A line that stops before the wrap width, so ends its paragraph (or title, or item): in Chinese, short of a
    full line by more than one character; in English, by a fifth of the width (a word that did not fit)."""
    if layout.cjk and layout.columns:
        return display_width(line.raw.rstrip()) < layout.columns - 2
    return len(line.raw.rstrip()) < 0.8 * layout.width


# Characters a Chinese sentence cannot stop on: commas, opening marks and function words that need a sequel
CHINESE_OPEN = frozenset("，、；：（(《“‘「和与及或并而的之在对把将被为从向以于由")


def chinese_paragraph_ended(layout: Layout, ln: Line, prev: Line | None) -> bool:
    """In Chinese text hard-wrapped with blank lines between paragraphs (a PDF export), a line after a blank
    line follows a paragraph that ended, punctuated or not, when the line before it is short: a wrapped
    Chinese line is filled to its last character, so only a paragraph's last line falls short (a title, a
    submitter line, a heading such as 序言, an unpunctuated list item). Across a page break the line before is
    full, and the sentence goes on; it goes on too after a comma or a word that cannot end one (和, 的, 对 …)."""
    return (layout.cjk and layout.wrapped and layout.blank_paragraphs and ln.blank_before and prev is not None
            and short_line(layout, prev) and prev.text.rstrip()[-1:] not in CHINESE_OPEN)


# --- pages and page furniture ------------------------------------------------------------------------------

_SEPARATOR = re.compile(r"(\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029])")  # exactly str.splitlines()
_PAGE_CELL = re.compile(r"^(?:page\s*|p\.\s*|第\s*)?[-–—(\[]?\s*(\d{1,4})\s*[-–—)\]]?\s*页?"
                        r"(?:\s*(?:/|of|，?\s*共)\s*(\d{1,4})\s*页?)?$", re.IGNORECASE)
_CODE_CELL = re.compile(r"^[\w./()\-–]{1,24}(?: [\w./()\-–]{1,6})?$")


def split_lines(text: str) -> tuple[list[str], list[int]]:
    """The lines of `text` as `str.splitlines()` gives them, and for each the number of form feeds before it."""
    pieces = _SEPARATOR.split(text)
    lines, feeds, n = [], [], 0
    for i in range(0, len(pieces), 2):
        lines.append(pieces[i])
        feeds.append(n)
        if i + 1 < len(pieces) and pieces[i + 1] == "\f":
            n += 1
    if lines and lines[-1] == "":
        lines.pop()  # splitlines() gives no empty line after a final separator
        feeds.pop()
    return lines, feeds


def _page_number(line: str) -> tuple[int, int] | None:
    """(page, total or 0) when the line is a page number, alone or beside a job number or symbol."""
    cells = [c for c in re.split(r"\s{2,}|\t", line.strip()) if c]
    if not 1 <= len(cells) <= 3:
        return None
    found = [(m, c) for c in cells if (m := _PAGE_CELL.match(c))]
    if len(found) != 1:
        return None
    others = [c for c in cells if c != found[0][1]]
    if any(not (_CODE_CELL.match(c) and re.search(r"\d", c)) for c in others):
        return None
    m = found[0][0]
    return int(m.group(1)), int(m.group(2) or 0)


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()))


def _page_number_lines(lines: list[str]) -> set[int]:
    """Lines that number the pages: same shape, page numbers rising by one or two, at least 8 lines apart
    (or a single 'n/N' with n < N); a bare number must be below 1000, so years and figures are not pages."""
    groups: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for i, line in enumerate(lines):
        if line.strip() and (pn := _page_number(line)):
            groups[_shape(line)].append((i, *pn))
    out: set[int] = set()
    for members in groups.values():
        values = [v for _, v, _ in members]
        totals = {t for _, _, t in members}
        if len(members) == 1:
            ok = bool(values[0] < min(totals) and values[0] > 0)
        else:
            steps = [b - a for a, b in pairwise(values)]
            gaps = [b[0] - a[0] for a, b in pairwise(members)]
            ok = all(s in (1, 2) for s in steps) and min(gaps) >= 8 and max(values) < 1000
            ok = ok and (totals == {0} or (len(totals) == 1 and max(values) <= min(totals)))
        if ok:
            out.update(i for i, _, _ in members)
    return out


def find_furniture(lines: list[str], feeds: list[int], wrapped: bool) -> set[int]:
    """0-based indices of running headers, footers and page numbers.

    A page number is recognised by its sequence (`_page_number_lines`). A repeated short line is a running
    header or footer when it sits next to a form feed, a page number or other furniture at least once, and at
    least twice counting the first and last line of the text. In a hard-wrapped text with no page numbers and
    no form feeds, a line repeated at least three times at regular intervals of 15 lines or more is one too.
    A salutation repeated through a speech is none of these.
    """
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if not nonblank:
        return set()
    found = _page_number_lines(lines)
    ends = {nonblank[0], nonblank[-1]}
    feed_edges: set[int] = set()
    for a, b in pairwise(nonblank):
        if feeds[a] != feeds[b]:
            feed_edges.update((a, b))
    groups: dict[str, list[int]] = defaultdict(list)
    for i in nonblank:
        if len(lines[i].strip()) <= 120:
            groups[" ".join(lines[i].split())].append(i)
    repeated = {s: m for s, m in groups.items() if len(m) >= 2}
    if not found and not feed_edges and wrapped:
        for members in repeated.values():
            gaps = [b - a for a, b in pairwise(members)]
            if len(members) >= 3 and min(gaps) >= 15 and max(gaps) <= 1.6 * min(gaps):
                found.update(members)
    position = {i: k for k, i in enumerate(nonblank)}
    changed = True
    while changed:
        changed = False
        for members in repeated.values():
            todo = [i for i in members if i not in found]
            beside = [i for i in todo if _beside(i, position, nonblank, found | feed_edges)]
            at_end = [i for i in todo if i in ends and i not in beside]
            if beside and (len(beside) + len(at_end) >= 2 or len(todo) < len(members)):
                found.update(beside + at_end)
                changed = True
    return found


def _beside(i: int, position: dict[int, int], nonblank: list[int], marks: set[int]) -> bool:
    k = position[i]
    return i in marks or (k > 0 and nonblank[k - 1] in marks) or (k + 1 < len(nonblank) and nonblank[k + 1] in marks)


def page_of_lines(lines: list[str], feeds: list[int], furniture: set[int]) -> list[int]:
    """The 1-based page of each line: form feeds when the text has them, else one page break per run of page
    furniture with text on both sides; all 0 when the text shows no pages."""
    if feeds and feeds[-1]:
        return [f + 1 for f in feeds]
    if not furniture:
        return [0] * len(lines)
    body = [i for i, line in enumerate(lines) if line.strip() and i not in furniture]
    first, last = (body[0], body[-1]) if body else (0, -1)
    pages, page, in_run = [], 1, False
    for i, line in enumerate(lines):
        if i in furniture:
            if not in_run and first < i < last:
                page += 1
            in_run = True
        elif line.strip():
            in_run = False
        pages.append(page)
    return pages


# --- hyphenation -------------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:-[A-Za-z\u00c0-\u024f]+)*")
_HYPHEN_END = re.compile(r"[A-Za-z\u00c0-\u024f]-\s*$")


def vocabulary(lines: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Whole words and hyphenated pairs of the text, leaving out the halves of words broken at a line end."""
    words: set[str] = set()
    pairs: set[str] = set()
    broken_before = False
    for line in lines:
        tokens = _WORD.findall(line)
        broken_after = bool(_HYPHEN_END.search(line))
        if broken_before and tokens:
            tokens = tokens[1:]
        if broken_after and tokens:
            tokens = tokens[:-1]
        for token in tokens:
            parts = token.lower().split("-")
            words.update(parts)
            pairs.update(f"{a}-{b}" for a, b in pairwise(parts))
        if line.strip():
            broken_before = broken_after
    return frozenset(words), frozenset(pairs)


def keep_hyphen(before: str, after: str, words: frozenset[str], pairs: frozenset[str]) -> bool:
    """Whether the hyphen ending `before` (a line) is part of the word continued by `after` (the next line).

    'nuclear-' + 'weapon' keeps it ("nuclear-weapon" occurs, or both halves are words of the text);
    'transpa-' + 'rency' drops it ("transparency" occurs, or "transpa" is no word). An upper-case or digit
    continuation ('Non-' + 'Proliferation', 'COVID-' + '19') always keeps it.
    """
    tail = re.search(r"([A-Za-z\u00c0-\u024f]+)-$", before)
    head = re.match(r"[A-Za-z\u00c0-\u024f]+", after)
    if not tail or not head or not head.group(0)[0].islower():
        return True
    t, h = tail.group(1).lower(), head.group(0).lower()
    if f"{t}-{h}" in pairs:
        return True
    if t + h in words:
        return False
    return t in words and h in words

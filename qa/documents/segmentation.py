"""Segmentation: turn the text extracted from a working paper or statement into the paragraphs its author wrote.

Pure functions over strings. `layout.classify()` says what each line is (and removes page furniture from the
flow); here lines are grouped into paragraphs by general rules (wrap width, indentation, list markers, terminal
punctuation, blank lines, case of the next line), never keyed to a particular file, so they carry over to
documents the project has not seen. `segment()` returns `Segment`s that remember their source lines and page;
`paragraphs()` turns them into `Paragraph` records with stable ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from qa.documents.layout import Layout, chinese_paragraph_ended, classify, keep_hyphen, short_line
from qa.documents.lines import (
    Line,
    annex_part,
    continues,
    ends_sentence,
    heading_like,
    no_sentence,
    open_ended,
    previous_marker,
    title_like,
    upper_start,
)
from qa.documents.paragraph import Paragraph

_NOTE = re.compile(r"^(?:注|附注|note)\s*[:：]", re.IGNORECASE)
_NUM = re.compile(r"^\d{1,3}[.．]\s*")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_ALNUM_OPEN = re.compile(r"[A-Za-z0-9(]")
_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


# --- records -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One unit of the source: a paragraph, list item, heading, footnote, salutation or boilerplate line, or
    page furniture (running header, footer, page number).

    `lines` are the 1-based source lines it was built from (a paragraph repaired across a page break skips
    the footnote or page furniture between its halves); `marker` is the list/number marker that opened it
    ('12', 'a', '三', '•'); `page` is the 1-based page of its first line, 0 when the source has no pages.
    """

    kind: str
    text: str
    lines: tuple[int, ...]
    section: str = ""
    part: str = ""
    marker: str = ""
    marker_kind: str = ""  # num | alpha | roman | paren | cjk | bullet | footnote | section
    level: int = 0  # Markdown heading level; 0 for plain-text headings
    page: int = 0


@dataclass
class _Open:
    kind: str
    lines: list[int]
    parts: list[str]
    marker: str = ""
    marker_kind: str = ""
    level: int = 0
    page: int = 0
    _text: str = ""  # the joined parts, cached
    _joined: int = 0  # how many parts `_text` joins

    def text(self, layout: Layout) -> str:
        if self._joined != len(self.parts):
            self._text, self._joined = _join(self.parts, layout), len(self.parts)
        return self._text


def _join(parts: list[str], layout: Layout) -> str:
    """The lines of a block as one text. Chinese: no space between lines except between two Latin words.
    English: one space, except across a hyphenated line end, which keeps or drops its hyphen (`keep_hyphen`)."""
    out = ""
    for p in parts:
        if not out or not p:
            out += p
        elif layout.cjk:
            between_words = bool(_ALNUM.match(out[-1]) and _ALNUM_OPEN.match(p[0]))
            after_stop = bool(out[-1] in ",;:.!?" and _LETTER.match(p[0]))
            out += (" " if between_words or after_stop else "") + p
        elif out[-1] == "-" and _LETTER.match(out[-2:]) and _ALNUM_OPEN.match(p[0]):
            out = (out if keep_hyphen(out[-60:], p, layout.words, layout.pairs) else out[:-1]) + p
        else:
            out += " " + p
    return out


# --- grouping ----------------------------------------------------------------------------------------------


def segment(text: str) -> list[Segment]:
    """Split extracted text into segments in reading order. Pure and deterministic.

    Lines are joined into a paragraph until a paragraph start: a list or number marker, an indented line in
    an indented hard-wrapped text, a blank line after a finished sentence where blank lines separate
    paragraphs, or (elsewhere) a new line after a finished sentence. A line continues the open paragraph
    whenever that paragraph has not finished its sentence (in English text that is not hard-wrapped: when the
    line also reads as its continuation, see `lines.continues`): this repairs page breaks, also mid-word and
    with a footnote, rule or page furniture between the halves (those are emitted after the repaired paragraph).
    """
    layout = classify(text)
    lines = layout.lines
    texts = [i for i, ln in enumerate(lines) if ln.kind == "text"]
    text_pos = {i: k for k, i in enumerate(texts)}
    following: list[Line | None] = [None] * len(lines)  # the next line that is not footnote, rule or furniture
    for i in range(len(lines) - 2, -1, -1):
        nxt = lines[i + 1]
        following[i] = nxt if nxt.kind not in ("footnote", "rule", "furniture") else following[i + 1]
    blocks: list[_Open] = []
    pending: list[_Open] = []
    cur: _Open | None = None

    def close() -> None:
        nonlocal cur
        if cur is not None:
            blocks.append(cur)
        blocks.extend(pending)
        pending.clear()
        cur = None

    for i, ln in enumerate(lines):
        if ln.kind in ("rule", "footnote", "furniture"):
            kind = {"rule": "boilerplate"}.get(ln.kind, ln.kind)
            item = _Open(kind, [ln.no], [ln.text], marker=ln.marker, marker_kind=ln.marker_kind, page=ln.page)
            if cur is not None and cur.kind in ("paragraph", "item"):
                pending.append(item)
            else:
                close()
                blocks.append(item)
            continue
        if ln.kind in ("heading", "boilerplate", "row", "salutation"):
            close()
            block = _Open(ln.kind, [ln.no], [ln.text], level=ln.level, marker_kind=ln.marker_kind, page=ln.page)
            if layout.cjk or ln.kind in ("row", "salutation"):
                blocks.append(block)
            else:
                cur = block  # an English heading or header line may run on to the next line
            continue
        # a text line
        if (cur is not None and cur.kind in ("heading", "boilerplate") and not ln.marker_kind
                and continues(cur.text(layout), ln.text, after_stop=False) and not ends_sentence(cur.text(layout))):
            cur.lines.append(ln.no)
            cur.parts.append(ln.text)
            continue
        if cur is not None and cur.kind not in ("paragraph", "item"):
            close()
        prev = lines[texts[text_pos[i] - 1]] if text_pos[i] > 0 else None
        if _is_heading(layout, ln, following[i], cur, prev):
            close()
            cur = _Open("heading", [ln.no], [ln.text], page=ln.page)
            if layout.cjk:
                close()
            continue
        if _starts_paragraph(layout, ln, cur, prev):
            close()
            kind = "item" if ln.marker_kind and ln.marker_kind != "num" else "paragraph"
            cur = _Open(kind, [ln.no], [ln.text], marker=ln.marker, marker_kind=ln.marker_kind, page=ln.page)
        else:
            assert cur is not None
            cur.lines.append(ln.no)
            cur.parts.append(ln.raw.strip() if ln.marker_kind == "bullet" and not layout.cjk else ln.text)
    close()
    return _finish(blocks, layout)


def _is_heading(layout: Layout, ln: Line, nxt: Line | None, cur: _Open | None, prev: Line | None = None) -> bool:
    """A short unpunctuated text line standing alone: before a paragraph start, not inside a sentence.
    `nxt` is the next line that is not a footnote, rule or page furniture, `prev` the text line before."""
    unfinished = (cur is not None and cur.kind in ("paragraph", "item") and not ends_sentence(cur.text(layout))
                  and not _after_lead_in(layout, ln, nxt, cur) and not chinese_paragraph_ended(layout, ln, prev))
    if ln.marker_kind == "num" and not layout.cjk and not unfinished and nxt is not None:
        # "1. Nuclear policy" over "2. United States policy is ...": a numbered sub-heading, not a list item
        rest = _NUM.sub("", ln.text)
        runs_on = layout.wrapped and len(nxt.raw.rstrip()) >= 0.8 * layout.width
        new_paragraph = nxt.marker_kind == "num" or (layout.blank_paragraphs and (nxt.blank_before or nxt.after_break)
                                                     and not nxt.marker_kind and upper_start(nxt.text))
        full = layout.wrapped and len(ln.raw.rstrip()) >= 0.8 * layout.width
        return (heading_like(rest, False) and new_paragraph and not full
                and (runs_on or not heading_like(_NUM.sub("", nxt.text), False)))
    if ln.marker_kind or unfinished or not heading_like(ln.text, layout.cjk):
        return False
    if nxt is not None and nxt.kind == "text" and not layout.cjk and continues(ln.text, nxt.text):
        return False
    starts_next = (nxt is None or nxt.kind != "text" or bool(nxt.marker_kind) or not layout.wrapped
                   or (nxt.indent if layout.indented else heading_like(nxt.text, layout.cjk))
                   or (layout.blank_paragraphs and (nxt.blank_before or nxt.after_break) and upper_start(nxt.text))
                   or chinese_paragraph_ended(layout, nxt, ln))
    short = not layout.wrapped or len(ln.raw.rstrip()) <= max(layout.width, 1) * 0.95 or ln.indent
    return starts_next and short


def _after_lead_in(layout: Layout, ln: Line, nxt: Line | None, cur: _Open) -> bool:
    """`ln` stands alone, between blank lines, after a paragraph that ends in a colon and before a new
    paragraph: where blank lines separate paragraphs, that is a heading (the list the colon announced was
    lost in the export, or is printed elsewhere), not the first item of that list: an item reads on, or is
    followed by another item. `nxt` is the next line that is not a footnote, rule or page furniture."""
    return (not layout.cjk and layout.blank_paragraphs and ln.blank_before and not ln.marker_kind
            and cur.text(layout).rstrip().endswith(":") and nxt is not None and nxt.kind == "text"
            and (nxt.blank_before or nxt.after_break) and not nxt.marker_kind and upper_start(nxt.text)
            and (not heading_like(nxt.text, False) or len(nxt.raw.rstrip()) >= 0.8 * layout.width))


def _starts_paragraph(layout: Layout, ln: Line, cur: _Open | None, prev: Line | None) -> bool:
    """Whether text line `ln` opens a new paragraph rather than continuing `cur`."""
    if cur is None or cur.kind not in ("paragraph", "item"):
        return True
    before = cur.text(layout)
    unfinished = not ends_sentence(before)
    short_prev = prev is None or short_line(layout, prev)
    # a number or dash at the start of a wrapped line that continues an unfinished sentence ("from 5
    # countries / - Germany, Poland"; "弗拉基米尔 / ·泽连斯基", a name's middle dot) is not a new paragraph or item
    dash = ln.marker_kind == "bullet" and ln.raw.lstrip()[:1] in ("-–—·" if layout.cjk else "-–—")
    number_in_sentence = (unfinished and not ln.indent and layout.wrapped and not short_prev
                          and ((ln.marker_kind == "num" and not (layout.blank_paragraphs and ln.blank_before))
                               or (dash and not ln.blank_before)))
    if ln.marker_kind and not number_in_sentence and not _inline_list_goes_on(layout, ln, before):
        return True
    upper = upper_start(ln.text)
    if unfinished:
        if layout.cjk:
            return chinese_paragraph_ended(layout, ln, prev)
        if layout.wrapped:
            # an unpunctuated list item (a bullet point) or a title ends where a blank line separates it from
            # a new sentence, unless it stopped at a word such as 'the'
            gap = ln.blank_before or (ln.after_break and short_prev)
            return (layout.blank_paragraphs and gap and upper and not open_ended(before)
                    and (short_prev if cur.kind == "item" else title_like(before)))
        return not continues(before, ln.text)
    if layout.wrapped and layout.indented:
        return ln.indent
    if layout.wrapped:
        # a blank line after a finished sentence: a new paragraph (an English one starts with a capital)
        return short_prev or (layout.blank_paragraphs and ln.blank_before and (upper or layout.cjk))
    return layout.cjk or not continues(before, ln.text)


def _inline_list_goes_on(layout: Layout, ln: Line, before: str) -> bool:
    """A wrapped line that starts with '(iv)' while '(iii)' stands inside the open paragraph (not at its
    start): the list runs inline through the paragraph and the line break before '(iv)' is the wrap's."""
    if layout.cjk or not layout.wrapped or ln.blank_before or ln.marker_kind not in ("alpha", "roman", "paren"):
        return False
    previous = previous_marker(ln.marker_kind, ln.marker)
    return bool(previous) and re.search(rf"\S\s*\({re.escape(previous)}\)\s", before) is not None


def _finish(blocks: list[_Open], layout: Layout) -> list[Segment]:
    """Sections, annex parts, the demotion of lone headings (a heading with no text under it) and, in English,
    of the unpunctuated title lines above the first sentence (the rest of the document's header block)."""
    if not layout.cjk:
        _english_titles(blocks, layout)
    texts = [b.text(layout) for b in blocks]
    heading_texts = [t for b, t in zip(blocks, texts) if b.kind == "heading"]
    repeated = {t for t in heading_texts if heading_texts.count(t) > 1}
    out: list[Segment] = []
    seen: list[str] = []  # heading texts so far, with their levels
    levels: list[int] = []
    section, part = "", ""
    body = [i for i, b in enumerate(blocks) if b.kind in ("paragraph", "item")]
    first_body = body[0] if body else len(blocks)
    for i, (b, text) in enumerate(zip(blocks, texts)):
        kind = b.kind
        if kind == "heading":
            part = annex_part(text) or part
            section = _section_name(text, b.level, seen, levels, repeated)
            seen.append(text)
            levels.append(b.level)
            if i > first_body and _lone(blocks, i):
                kind = "boilerplate"
        out.append(Segment(kind, text.strip(), tuple(b.lines), section if kind != "heading" else
                           _parent_section(section), part, b.marker, b.marker_kind, b.level, b.page))
    return out


def _english_titles(blocks: list[_Open], layout: Layout) -> None:
    """The unpunctuated paragraphs above the first sentence are the title (boilerplate, with the header
    block), and so is a one-line paragraph of at most three words without a stop ("Afghanistan", "Total",
    "II."); in hard-wrapped text, an unpunctuated paragraph (numbered or not) over a new paragraph or
    heading is a heading ("2. Dismantling of the former production facilities for weapons")."""
    for b in blocks:
        if b.kind in ("paragraph", "item"):
            t = b.text(layout)
            if b.marker_kind or not no_sentence(t) or len(t) > 1000:
                break
            b.kind = "boilerplate"
    for b in blocks:  # a bare name or figure ("Afghanistan", "2015-III", "Total") is a list or table cell
        t = b.parts[0] if len(b.parts) == 1 else ""
        if (b.kind == "paragraph" and not b.marker_kind and t and len(t.split()) <= 3 and not t.endswith(":")
                and (no_sentence(t) or not re.search(r"[a-z]", t))):
            b.kind = "boilerplate"
    if not layout.wrapped:
        return
    flow = [b for b in blocks if b.kind not in ("furniture", "footnote")]
    for b, nxt in pairwise(flow):
        if (b.kind == "paragraph" and b.marker_kind in ("", "num")
                and nxt.kind in ("paragraph", "item", "heading", "boilerplate")
                and title_like(b.text(layout)) and not open_ended(b.text(layout))):
            b.kind = "heading"


def _lone(blocks: list[_Open], i: int) -> bool:
    """A heading over nothing but boilerplate (a name list, links, salutations) up to the next heading or the
    end; page furniture does not count."""
    following = []
    for b in blocks[i + 1:]:
        if b.kind == "heading":
            break
        if b.kind != "furniture":
            following.append(b.kind)
    return bool(following) and all(k in ("boilerplate", "salutation") for k in following)


def _section_name(text: str, level: int, before: list[str], levels: list[int], repeated: set[str]) -> str:
    if text not in repeated:
        return text
    for p, p_level in zip(reversed(before), reversed(levels)):
        if p in repeated:
            continue
        if level and p_level and p_level >= level:
            continue
        return f"{p} › {text}"
    return text


def _parent_section(section: str) -> str:
    return section.rpartition(" › ")[0] if " › " in section else ""


# --- labels and paragraphs ---------------------------------------------------------------------------------


def label_segments(segments: list[Segment]) -> list[tuple[str, bool]]:
    """Anchor-safe labels, unique in the document, each with whether its leading number is printed.

    Numbered paragraphs keep their number ('12'; in an annex 'II.12'); list items hang under their
    paragraph ('23.a', 'II.33.e.1'); where a part has no numbered paragraphs, paragraphs and items are
    counted in order ('1', '2', ...) as a reader would; unnumbered paragraphs inside a numbered part are
    'u1', 'u2'...; table rows 'r1'; headings 'h1', footnotes 'fn1' / 'II.fn1', boilerplate, salutations and
    page furniture 'b1'. Only labels taken from a printed paragraph number ('12', '23.a') are numbered.
    """
    numbered_parts = _numbered_parts(segments)
    labels: list[tuple[str, bool]] = []
    used: set[str] = set()
    counters: dict[str, int] = {}
    parent = ""
    parent_numbered = False
    stack: list[tuple[str, str]] = []

    def bump(key: str) -> int:
        counters[key] = counters.get(key, 0) + 1
        return counters[key]

    for s in segments:
        prefix = f"{s.part}." if s.part else ""
        numbered = False
        if s.kind == "heading":
            label = f"h{bump('h')}"
            parent, stack = "", []
        elif s.kind in ("boilerplate", "salutation", "furniture"):
            label = f"b{bump('b')}"
        elif s.kind == "footnote":
            mark = s.marker if re.fullmatch(r"[A-Za-z0-9]+", s.marker or "") else \
                ("star" * len(s.marker) if set(s.marker or "") == {"*"} else str(bump(prefix + "fnx")))
            label = f"{prefix}fn{'-' if not mark[0].isdigit() else ''}{mark}"
        elif s.kind == "row":
            label = f"{prefix}r{bump(prefix + 'r')}"
        elif s.part not in numbered_parts:
            label = f"{prefix}{bump(prefix + 'seq')}"
        elif s.marker_kind == "num":
            parent, stack, parent_numbered = f"{prefix}{s.marker}", [], True
            label, numbered = parent, True
        elif s.kind == "item" and parent:
            kinds = [k for k, _ in stack]
            if s.marker_kind in kinds:
                depth = kinds.index(s.marker_kind)
                old = stack[depth][1]
                stack = stack[:depth]
            else:
                old = ""
            value = s.marker or str(int(old) + 1 if old.isdigit() else 1)
            stack.append((s.marker_kind, value))
            label, numbered = ".".join([parent, *[v for _, v in stack]]), parent_numbered
        else:
            parent, stack, parent_numbered = f"{prefix}u{bump(prefix + 'u')}", [], False
            label = parent
        base, n = label, 1
        while label in used:
            n += 1
            label = f"{base}-{n}"
        used.add(label)
        labels.append((label, numbered))
    return labels


def _numbered_parts(segments: list[Segment]) -> set[str]:
    """Parts (annexes, or '' for the body) whose paragraphs are numbered: at least a quarter of their
    paragraphs carry a number, or the numbers run 1, 2, 3, ... in order over at least three paragraphs,
    most of them holding a sentence (a report that numbers its introduction and not its action-by-action
    account).
    A stray number ('17.Thailand' in a speech) or a short numbered list of phrases ('1. Preserve ...;') in
    unnumbered prose does not turn every other paragraph of the part into an unnumbered 'u' paragraph."""
    numbers: dict[str, list[Segment]] = {}
    total: dict[str, int] = {}
    for s in segments:
        if s.kind == "paragraph":
            total[s.part] = total.get(s.part, 0) + 1
            if s.marker_kind == "num":
                numbers.setdefault(s.part, []).append(s)
    return {part for part, ns in numbers.items() if len(ns) >= 0.25 * total[part] or _printed_run(ns)}


def _printed_run(numbered: list[Segment]) -> bool:
    """Numbered paragraphs that are 1, 2, 3, ... in order, at least three, most of them holding a sentence
    (not a list of phrases, '1. Preserve the livelihoods of the poorest;')."""
    return (len(numbered) >= 3 and [s.marker for s in numbered] == [str(i) for i in range(1, len(numbered) + 1)]
            and 2 * sum(not no_sentence(s.text) for s in numbered) > len(numbered))


def paragraphs(doc_id: str, text: str) -> tuple[Paragraph, ...]:
    """The document's paragraphs with stable ids `<doc_id>:<label>`, in reading order.

    `ordinal` counts the body paragraphs and items under each heading (1, 2, ...), so that a citation can say
    "the 3rd paragraph under 'Introduction'"; headings, footnotes, rows and boilerplate have 0.
    """
    segments = segment(text)
    out = []
    ordinal = 0
    for pos, (s, (label, numbered)) in enumerate(zip(segments, label_segments(segments))):
        kind = "note" if s.kind == "paragraph" and _NOTE.match(s.text) else s.kind
        if s.kind == "heading":
            ordinal = 0
        elif s.kind in ("paragraph", "item"):
            ordinal += 1
        out.append(Paragraph(
            id=f"{doc_id}:{label}", doc=doc_id, label=label, section=s.section, text=s.text, position=pos,
            kind=kind, searchable=s.kind in ("paragraph", "item", "footnote", "row"), part=s.part, line=s.lines[0],
            page=s.page, numbered=numbered, ordinal=ordinal if s.kind in ("paragraph", "item") else 0,
        ))
    return tuple(out)

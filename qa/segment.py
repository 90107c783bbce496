"""Segmentation: turn the text extracted from a working paper into the paragraphs its author wrote.

Pure functions over strings. The rules are general (wrap width, indentation, list markers, terminal
punctuation, Markdown, Latin-only lines in a Chinese text), never keyed to a particular file, so they carry
over to papers the project has not seen. `segment()` returns `Segment`s that remember their source lines;
`paragraphs()` turns them into `Paragraph` records with stable ids.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from .paragraph import Paragraph

# --- character classes -------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CLOSERS = "”’」』）)】〕\"'》"
_SENTENCE_END = "。！？!?…."
_SOFT_END = "，、；：,;:"  # a line ending in these certainly continues
_INNER_STOP = re.compile(r"[，。；,;]|\.\s|\.$")

# --- markup ------------------------------------------------------------------------------------------------

_RULE = re.compile(r"^\s*([-*_])(?:\s*\1){2,}\s*$")
_MD_HEADING = re.compile(r"^\s*(#{1,6})(?:\s+(.*?))?\s*$")
_BOLD_LINE = re.compile(r"^\s*\*\*([^*].*?)\*\*\s*$")
_FOOTNOTE = re.compile(r"^\s*(?:<sup>\s*([^<\s]{1,4})\s*</sup>|\\(\*{1,3}))\s*")
_MD_BULLET = re.compile(r"^[-*+]\s+(?=\S)")
_SUP = re.compile(r"<sup>\s*([^<]*?)\s*</sup>")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")

# --- paragraph starts --------------------------------------------------------------------------------------

_NUMBERED = re.compile(r"^(\d{1,3})[.．](?!\d)\s*(?=\S)")
_ALPHA = re.compile(r"^[(（]([a-z])[)）]\s*")
_ROMAN = re.compile(r"^[(（](i{1,3}|iv|vi{0,3}|ix|xi{0,3})[)）]\s*")
_CJK_NUM = re.compile(r"^[(（]([一二三四五六七八九十]{1,3})[)）]\s*")
_BULLET = re.compile(r"^([–•·▪●○◦■□➢-])\s*(?=\S)")

# --- boilerplate -------------------------------------------------------------------------------------------

_URL = re.compile(r"https?://|www\.|doi\.org|\S+@\S+\.\w+")
_HANDLE = re.compile(r"^@\w+$")
_COVER = [
    re.compile(r"(?:提交|转递)的工作文件$"),
    re.compile(r"^working paper (?:submitted|transmitted) by\b", re.IGNORECASE),
    re.compile(r"^original\s*[:：]", re.IGNORECASE),
    re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月[^，。]*日[^，。]*[，,]\s*\S{1,8}$"),  # "2019 年 4 月 29 日至 5 月 10 日，纽约"
    re.compile(r"^第[一二三四五六七八九十]+届会议$"),
    re.compile(r"^©"),
]
_PERSON = re.compile(r"^[A-Z][a-zà-ÿ'’-]+(?:[ -][A-Z][A-Za-zà-ÿ'’.-]*){1,3}$")  # "Ulrich Kühn", "Lewis A. Dunn"
_ANNEX = re.compile(r"^(?:附件|annex)\s*([一二三四五六七八九十]+|[IVXLC]+|\d+)$", re.IGNORECASE)
_NOTE = re.compile(r"^(?:注|附注|note)\s*[:：]", re.IGNORECASE)

_CJK_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def cjk_number(s: str) -> int:
    """'三' -> 3, '十二' -> 12, '二十一' -> 21."""
    if "十" not in s:
        return _CJK_DIGITS.get(s, 0)
    tens, _, ones = s.partition("十")
    return (_CJK_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CJK_DIGITS.get(ones, 0) if ones else 0)


def roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                       (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + sym, n - value
    return out


def annex_part(heading: str) -> str:
    """'附件二' / 'Annex II' / 'Annex 2' -> 'II'; '' when the heading does not open an annex."""
    m = _ANNEX.match(heading.strip())
    if not m:
        return ""
    num = m.group(1)
    if num.isdigit():
        return roman(int(num))
    if num[0] in _CJK_DIGITS:
        return roman(cjk_number(num))
    return num.upper()


def clean_markup(text: str) -> str:
    """Drop inline Markdown/HTML markup, keeping every character it wraps: `**b**` -> `b`, `<sup>1</sup>` -> `[1]`."""
    text = _SUP.sub(lambda m: f"[{m.group(1)}]", text)
    text = text.replace("**", "")
    return _ESCAPE.sub(r"\1", text)


def ends_sentence(text: str) -> bool:
    """True when `text` ends a sentence: terminal punctuation, optionally inside closing quotes or brackets.

    A bare closing quote also counts (a quotation that closes a list item or line).
    """
    t = text.rstrip()
    if not t:
        return True
    if t[-1] in "”」』":
        return True
    t = t.rstrip(_CLOSERS)
    return bool(t) and t[-1] in _SENTENCE_END


def is_cjk_text(text: str) -> bool:
    return len(_CJK.findall(text)) >= len(_LATIN.findall(text)) / 2


# --- records -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One unit of the source: a paragraph, list item, heading, footnote or boilerplate line.

    `lines` are the 1-based source lines it was built from (a paragraph repaired across a page break skips
    the footnote between its halves); `marker` is the list/number marker that opened it ('12', 'a', '三', '•').
    """

    kind: str
    text: str
    lines: tuple[int, ...]
    section: str = ""
    part: str = ""
    marker: str = ""
    marker_kind: str = ""  # num | alpha | roman | cjk | bullet | footnote
    level: int = 0  # Markdown heading level; 0 for plain-text headings


@dataclass
class _Line:
    no: int
    raw: str
    text: str  # markup cleaned, stripped
    indent: bool
    kind: str = "text"  # text | heading | footnote | boilerplate | rule | row
    level: int = 0
    marker: str = ""
    marker_kind: str = ""


@dataclass
class _Open:
    kind: str
    lines: list[int]
    parts: list[str]
    marker: str = ""
    marker_kind: str = ""
    level: int = 0
    text_cache: str = field(default="")

    @property
    def text(self) -> str:
        return _join(self.parts)


def _join(parts: list[str]) -> str:
    out = ""
    for p in parts:
        between_words = bool(out and p and re.match(r"[A-Za-z0-9]", out[-1]) and re.match(r"[A-Za-z0-9(]", p[0]))
        after_stop = bool(out and p and out[-1] in ",;:.!?" and _LATIN.match(p[0]))
        if between_words or after_stop:
            out += " "
        out += p
    return out


# --- line classification -----------------------------------------------------------------------------------


def _marker(text: str, prev_alpha: str) -> tuple[str, str, str]:
    """(kind, value, rest) of a paragraph-start marker at the start of `text`, or ('', '', text)."""
    m = _NUMBERED.match(text)
    if m:
        return "num", m.group(1), text
    m = _ROMAN.match(text)
    if m and not (len(m.group(1)) == 1 and prev_alpha and ord(m.group(1)) == ord(prev_alpha) + 1):
        return "roman", m.group(1), text
    m = _ALPHA.match(text)
    if m:
        return "alpha", m.group(1), text
    m = _CJK_NUM.match(text)
    if m:
        return "cjk", str(cjk_number(m.group(1))), text
    m = _BULLET.match(text)
    if m:
        return "bullet", "", text
    return "", "", text


def _classify(text: str) -> list[_Line]:
    raw_lines = text.splitlines()
    cjk_doc = is_cjk_text(text)
    md_headings = sum(1 for r in raw_lines if _MD_HEADING.match(r) and r.lstrip().startswith("#"))
    out: list[_Line] = []
    prev_alpha = ""
    for no, raw in enumerate(raw_lines, 1):
        if not raw.strip():
            continue
        line = _Line(no, raw, "", indent=raw[:1].isspace())
        stripped = raw.strip()
        if _RULE.match(raw):
            line.kind, line.text = "rule", stripped
        elif stripped.startswith("#") and (m := _MD_HEADING.match(raw)):
            line.kind, line.level, line.text = "heading", len(m.group(1)), clean_markup(m.group(2) or "")
        elif m := _BOLD_LINE.match(raw):
            line.kind, line.level, line.text = "heading", 6, clean_markup(m.group(1))
        elif m := _FOOTNOTE.match(raw):
            line.kind, line.marker_kind = "footnote", "footnote"
            line.marker = m.group(1) or m.group(2)
            line.text = clean_markup(stripped)
        else:
            if _MD_BULLET.match(stripped):
                body = clean_markup(stripped[2:].strip())
                kind, value, _ = _marker(body, prev_alpha)
                line.marker_kind, line.marker = (kind, value) if kind else ("bullet", "")
            else:
                body = clean_markup(stripped)
                line.marker_kind, line.marker, _ = _marker(body, prev_alpha)
            if line.marker_kind == "alpha":
                prev_alpha = line.marker
            elif line.marker_kind == "num":
                prev_alpha = ""
            line.text = body
            if "\t" in stripped:
                # A table row: its cells are a record ("name | affiliation, post") a reader may ask about;
                # a row of bare names or figures is kept out of the searchable set.
                cells = [c.strip() for c in stripped.split("\t") if c.strip()]
                line.text = " | ".join(clean_markup(c) for c in cells)
                line.kind = "row" if any(len(_CJK.findall(c)) >= 4 or len(c.split()) >= 4 for c in cells) \
                    else "boilerplate"
                line.marker_kind = line.marker = ""
            elif _is_boilerplate(body, raw, cjk_doc, out):
                line.kind = "boilerplate"
        out.append(line)
    if md_headings >= 2:
        # In a Markdown document headings are marked; a short unpunctuated plain line is cover matter.
        for ln in out:
            if ln.kind == "text" and not ln.marker_kind and _heading_like(ln.text, cjk_doc):
                ln.kind = "boilerplate"
    return out


def _is_boilerplate(body: str, raw: str, cjk_doc: bool, before: list[_Line]) -> bool:
    if _URL.search(body) and len(_CJK.findall(body)) < 20:
        return True
    if _HANDLE.match(body) or any(p.search(body) for p in _COVER):
        return True
    if cjk_doc:
        cjk, latin = len(_CJK.findall(body)), len(_LATIN.findall(body))
        if cjk == 0:
            return True  # Latin-only line in a Chinese text: names, handles, series titles, dates
        if latin > cjk and not re.search(r"[，。；：]", body):
            return True  # a run of names with their countries
        prev = before[-1] if before else None
        if (prev is not None and prev.kind == "boilerplate" and _PERSON.match(prev.text)
                and len(body) <= 8 and not _INNER_STOP.search(body)):
            return True  # the country/affiliation column of an alternating name list
        if len(re.findall(r"[A-Za-z0-9\u3400-\u9fff]\.(?:\s|$)", body)) >= 2 and not re.search(r"[，。；：]", body):
            return True  # a bibliographic reference ("Author. 2021. Title.")
    return False


def _heading_like(text: str, cjk_doc: bool) -> bool:
    """A short line that cannot be (part of) a sentence: no internal stops, no soft or full stop at the end."""
    t = text.strip()
    limit = 40 if cjk_doc else 90
    if not t or len(t) > limit or _INNER_STOP.search(t) or t[-1] in _SOFT_END:
        return False
    if t[-1] in "。.":
        return False
    for o, c in ("(（", ")）"), ("“", "”"), ("《", "》"), ("「", "」"):
        if sum(t.count(x) for x in o) > sum(t.count(x) for x in c):
            return False  # an unclosed bracket or quote: the sentence goes on
    return bool(_CJK.search(t) or _LATIN.search(t))


def _is_wrapped(lines: list[_Line]) -> tuple[bool, bool]:
    """(hard-wrapped?, paragraph starts indented?) judged from the lengths and endings of the text lines."""
    body = [ln for ln in lines if ln.kind == "text" and len(ln.text) >= 8]
    if len(body) < 6:
        return False, False
    lengths = sorted(len(ln.raw.rstrip()) for ln in body)
    median = statistics.median(lengths)
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    open_share = sum(1 for ln in body if not ends_sentence(ln.text)) / len(body)
    wrapped = open_share >= 0.4 and p90 <= 1.5 * median
    indented = sum(1 for ln in body if ln.indent) / len(body) >= 0.05
    return wrapped, indented


# --- grouping ----------------------------------------------------------------------------------------------


def segment(text: str) -> list[Segment]:
    """Split extracted text into segments in reading order. Pure and deterministic.

    Lines are joined into a paragraph until a paragraph start: a list or number marker, an indented line in
    an indented hard-wrapped text, or (elsewhere) a new line after a finished sentence. A line continues the
    open paragraph whenever that paragraph has not finished its sentence: this repairs page breaks, also
    mid-word and with a footnote or rule between the halves (those are emitted after the repaired paragraph).
    """
    lines = _classify(text)
    cjk_doc = is_cjk_text(text)
    wrapped, indented = _is_wrapped(lines)
    width = statistics.median([len(ln.raw.rstrip()) for ln in lines if ln.kind == "text"] or [0])
    texts = [i for i, ln in enumerate(lines) if ln.kind == "text"]

    def next_text(i: int) -> _Line | None:
        for j in range(i + 1, len(lines)):
            if lines[j].kind in ("text", "heading", "boilerplate", "row"):
                return lines[j]
        return None

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
        if ln.kind in ("rule", "footnote"):
            item = _Open("boilerplate" if ln.kind == "rule" else "footnote", [ln.no], [ln.text],
                         marker=ln.marker, marker_kind=ln.marker_kind)
            if cur is not None and cur.kind in ("paragraph", "item"):
                pending.append(item)
            else:
                close()
                blocks.append(item)
            continue
        if ln.kind in ("heading", "boilerplate", "row"):
            close()
            blocks.append(_Open(ln.kind, [ln.no], [ln.text], level=ln.level))
            continue
        # a text line
        open_para = cur is not None and cur.kind in ("paragraph", "item")
        unfinished = open_para and cur is not None and not ends_sentence(cur.text)
        if not ln.marker_kind and not unfinished and _heading_like(ln.text, cjk_doc):
            nxt = next_text(i)
            starts_next = (nxt is None or nxt.kind != "text" or bool(nxt.marker_kind) or not wrapped
                           or (nxt.indent if indented else _heading_like(nxt.text, cjk_doc)))
            short = not wrapped or len(ln.raw.rstrip()) <= max(width, 1) * 0.95 or ln.indent
            if starts_next and short:
                close()
                blocks.append(_Open("heading", [ln.no], [ln.text]))
                continue
        # a number at the start of a wrapped line that continues an unfinished sentence is not a new paragraph
        number_in_sentence = unfinished and ln.marker_kind == "num" and not ln.indent and wrapped
        if not open_para or (ln.marker_kind and not number_in_sentence):
            new = True
        elif unfinished:
            new = False
        elif wrapped and indented:
            new = ln.indent
        elif wrapped:
            prev = lines[texts[texts.index(i) - 1]] if texts.index(i) > 0 else None
            new = prev is None or len(prev.raw.rstrip()) < 0.8 * width
        else:
            new = True
        if new:
            close()
            kind = "item" if ln.marker_kind and ln.marker_kind != "num" else "paragraph"
            cur = _Open(kind, [ln.no], [ln.text], marker=ln.marker, marker_kind=ln.marker_kind)
        else:
            assert cur is not None
            cur.lines.append(ln.no)
            cur.parts.append(ln.text)
    close()
    return _finish(blocks)


def _finish(blocks: list[_Open]) -> list[Segment]:
    """Sections, annex parts and the demotion of lone headings (a heading with no text under it)."""
    heading_texts = [b.text for b in blocks if b.kind == "heading"]
    repeated = {t for t in heading_texts if heading_texts.count(t) > 1}
    out: list[Segment] = []
    seen: list[_Open] = []  # headings so far
    section, part = "", ""
    body = [i for i, b in enumerate(blocks) if b.kind in ("paragraph", "item")]
    first_body = body[0] if body else len(blocks)
    for i, b in enumerate(blocks):
        kind = b.kind
        if kind == "heading":
            part = annex_part(b.text) or part
            section = _section_name(b, seen, repeated)
            seen.append(b)
            if i > first_body and _lone(blocks, i):
                kind = "boilerplate"
        out.append(Segment(kind, b.text.strip(), tuple(b.lines), section if kind != "heading" else
                           _parent_section(section), part, b.marker, b.marker_kind, b.level))
    return out


def _lone(blocks: list[_Open], i: int) -> bool:
    """A heading over nothing but boilerplate (a name list, links) up to the next heading or the end."""
    following = []
    for b in blocks[i + 1:]:
        if b.kind == "heading":
            break
        following.append(b.kind)
    return bool(following) and all(k == "boilerplate" for k in following)


def _section_name(h: _Open, before: list[_Open], repeated: set[str]) -> str:
    if h.text not in repeated:
        return h.text
    for p in reversed(before):
        if p.text in repeated:
            continue
        if h.level and p.level and p.level >= h.level:
            continue
        return f"{p.text} › {h.text}"
    return h.text


def _parent_section(section: str) -> str:
    return section.rpartition(" › ")[0] if " › " in section else ""


# --- labels and paragraphs ---------------------------------------------------------------------------------


def label_segments(segments: list[Segment]) -> list[str]:
    """Anchor-safe labels, unique in the document.

    Numbered paragraphs keep their number ('12'; in an annex 'II.12'); list items hang under their
    paragraph ('23.a', 'II.33.e.1'); where a part has no numbered paragraphs, paragraphs and items are
    counted in order ('1', '2', ...) as a reader would; unnumbered paragraphs inside a numbered part are
    'u1', 'u2'...; table rows 'r1'; headings 'h1', footnotes 'fn1' / 'II.fn1', boilerplate 'b1'.
    """
    numbered_parts = {s.part for s in segments if s.marker_kind == "num"}
    labels: list[str] = []
    used: set[str] = set()
    counters: dict[str, int] = {}
    parent = ""
    stack: list[tuple[str, str]] = []

    def bump(key: str) -> int:
        counters[key] = counters.get(key, 0) + 1
        return counters[key]

    for s in segments:
        prefix = f"{s.part}." if s.part else ""
        if s.kind == "heading":
            label = f"h{bump('h')}"
            parent, stack = "", []
        elif s.kind == "boilerplate":
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
            parent, stack = f"{prefix}{s.marker}", []
            label = parent
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
            label = ".".join([parent, *[v for _, v in stack]])
        else:
            parent, stack = f"{prefix}u{bump(prefix + 'u')}", []
            label = parent
        base, n = label, 1
        while label in used:
            n += 1
            label = f"{base}-{n}"
        used.add(label)
        labels.append(label)
    return labels


def paragraphs(doc_id: str, text: str) -> tuple[Paragraph, ...]:
    """The document's paragraphs with stable ids `<doc_id>:<label>`, in reading order."""
    segments = segment(text)
    out = []
    for pos, (s, label) in enumerate(zip(segments, label_segments(segments))):
        kind = "note" if s.kind == "paragraph" and _NOTE.match(s.text) else s.kind
        out.append(Paragraph(
            id=f"{doc_id}:{label}", doc=doc_id, label=label, section=s.section, text=s.text, position=pos,
            kind=kind, searchable=s.kind in ("paragraph", "item", "footnote", "row"), part=s.part, line=s.lines[0],
        ))
    return tuple(out)

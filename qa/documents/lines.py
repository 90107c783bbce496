"""Lines: what each line of an extracted text is (text, heading, list marker, footnote, rule, table row,
boilerplate, salutation) and the sentence-level predicates grouping needs (does it end a sentence, read as a
heading, carry on the line before).

Pure functions over strings; the rules are general (markers, punctuation, case, forms of address, UN document
header lines), never keyed to one corpus or file. `layout.classify()` adds what depends on the whole page.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

# --- character classes -------------------------------------------------------------------------------------

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CLOSERS = "”’」』）)】〕\"'》"
_SENTENCE_END = "。！？!?…."
SOFT_END = "，、；：,;:"  # a line ending in these certainly continues
INNER_STOP = re.compile(r"[，。；,;]|\.\s|\.$")
# Words that cannot end an English sentence or heading: a line ending in one was cut mid-sentence.
_OPEN_WORDS = frozenset({
    "the", "a", "an", "of", "to", "and", "or", "nor", "but", "in", "on", "at", "by", "for", "from", "with",
    "into", "as", "than", "that", "which", "whose", "its", "their", "our", "his", "her", "this", "these",
    "those", "between", "among", "including", "such", "is", "are", "was", "were", "be", "has", "have",
    "will", "would", "shall", "should", "can", "could", "must", "not", "no", "very", "more", "most",
})

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
_PAREN_NUM = re.compile(r"^[(（](\d{1,2})[)）]\s+(?=\S)")
_CJK_NUM = re.compile(r"^[(（]([一二三四五六七八九十]{1,3})[)）]\s*")
_BULLET = re.compile(r"^([–•·▪●○◦■□➢-]\s*(?=\S)|o\s+(?=[A-Z]))")  # "o Early ..." is Word's second-level bullet
_MARKER_TAB = re.compile(r"^(?:\d{1,3}[.．]|[(（][a-z0-9ivx]{1,4}[)）]|[–•·▪●○◦■□➢-])\t")  # "1.\tText", "-\tText"
# "I. Nuclear disarmament", "A. Estimated programme costs": a lettered or roman section heading (English).
_SECTION = re.compile(r"^(?:[IVXL]{1,6}|[ivx]{1,5}|[A-Z])\.\s+(?=[A-Z\"“(])")

# --- boilerplate -------------------------------------------------------------------------------------------

_URL = re.compile(r"https?://|www\.|doi\.org|\S+@\S+\.\w+")
_HANDLE = re.compile(r"^@\w+$")
_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_COVER = [
    re.compile(r"(?:提交|转递)的工作文件$"),
    re.compile(r"^working paper (?:submitted|transmitted) by\b", re.IGNORECASE),
    re.compile(r"^original\s*[:：]", re.IGNORECASE),
    re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月[^，。]*日[^，。]*[，,]\s*\S{1,8}$"),  # "2019 年 4 月 29 日至 5 月 10 日，纽约"
    re.compile(r"^第[一二三四五六七八九十]+届会议$"),
    re.compile(r"^©"),
    # a verbatim record's note on the language a speaker used ("(spoke in Russian)", "（以法语发言）"): the
    # record's, not the speaker's words, and no heading of what follows
    re.compile(r"^\((?:spoke|speaking) in [A-Z][a-z]+\b[^()]*\)$"),
    re.compile(r"^[（(]以\S{1,8}语发言[^（）()]*[）)]$"),
]
# The header block of a UN document: symbol, distribution, date, language, session, agenda item, place and
# dates of the meeting, and the line that says who submitted it.
_UN_HEADER = [
    re.compile(r"^(?=.*\d)[A-Z]{1,8}(?:/[A-Z0-9][A-Za-z0-9.()\-]*){1,6}\*?$"),  # NPT/CONF.2015/PC.III/2, A/76/PV.3
    re.compile(r"^distr\.?\s*:|^(?:general|limited|restricted)$", re.IGNORECASE),
    re.compile(rf"^\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}$"),
    re.compile(r"^[A-Z][a-z]+(?:-[a-z]+)?\s+[Ss]ession$"),  # "Third session", "Third Session"
    re.compile(r"^(?:provisional\s+)?agenda\s+item\b|^item\s+\d+\s+of\s+the\s+(?:provisional\s+)?agenda\b",
               re.IGNORECASE),
    re.compile(rf"^[A-Z][A-Za-z .'’-]{{1,30}},\s*\d{{1,2}}(?:\s+{_MONTHS})?\s*[-–]\s*\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}$"),
    re.compile(r"^(?:(?:national\s+)?report|(?:joint\s+)?working\s+paper|note|letter|statement)\s+"
               r"(?:\w+\s+){0,3}?(?:submitted|transmitted|prepared)\s+by\b", re.IGNORECASE),
    re.compile(r"^note\s+by\s+the\s+(?:secretariat|secretary-general)\b", re.IGNORECASE),
]
_PERSON = re.compile(r"^[A-Z][a-zà-ÿ'’-]+(?:[ -][A-Z][A-Za-zà-ÿ'’.-]*){1,3}$")  # "Ulrich Kühn", "Lewis A. Dunn"

# --- salutations ("Mr. President,", "Excellencies, Ladies and Gentlemen,") --------------------------------

_ADDRESS = re.compile(
    r"^(?:h\.\s?e\.(?=\s)|mr|mrs|ms|madam|madame|mister|sir|dear|your|his|her|excellenc(?:y|ies)|majest(?:y|ies)|highness(?:es)?|"
    r"holiness|ladies|gentlemen|distinguished|honou?rable|esteemed|fellow|colleagues|friends|brothers|sisters|"
    r"(?:vice-)?presidents?|secretary(?:-general)?|heads?|delegates|representatives|members|chair\w*|co-chairs?|"
    r"deputy|participants|guests)(?!\w)", re.IGNORECASE)
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'’.-]*|\d{1,3}(?:st|nd|rd|th)|of|the|and|de|la|del|da|al|bin|van|von|for|"
                        r"to|on|in)$")


@dataclass
class Line:
    """One non-blank source line and what it is. `no` is 1-based; `page` 0 when the text has no pages."""

    no: int
    raw: str
    text: str  # markup cleaned, stripped
    indent: bool
    kind: str = "text"  # text | heading | footnote | boilerplate | rule | row | furniture | salutation
    level: int = 0
    marker: str = ""
    marker_kind: str = ""  # num | alpha | roman | paren | cjk | bullet | footnote
    page: int = 0
    blank_before: bool = False  # a blank line (and no page furniture) between this line and the one before
    after_break: bool = False  # page furniture between this line and the one before


# --- small predicates --------------------------------------------------------------------------------------


def clean_markup(text: str) -> str:
    """Drop inline Markdown/HTML markup, keeping every character it wraps: `**b**` -> `b`, `<sup>1</sup>` -> `[1]`."""
    text = _SUP.sub(lambda m: f"[{m.group(1)}]", text)
    text = text.replace("**", "")
    return _ESCAPE.sub(r"\1", text)


_LAST_WORD = re.compile(r"[A-Za-z]+$")


def ends_in_open_word(text: str) -> bool:
    """Ends in a word such as 'the', 'of', 'and' that cannot end an English sentence or heading."""
    m = _LAST_WORD.search(text[-16:])
    return m is not None and m.group() in _OPEN_WORDS and (m.start() > 0 or len(text) <= 16)


def _strip_glued_note(t: str) -> str:
    """'...hearts.”1' -> '...hearts.”': a footnote number of 1-3 digits glued after a full stop."""
    j = len(t)
    while j > 0 and len(t) - j < 3 and t[j - 1].isdigit():
        j -= 1
    if j == len(t) or j < 2:
        return t
    before, stop = t[j - 2], t[j - 1]
    if (stop in "”’\"')" and before in ".!?。！？") or (stop in ".!?" and before.islower()):
        return t[:j]
    return t


def ends_sentence(text: str) -> bool:
    """True when `text` ends a sentence: terminal punctuation, optionally inside closing quotes or brackets.

    A bare closing quote also counts (a quotation that closes a list item or line).
    """
    t = _strip_glued_note(text.rstrip())  # "...hearts.”1": a footnote number glued after the stop
    if not t:
        return True
    if t[-1] in "”」』":
        return True
    t = t.rstrip(_CLOSERS)
    return bool(t) and t[-1] in _SENTENCE_END


def is_cjk_text(text: str) -> bool:
    """Mostly Chinese: at least one Chinese character for every two Latin letters."""
    return len(text) - len(CJK.sub("", text)) >= (len(text) - len(LATIN.sub("", text))) / 2


_HYPHEN_END = re.compile(r"[A-Za-z\u00c0-\u024f]-$")


def open_ended(text: str) -> bool:
    """An English line that was cut mid-sentence: it ends in a comma-like stop, a word that cannot end one or
    a hyphen after a letter ("Non-")."""
    t = text.rstrip()
    return bool(t) and (t[-1] in SOFT_END or ends_in_open_word(t) or bool(_HYPHEN_END.search(t[-2:])))


def continues(before: str, line: str, after_stop: bool = True) -> bool:
    """English: `line` carries on the unfinished sentence of `before`: a lower-case start, an ellipsis that
    picks up a trailing one, or any start after a line cut at a word such as 'the' or (`after_stop`) at a
    comma, semicolon or colon."""
    s = line.lstrip()
    if not s:
        return False
    if s[0].islower():
        return True
    if s.startswith(("...", "…")):
        return before.rstrip().endswith(("...", "…")) or not ends_sentence(before)
    if after_stop:
        return open_ended(before) and not ends_sentence(before)
    return ends_in_open_word(before.rstrip())


def heading_like(text: str, cjk_doc: bool) -> bool:
    """A short line that cannot be (part of) a sentence: no internal stops, no soft or full stop at the end.

    In English a heading may hold a comma ("Article-by-article review, including the 13 practical steps") when
    it is short; it never ends in a word such as 'the' or 'of'.
    """
    t = text.strip()
    limit = 40 if cjk_doc else 90
    if not t or len(t) > limit or t[-1] in SOFT_END:
        return False
    if INNER_STOP.search(t) and (cjk_doc or re.search(r"[.;，。；]", t) or len(t.split()) > 10):
        return False
    if t[-1] in "。." or (not cjk_doc and t[-1] in "?!"):
        return False
    if not cjk_doc and ends_in_open_word(t):
        return False
    for o, c in ("(（", ")）"), ("“", "”"), ("《", "》"), ("「", "」"):
        if sum(t.count(x) for x in o) > sum(t.count(x) for x in c):
            return False  # an unclosed bracket or quote: the sentence goes on
    return bool(CJK.search(t) or LATIN.search(t))


_LEADING_NUMBER = re.compile(r"^\d{1,3}[.．]\s*")


def no_sentence(text: str) -> bool:
    """No full stop, question mark or semicolon inside or at the end (a leading number aside)."""
    text = _LEADING_NUMBER.sub("", text)
    return not ends_sentence(text) and not re.search(r"[.!?;]\s", text)


def title_like(text: str) -> bool:
    """A title, not a sentence: short, at most one comma, no full stop, question mark or semicolon."""
    return len(text) <= 120 and text.count(",") <= 1 and no_sentence(text)


def upper_start(text: str) -> bool:
    """Starts as a sentence may: a capital, digit, opening quote or bracket, or a Chinese character."""
    return bool(re.match(r"[A-Z0-9\"“‘'(\u3400-\u9fff]", text))


def is_salutation(text: str, after_open_salutation: bool = False) -> bool:
    """'Mr. President,', 'Excellencies, Ladies and Gentlemen,', 'Your Excellency Antonio Guterres, Secretary'.

    Every comma- or semicolon-separated part is a form of address or a name; the first part must be a form of
    address unless the line carries on a salutation cut at its end (`after_open_salutation`).
    """
    t = text.strip()
    if not t or len(t) > 200 or t[-1] in ".?" or len(t.split()) > 25 or re.search(r"[a-z]{3}[.?]\s", t):
        return False
    if t[-1] not in ",;:!" and len(t.split()) > 5 and "," not in t and not ends_in_open_word(t):
        return False  # unpunctuated: a short form of address ("Distinguished Delegates") or one cut at 'of the'
    chunks = [c.strip() for c in re.split(r"[,;:!]", t) if c.strip()]
    if not chunks:
        return False
    for i, chunk in enumerate(chunks):
        words = chunk.split()
        if len(words) > 10:
            return False
        if _ADDRESS.match(chunk):
            continue
        if (i > 0 or after_open_salutation) and len(words) <= 8 and all(_NAME_WORD.match(w) for w in words):
            continue
        return False
    return True


# --- line classification -----------------------------------------------------------------------------------


_CJK_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def cjk_number(s: str) -> int:
    """'三' -> 3, '十二' -> 12, '二十一' -> 21."""
    if "十" not in s:
        return _CJK_DIGITS.get(s, 0)
    tens, _, ones = s.partition("十")
    return (_CJK_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CJK_DIGITS.get(ones, 0) if ones else 0)


_ANNEX = re.compile(r"^(?:附件|annex)\s*([一二三四五六七八九十]+|[IVXLC]+|\d+)$", re.IGNORECASE)
_CJK_DIGIT_CHARS = "一二三四五六七八九十"


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
    if num[0] in _CJK_DIGIT_CHARS:
        return roman(cjk_number(num))
    return num.upper()


def _marker(text: str, prev_alpha: str) -> tuple[str, str]:
    """(kind, value) of a paragraph-start marker at the start of `text`, or ('', '')."""
    m = _NUMBERED.match(text)
    if m:
        return "num", m.group(1)
    m = _ROMAN.match(text)
    if m and not (len(m.group(1)) == 1 and prev_alpha and ord(m.group(1)) == ord(prev_alpha) + 1):
        return "roman", m.group(1)
    m = _ALPHA.match(text)
    if m:
        return "alpha", m.group(1)
    m = _PAREN_NUM.match(text)
    if m:
        return "paren", m.group(1)
    m = _CJK_NUM.match(text)
    if m:
        return "cjk", str(cjk_number(m.group(1)))
    m = _BULLET.match(text)
    if m:
        return "bullet", ""
    return "", ""


_ROMANS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii")


def previous_marker(kind: str, value: str) -> str:
    """The marker before `value` in its list ('iv' -> 'iii', 'c' -> 'b', '3' -> '2'); '' for the first."""
    if kind == "roman":
        k = _ROMANS.index(value) if value in _ROMANS else 0
        return _ROMANS[k - 1] if k > 0 else ""
    if kind == "alpha":
        return chr(ord(value) - 1) if value > "a" else ""
    if kind in ("paren", "num", "cjk") and value.isdigit():
        return str(int(value) - 1) if int(value) > 1 else ""
    return ""


def classify_lines(raw_lines: list[str], cjk_doc: bool) -> list[Line]:
    md_headings = sum(1 for r in raw_lines if _MD_HEADING.match(r) and r.lstrip().startswith("#"))
    out: list[Line] = []
    prev_alpha = ""
    for no, raw in enumerate(raw_lines, 1):
        if not raw.strip():
            continue
        line = Line(no, raw, "", indent=raw[:1].isspace())
        stripped = raw.strip()
        if not cjk_doc and (_MARKER_TAB.match(stripped) or re.match(r"^[^\t]{1,3}\t[^\t]+$", stripped)):
            stripped = stripped.replace("\t", " ", 1)  # "1.\tText", "I\tam pleased": a tab, not a table row
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
            _classify_text(line, stripped, prev_alpha, cjk_doc, out)
            if line.marker_kind == "alpha":
                prev_alpha = line.marker
            elif line.marker_kind == "num":
                prev_alpha = ""
        out.append(line)
    if md_headings >= 2:
        # In a Markdown document headings are marked; a short unpunctuated plain line is cover matter.
        for ln in out:
            if ln.kind == "text" and not ln.marker_kind and heading_like(ln.text, cjk_doc):
                ln.kind = "boilerplate"
    return out


def _classify_text(line: Line, stripped: str, prev_alpha: str, cjk_doc: bool, before: list[Line]) -> None:
    if _MD_BULLET.match(stripped):
        body = clean_markup(stripped[2:].strip())
        kind, value = _marker(body, prev_alpha)
        line.marker_kind, line.marker = (kind, value) if kind else ("bullet", "")
    else:
        body = clean_markup(stripped)
        line.marker_kind, line.marker = _marker(body, prev_alpha)
    line.text = body
    if "\t" in stripped:
        # A table row: its cells are a record ("name | affiliation, post") a reader may ask about;
        # a row of bare names or figures is kept out of the searchable set.
        cells = [c.strip() for c in stripped.split("\t") if c.strip()]
        line.text = " | ".join(clean_markup(c) for c in cells)
        line.kind = "row" if any(len(CJK.findall(c)) >= 4 or len(c.split()) >= 4 for c in cells) \
            else "boilerplate"
        line.marker_kind = line.marker = ""
    elif _is_boilerplate(body, cjk_doc, before):
        line.kind = "boilerplate"
    elif not cjk_doc:
        prev = before[-1] if before else None
        open_salutation = prev is not None and prev.kind == "salutation" and prev.text[-1:] not in ",;:!"
        inside_sentence = prev is not None and prev.kind == "text" and open_ended(prev.text)
        if not inside_sentence and is_salutation(_BULLET.sub("", body), open_salutation):
            line.kind = "salutation"
        elif (not line.marker_kind and (m := _SECTION.match(body)) and _section_title(body[m.end():])
              and not (prev is not None and prev.kind == "text" and prev.no == line.no - 1
                       and not ends_sentence(prev.text))):
            line.kind, line.marker_kind = "heading", "section"


def _section_title(rest: str) -> bool:
    """The title after 'IV.' or 'B.': at most 120 characters and no sentence in it. It may end in a colon
    ("A. Principles and objectives: The Conference resolves that:") or run on to the next line ("...associated
    with" / "nuclear weapons")."""
    return len(rest) <= 120 and not re.search(r"[.;!?](?:\s|$)", rest)


def _is_boilerplate(body: str, cjk_doc: bool, before: list[Line]) -> bool:
    if not cjk_doc:
        # English: a short line only (a paragraph that cites a web address is still text)
        return len(body) <= 200 and (bool(_URL.search(body) or _HANDLE.match(body))
                                     or any(p.search(body) for p in (*_COVER, *_UN_HEADER)))
    if _URL.search(body) and len(CJK.findall(body)) < 20:
        return True
    if _HANDLE.match(body) or any(p.search(body) for p in _COVER):
        return True
    cjk, latin = len(CJK.findall(body)), len(LATIN.findall(body))
    if cjk == 0:
        return True  # Latin-only line in a Chinese text: names, handles, series titles, dates
    if latin > cjk and not re.search(r"[，。；：]", body):
        return True  # a run of names with their countries
    prev = before[-1] if before else None
    if (prev is not None and prev.kind == "boilerplate" and _PERSON.match(prev.text)
            and len(body) <= 8 and not INNER_STOP.search(body)):
        return True  # the country/affiliation column of an alternating name list
    # a bibliographic reference ("Author. 2021. Title.")
    return len(re.findall(r"[A-Za-z0-9\u3400-\u9fff]\.(?:\s|$)", body)) >= 2 and not re.search(r"[，。；：]", body)


def is_wrapped(lines: list[Line]) -> tuple[bool, bool]:
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

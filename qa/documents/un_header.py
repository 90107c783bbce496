"""Reading a UN document's own metadata from its first page: symbol, title, submitters, author, kind, meeting,
date and languages, in the English and the Chinese layout of the UN's document system.

`read_header(text, parties)` is pure: it looks at the first lines of a document as a text export lays them out
(a PDF export, a Word file, Markdown) and returns a `Header` that says, field by field, what it read, what it
derived (from the symbol, or the meeting's dates for want of a distribution date), and what the document does
not print (left empty, never guessed). The patterns are those of the symbol series of the field:

- NPT review conferences and their preparatory committees: NPT/CONF.2015/PC.III/WP.18, NPT/CONF.2020/WP.5;
- the General Assembly and its First Committee: A/76/100, A/RES/76/34, A/C.1/76/L.12;
- the Conference on Disarmament: CD/2230, CD/WP.620;
- the Disarmament Commission: A/CN.10/2019/WP.1;
- the Security Council: S/2021/567, S/RES/2589 (2021).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.documents.un_submitters import SUBMITTED_EN, Who, kind_of, transmitted_author, who_line
from qa.documents.un_symbols import (
    PLACES_ZH,
    SYMBOL,
    SYMBOL_IN_LINE,
    Series,
    body_named_in_text,
    meeting_name_at,
    ordinal,
    parse_symbol,
    session_zh,
    zh_number,
)
from qa.parties.table import Parties
from qa.text.scripts import detect_language, has_han

# --- the record -------------------------------------------------------------------------------------------------

FIELDS = ("symbol", "title", "title_en", "submitted_by", "author", "kind", "meeting", "date", "language",
          "original_language")
READ = "read"  # printed in the document
DERIVED = "derived"  # worked out from what is printed (the symbol's series, the meeting's dates)



@dataclass(frozen=True)
class Meeting:
    """The meeting a document was issued for, in English: "Preparatory Committee for the 2015 Review
    Conference of the Parties to …", "third session", "New York", "28 April-9 May 2014"."""

    body: str = ""
    session: str = ""
    place: str = ""
    dates: str = ""  # as printed, e.g. '28 April-9 May 2014'
    start: str = ""  # ISO date of the first day, when the dates are printed
    body_zh: str = ""  # the Chinese header as printed, for a Chinese document

    @property
    def name(self) -> str:
        """'Body, session, place': the form documents.json records."""
        return ", ".join(x for x in (self.body, self.session, self.place) if x)

    @property
    def name_zh(self) -> str:
        return "，".join(x for x in (self.body_zh, PLACES_ZH.get(self.place, "")) if x)


@dataclass(frozen=True)
class Header:
    """What a document's first page says about it. Empty strings and tuples are fields it does not print.

    `sources` maps each field found to READ or DERIVED; `problems` are messages about names that no party has
    (each naming the closest parties), which a caller turns into a refusal.
    """

    symbol: str = ""
    title: str = ""
    title_en: str = ""
    submitted_by: tuple[str, ...] = ()
    on_behalf_of: tuple[str, ...] = ()
    author: str = ""
    kind: str = ""
    meeting: Meeting = field(default_factory=Meeting)
    date: str = ""
    language: str = ""
    original_language: str = ""
    sources: tuple[tuple[str, str], ...] = ()
    problems: tuple[str, ...] = ()

    def source(self, name: str) -> str:
        """READ, DERIVED, or '' when the document does not print the field."""
        return dict(self.sources).get(name, "")

    def missing(self) -> tuple[str, ...]:
        return tuple(f for f in FIELDS if not self.source(f))



_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_PLACES = {zh: en for en, zh in PLACES_ZH.items()}
_LANGUAGES = {"english": "en", "chinese": "zh", "french": "fr", "spanish": "es", "russian": "ru", "arabic": "ar",
              "英文": "en", "中文": "zh", "法文": "fr", "西班牙文": "es", "俄文": "ru", "阿拉伯文": "ar"}
# Kinds as the kind line or the title words them, most specific first.
# --- lines of the first page -------------------------------------------------------------------------------------

_FURNITURE = re.compile(r"^(?:\d+/\d+\s+\S+|\S+\s+\d+/\d+|\d{2}-\d{5}\s*(?:\(\w\))?.*|\*\d+\*|Please recycle.*"
                        r"|GE\.\d{2}-\d+.*)$")
_UNITED_NATIONS = re.compile(r"^(?:United Nations|联合国)(?:\s+((?:NPT|A|CD|S)/\S+(?: \(\d{4}\))?))?$")
_DISTR = re.compile(r"^(?:Distr\.?:?\s*\w+(?:\s+(.+))?|Distr\.|General|Limited|Restricted|\u5206\u53d1\uff1a?.*|"
                    r"\u4e00\u822c\u5206\u53d1|\u9650\u5236\u5206\u53d1)$", re.IGNORECASE)
_DATE_EN = re.compile(r"^(\d{1,2}) (January|February|March|April|May|June|July|August|September|October|November|"
                      r"December) (\d{4})$", re.IGNORECASE)
_DATE_ZH = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_LANGUAGE_LINE = re.compile(r"^(English|Chinese|French|Spanish|Russian|Arabic|中文|英文)$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^(?:Original|原文)\s*[:：]\s*(\S+)", re.IGNORECASE)
_SESSION_EN = re.compile(r"^((?:[A-Z][a-z]+-)?[A-Z][a-z]+|\d{4}) (?:substantive )?session$", re.IGNORECASE)
_SESSION_ZH = re.compile(r"^第([一二三四五六七八九十]+)届会议$")
_SESSION_ZH_GA = re.compile(r"^第([一二三四五六七八九十]+)届会议")
_AGENDA = re.compile(r"^(?:Agenda item|Item|议程项目)\s*\S+", re.IGNORECASE)
_M = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_PLACE_DATES_EN = re.compile(rf"^([A-Z][A-Za-z .]+?),\s+(\d{{1,2}}(?:\s+{_M})?\s*[-\u2013]\s*\d{{1,2}}\s+{_M}\s+\d{{4}}"
                             rf"|\d{{1,2}}\s+{_M}\s+\d{{4}})$")
_PLACE_DATES_ZH = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*至\s*(?:(\d{1,2})\s*月\s*)?"
                             r"\d{1,2}\s*日)?\s*[，,]\s*(纽约|日内瓦|维也纳)$")
def _lines(text: str, limit: int = 120) -> list[str]:
    """The first lines of the document, Markdown marks and page furniture off, blank lines kept as ''."""
    out: list[str] = []
    for raw in text.replace("\f", "\n").split("\n"):
        line = " ".join(raw.replace("\u3000", " ").split())
        line = "" if _FURNITURE.match(line) else re.sub(r"^#{1,6}\s+", "", line).strip("*_ ")
        out.append(line)
        if len(out) >= limit:
            break
    return out


def _iso(day: str, month: str, year: str) -> str:
    m = _MONTHS.index(month.lower()) + 1 if not month.isdigit() else int(month)
    return f"{int(year):04d}-{m:02d}-{int(day):02d}"


# A speech opens with an address or the first person; a title does neither.
_SPOKEN = re.compile(r"^(?:Mr\.?|Mrs\.?|Ms\.?|Madam|Madame|Your|Excellenc|Distinguished|Ladies|Dear|Thank you)\b|"
                     r"\bI (?:am|have|had|would|wish|want|will|shall|should|take|thank|stand|speak)\b|\b(?:we|my|our)\b")
_SERIES = re.compile(r"\bSERIES\b|\bSeries\b|丛书|系列")
# --- the body of a document starts -------------------------------------------------------------------------------

_BODY_START = re.compile(r"^(?:\d{1,3}\.\s|\(\w\)\s|[IVX]{1,5}\.\s|[A-H]\.\s|Section [IVX]+|Introduction$|"
                         r"Background$|Summary$|Preamble$|Overview$|Annex\b|[一二三四五六七八九十]+、|序言$|导言$|"
                         r"导言和背景|背景$|附件)")


def _ends_sentence(line: str) -> bool:
    return line.endswith((".", "。", ";", "；", ":", "：", "!", "?", "？", "！"))


# --- the reader ---------------------------------------------------------------------------------------------------


def read_header(text: str, parties: Parties) -> Header:
    """The metadata a document prints on its first page(s); see the module docstring for the series read."""
    lines = _lines(text)
    top = _read_masthead(lines)
    series = parse_symbol(top.symbol) if top.symbol else Series()
    zh = detect_language(text[:4000]) == "zh"
    title, who, k = _read_title(lines, top.end, zh, parties)
    sources: dict[str, str] = {"symbol": READ if top.symbol else "", "title": READ if title else ""}
    if who is None:  # no kind line: a kind line may follow the title after a subtitle, or the title says it
        for j in range(k, min(k + 12, len(lines))):
            if lines[j] and not _BODY_START.match(lines[j]) and (w := who_line(_joined(lines, j), parties)):
                who = w
                break
        if who is None and title:
            who = who_line(title, parties)
    who = who or Who()
    submitted = tuple(p.name for p in who.submitted_by)
    author, sources["author"] = (who.author.name, READ) if who.author else ("", "")
    sources["submitted_by"] = READ if submitted else ""
    if not author and (transmitted := transmitted_author(lines[k:k + 40], parties, set(submitted), zh)):
        author, sources["author"] = transmitted, READ
    masthead_kind = ""
    if not submitted and not author and not top.seen and title:
        author, masthead_kind = _masthead_author(lines[top.end:top.end + 12], parties)
        sources["author"] = READ if author else ""
    if not submitted and not author and series.conference_series and not who.problems:
        # a conference's document signed by no one is its Secretariat's; one signed by a name no party has is not
        author = "United Nations Secretariat"
        sources["author"] = DERIVED
    kind = series.kind or who.kind or (kind_of(title, zh) if title else "") or masthead_kind
    sources["kind"] = READ if kind else ""
    if not kind and series.conference_series:
        kind, sources["kind"] = "report", DERIVED
    meeting, sources["meeting"] = _read_meeting(top, series, text)
    date, sources["date"] = (top.date, READ) if top.date else (top.start, DERIVED if top.start else "")
    language = top.language or ("zh" if zh else "en")
    sources["language"] = READ if top.language else DERIVED
    sources["original_language"] = READ if top.original else ""
    title_en = title if title and not zh else ""
    sources["title_en"] = READ if title_en else ""
    return Header(symbol=top.symbol, title=title, title_en=title_en, submitted_by=submitted,
                  on_behalf_of=tuple(p.name for p in who.on_behalf_of), author=author, kind=kind, meeting=meeting,
                  date=date, language=language, original_language=top.original,
                  sources=tuple((f, sources[f]) for f in FIELDS if sources.get(f)), problems=tuple(who.problems))


@dataclass
class _Masthead:
    """What the lines above the title print, and where the title starts (`end`); `seen` is False when the
    document has no UN masthead at all."""

    symbol: str = ""
    date: str = ""
    language: str = ""
    original: str = ""
    session: str = ""
    place: str = ""
    dates: str = ""
    start: str = ""
    body: str = ""
    body_zh: str = ""
    end: int = 0
    seen: bool = False


def _read_masthead(lines: list[str]) -> _Masthead:
    top = _Masthead()
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line:
            i += 1
            continue
        if (m := SYMBOL_IN_LINE.match(line)) and SYMBOL.match(m.group(1)) and not top.symbol:
            top.symbol = m.group(1)
        elif m := _UNITED_NATIONS.match(line):  # a PDF's first line: "United Nations   NPT/CONF.2015/PC.III/WP.3"
            top.symbol = top.symbol or (m.group(1) if m.group(1) and SYMBOL.match(m.group(1)) else "")
        elif m := _DISTR.match(line):
            if m.group(1) and (d := _DATE_EN.match(m.group(1))):
                top.date = top.date or _iso(d.group(1), d.group(2), d.group(3))
        elif m := _DATE_EN.match(line):
            top.date = top.date or _iso(m.group(1), m.group(2), m.group(3))
        elif m := _DATE_ZH.match(line):
            top.date = top.date or _iso(m.group(3), m.group(2), m.group(1))
        elif m := _ORIGINAL.match(line):
            top.original = _LANGUAGES.get(m.group(1).lower().strip("。."), "")
        elif _LANGUAGE_LINE.match(line):
            top.language = _LANGUAGES.get(line.lower(), "")
        elif _SESSION_EN.match(line):
            top.session = line[0].lower() + line[1:]
        elif m := _SESSION_ZH.match(line):
            top.session = f"{ordinal(zh_number(m.group(1)))} session"
        elif _AGENDA.match(line):  # the agenda item's own title follows: not the document's title
            i += 1
            while i < n and not lines[i]:
                i += 1
        elif m := _PLACE_DATES_EN.match(line):
            top.place, top.dates = m.group(1).strip(), m.group(2)
            top.start = _start_date_en(top.dates)
        elif m := _PLACE_DATES_ZH.match(line):
            top.place, top.start, top.dates = _PLACES[m.group(5)], _iso(m.group(3), m.group(2), m.group(1)), _dates_zh(line)
        elif found := meeting_name_at(lines, i):
            i, name, name_zh = found
            top.body = top.body or name
            top.body_zh += name_zh
            top.seen = True
            continue
        else:
            break
        top.seen = True
        i += 1
    top.end = i if top.seen else next((j for j, x in enumerate(lines) if x), 0)
    return top


def _read_title(lines: list[str], k: int, zh: bool, parties: Parties) -> tuple[str, Who | None, int]:
    """The title (the lines from `k` up to the kind line or the first paragraph), the kind line read on the way,
    and the line after them."""
    title_lines: list[str] = []
    who: Who | None = None
    who_from_title = False
    blanks = 0
    n = len(lines)
    while k < n and len(" ".join(title_lines)) < 600:
        line = lines[k]
        if not line:
            blanks += 1
            k += 1
            continue
        kind_line = who_line(_joined(lines, k), parties)
        if kind_line is not None and kind_line.before_title and not title_lines:
            who, k = kind_line, _skip_block(lines, k)
            continue
        if kind_line is not None and not _BODY_START.match(line):
            if not title_lines and not zh and SUBMITTED_EN.match(line):
                who = kind_line  # "Report submitted by France under actions …": the kind line is the title
            elif title_lines or zh or kind_line.kind in ("note verbale", "letter"):
                # a kind line below the title wins over the title's own wording ("Statement by …")
                who = kind_line if who is None or who_from_title else who
                if not title_lines and kind_line.kind in ("note verbale", "letter"):
                    title_lines.append(_joined(lines, k))  # a note verbale's own line is its title
                k = _skip_block(lines, k)
                break
            else:
                who, who_from_title = kind_line, True
            title_lines.append(line)
            k += 1
            continue
        if _title_ends(title_lines, lines, k, zh, blanks):
            break
        title_lines.append(line)
        blanks = 0
        k += 1
    title = _join(title_lines, zh)
    if title.endswith((",", "，", ":", "：")) or _SPOKEN.search(title):
        title = ""  # a salutation ("Mr. President,"), a lead-in or a speaker's first sentence, not a title
    return title, who, k


def _title_ends(title_lines: list[str], lines: list[str], k: int, zh: bool, blanks: int) -> bool:
    """Line k starts the body, not more of the title."""
    line = lines[k]
    if not title_lines:
        return _is_paragraph(lines, k)
    if _BODY_START.match(line) or _is_paragraph(lines, k):
        return True
    if _is_lead_in(lines, k) and not _CONTINUES.search(title_lines[-1]):
        return True
    if zh and not (len(title_lines[-1]) >= 28 and has_han(line) and blanks == 0):
        return True  # a Chinese title goes on to the next line only when the line before it is full
    return has_han(title_lines[-1]) != has_han(line)


def _masthead_author(lines: list[str], parties: Parties) -> tuple[str, str]:
    """A publication outside any meeting: the body its masthead names ("UNIDIR NUCLEAR DIALOGUE SERIES"), and
    'research paper' when the masthead names a publication series."""
    for line in lines:
        if line and len(line) < 80 and not line.endswith((",", "，")):
            bodies = [m.party for m in parties.mentions(line) if m.party.kind == "body"]
            if bodies:
                return bodies[0].name, "research paper" if _SERIES.search(line) else ""
    return "", ""


def _read_meeting(top: _Masthead, series: Series, text: str) -> tuple[Meeting, str]:
    """The meeting: what the masthead prints, completed by the symbol's series, then by what the text names.
    The series names a body in full ("General Assembly, First Committee") where the masthead prints part of it;
    a masthead naming another body wins."""
    body = top.body
    meeting_body = series.body if series.body and (not body or body.lower() in series.body.lower()) else body
    derived = not body and not top.session and not top.place
    if not meeting_body and (top.session or top.place):
        meeting_body = body_named_in_text(text[:6000], bool(top.session), top.start)
        derived = True
    session = top.session or series.session
    meeting = Meeting(meeting_body, session if meeting_body or top.session else "", top.place or series.place,
                      top.dates, top.start, top.body_zh + (session_zh(top.session) if top.body_zh and top.session
                                                           else ""))
    if not meeting.name:
        return meeting, ""
    return meeting, DERIVED if derived or not meeting_body else READ


def _joined(lines: list[str], k: int) -> str:
    """Line k and the lines that continue it without a blank line (a kind line wrapped at 78 columns)."""
    out = [lines[k]]
    j = k + 1
    while j < len(lines) and lines[j] and not _BODY_START.match(lines[j]) and len(out) < 4:
        if has_han(lines[k]):
            break
        out.append(lines[j])
        j += 1
    return " ".join(out)


def _skip_block(lines: list[str], k: int) -> int:
    j = k + 1
    while j < len(lines) and lines[j]:
        j += 1
    return j


def _is_paragraph(lines: list[str], k: int) -> bool:
    """A block of running text: it ends a sentence, or is long in Chinese."""
    block = []
    j = k
    while j < len(lines) and lines[j]:
        block.append(lines[j])
        j += 1
    joined = " ".join(block)
    if has_han(joined):
        return len(joined) > 60 or (_ends_sentence(joined) and len(joined) > 30)
    return _ends_sentence(joined) and len(joined) > 60


_CONTINUES = re.compile(r"\b(?:the|of|and|to|on|in|for|a|an|by|with|at)$|[-,]$")


def _is_lead_in(lines: list[str], k: int) -> bool:
    """A one-line block that opens the text and ends in a comma or colon ("The General Assembly,")."""
    single = not (k + 1 < len(lines) and lines[k + 1])
    return single and len(lines[k]) <= 60 and lines[k].endswith((",", "，", ":", "："))


def _join(title_lines: list[str], zh: bool) -> str:
    out = ""
    for line in title_lines:
        if not out:
            out = line
        elif zh and has_han(out[-1]) and has_han(line[0]) or out.endswith("-") and not out.endswith(" -"):
            out += line
        else:
            out += " " + line
    return out.strip()


def _start_date_en(dates: str) -> str:
    m = re.match(rf"(\d{{1,2}})(?:\s+({_M}))?\s*(?:[-\u2013]\s*\d{{1,2}}\s+({_M})\s+)?.*?(\d{{4}})$", dates)
    if not m:
        return ""
    month = m.group(2) or m.group(3) or re.search(_M, dates).group(0)  # type: ignore[union-attr]
    return _iso(m.group(1), month, m.group(4))


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")


def _dates_zh(line: str) -> str:
    m = re.match(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*至\s*(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日)?", line)
    if not m:
        return ""
    y, m1, d1, m2, d2 = m.groups()
    first = f"{int(d1)} {_MONTH_NAMES[int(m1) - 1]}"
    if not d2:
        return f"{first} {y}"
    if m2 and m2 != m1:
        return f"{first}-{int(d2)} {_MONTH_NAMES[int(m2) - 1]} {y}"
    return f"{int(d1)}-{int(d2)} {_MONTH_NAMES[int(m1) - 1]} {y}"

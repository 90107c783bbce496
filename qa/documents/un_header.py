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
from collections.abc import Iterable
from dataclasses import dataclass, field

from qa.parties.table import Parties, Party, clean_name, fold
from qa.text.scripts import HAN, detect_language, has_han

# --- the record -------------------------------------------------------------------------------------------------

FIELDS = ("symbol", "title", "title_en", "submitted_by", "author", "kind", "meeting", "date", "language",
          "original_language")
READ = "read"  # printed in the document
DERIVED = "derived"  # worked out from what is printed (the symbol's series, the meeting's dates)

NPT = "the Treaty on the Non-Proliferation of Nuclear Weapons"
REVIEW_CONFERENCE = f"Review Conference of the Parties to {NPT}"


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
        return "，".join(x for x in (self.body_zh, _PLACES_ZH_OF.get(self.place, "")) if x)


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


# --- vocabulary ---------------------------------------------------------------------------------------------------

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
             "eleventh", "twelfth")
_ZH_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_PLACES = {"纽约": "New York", "日内瓦": "Geneva", "维也纳": "Vienna"}
_PLACES_ZH_OF = {v: k for k, v in _PLACES.items()}
_LANGUAGES = {"english": "en", "chinese": "zh", "french": "fr", "spanish": "es", "russian": "ru", "arabic": "ar",
              "英文": "en", "中文": "zh", "法文": "fr", "西班牙文": "es", "俄文": "ru", "阿拉伯文": "ar"}
# Kinds as the kind line or the title words them, most specific first.
_KINDS_EN = (("note verbale", "note verbale"), ("working paper", "working paper"),
             ("national report", "national report"), ("report", "report"), ("statement", "statement"),
             ("draft resolution", "draft resolution"), ("resolution", "resolution"), ("decision", "decision"),
             ("letter", "letter"), ("note", "report"))
_KINDS_ZH = (("普通照会", "note verbale"), ("工作文件", "working paper"), ("国家报告", "national report"),
             ("报告", "report"), ("发言", "statement"), ("声明", "statement"), ("决议草案", "draft resolution"),
             ("决议", "resolution"), ("决定", "decision"), ("信", "letter"), ("说明", "report"))


def ordinal(n: int) -> str:
    """1 -> 'first', 76 -> 'seventy-sixth' (the words of UN session names)."""
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    if 20 <= n < 100:
        tens, unit = divmod(n, 10)
        if unit == 0:
            return _TENS[tens][:-1] + "ieth"
        return f"{_TENS[tens]}-{_ORDINALS[unit - 1]}"
    return f"{n}th"


def _ordinal_number(word: str) -> int:
    word = word.lower()
    if word in _ORDINALS:
        return _ORDINALS.index(word) + 1
    return 0


def _zh_number(text: str) -> int:
    """'三' -> 3, '十' -> 10, '十一' -> 11, '二十' -> 20."""
    if not text or any(c not in _ZH_DIGITS for c in text):
        return 0
    if "十" not in text:
        return _ZH_DIGITS[text]
    tens, _, unit = text.partition("十")
    return (_ZH_DIGITS.get(tens, 1) if tens else 1) * 10 + (_ZH_DIGITS.get(unit, 0) if unit else 0)


# --- symbols --------------------------------------------------------------------------------------------------------

SYMBOL = re.compile(r"^(?:NPT/CONF\.\d{4}(?:/PC\.[IVX]+)?|A/(?:C\.\d/|CN\.10/|RES/)?[0-9]+|A/CN\.10|CD|S(?:/RES)?)"
                    r"(?:/[A-Za-z0-9.*()\-]+)*(?: \(\d{4}\))?$")
_SYMBOL_IN_LINE = re.compile(r"^((?:NPT|A|CD|S)/[A-Za-z0-9./*()\-]+(?: \(\d{4}\))?)")


@dataclass(frozen=True)
class Series:
    """What a symbol says by itself: the meeting's body and session, its usual place, and the kind its
    suffix marks ('' when the suffix marks none, as the general series of a conference)."""

    body: str = ""
    session: str = ""
    place: str = ""
    kind: str = ""
    conference_series: bool = False  # a conference's own numbered documents: issued by its Secretariat unless signed


def parse_symbol(symbol: str) -> Series:
    """The series of a UN symbol; an unknown series gives an empty `Series`."""
    s = symbol.strip()
    kind = _suffix_kind(s)
    if m := re.match(r"NPT/CONF\.(\d{4})/PC\.([IVX]+)(/|$)", s):
        return Series(f"Preparatory Committee for the {m.group(1)} {REVIEW_CONFERENCE}",
                      f"{ordinal(_ROMAN.get(m.group(2), 0))} session" if m.group(2) in _ROMAN else "", "", kind,
                      True)
    if m := re.match(r"NPT/CONF\.(\d{4})(/|$)", s):
        return Series(f"{m.group(1)} {REVIEW_CONFERENCE}", "", "", kind, True)
    if m := re.match(r"A/CN\.10/(\d{4})/", s):
        return Series("Disarmament Commission", f"{m.group(1)} substantive session", "New York", kind)
    if s.startswith("A/CN.10/"):
        return Series("Disarmament Commission", "", "New York", kind)
    if m := re.match(r"A/C\.1/(\d+)/", s):
        return Series("General Assembly, First Committee", f"{ordinal(int(m.group(1)))} session", "New York",
                      kind or "report")
    if m := re.match(r"A/(?:RES/)?(\d+)/", s):
        return Series("General Assembly", f"{ordinal(int(m.group(1)))} session", "New York", kind)
    if s.startswith("CD/"):
        return Series("Conference on Disarmament", "", "Geneva", kind)
    if s.startswith("S/"):
        return Series("Security Council", "", "New York", kind)
    return Series()


def _suffix_kind(symbol: str) -> str:
    last = symbol.rsplit("/", 1)[-1]
    if "/RES/" in symbol:
        return "resolution"
    if "/DEC/" in symbol or last.startswith("DEC."):
        return "decision"
    if last.startswith("WP."):
        return "working paper"
    if last.startswith("L.") and symbol.startswith("A/"):
        return "draft resolution"
    if last.startswith("CRP."):
        return "conference room paper"
    if last.startswith("INF."):
        return "information document"
    if last.startswith(("SR.", "PV.")):
        return "record"
    return ""


# --- lines of the first page -------------------------------------------------------------------------------------

_FURNITURE = re.compile(r"^(?:\d+/\d+\s+\S+|\S+\s+\d+/\d+|\d{2}-\d{5}\s*(?:\(\w\))?.*|\*\d+\*|Please recycle.*"
                        r"|GE\.\d{2}-\d+.*)$")
_DISTR = re.compile(r"^(?:Distr\.?:?\s*\w+|Distr\.|General|Limited|Restricted|\u5206\u53d1\uff1a?.*|"
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
_BODY_EN = re.compile(rf"^(?:(Preparatory Committee for the )?(\d{{4}}|[A-Z][a-z]+) {REVIEW_CONFERENCE}"
                      rf"(?: \(\w+\))?|General Assembly|Security Council|Conference on Disarmament|Disarmament "
                      rf"Commission|First Committee)$".replace("the Treaty", "the Treaty"), re.IGNORECASE)
_BODY_ZH = re.compile(r"^不扩散核武器条约缔约国\s*(?:(\d{4})\s*年|第([一二三四五六七八九十]+)次)审议大会(筹备委员会)?$|"
                      r"^(?:联合国)?大会$|^安全理事会$|^裁军谈判会议$|^裁军审议委员会$|^第一委员会$")
_BODIES_ZH = {"大会": "General Assembly", "联合国大会": "General Assembly", "安全理事会": "Security Council",
              "裁军谈判会议": "Conference on Disarmament", "裁军审议委员会": "Disarmament Commission",
              "第一委员会": "First Committee"}


def _lines(text: str, limit: int = 120) -> list[str]:
    """The first lines of the document, Markdown marks and page furniture off, blank lines kept as ''."""
    out: list[str] = []
    for raw in text.replace("\f", "\n").split("\n"):
        line = " ".join(raw.replace("\u3000", " ").split())
        line = re.sub(r"^#{1,6}\s+", "", line).strip("*_ ")
        if _FURNITURE.match(line):
            line = ""
        out.append(line)
        if len(out) >= limit:
            break
    return out


def _iso(day: str, month: str, year: str) -> str:
    m = _MONTHS.index(month.lower()) + 1 if not month.isdigit() else int(month)
    return f"{int(year):04d}-{m:02d}-{int(day):02d}"


# --- who: submitters and authors ----------------------------------------------------------------------------------

_SPLIT_NAMES = re.compile(r"\s*(?:,\s*and\s+|,\s*|\s+and\s+|、|，|和|及|以及)\s*")
_FILLER = re.compile(r"^(?:the|of|government of|delegation of|permanent mission of|政府|代表团)$", re.IGNORECASE)


def resolve_loose(parties: Parties, name: str) -> Party | None:
    """A party by any of its names; failing that, the one party whose name or an alias begins with `name`
    ("the facilitator" -> the Facilitator for the Conference on … Middle East zone …)."""
    name = clean_name(name)
    party = parties.resolve(name)
    if party is not None or len(name) < 4:
        return party
    key = fold(name)
    found = {p.name: p for p in parties for form in (p.name, p.name_zh, *p.aliases)
             if fold(form).startswith(key + (" " if key.isascii() else ""))}
    return next(iter(found.values())) if len(found) == 1 else None


def _names(parties: Parties, text: str) -> tuple[list[Party], list[str]]:
    """The parties a list of names ("Brazil, Egypt and Ireland", "中国、法国和俄罗斯联邦") names, and the
    pieces no party has."""
    text = re.sub(r"\([^)]*\)$|（[^）]*）$", "", text.strip()).strip(" .;:，。")
    found: list[Party] = []
    unknown: list[str] = []
    mentions = parties.mentions(text)
    rest = text
    for m in reversed(mentions):
        rest = rest[:m.start] + " , " + rest[m.end:]
    for m in mentions:
        if m.party not in found:
            found.append(m.party)
    for piece in _SPLIT_NAMES.split(rest):
        piece = piece.strip(" ,.;:")
        piece = re.sub(r"^(?:the|and)\s+", "", piece, flags=re.IGNORECASE).strip()
        if piece and not _FILLER.match(piece):
            party = resolve_loose(parties, piece)
            if party is not None:
                found.append(party)
            else:
                unknown.append(piece)
    return found, unknown


def _unknown_message(parties: Parties, name: str) -> str:
    close = parties.suggest(name, 3)
    hint = f"closest parties: {', '.join(close)}" if close else "no party comes close"
    return (f"submitter {name!r} is not in the parties table ({hint}); give --submitted-by with its name, or add it "
            f"to corpus/parties-curated.json")


# --- the kind line --------------------------------------------------------------------------------------------------

_COLON_KIND_EN = re.compile(r"^(?P<who>[^:]{2,300}): (?P<kind>(?:[Rr]evised )?[Dd]raft (?:resolution|decision))$")
_SUBMITTED_EN = re.compile(r"^(?P<kind>.*?)\b(?:[Ss]ubmitted|[Pp]resented) by (?P<who>.+)$")
_BY_EN = re.compile(r"^(?P<kind>(?:[A-Z][a-z]+ )?(?:[Rr]eport|[Nn]ote|[Ss]tatement|[Ww]orking paper|[Ll]etter))"
                    r"(?: (?:on the activities|on the implementation))? (?:by|of) (?:the )?(?P<who>.+?)"
                    r"(?= (?:to|on|under|pursuant|in|at|for|concerning|regarding)\b|,|$)")
_NOTE_VERBALE_EN = re.compile(r"^(?P<kind>Note verbale|Letter) dated .+? from (?:the )?(?:Permanent Mission|"
                              r"Permanent Representative|Government|Chargé d'affaires a\.i\.|Minister)[^,]*? of "
                              r"(?:the )?(?P<who>.+?) to the (?:United Nations|Conference|Chair|President|"
                              r"Secretary)")
_SUBMITTED_ZH = re.compile(rf"^(?P<who>[^“”《》]+?)(?:代表(?P<behalf>.+?))?(?:提交|提出)的(?P<kind>[{HAN}]*)$")
_BY_ZH = re.compile(r"^(?P<who>秘书处|秘书长|主席|协调人|.{2,30}?)(?:的)?(?P<kind>说明|报告|发言)$")
_NOTE_VERBALE_ZH = re.compile(r"(?P<who>[^\d年月日]{2,30}?)(?:常驻联合国(?:日内瓦办事处)?代表团|政府|常驻代表)"
                              r".{0,40}?的(?P<kind>普通照会|信)$")
# A speech opens with an address or the first person; a title does neither.
_SPOKEN = re.compile(r"^(?:Mr\.?|Mrs\.?|Ms\.?|Madam|Madame|Your|Excellenc|Distinguished|Ladies|Dear|Thank you)\b|"
                     r"\bI (?:am|have|had|would|wish|want|will|shall|should|take|thank|stand|speak)\b|\b(?:we|my|our)\b")
_SERIES = re.compile(r"\bSERIES\b|\bSeries\b|丛书|系列")
_TRANSMIT = re.compile(r"transmit|转递|转交", re.IGNORECASE)


def _kind_of(words: str, zh: bool) -> str:
    low = words.lower()
    for key, kind in (_KINDS_ZH if zh else _KINDS_EN):
        if key in low:
            return kind
    return ""


@dataclass
class _Who:
    submitted_by: list[Party] = field(default_factory=list)
    on_behalf_of: list[Party] = field(default_factory=list)
    author: Party | None = None
    kind: str = ""
    problems: list[str] = field(default_factory=list)
    before_title: bool = False  # a line printed above the title ("X, Y and Z: draft resolution")

    def add(self, parties: Parties, names: str, behalf: str = "") -> None:
        found, unknown = _names(parties, names)
        self.submitted_by += [p for p in found if p not in self.submitted_by]
        self.problems += [_unknown_message(parties, u) for u in unknown]
        if behalf:
            found, _ = _names(parties, behalf)
            self.on_behalf_of += [p for p in found if p not in self.on_behalf_of]


def _who_line(line: str, parties: Parties) -> _Who | None:
    """The submitters, author and kind a kind line prints ("Working paper submitted by Ireland, on behalf of
    the New Agenda Coalition", "Note by the Secretariat", "瑞典提交的工作文件"); None if it is no kind line."""
    who = _Who()
    if has_han(line):
        if m := _SUBMITTED_ZH.match(line):
            who.kind = _kind_of(m.group("kind"), True) or "working paper"
            who.add(parties, m.group("who"), m.group("behalf") or "")
            return who
        if m := _NOTE_VERBALE_ZH.search(line):
            who.kind = _kind_of(m.group("kind"), True)
            who.add(parties, m.group("who"))
            return who if who.submitted_by else None
        if m := _BY_ZH.match(line):
            party = resolve_loose(parties, m.group("who"))
            if party is None:
                return None
            who.kind = _kind_of(m.group("kind"), True)
            if party.kind in ("body",):
                who.author = party
            else:
                who.submitted_by.append(party)
            return who
        return None
    if m := _COLON_KIND_EN.match(line):  # "Austria, Brazil and Mexico: draft resolution"
        who.kind = m.group("kind").lower()
        who.add(parties, m.group("who"))
        who.before_title = True
        return who if who.submitted_by else None
    if m := _SUBMITTED_EN.match(line):
        names, _, behalf = re.split(r",? on behalf of ", m.group("who"), maxsplit=1)[0], None, ""
        parts = re.split(r",? on behalf of ", m.group("who"), maxsplit=1)
        names, behalf = parts[0], (parts[1] if len(parts) > 1 else "")
        names = re.split(r"\s+(?:pursuant|under|in accordance|in its capacity)\b", names)[0]
        behalf = re.split(r"\s+(?:pursuant|under|in accordance)\b", behalf)[0]
        who.kind = _kind_of(m.group("kind"), False)
        who.add(parties, names, behalf)
        return who
    if m := _NOTE_VERBALE_EN.match(line):
        who.kind = _kind_of(m.group("kind"), False)
        who.add(parties, m.group("who"))
        return who if who.submitted_by else None
    if m := _BY_EN.match(line):
        party = resolve_loose(parties, m.group("who"))
        if party is None:
            found = [x.party for x in parties.mentions(m.group("who")[:80])]
            if not found:
                return None
            party = found[0]
        who.kind = _kind_of(m.group("kind"), False)
        if party.kind == "body":
            who.author = party
        else:
            who.submitted_by.append(party)
        return who
    return None


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
    sources: dict[str, str] = {}
    symbol = ""
    date = ""
    language_line = ""
    original = ""
    session = ""
    place = ""
    dates = ""
    start = ""
    body = ""
    body_zh = ""
    body_zh_parts: list[str] = []
    i = 0
    n = len(lines)
    seen_header = False
    while i < n:
        line = lines[i]
        if not line:
            i += 1
            continue
        if (m := _SYMBOL_IN_LINE.match(line)) and SYMBOL.match(m.group(1)) and not symbol:
            symbol = m.group(1)
        elif _DISTR.match(line):
            pass
        elif m := _DATE_EN.match(line):
            date = date or _iso(m.group(1), m.group(2), m.group(3))
        elif m := _DATE_ZH.match(line):
            date = date or _iso(m.group(3), m.group(2), m.group(1))
        elif m := _ORIGINAL.match(line):
            original = _LANGUAGES.get(m.group(1).lower().strip("。."), "")
        elif _LANGUAGE_LINE.match(line):
            language_line = _LANGUAGES.get(line.lower(), "")
        elif _SESSION_EN.match(line):
            session = line[0].lower() + line[1:]
        elif m := _SESSION_ZH.match(line):
            session = f"{ordinal(_zh_number(m.group(1)))} session"
        elif _AGENDA.match(line):
            i += 1  # the agenda item's own title follows on the next line(s): not the document's title
            while i < n and not lines[i]:
                i += 1
            i += 1
            seen_header = True
            continue
        elif m := _PLACE_DATES_EN.match(line):
            place, dates = m.group(1).strip(), m.group(2)
            start = _start_date_en(dates)
        elif m := _PLACE_DATES_ZH.match(line):
            place = _PLACES[m.group(5)]
            start = _iso(m.group(3), m.group(2), m.group(1))
            dates = _dates_zh(line)
        else:
            found = _body_at(lines, i)
            if found is None:
                break
            j, name, name_zh = found
            body = body or name
            if name_zh:
                body_zh_parts.append(name_zh)
            i = j
            seen_header = True
            continue
        seen_header = True
        i += 1
    body_zh = "".join(body_zh_parts)
    if not seen_header:
        i = 0
        while i < n and not lines[i]:
            i += 1
    series = parse_symbol(symbol) if symbol else Series()
    if symbol:
        sources["symbol"] = READ
    zh = detect_language(text[:4000]) == "zh"

    # The title: the lines up to the kind line or the first paragraph of the body.
    title_lines: list[str] = []
    who: _Who | None = None
    who_from_title = False
    k = i
    blanks = 0
    while k < n and len(" ".join(title_lines)) < 600:
        line = lines[k]
        if not line:
            blanks += 1
            k += 1
            continue
        kind_line = _who_line(_joined(lines, k), parties)
        if kind_line is not None and kind_line.before_title and not title_lines:
            who = kind_line
            k = _skip_block(lines, k)
            continue
        if kind_line is not None and not _BODY_START.match(line):
            if not title_lines and not zh and _SUBMITTED_EN.match(line):
                who = kind_line  # "Report submitted by France under actions …": the kind line is the title
                title_lines.append(line)
                k += 1
                continue
            if title_lines or zh or kind_line.kind in ("note verbale", "letter"):
                # a kind line below the title wins over the title's own wording ("Statement by …")
                who = kind_line if who is None or who_from_title else who
                if not title_lines and kind_line.kind in ("note verbale", "letter"):
                    title_lines.append(_joined(lines, k))  # a note verbale's own line is its title
                k = _skip_block(lines, k)
                break
            who, who_from_title = kind_line, True
            title_lines.append(line)
            k += 1
            continue
        if title_lines and (_BODY_START.match(line) or _is_paragraph(lines, k)
                            or (_is_lead_in(lines, k) and not _CONTINUES.search(title_lines[-1]))):
            break
        if not title_lines and _is_paragraph(lines, k):
            break
        if zh and title_lines and not (len(title_lines[-1]) >= 28 and has_han(line) and blanks == 0):
            break  # a Chinese title goes on to the next line only when the line before it is full
        if title_lines and has_han(title_lines[-1]) != has_han(line):
            break
        title_lines.append(line)
        blanks = 0
        k += 1
    title = _join(title_lines, zh)
    if title.endswith((",", "，", ":", "：")) or _SPOKEN.search(title):
        title = ""  # a salutation ("Mr. President,"), a lead-in or a speaker's first sentence, not a title
    if title:
        sources["title"] = READ
    if who is None:  # no kind line: a kind line may follow the title after a subtitle, or the title says it
        for j in range(k, min(k + 12, n)):
            if lines[j] and (w := _who_line(_joined(lines, j), parties)) is not None and not _BODY_START.match(lines[j]):
                who = w
                break
        if who is None and title:
            who = _who_line(title, parties)

    submitted = tuple(p.name for p in who.submitted_by) if who else ()
    behalf = tuple(p.name for p in who.on_behalf_of) if who else ()
    author = who.author.name if who and who.author else ""
    problems = tuple(who.problems) if who else ()
    if submitted:
        sources["submitted_by"] = READ
    if author:
        sources["author"] = READ
    transmitted = _transmitted_author(lines[k:k + 40], parties, set(submitted), zh)
    if transmitted and not author:
        author = transmitted
        sources["author"] = READ
    masthead_kind = ""
    if not submitted and not author and not seen_header and title:
        # A publication outside any meeting: its masthead names its author ("UNIDIR NUCLEAR DIALOGUE SERIES").
        masthead = [x for x in lines[i:i + 12] if x and len(x) < 80 and not x.endswith((",", "，"))]
        for x in masthead:
            bodies = [m.party for m in parties.mentions(x) if m.party.kind == "body"]
            if bodies:
                author = bodies[0].name
                sources["author"] = READ
                if _SERIES.search(x):  # a research institute's publication series: one of its papers
                    masthead_kind = "research paper"
                break
    if not submitted and not author and series.conference_series:
        author = "United Nations Secretariat"  # a conference's document signed by no one is its Secretariat's
        sources["author"] = DERIVED

    kind = series.kind or (who.kind if who else "") or _kind_of(title, zh) if title else series.kind
    if not kind and who:
        kind = who.kind
    kind = kind or masthead_kind
    if kind:
        sources["kind"] = READ
    elif series.conference_series:
        kind = "report"
        sources["kind"] = DERIVED

    # The meeting: what the header prints, completed by the symbol's series, then by what the text names.
    # The symbol's series names the body in full ("General Assembly, First Committee") where the header
    # prints part of it; a header naming another body wins.
    meeting_body = series.body if series.body and (not body or body.lower() in series.body.lower()) else body
    meeting_session = session or series.session
    meeting_place = place or series.place
    derived_meeting = not body and not session and not place
    if not meeting_body and (session or place):
        meeting_body = _body_named_in_text(text[:6000], bool(session), start)
        derived_meeting = True
    meeting = Meeting(meeting_body, meeting_session if meeting_body or session else "", meeting_place, dates, start,
                      body_zh + (_session_zh(session) if body_zh and session else ""))
    if meeting.name:
        sources["meeting"] = DERIVED if derived_meeting or not meeting_body else READ
    if date:
        sources["date"] = READ
    elif start:
        date = start
        sources["date"] = DERIVED
    language = language_line or ("zh" if zh else "en")
    sources["language"] = READ if language_line else DERIVED
    if original:
        sources["original_language"] = READ
    title_en = title if title and not zh else ""
    if title_en:
        sources["title_en"] = READ
    return Header(symbol=symbol, title=title, title_en=title_en, submitted_by=submitted, on_behalf_of=behalf,
                  author=author, kind=kind, meeting=meeting, date=date, language=language,
                  original_language=original, sources=tuple((f, sources[f]) for f in FIELDS if f in sources),
                  problems=problems)


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


def _session_zh(session: str) -> str:
    word = session.removesuffix(" session")
    n = _ordinal_number(word)
    digits = "零一二三四五六七八九十"
    if 1 <= n <= 10:
        return f"第{digits[n]}届会议"
    return ""


def _body_at(lines: list[str], i: int) -> tuple[int, str, str] | None:
    """A meeting's name printed over one to four lines starting at line i: (next line, English name, Chinese
    name as printed); None when line i does not start one."""
    for width in range(4, 0, -1):  # the longest name wins: 筹备委员会 on a third line belongs to it
        chunk = lines[i:i + width]
        if not all(chunk) or len(chunk) < width:
            continue
        zh = has_han(chunk[0])
        joined = ("" if zh else " ").join(chunk)
        if zh:
            if m := _BODY_ZH.match(joined):
                if m.group(1) or m.group(2):
                    name = f"{m.group(1)} {REVIEW_CONFERENCE}" if m.group(1) else \
                        f"{ordinal(_zh_number(m.group(2))).capitalize()} {REVIEW_CONFERENCE}"
                    if m.group(3):
                        name = f"Preparatory Committee for the {name}"
                    return i + width, name, joined.replace(" ", "")
                return i + width, _BODIES_ZH.get(joined, ""), joined
        elif m := _BODY_EN.match(joined):
            name = joined
            if m.group(2) and not m.group(2).isdigit():
                name = name[0].upper() + name[1:]
            return i + width, name, ""
    return None


_TEXT_RC_ZH = re.compile(r"不扩散核武器条约缔约国\s*(?:(\d{4})\s*年|第([一二三四五六七八九十]+)次)审议大会")
_TEXT_RC_EN = re.compile(rf"(?:(\d{{4}})|([A-Z][a-z]+)) {REVIEW_CONFERENCE}")


def _body_named_in_text(text: str, has_session: bool, start: str) -> str:
    """The meeting a document with a session or place line but no body line is for, from the review
    conference its text names: a session held before that conference's year is of its Preparatory Committee."""
    for m in _TEXT_RC_ZH.finditer(text):
        name = f"{m.group(1)} {REVIEW_CONFERENCE}" if m.group(1) else \
            f"{ordinal(_zh_number(m.group(2))).capitalize()} {REVIEW_CONFERENCE}"
        return _prepcom(name, m.group(1), has_session, start)
    for m in _TEXT_RC_EN.finditer(text):
        year = m.group(1)
        if not year and _ordinal_number(m.group(2)) == 0:
            continue
        name = f"{year} {REVIEW_CONFERENCE}" if year else f"{m.group(2).capitalize()} {REVIEW_CONFERENCE}"
        return _prepcom(name, year, has_session, start)
    return ""


def _prepcom(name: str, year: str | None, has_session: bool, start: str) -> str:
    if has_session and (not year or not start or start[:4] < year):
        return f"Preparatory Committee for the {name}"
    return name


def _transmitted_author(lines: list[str], parties: Parties, submitters: set[str], zh: bool) -> str:
    """Whose text a note verbale or letter transmits: the first body or group named after "transmit"/"转递" in
    the sentence that transmits it, other than the submitter (a chair's summary, a group's recommendations)."""
    text = ("" if zh else " ").join(x for x in lines if x)
    m = _TRANSMIT.search(text[:3000])
    if not m:
        return ""
    end = re.search(r"[。.](?:\s|$)", text[m.end():])
    sentence = text[m.end(): m.end() + (end.start() if end else 400)]
    sentence = re.sub(r"“[^”]*”|\"[^\"]*\"|《[^》]*》", "", sentence)
    for mention in parties.mentions(sentence):
        if mention.party.kind in ("body", "group") and mention.party.name not in submitters:
            return mention.party.name
    return ""


def compare_names(parties: Parties, a: Iterable[str], b: Iterable[str]) -> bool:
    """Two lists of names name the same parties (in any of their names), in any order."""
    def canon(names: Iterable[str]) -> set[str]:
        out = set()
        for x in names:
            p = resolve_loose(parties, x) if x else None
            out.add(p.name if p else clean_name(x))
        return out - {""}
    return canon(a) == canon(b)

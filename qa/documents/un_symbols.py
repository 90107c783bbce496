"""The UN symbol series of the disarmament field, and the words of their meetings: what a symbol such as
NPT/CONF.2015/PC.III/WP.18 says by itself (body, session, place, kind), session ordinals in English and Chinese,
and the review conference a text names.

Series: NPT review conferences and their preparatory committees (NPT/CONF.2015/PC.III/…), the General Assembly
and its First Committee (A/…, A/RES/…, A/C.1/…), the Conference on Disarmament (CD/…), the Disarmament
Commission (A/CN.10/…) and the Security Council (S/…, S/RES/…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text.scripts import has_han

NPT = "the Treaty on the Non-Proliferation of Nuclear Weapons"
REVIEW_CONFERENCE = f"Review Conference of the Parties to {NPT}"

# --- vocabulary ---------------------------------------------------------------------------------------------------
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
             "eleventh", "twelfth")
_ZH_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


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


def ordinal_number(word: str) -> int:
    """'third' -> 3, 'seventy-sixth' -> 76, 'twentieth' -> 20; 0 for anything else."""
    word = word.lower()
    if word in _ORDINALS:
        return _ORDINALS.index(word) + 1
    tens, _, unit = word.partition("-")
    if unit and tens in _TENS[2:] and unit in _ORDINALS[:9]:
        return _TENS.index(tens) * 10 + _ORDINALS.index(unit) + 1
    round_tens = [t[:-1] + "ieth" for t in _TENS[2:]]
    return (round_tens.index(word) + 2) * 10 if word in round_tens else 0


def zh_numeral(n: int) -> str:
    """3 -> '三', 10 -> '十', 12 -> '十二', 76 -> '七十六' (1 to 99; '' otherwise)."""
    digits = "零一二三四五六七八九"
    if not 1 <= n <= 99:
        return ""
    tens, unit = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + ("十" if tens else "") + (digits[unit] if unit else "")


def zh_number(text: str) -> int:
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
SYMBOL_IN_LINE = re.compile(r"^((?:NPT|A|CD|S)/[A-Za-z0-9./*()\-]+(?: \(\d{4}\))?)")


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



_TEXT_RC_ZH = re.compile(r"不扩散核武器条约缔约国\s*(?:(\d{4})\s*年|第([一二三四五六七八九十]+)次)审议大会")
_TEXT_RC_EN = re.compile(rf"(?:(\d{{4}})|([A-Z][a-z]+)) {REVIEW_CONFERENCE}")


def body_named_in_text(text: str, has_session: bool, start: str) -> str:
    """The meeting a document with a session or place line but no body line is for, from the review
    conference its text names: a session held before that conference's year is of its Preparatory Committee."""
    for m in _TEXT_RC_ZH.finditer(text):
        name = f"{m.group(1)} {REVIEW_CONFERENCE}" if m.group(1) else \
            f"{ordinal(zh_number(m.group(2))).capitalize()} {REVIEW_CONFERENCE}"
        return _prepcom(name, m.group(1), has_session, start)
    for m in _TEXT_RC_EN.finditer(text):
        year = m.group(1)
        if not year and ordinal_number(m.group(2)) == 0:
            continue
        name = f"{year} {REVIEW_CONFERENCE}" if year else f"{m.group(2).capitalize()} {REVIEW_CONFERENCE}"
        return _prepcom(name, year, has_session, start)
    return ""


def _prepcom(name: str, year: str | None, has_session: bool, start: str) -> str:
    if has_session and (not year or not start or start[:4] < year):
        return f"Preparatory Committee for the {name}"
    return name


# --- the meeting a masthead prints ------------------------------------------------------------------------------

_BODY_EN = re.compile(rf"^(?:(Preparatory Committee for the )?(\d{{4}}|[A-Z][a-z]+) {REVIEW_CONFERENCE}"
                      rf"(?: \(\w+\))?|General Assembly|Security Council|Conference on Disarmament|Disarmament "
                      rf"Commission|First Committee)$".replace("the Treaty", "the Treaty"), re.IGNORECASE)
_BODY_ZH = re.compile(r"^不扩散核武器条约缔约国\s*(?:(\d{4})\s*年|第([一二三四五六七八九十]+)次)审议大会(筹备委员会)?$|"
                      r"^(?:联合国)?大会$|^安全理事会$|^裁军谈判会议$|^裁军审议委员会$|^第一委员会$")
_BODIES_ZH = {"大会": "General Assembly", "联合国大会": "General Assembly", "安全理事会": "Security Council",
              "裁军谈判会议": "Conference on Disarmament", "裁军审议委员会": "Disarmament Commission",
              "第一委员会": "First Committee"}


def meeting_name_at(lines: list[str], i: int) -> tuple[int, str, str] | None:
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
                        f"{ordinal(zh_number(m.group(2))).capitalize()} {REVIEW_CONFERENCE}"
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


def session_zh(session: str) -> str:
    """'third session' -> '第三届会议', 'seventy-sixth session' -> '第七十六届会议'; '' for anything else."""
    word = session.removesuffix(" session")
    n = ordinal_number(word) if word != session else 0
    return f"第{zh_numeral(n)}届会议" if n else ""


_SHORT_RC = re.compile(r"^(Preparatory Committee for the )?(\d{4}) NPT Review Conference$", re.IGNORECASE)
PLACES_ZH = {"New York": "纽约", "Geneva": "日内瓦", "Vienna": "维也纳"}  # where the UN's meetings sit
_PARTS_ZH = {"general debate": "一般性辩论"}
_BODIES_IN_ZH = {en.lower(): zh for zh, en in _BODIES_ZH.items() if zh != "联合国大会"}


def body_zh(name: str) -> str:
    """The Chinese name of a body as UN documents print it ('2015 Review Conference of the Parties …' is
    '不扩散核武器条约缔约国 2015 年审议大会'); '' for a body this vocabulary does not know."""
    m = _BODY_EN.match(name) or _SHORT_RC.match(name)
    if not m:
        return ""
    which = m.group(2)
    if not which:
        return _BODIES_IN_ZH.get(name.lower(), "")
    if which.isdigit():
        conference = f"不扩散核武器条约缔约国 {which} 年审议大会"
    elif n := ordinal_number(which):
        conference = f"不扩散核武器条约缔约国第{zh_numeral(n)}次审议大会"
    else:
        return ""
    return conference + ("筹备委员会" if m.group(1) else "")


def meeting_zh(meeting: str) -> str:
    """A meeting's name in Chinese, built from its English parts ('General Assembly, seventy-sixth session,
    general debate, New York' is '大会第七十六届会议，一般性辩论，纽约'), so a Chinese citation of an English
    document does not switch language midway; '' when any part is outside this vocabulary."""
    first, *rest = [part.strip() for part in meeting.split(",")]
    out = body_zh(first)
    for i, part in enumerate(rest):
        session = session_zh(part)
        said = PLACES_ZH.get(part) or _PARTS_ZH.get(part.lower())
        if not out or not (session or said):
            return ""
        out += session if session and i == 0 else f"，{session or said}"
    return out

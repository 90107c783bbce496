"""Scripts, language and dates: the small facts about text that every other module asks.

One home for the Han character ranges, language detection, the letters-only form used to compare names,
and the YYYY[-MM[-DD]] dates the corpus, filters and citations share.
"""

from __future__ import annotations

import re

# CJK unified ideographs (extension A, basic, compatibility, extensions B-F): the text jieba segments.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
HAN_CHAR = re.compile(f"[{HAN}]")
HAN_RUN = re.compile(f"[{HAN}]+")
LATIN_CHAR = re.compile(r"[A-Za-z\u00c0-\u024f]")
LANGUAGES = ("zh", "en")

DATE = re.compile(r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def has_han(text: str) -> bool:
    return HAN_CHAR.search(text) is not None


def detect_language(text: str) -> str:
    """'zh' when Chinese characters make up at least a quarter of the letters, else 'en'.

    A quarter, not a half: a Chinese question often carries English acronyms (NPT, P5) and names.
    """
    han = len(HAN_CHAR.findall(text))
    latin = len(LATIN_CHAR.findall(text))
    return "zh" if han and han * 4 >= han + latin else "en"


def plain(text: str) -> str:
    """Letters and digits only, lower-cased: '“垫脚石”办法' and '垫脚石办法' compare equal."""
    return re.sub(r"[\W_]+", "", text).lower()


def is_date(value: str) -> bool:
    """YYYY, YYYY-MM or YYYY-MM-DD with a real month and day number."""
    return DATE.fullmatch(value) is not None


def long_date(iso: str, lang: str = "en") -> str:
    """'2019-04-29' -> '29 April 2019' / '2019年4月29日'; a year alone stays a year; '' -> 'n.d.' / '日期不详'."""
    parts = (iso or "").split("-")
    if not iso or not is_date(iso):
        return iso or ("日期不详" if lang == "zh" else "n.d.")
    if lang == "zh":
        return parts[0] + "年" + "".join(f"{int(x)}{unit}" for x, unit in zip(parts[1:], "月日"))
    if len(parts) == 3:
        return f"{int(parts[2])} {_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]

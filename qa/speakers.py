"""Who a question is about as a speaker: states and bodies named in it, matched to the corpus's submitters.

"What does Sweden propose…", "俄方如何评价…", "according to the UNIDIR dialogue": a question that names a
submitter or author asks what *that* party said, so its paragraphs get their own ranking in the fusion.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .terminology import load_terminology

# Names a reader uses for a party, beyond its canonical English name and the terminology's Chinese forms.
ALIASES: dict[str, tuple[str, ...]] = {
    "China": ("Chinese", "中方", "中华人民共和国"),
    "France": ("French", "法方"),
    "Russian Federation": ("Russia", "Russian", "Moscow", "俄方", "俄罗斯", "俄国"),
    "United Kingdom": ("UK", "Britain", "British", "英方", "英国", "联合王国"),
    "United States": ("US", "USA", "United States of America", "America", "American", "Washington", "美方",
                      "美国", "美利坚合众国"),
    "Japan": ("Japanese", "Tokyo", "日方", "日本政府"),
    "Sweden": ("Swedish", "瑞方"),
    "UNIDIR": ("UN Institute for Disarmament Research", "United Nations Institute for Disarmament Research",
               "Institute for Disarmament Research", "裁研所", "联合国裁军研究所"),
    "Group of Eminent Persons for Substantive Advancement of Nuclear Disarmament": (
        "Group of Eminent Persons", "eminent persons", "GEP", "名人小组"),
    "Chair of the Group of Eminent Persons for Substantive Advancement of Nuclear Disarmament": (
        "Chair's summary", "Chair’s summary", "Chairman's summary", "Chair of the Group", "the Group's Chair",
        "主席总结", "主席摘要", "名人小组主席"),
}
# A party named as a group: the P5 are the five nuclear-weapon States that submit together.
GROUPS: dict[str, tuple[str, ...]] = {
    "P5": ("China", "France", "Russian Federation", "United Kingdom", "United States"),
    "五核国": ("China", "France", "Russian Federation", "United Kingdom", "United States"),
}


@lru_cache(maxsize=64)
def _patterns(names: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    terminology = {t.english.lower(): t.chinese for t in load_terminology()}
    out = []
    for name in names:
        forms = {name, *ALIASES.get(name, ()), *terminology.get(name.lower(), ())}
        for form in sorted(forms, key=len, reverse=True):
            if any("\u4e00" <= c <= "\u9fff" for c in form):
                pattern = re.compile(re.escape(form))
            elif form.isupper():  # acronyms match in capitals only: "US", not "us"
                pattern = re.compile(rf"\b{re.escape(form)}\b")
            else:
                pattern = re.compile(rf"\b{re.escape(form)}\b", re.IGNORECASE)
            out.append((name, pattern))
    for group, members in GROUPS.items():
        if any(m in names for m in members):
            flags = 0 if group.isupper() else re.IGNORECASE
            out.append(("|".join(m for m in members if m in names), re.compile(rf"\b{group}\b|{group}", flags)))
    return tuple(out)


def mentioned_speakers(question: str, names: tuple[str, ...]) -> set[str]:
    """The parties among `names` (canonical submitter/author names) that the question names.

    Longer mentions win over the shorter ones inside them: "名人小组主席总结" names the Chair, not the Group.
    """
    matches = [(m.start(), m.end(), name) for name, pattern in _patterns(tuple(sorted(names)))
               for m in pattern.finditer(question)]
    taken: list[tuple[int, int]] = []
    found: set[str] = set()
    for start, end, name in sorted(matches, key=lambda m: (m[0] - m[1], m[0])):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        found.update(name.split("|"))
    return found

"""Paragraphs: the unit the product answers with, each carrying its document, label and section."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANNEX_ZH = {"I": "一", "II": "二", "III": "三", "IV": "四", "V": "五", "VI": "六", "VII": "七", "VIII": "八",
             "IX": "九", "X": "十"}


@dataclass(frozen=True)
class Paragraph:
    """One paragraph as its author laid it out.

    `id` is `<doc>:<label>`, derived from the document and the paragraph's label, so it is stable across
    runs. `label` is anchor-safe (letters, digits, `.`, `-`). Only `searchable` paragraphs are indexed;
    headings and boilerplate are kept for display and context.

    `part` is the annex the paragraph sits in ('I', 'II'; '' for the body). `author` is whose words these
    are, resolved per part by the corpus (Japan's note verbale vs. the Group's recommendations vs. the
    Chair's own summary); '' means the submitters' own text and None "as the document says" (a paragraph
    built without a corpus). `line` is the first source line (1-based).

    `page` is the 1-based page of the first line in a paged source (form feeds or running headers/footers),
    0 when the source has no pages. `numbered` is True when the label's leading number is printed in the
    document ('12.' -> label '12'), False for a counted label ('u3', or '3' in a part without numbers).
    `ordinal` is the 1-based place of a body paragraph or item among those under the same heading (0 for
    headings, footnotes, rows and boilerplate), for citations such as "3rd paragraph under 'Introduction'".
    """

    id: str
    doc: str
    label: str
    section: str
    text: str
    position: int
    kind: str = "paragraph"  # paragraph | item | note | row | heading | footnote | boilerplate | salutation | furniture
    searchable: bool = True
    part: str = ""
    author: str | None = None
    line: int = 0
    page: int = 0
    numbered: bool = False
    ordinal: int = 0


def display_label(label: str, lang: str = "en") -> str:
    """A label as a reader cites it.

    'II.12' -> 'annex II, para. 12' / '附件二第12段'; '23.a' -> 'para. 23 (a)' / '第23段(a)项';
    'I.u1' -> 'annex I, unnumbered para. 1'; 'II.fn1' -> 'annex II, footnote 1'; 'h3' -> 'heading 3'.
    """
    zh = lang == "zh"
    part, _, rest = label.partition(".")
    if part not in _ANNEX_ZH or not rest:
        part, rest = "", label
    prefix = (f"附件{_ANNEX_ZH[part]}" if zh else f"annex {part}, ") if part else ""
    rest, _, dup = rest.partition("-") if not rest.startswith("fn-") else (rest, "", "")
    head, *subs = rest.split(".")
    subs_en = "".join(f" ({s})" for s in subs)
    subs_zh = "".join(f"({s})" for s in subs) + ("项" if subs else "")
    if head.isdigit():
        text = f"第{head}段{subs_zh}" if zh else f"para. {head}{subs_en}"
    elif m := re.fullmatch(r"u(\d+)", head):
        text = f"未编号段落{m.group(1)}{subs_zh}" if zh else f"unnumbered para. {m.group(1)}{subs_en}"
    elif m := re.fullmatch(r"r(\d+)", head):
        text = f"表格第{m.group(1)}行" if zh else f"table row {m.group(1)}"
    elif head.startswith("fn"):
        mark = head[2:].lstrip("-").replace("star", "*")
        text = f"脚注{mark}" if zh else f"footnote {mark}"
    elif m := re.fullmatch(r"([hb])(\d+)", head):
        names = {"h": ("标题", "heading "), "b": ("附带文字", "front/back matter ")}[m.group(1)]
        text = f"{names[0]}{m.group(2)}" if zh else f"{names[1]}{m.group(2)}"
    else:
        text = head
    if dup:
        text += f"（{dup}）" if zh else f" ({dup})"
    if zh:
        return prefix + text
    return prefix + text if prefix else text

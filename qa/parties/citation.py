"""Citations: how a paragraph is named, who said it, and the reference a reader can check, in English or Chinese.

Everything a page, the CLI, the API or an export says about *where* a passage is and *whose* it is comes from
here, so the four never disagree. Pure functions over `Document` and `Paragraph`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.documents.un_submitters import kind_zh
from qa.documents.un_symbols import meeting_zh
from qa.parties.table import load_parties
from qa.text.scripts import long_date

_ANNEX_ZH = {"I": "一", "II": "二", "III": "三", "IV": "四", "V": "五", "VI": "六", "VII": "七", "VIII": "八",
             "IX": "九", "X": "十"}

def zh_name(name: str) -> str:
    """A party's name as the UN writes it in Chinese; the name itself when the parties table does not know it."""
    return load_parties().zh(name)


def name_in(name: str, lang: str) -> str:
    return zh_name(name) if lang == "zh" else name


def join_names(names: Sequence[str], lang: str = "en") -> str:
    """'China, France and United States' / '中国、法国、美利坚合众国': readable for one, two or many names."""
    names = [name_in(n, lang) for n in names]
    if lang == "zh":
        return "、".join(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# Head words of names that English writes with "the" (the United States, the Russian Federation, the Holy See,
# the Group of Eminent Persons), and the plural names that take it (the Netherlands, the Philippines)
_WITH_THE = frozenset({
    "union", "federation", "kingdom", "republic", "states", "islands", "emirates", "see", "group", "chair",
    "secretariat", "facilitator", "movement", "committee", "conference", "council", "agency", "organization",
    "netherlands", "philippines", "bahamas", "gambia", "comoros", "maldives",
})


def with_the(name: str) -> str:
    """The name as running English writes it: 'the Russian Federation', 'the Republic of Korea', 'Ireland',
    'Iran (Islamic Republic of)' (a UN short name with its long form in brackets takes none)."""
    if "(" in name or name.lower().startswith("the "):
        return name
    words = name.split()
    head = words[0] if len(words) > 2 and words[1].lower() == "of" else words[-1] if words else ""
    return f"the {name}" if head.lower() in _WITH_THE else name


# --- who said it --------------------------------------------------------------------------------------------


def paragraph_author(doc: Document, p: Paragraph | None) -> str:
    """Whose text the paragraph is when not the submitters' own ('' when it is their own)."""
    if p is None or p.author is None:
        return doc.author
    return p.author


def speaker(doc: Document, p: Paragraph | None = None, lang: str = "en") -> str:
    """Whose words these are: 'Group of Eminent Persons…, transmitted by Japan' / '切实推动核裁军名人小组（日本转递）'.

    A text one party wrote and another submitted is never attributed to the submitter alone.
    """
    author = paragraph_author(doc, p)
    subs = join_names(doc.submitted_by, lang)
    if author and subs and author not in doc.submitted_by:
        return f"{name_in(author, lang)}（{subs}转递）" if lang == "zh" else f"{author}, transmitted by {subs}"
    return name_in(author, lang) if author else subs


def speaks_for(doc: Document, p: Paragraph) -> set[str]:
    """The names a speaker filter matches a paragraph by: its document's submitters and its own author."""
    return {*doc.submitted_by, paragraph_author(doc, p)} - {""}


def voice(doc: Document, p: Paragraph | None = None) -> frozenset[str]:
    """Who a passage speaks for: its own author when another body wrote it, else its submitters."""
    author = paragraph_author(doc, p)
    if author and author not in doc.submitted_by:
        return frozenset({author})
    return frozenset(doc.submitted_by) or frozenset({author} - {""})


def speakers_of(doc: Document) -> set[str]:
    """Every party a state filter may match for a document: its submitters and its author."""
    return {*doc.submitted_by, *([doc.author] if doc.author else [])}


# --- where in the document ----------------------------------------------------------------------------------


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
    return prefix + text


_UNNUMBERED = ("paragraph", "item", "note")


def where(p: Paragraph, lang: str = "en") -> str:
    """The place of a paragraph in its document, as a reader can find it there.

    A paragraph the document numbers is cited by its number ('para. 12'); an unnumbered one by what a reader
    sees: the page of a paged source, the section heading and the paragraph's place under it, in words that
    cannot be mistaken for a printed number ('p. 4, 3rd paragraph under “Introduction”', '第4页，“引言”下第3自然段').
    """
    if p.numbered or p.kind not in _UNNUMBERED or p.ordinal < 1:
        return display_label(p.label, lang)
    part = p.label.partition(".")[0] if p.part else ""
    section = _short(p.section.split(" › ")[-1]) if p.section else ""
    if lang == "zh":
        place = (f"“{section}”下" if section else "") + f"第{p.ordinal}自然段"
        return (f"附件{_ANNEX_ZH.get(part, part)}" if part else "") + (f"第{p.page}页，" if p.page else "") + place
    place = f"{_ordinal(p.ordinal)} paragraph" + (f" under “{section}”" if section else "")
    return ", ".join(x for x in (f"annex {part}" if part else "", f"p. {p.page}" if p.page else "", place) if x)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _short(heading: str, limit: int = 60) -> str:
    return heading if len(heading) <= limit else heading[: limit - 1].rstrip() + "…"


# --- the reference ------------------------------------------------------------------------------------------


def meeting_in(doc: Document, lang: str) -> str:
    """The meeting in a reader's language: in Chinese, as the document or its metadata gives it, else built from
    the English name's UN words (`un_symbols.meeting_zh`), else the English name."""
    if lang != "zh":
        return doc.meeting
    return doc.extra.get("meeting_zh", "") or meeting_zh(doc.meeting) or doc.meeting


def title_in(doc: Document, lang: str) -> str:
    return doc.title if lang == "zh" else (doc.title_en or doc.title)


def citation(doc: Document, p: Paragraph | None, lang: str = "en") -> str:
    """A citation that reads well with or without a symbol; without `p`, the document's own citation.

    en: Sweden, "Title" (working paper, NPT/CONF…, Meeting, 29 April 2019), para. 12.
    zh: 瑞典，《标题》（工作文件，NPT/CONF…，会议，2019年4月29日），第12段。
    """
    who = speaker(doc, p, lang)
    if lang == "zh":
        kind = kind_zh(doc.kind) or doc.kind
        details = "，".join(x for x in (kind, doc.symbol, meeting_in(doc, "zh"), long_date(doc.date, "zh")) if x)
        place = f"，{where(p, 'zh')}" if p else ""
        return f"{who}，《{doc.title}》（{details}）{place}。"
    title = title_in(doc, "en").replace('"', "'")  # quotes inside the quoted title become single
    details = ", ".join(x for x in (doc.kind, doc.symbol, doc.meeting, long_date(doc.date)) if x)
    place = f", {where(p)}" if p else ""
    return f'{who}, "{title}" ({details}){place}.'


def passage_url(p: Paragraph) -> str:
    """The one link to a passage: its document page, scrolled to and highlighting the paragraph."""
    return f"/documents/{p.doc}?hl={p.label}#p-{p.label}"


def document_url(doc_id: str) -> str:
    return f"/documents/{doc_id}"


def shared_note(doc: Document, p: Paragraph, others: Sequence[tuple[Paragraph, Document]], lang: str = "en") -> str:
    """What a citation adds when other parties' documents carry the same text (`search.shared_text`): where,
    and that the words are quoted, not necessarily the citing party's own; '' when none do."""
    if not others:
        return ""
    comma = "，" if lang == "zh" else ", "
    places = ("；" if lang == "zh" else "; ").join(f"{speaker(od, op, lang)}{comma}{where(op, lang)}"
                                                  for op, od in others)
    if lang == "zh":
        return f"相同文字亦见于{places}：系引用的文字，不一定是{speaker(doc, p, 'zh')}自己的措辞。"
    return f"The same text is in {places}: a quoted text, not necessarily {speaker(doc, p)}'s own words."

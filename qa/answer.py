"""Answers: ranked hits that carry their paragraph, document and citation, and the sentence that answers.

Everything here is pure: the search produces `Hit`s, and the CLI, the JSON API and the web page all render
the same records, so a passage never meets a citation other than its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .document import Document
from .paragraph import Paragraph, display_label
from .sentences import sentence_spans as split_sentences


@dataclass(frozen=True)
class Hit:
    """One answering paragraph: what it says, who said it, where, and which sentence answers."""

    rank: int
    score: float
    paragraph: Paragraph
    document: Document
    answer_span: tuple[int, int] = (0, 0)  # character offsets of the answering sentence(s) in the text
    channels: dict[str, float] = field(default_factory=dict, compare=False)  # rank in each channel, dense cosine

    @property
    def answer(self) -> str:
        start, end = self.answer_span
        return self.paragraph.text[start:end]

    @property
    def speaker(self) -> str:
        return speaker(self.document, self.paragraph)

    def to_json(self) -> dict[str, Any]:
        p, d = self.paragraph, self.document
        start, end = self.answer_span
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "id": p.id,
            "doc": d.id,
            "title": d.title,
            "title_en": d.title_en,
            "symbol": d.symbol,
            "submitted_by": list(d.submitted_by),
            "author": paragraph_author(d, p),
            "speaker": self.speaker,
            "date": d.date,
            "meeting": d.meeting,
            "paragraph": p.label,
            "paragraph_display": display_label(p.label),
            "section": p.section,
            "text": p.text,
            "answer": self.answer,
            "answer_start": start,
            "answer_end": end,
            "citation": citation(d, p, "en"),
            "citation_zh": citation(d, p, "zh"),
            "url": f"/documents/{d.id}#p-{p.label}",
            "channels": dict(self.channels),
        }


@dataclass(frozen=True)
class Answer:
    """The result of one question: hits best first, and whether the documents cover the question at all."""

    query: str
    hits: tuple[Hit, ...]
    covered: bool = True
    language: str = "zh"
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "language": self.language,
            "covered": self.covered,
            "message": self.message,
            "results": [h.to_json() for h in self.hits],
        }


# --- attribution -------------------------------------------------------------------------------------------


def paragraph_author(doc: Document, p: Paragraph) -> str:
    """Whose text the paragraph is when not the submitter's own ('' when it is)."""
    return doc.author if p.author is None else p.author


def speaker(doc: Document, p: Paragraph) -> str:
    """'Group of Eminent Persons, transmitted by Japan'; 'Sweden'; 'UNIDIR'."""
    return doc.speaker_for(p.author)


def speaker_zh(doc: Document, p: Paragraph) -> str:
    author = paragraph_author(doc, p)
    subs = "、".join(zh_name(n) for n in doc.submitted_by)
    if author and subs and author not in doc.submitted_by:
        return f"{zh_name(author)}（{subs}转递）"
    return zh_name(author) if author else subs


_ZH_NAMES = {
    "China": "中国",
    "France": "法国",
    "Russian Federation": "俄罗斯联邦",
    "United Kingdom": "大不列颠及北爱尔兰联合王国",
    "United States": "美利坚合众国",
    "Japan": "日本",
    "Sweden": "瑞典",
    "UNIDIR": "联合国裁军研究所",
    "Group of Eminent Persons for Substantive Advancement of Nuclear Disarmament": "切实推动核裁军名人小组",
}


def zh_name(name: str) -> str:
    return _ZH_NAMES.get(name, name)


# --- labels and citations ----------------------------------------------------------------------------------

def _long_date(iso: str) -> str:
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"]
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    if m:
        return f"{int(m.group(3))} {months[int(m.group(2)) - 1]} {m.group(1)}"
    m = re.fullmatch(r"(\d{4})-(\d{2})", iso or "")
    if m:
        return f"{months[int(m.group(2)) - 1]} {m.group(1)}"
    return iso or "n.d."


def _zh_date(iso: str) -> str:
    parts = (iso or "").split("-")
    if len(parts) == 3:
        return f"{parts[0]}年{int(parts[1])}月{int(parts[2])}日"
    if len(parts) == 2:
        return f"{parts[0]}年{int(parts[1])}月"
    return iso or "日期不详"


def citation(doc: Document, p: Paragraph | None, lang: str = "en") -> str:
    """A citation that reads well with or without a symbol.

    en: Sweden, "Title" (working paper, NPT/CONF…, Meeting, 29 April 2019), para. 12.
    zh: 瑞典，《标题》（工作文件，NPT/CONF…，会议，2019年4月29日），第12段。
    """
    if lang == "zh":
        who = speaker_zh(doc, p) if p else "、".join(zh_name(n) for n in doc.submitted_by) or zh_name(doc.author)
        meeting = doc.extra.get("meeting_zh", "") or doc.meeting
        details = "，".join(x for x in ("工作文件" if doc.kind == "working paper" else doc.kind, doc.symbol,
                                       meeting, _zh_date(doc.date)) if x)
        where = f"，{display_label(p.label, 'zh')}" if p else ""
        return f"{who}，《{doc.title}》（{details}）{where}。"
    who = speaker(doc, p) if p else doc.speaker
    title = (doc.title_en or doc.title).replace('"', "'")  # quotes inside the quoted title become single
    details = ", ".join(x for x in (doc.kind, doc.symbol, doc.meeting, _long_date(doc.date)) if x)
    where = f", {display_label(p.label)}" if p else ""
    return f'{who}, "{title}" ({details}){where}.'


# --- the answering sentence ----------------------------------------------------------------------------------


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of a paragraph: `sentences.sentence_spans` (kept here for callers)."""
    return split_sentences(text)


def best_span(spans: list[tuple[int, int]], scores: list[float], text_len: int, max_chars: int = 160) -> tuple[int, int]:
    """The best-scoring sentence, joined with its better neighbour when both are short and close in score."""
    if not spans:
        return (0, text_len)
    i = max(range(len(spans)), key=lambda j: (scores[j], -j))
    s, e = spans[i]
    neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(spans)]
    if neighbours:
        j = max(neighbours, key=lambda n: scores[n])
        js, je = spans[j]
        if scores[j] >= scores[i] - 0.02 and (max(e, je) - min(s, js)) <= max_chars:
            s, e = min(s, js), max(e, je)
    return (s, e)

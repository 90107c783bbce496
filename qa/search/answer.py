"""Answers: ranked hits that carry their paragraph, document and citation, and the sentence that answers.

Everything here is pure: the search produces `Hit`s, and the CLI, the JSON API and the web page all render
them through `passage_json`, so a passage has one shape and one link wherever it appears.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.parties.citation import citation, paragraph_author, passage_url, shared_note, speaker, where

# The one JSON shape of a passage, in order: each field, its type and what it says. `passage_json` fills it, and
# the API's pydantic model (`api.Passage`, its OpenAPI schema) is built from it, so the shape is written here only.
PASSAGE_FIELDS: tuple[tuple[str, type, str], ...] = (
    ("id", str, "Paragraph id, `<doc>:<label>`."),
    ("doc", str, ""),
    ("title", str, ""),
    ("title_en", str, ""),
    ("symbol", str, "UN document symbol; empty when not confirmed."),
    ("submitted_by", list[str], ""),
    ("author", str, "Whose text it is when not the submitter's own; empty otherwise."),
    ("speaker", str, "Attribution in words, e.g. 'Group of Eminent Persons…, transmitted by Japan'."),
    ("speaker_zh", str, ""),
    ("date", str, ""),
    ("meeting", str, ""),
    ("paragraph", str, "Paragraph label, e.g. '12' or 'I.12' (annex I)."),
    ("paragraph_display", str, ""),
    ("section", str, ""),
    ("text", str, "The paragraph, verbatim."),
    ("answer", str, "The sentence(s) that best answer the question, verbatim from `text`."),
    ("answer_start", int, ""),
    ("answer_end", int, ""),
    ("citation", str, ""),
    ("citation_zh", str, ""),
    ("url", str, "The passage in its document: /documents/<doc>?hl=<label>#p-<label>."),
)


def passage_json(p: Paragraph, d: Document, span: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """The one JSON shape of a passage (`PASSAGE_FIELDS`): where it is, whose it is, its text, the marked answer
    and citations."""
    start, end = span
    return {
        "id": p.id,
        "doc": d.id,
        "title": d.title,
        "title_en": d.title_en,
        "symbol": d.symbol,
        "submitted_by": list(d.submitted_by),
        "author": paragraph_author(d, p),
        "speaker": speaker(d, p),
        "speaker_zh": speaker(d, p, "zh"),
        "date": d.date,
        "meeting": d.meeting,
        "paragraph": p.label,
        "paragraph_display": where(p),
        "section": p.section,
        "text": p.text,
        "answer": p.text[start:end],
        "answer_start": start,
        "answer_end": end,
        "citation": citation(d, p, "en"),
        "citation_zh": citation(d, p, "zh"),
        "url": passage_url(p),
    }


@dataclass(frozen=True)
class Hit:
    """One answering paragraph: what it says, who said it, where, and which sentence answers."""

    rank: int
    score: float
    paragraph: Paragraph
    document: Document
    answer_span: tuple[int, int] = (0, 0)  # character offsets of the answering sentence(s) in the text
    channels: dict[str, float] = field(default_factory=dict, compare=False)  # rank in each channel, dense cosine
    relevance: float | None = None  # the judgement's probability that the passage answers (None: not judged)
    answers: bool = True  # the judgement's verdict: False shows the passage as "closest, does not answer"
    # other parties' paragraphs with the same text (`shared_text`): quoted words, not necessarily this party's
    also_in: tuple[tuple[Paragraph, Document], ...] = field(default=(), compare=False)

    @property
    def answer(self) -> str:
        start, end = self.answer_span
        return self.paragraph.text[start:end]

    @property
    def speaker(self) -> str:
        return speaker(self.document, self.paragraph)

    def to_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "score": round(float(self.score), 6),
                **passage_json(self.paragraph, self.document, self.answer_span), "channels": dict(self.channels),
                "answers": self.answers,
                "relevance": None if self.relevance is None else round(float(self.relevance), 4),
                "also_in": [shared_json(p, d) for p, d in self.also_in],
                "quoted_note": shared_note(self.document, self.paragraph, self.also_in, "en"),
                "quoted_note_zh": shared_note(self.document, self.paragraph, self.also_in, "zh")}


SHARED_FIELDS = ("doc", "paragraph", "paragraph_display", "speaker", "speaker_zh", "citation", "citation_zh", "url")


def shared_json(p: Paragraph, d: Document) -> dict[str, Any]:
    """Where else a passage's text stands (`Hit.also_in`): the fields of `passage_json` that cite and open it."""
    passage = passage_json(p, d)
    return {name: passage[name] for name in SHARED_FIELDS}


class Why(str):
    """Why a question is not covered: the English sentence (the string itself, as the API's message has it) and
    its Chinese (`zh`), for a reader of either language."""

    zh: str

    def __new__(cls, en: str, zh: str) -> Self:
        why = super().__new__(cls, en)
        why.zh = zh
        return why


def reason_json(reason: str) -> dict[str, str]:
    """A reason in both languages, as the API gives it (a plain string has no Chinese of its own)."""
    return {"en": str(reason), "zh": str(getattr(reason, "zh", reason))}


@dataclass(frozen=True)
class Answer:
    """The result of one question: hits best first, and whether the documents cover the question at all."""

    query: str
    hits: tuple[Hit, ...]
    covered: bool = True
    language: str = "zh"
    message: str = ""
    # A question naming its speaker that the speaker's documents do not answer: who did (see `Engine.search`)
    addressed_by: tuple[str, ...] = ()
    reason: str = ""  # why it is not covered (a `Why`: English, and Chinese as `.zh`), '' when it is

    @property
    def answered(self) -> bool:
        """Some passage is judged to answer (a covered question can have only closest passages)."""
        return any(h.answers for h in self.hits)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "language": self.language,
            "covered": self.covered,
            "message": self.message,
            "addressed_by": list(self.addressed_by),
            "reason": reason_json(self.reason),
            "answered": self.answered,
            "results": [h.to_json() for h in self.hits],
        }


# --- the answering sentence ----------------------------------------------------------------------------------


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

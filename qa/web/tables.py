"""A comparison to take away: one row per party with its passages, citations and links, as CSV, Markdown or Word.

Rows come from the same `PartyGroup` records the compare page and `/api/compare` show, so the table never
says anything the answer did not; the language chooses headings, party names and citations.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from qa.parties.citation import citation, passage_url, shared_note, where
from qa.search.compare import Comparison, PartyGroup
from qa.web.draft import DOCX_MEDIA_TYPE, east_asian_font, md_escape, xml_text

TABLE_FORMATS = {"csv": "text/csv; charset=utf-8", "markdown": "text/markdown; charset=utf-8", "docx": DOCX_MEDIA_TYPE}
_HEADERS = {
    "en": ("Rank", "Party", "Addressed", "Documents", "Passages", "Citations", "Links"),
    "zh": ("排名", "发言方", "是否论及", "文件", "段落", "出处", "链接"),
}
_YES_NO = {"en": ("addressed", "not addressed"), "zh": ("论及", "未论及")}
_TITLE = {"en": "What each party said: {q}", "zh": "各方立场：{q}"}


@dataclass(frozen=True)
class Row:
    rank: int
    party: str
    answers: str
    documents: str
    passages: tuple[str, ...]
    citations: tuple[str, ...]
    links: tuple[str, ...]

    def cells(self, sep: str) -> list[str]:
        return [str(self.rank), self.party, self.answers, self.documents, sep.join(self.passages),
                sep.join(self.citations), sep.join(self.links)]


def rows(groups: Sequence[PartyGroup], lang: str, base_url: str = "", first_rank: int = 1) -> list[Row]:
    lang = "zh" if lang == "zh" else "en"
    out = []
    for n, g in enumerate(groups, start=first_rank):
        out.append(Row(
            rank=n,
            party=g.speaker_zh if lang == "zh" else g.speaker,
            answers=_YES_NO[lang][0 if g.covered else 1],
            documents=", ".join(g.docs),
            # a party that does not address the question is listed with no passage: its closest are not its words
            # on the question
            passages=tuple(f"[{where(h.paragraph, lang)}] {h.paragraph.text}" for h in g.hits if g.covered),
            citations=tuple(" ".join(filter(None, (citation(h.document, h.paragraph, lang),
                                                   shared_note(h.document, h.paragraph, h.also_in, lang))))
                            for h in g.hits if g.covered),
            links=tuple(base_url.rstrip("/") + passage_url(h.paragraph) for h in g.hits if g.covered),
        ))
    return out


def to_csv(table: Sequence[Row], lang: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(_HEADERS["zh" if lang == "zh" else "en"])
    for r in table:
        writer.writerow(r.cells("\n\n"))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # a BOM, so Excel opens Chinese text as UTF-8


def to_markdown(table: Sequence[Row], lang: str, question: str, today: date | None = None) -> bytes:
    lang = "zh" if lang == "zh" else "en"
    lines = [f"# {md_escape(_TITLE[lang].format(q=question))}", "", (today or date.today()).isoformat(), "",
             "| " + " | ".join(_HEADERS[lang][:3] + _HEADERS[lang][4:6]) + " |", "|---" * 5 + "|"]
    for r in table:
        # each piece is escaped before the pieces are joined, so the <br> between passages stays a line break
        cells = [md_escape(str(r.rank)), md_escape(r.party), md_escape(r.answers),
                 " <br> ".join(md_escape(p) for p in r.passages), " <br> ".join(md_escape(c) for c in r.citations)]
        lines.append("| " + " | ".join(c.replace("\n", " ") for c in cells) + " |")
    return ("\n".join(lines) + "\n").encode("utf-8")


def to_docx(table: Sequence[Row], lang: str, question: str, today: date | None = None) -> bytes:
    from docx import Document as WordDocument
    from docx.shared import Pt

    lang = "zh" if lang == "zh" else "en"
    word = WordDocument()
    title = xml_text(_TITLE[lang].format(q=question))
    word.core_properties.title = title
    word.core_properties.language = "zh-CN" if lang == "zh" else "en"
    for name in ("Normal", "Title"):
        east_asian_font(word.styles[name], "SimSun")
    word.add_heading(title, level=0)
    word.add_paragraph((today or date.today()).isoformat())
    headers = _HEADERS[lang][:3] + _HEADERS[lang][4:6]
    grid = word.add_table(rows=1, cols=len(headers))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, headers):
        cell.text = text
    for r in table:
        cells = grid.add_row().cells
        for cell, text in zip(cells, [str(r.rank), r.party, r.answers, "\n\n".join(r.passages),
                                      "\n\n".join(r.citations)]):
            cell.text = xml_text(text)
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    buf = io.BytesIO()
    word.save(buf)
    return buf.getvalue()


def export_table(comparison: Comparison, fmt: str, lang: str, base_url: str = "") -> bytes:
    """The comparison's parties (this page of them) as a CSV, Markdown or Word table."""
    table = rows(comparison.groups, lang, base_url, (comparison.page - 1) * comparison.per_page + 1)
    if fmt == "csv":
        return to_csv(table, lang)
    if fmt == "docx":
        return to_docx(table, lang, comparison.query)
    return to_markdown(table, lang, comparison.query)

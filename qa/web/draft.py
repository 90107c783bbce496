"""The drafting basket's export: chosen paragraphs, quoted verbatim, each followed by its citation.

Export takes paragraph ids only and looks the text up in the engine's corpus, so a quotation can never carry
text or a citation other than its own. Formatting is pure (`to_markdown`); `to_docx` is a thin python-docx
writer over the same records.
"""

from __future__ import annotations

import io
import re
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.errors import InputError, NotFound
from qa.parties.citation import citation, shared_note, speaker, where

MAX_IDS = 200
FORMATS = ("markdown", "docx")
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKDOWN_MEDIA_TYPE = "text/markdown; charset=utf-8"

_TITLES = {"en": "Passages from {name}", "zh": "{name}摘录"}
_UNNAMED = {"en": "Passages from the documents", "zh": "文件摘录"}  # a corpus with no title and no meetings
EXPORT_NAME = "passages"  # the downloaded file's name, whatever the corpus


def export_title(lang: str, corpus: str = "") -> str:
    """The export's heading: the corpus's own name (see `naming.corpus_name`) when it has one."""
    lang = "zh" if lang == "zh" else "en"
    return _TITLES[lang].format(name=corpus) if corpus else _UNNAMED[lang]
_COMPILED = {"en": "Compiled {date}; {n} passages, quoted verbatim with their citations.",
             "zh": "{date}汇编；共 {n} 段，逐字引用并附出处。"}


@dataclass(frozen=True)
class Quotation:
    """One exported passage: the paragraph, its document, and its citation in the export's language."""

    paragraph: Paragraph
    document: Document
    citation: str
    speaker: str
    label: str
    note: str = ""  # where else the same text stands (`citation.shared_note`), '' for the party's own words


def quotations(items: Iterable[tuple[Paragraph, Document]], lang: str,
               shared: Mapping[str, Sequence[tuple[Paragraph, Document]]] | None = None) -> list[Quotation]:
    """Each item quoted with its citation; `shared` gives, by paragraph id, the other parties' paragraphs of the
    same text, which the citation then names (a quotation must not pass for the citing party's own words)."""
    lang = "zh" if lang == "zh" else "en"
    out = []
    for p, d in items:
        note = shared_note(d, p, (shared or {}).get(p.id, ()), lang)
        out.append(Quotation(p, d, citation(d, p, lang), speaker(d, p, lang), where(p, lang), note))
    return out


# --- looking ids up ----------------------------------------------------------------------------------------


def resolve(ids: Sequence[str], lookup: Mapping[str, tuple[Paragraph, Document]]) -> list[tuple[Paragraph, Document]]:
    """The paragraphs for `ids` in the caller's order, duplicates dropped; unknown ids are an error, not a gap."""
    if not ids:
        raise InputError("Nothing to export: send at least one paragraph id, e.g. {\"ids\": [\"<doc>:12\"]}.")
    if len(ids) > MAX_IDS:
        raise InputError(f"{len(ids)} paragraph ids sent; at most {MAX_IDS} can be exported at once. Split them.")
    unknown = [i for i in ids if i not in lookup]
    if unknown:
        shown = ", ".join(repr(i[:80]) for i in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise NotFound(f"Unknown paragraph id {shown}{more}; ids look like '<document id>:<label>', "
                       "as in the `id` field of /api/ask results.")
    seen: set[str] = set()
    out = []
    for i in ids:
        if i not in seen:
            seen.add(i)
            out.append(lookup[i])
    return out


_LOOKUPS: weakref.WeakKeyDictionary[Any, dict[str, tuple[Paragraph, Document]]] = weakref.WeakKeyDictionary()
_LOOKUP_LOCK = threading.Lock()


def paragraph_lookup(engine: Any) -> dict[str, tuple[Paragraph, Document]]:
    """id -> (paragraph, document) over every paragraph of every document, built once per engine."""
    with _LOOKUP_LOCK:
        found = _LOOKUPS.get(engine)
        if found is None:
            found = {}
            for doc_id, d in engine.documents.items():
                for p in engine.all_paragraphs(doc_id):
                    found[p.id] = (p, d)
            for doc_id, d in engine.documents.items():  # searchable ones, in case the corpus view differs
                for p in engine.store.searchable(doc_id):
                    found.setdefault(p.id, (p, d))
            _LOOKUPS[engine] = found
        return found


# --- Markdown -------------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([#+\-=])|(\d+)([.)]))", re.MULTILINE)


def _escape_line_start(m: re.Match[str]) -> str:
    """'# x' -> '\\# x'; '1. x' -> '1\\. x' (a backslash before a digit would be literal, so escape the dot)."""
    if m.group(2):
        return m.group(1) + "\\" + m.group(2)
    return m.group(1) + m.group(3) + "\\" + m.group(4)


def md_escape(text: str) -> str:
    """Escape Markdown syntax so the text renders exactly as written (and raw HTML stays text)."""
    return _MD_LINE_START.sub(_escape_line_start, _MD_SPECIAL.sub(r"\\\1", text))


def to_markdown(items: Sequence[Quotation], lang: str = "en", today: date | None = None, corpus: str = "") -> str:
    """A heading, then for each passage a block quotation of the whole paragraph and its citation below it."""
    lang = "zh" if lang == "zh" else "en"
    when = (today or date.today()).isoformat()
    lines = [f"# {md_escape(export_title(lang, corpus))}", "", _COMPILED[lang].format(date=when, n=len(items)), ""]
    for i, q in enumerate(items, start=1):
        lines.append(f"## {i}. {md_escape(q.speaker)} — {md_escape(q.label)}")
        lines.append("")
        for line in q.paragraph.text.splitlines() or [""]:
            lines.append(("> " + md_escape(line)).rstrip())
        lines.append("")
        lines.append(md_escape(q.citation))
        lines.append("")
        if q.note:
            lines += [md_escape(q.note), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- Word -----------------------------------------------------------------------------------------------------

_CJK_FONT = "SimSun"  # present on every Chinese Windows/Word install; Word substitutes elsewhere


# Characters XML 1.0 cannot hold (control characters but tab and line breaks, surrogates, U+FFFE/U+FFFF):
# python-docx refuses them, so a question typed with one would fail the Word export.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` without the characters a Word document cannot hold."""
    return _NOT_XML.sub("", text)


def east_asian_font(style_or_run: Any, name: str) -> None:
    from docx.oxml.ns import qn

    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def to_docx(items: Sequence[Quotation], lang: str = "en", today: date | None = None, corpus: str = "") -> bytes:
    """The same content as `to_markdown`, as a Word document: quotations in the Quote style, citations below."""
    from docx import Document as WordDocument
    from docx.shared import Pt

    lang = "zh" if lang == "zh" else "en"
    when = (today or date.today()).isoformat()
    word = WordDocument()
    title = xml_text(export_title(lang, corpus))
    # Word's document properties hold at most 255 characters; the heading below keeps the whole title
    word.core_properties.title = title if len(title) <= 255 else title[:254] + "…"
    word.core_properties.author = ""
    word.core_properties.language = "zh-CN" if lang == "zh" else "en"
    for name in ("Normal", "Quote", "Title", "Heading 2"):
        east_asian_font(word.styles[name], _CJK_FONT)
    word.add_heading(title, level=0)
    word.add_paragraph(_COMPILED[lang].format(date=when, n=len(items)))
    for i, q in enumerate(items, start=1):
        word.add_heading(f"{i}. {q.speaker} — {q.label}", level=2)
        for line in q.paragraph.text.splitlines() or [""]:
            word.add_paragraph(line, style="Quote")
        cite = word.add_paragraph()
        run = cite.add_run(q.citation)
        run.font.size = Pt(10)
        if q.note:
            word.add_paragraph().add_run(xml_text(q.note)).font.size = Pt(10)
    buf = io.BytesIO()
    word.save(buf)
    return buf.getvalue()


def export(items: Sequence[tuple[Paragraph, Document]], fmt: str, lang: str, today: date | None = None,
           corpus: str = "", shared: Mapping[str, Sequence[tuple[Paragraph, Document]]] | None = None) -> bytes:
    """Markdown (UTF-8) or .docx bytes for the resolved items, headed with the corpus's name (`corpus`); `shared`
    as for `quotations`."""
    if fmt not in FORMATS:
        raise InputError(f"format = {fmt!r} is not supported; use one of {', '.join(FORMATS)}.")
    qs = quotations(items, lang, shared)
    if fmt == "docx":
        return to_docx(qs, lang, today, corpus)
    return to_markdown(qs, lang, today, corpus).encode("utf-8")

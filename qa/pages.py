"""The HTML pages (ask, compare, documents, one document, drafting basket) and the export endpoint.

Pages render server-side and work without JavaScript; `web/static/app.js` adds the basket, copying citations
and the language switch. Every passage is rendered from the same `Hit` records as the JSON API, and text is
only ever escaped by the templates (the answering sentence is three escaped pieces around a `<mark>`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field, StringConstraints

from . import __version__
from .answer import Answer, Hit, citation, display_label, paragraph_author, speaker, speaker_zh, zh_name
from .document import Document
from .draft import DOCX_MEDIA_TYPE, MARKDOWN_MEDIA_TYPE, MAX_IDS, export, paragraph_lookup, resolve
from .errors import NotFound, QAError
from .i18n import COOKIE, EXAMPLES_ASK, EXAMPLES_COMPARE, LANGS, choose_language, translator
from .paragraph import Paragraph
from .search import Engine, Filters, speakers_of, validate_k
from .settings import PROJECT_ROOT, Settings

TEMPLATES_DIR = PROJECT_ROOT / "web" / "templates"
STATIC_DIR = PROJECT_ROOT / "web" / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
COMPARE_K = 3


# --- view records (pure) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """One passage as the page shows it: the text in three pieces around the answer, and its attribution."""

    id: str
    rank: int
    doc: str
    label: str
    paragraph_display: str
    section: str
    before: str
    answer: str
    after: str
    title: str
    title_en: str
    speaker: str
    submitted_by: tuple[str, ...]
    author: str
    submitters_shown: str  # the submitters in the interface language
    author_shown: str  # whose text it is, when not the submitters' own ('' otherwise)
    date: str
    meeting: str
    symbol: str
    citation_en: str
    citation_zh: str
    url: str

    @property
    def text(self) -> str:
        return self.before + self.answer + self.after

    def cite(self, lang: str) -> str:
        return self.citation_zh if lang == "zh" else self.citation_en


def split_text(text: str, span: tuple[int, int]) -> tuple[str, str, str]:
    """(before, answer, after) for a character span, clamped to the text; an empty span marks nothing."""
    n = len(text)
    start = max(0, min(int(span[0]), n))
    end = max(start, min(int(span[1]), n))
    return text[:start], text[start:end], text[end:]


def meeting_in(doc: Document, lang: str) -> str:
    return (doc.extra.get("meeting_zh", "") or doc.meeting) if lang == "zh" else doc.meeting


def card(p: Paragraph, d: Document, lang: str, span: tuple[int, int] = (0, 0), rank: int = 0) -> Card:
    before, answer, after = split_text(p.text, span)
    who = speaker_zh(d, p) if lang == "zh" else speaker(d, p)
    author = paragraph_author(d, p)
    name = zh_name if lang == "zh" else str
    return Card(
        id=p.id, rank=rank, doc=d.id, label=p.label, paragraph_display=display_label(p.label, lang),
        section=p.section, before=before, answer=answer, after=after, title=d.title, title_en=d.title_en,
        speaker=who, submitted_by=tuple(d.submitted_by), author=author,
        submitters_shown=("、" if lang == "zh" else ", ").join(name(s) for s in d.submitted_by),
        author_shown=name(author) if author and author not in d.submitted_by else "", date=d.date,
        meeting=meeting_in(d, lang), symbol=d.symbol, citation_en=citation(d, p, "en"),
        citation_zh=citation(d, p, "zh"), url=f"/documents/{d.id}?hl={p.label}#p-{p.label}",
    )


def cards(hits: tuple[Hit, ...], lang: str) -> list[Card]:
    return [card(h.paragraph, h.document, lang, h.answer_span, h.rank) for h in hits]


@dataclass(frozen=True)
class GroupView:
    speaker: str
    submitted_by: tuple[str, ...]
    author: str
    docs: tuple[str, ...]
    covered: bool
    cards: list[Card]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


def filter_choices(documents: dict[str, Document], filters: Filters, lang: str) -> dict[str, list[Choice]]:
    """Checkbox options for the filter form, populated from the corpus, with the current selection ticked."""
    names = sorted({s for d in documents.values() for s in speakers_of(d)})
    chosen = {s.lower() for s in filters.states}
    states = [Choice(s, zh_name(s) if lang == "zh" else s, s.lower() in chosen) for s in names]
    docs = []
    for d in sorted(documents.values(), key=lambda d: (d.date, d.id)):
        who = _doc_speaker(d, lang)
        title = d.title if lang == "zh" else (d.title_en or d.title)
        docs.append(Choice(d.id, f"{who} — {title} ({d.year or '?'})", d.id in filters.docs))
    return {"states": states, "docs": docs}


def active_filters(filters: Filters) -> int:
    return len(filters.states) + len(filters.docs) + bool(filters.date_from) + bool(filters.date_to)


# --- installing the pages --------------------------------------------------------------------------------------


class ExportRequest(BaseModel):
    ids: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = Field(
        description=f"Paragraph ids in the order to export (the `id` of /api/ask results); at most {MAX_IDS}.",
        examples=[["sweden-2019:12"]],
    )
    format: Literal["markdown", "docx"] = Field("markdown", description="Markdown text or a Word document.")
    lang: Literal["en", "zh"] = Field("en", description="Language of the headings and citations.")


def install_pages(app: FastAPI, settings: Settings, get_engine: Callable[[Request], Engine]) -> None:
    """Mount static files, the HTML routes, `POST /api/export`, and the HTML error page renderer."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    templates = Jinja2Templates(env=env)
    templates.env.globals["version"] = __version__
    templates.env.globals["LANGS"] = LANGS
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        lang = choose_language(request.query_params.get("lang"), request.cookies,
                               request.headers.get("accept-language", ""))
        other = "zh" if lang == "en" else "en"
        base = {
            "lang": lang,
            "t": translator(lang),
            "switch_url": with_lang(request, other),
            "other_lang": other,
            "path": request.url.path,
            "max_q": settings.max_question_chars,
        }
        response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
        for key, value in SECURITY_HEADERS.items():
            response.headers[key] = value
        if request.query_params.get("lang") in LANGS and request.cookies.get(COOKIE) != lang:
            response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=False)
        return response

    def lang_of(request: Request) -> str:
        return choose_language(request.query_params.get("lang"), request.cookies,
                               request.headers.get("accept-language", ""))

    def render_error(request: Request, status: int, message: str) -> Response:
        return render(request, "error.html", {"status": status, "message": message}, status)

    app.state.render_error = render_error

    def search_view(
        request: Request, q: str, k: str, date_from: str, date_to: str, examples: Any
    ) -> tuple[Engine, str, Filters, dict[str, Any]]:
        """What the ask and compare pages share: engine, language, validated filters, base context."""
        eng = get_engine(request)
        lang = lang_of(request)
        filters = filters_from(request, date_from, date_to)
        context: dict[str, Any] = {
            "q": q, "k": k, "filters": filters, "active": active_filters(filters),
            "choices": filter_choices(eng.documents, filters, lang), "examples": examples, "error": "",
        }
        return eng, lang, filters, context

    @app.get("/", include_in_schema=False)
    def ask_page(
        request: Request,
        q: str = "",
        k: str = "",
        date_from: str = "",
        date_to: str = "",
    ) -> Response:
        eng, lang, filters, context = search_view(request, q, k, date_from, date_to, EXAMPLES_ASK)
        context.update(answer=None, cards=[])
        status = 200
        if "q" in request.query_params:
            try:
                answer: Answer = eng.ask(q, validate_k(k or None, settings), filters)
            except QAError as e:
                context["error"], status = e.message, e.http_status
            else:
                context["answer"] = answer
                context["cards"] = cards(answer.hits, lang)
        return render(request, "ask.html", context, status)

    @app.get("/compare", include_in_schema=False)
    def compare_page(
        request: Request,
        q: str = "",
        k: str = "",
        date_from: str = "",
        date_to: str = "",
    ) -> Response:
        eng, lang, filters, context = search_view(request, q, k, date_from, date_to, EXAMPLES_COMPARE)
        context.update(groups=None)
        status = 200
        if "q" in request.query_params:
            try:
                groups = eng.compare(q, validate_k(k or COMPARE_K, settings), filters)
            except QAError as e:
                context["error"], status = e.message, e.http_status
            else:
                context["groups"] = [
                    GroupView(
                        speaker=_group_speaker(eng, g.docs, lang) or g.speaker, submitted_by=g.submitted_by,
                        author=g.author, docs=g.docs, covered=g.answer.covered,
                        cards=cards(g.answer.hits, lang),
                    )
                    for g in groups
                ]
        return render(request, "compare.html", context, status)

    @app.get("/documents", include_in_schema=False)
    def documents_page(request: Request) -> Response:
        eng = get_engine(request)
        lang = lang_of(request)
        counts: dict[str, int] = {}
        for p in eng.index.paragraphs:
            counts[p.doc] = counts.get(p.doc, 0) + 1
        docs = sorted(eng.documents.values(), key=lambda d: (d.date, d.id))
        rows = [{"doc": d, "speaker": _doc_speaker(d, lang), "meeting": meeting_in(d, lang),
                 "paragraphs": counts.get(d.id, 0), "citation": citation(d, None, lang)} for d in docs]
        return render(request, "documents.html", {"rows": rows})

    @app.get("/documents/{doc_id}", include_in_schema=False)
    def document_page(request: Request, doc_id: str, hl: str = "") -> Response:
        eng = get_engine(request)
        lang = lang_of(request)
        d = eng.documents.get(doc_id)
        if d is None:
            raise NotFound(f"No document {doc_id[:100]!r}; the list of documents is at /documents.")
        paragraphs = eng.all_paragraphs(doc_id)
        if hl and not any(p.label == hl for p in paragraphs):
            raise NotFound(f"Document {doc_id!r} has no paragraph {hl[:40]!r}; open /documents/{doc_id} to browse it.")
        items = [{"p": p, "card": card(p, d, lang)} for p in paragraphs]
        context = {"doc": d, "items": items, "hl": hl, "speaker": _doc_speaker(d, lang),
                   "meeting": meeting_in(d, lang), "doc_citation": citation(d, None, lang),
                   "searchable": sum(1 for p in paragraphs if p.searchable)}
        return render(request, "document.html", context)

    @app.get("/basket", include_in_schema=False)
    def basket_page(request: Request) -> Response:
        return render(request, "basket.html", {})

    @app.post(
        "/api/export",
        responses={
            200: {"content": {"text/markdown": {}, DOCX_MEDIA_TYPE: {}},
                  "description": "The passages, each quoted verbatim and followed by its citation."},
            400: {"description": f"No ids, more than {MAX_IDS}, or a bad format/lang."},
            404: {"description": "An unknown paragraph id."},
        },
    )
    def api_export(request: Request, body: ExportRequest) -> Response:
        """Export paragraphs (by id) as Markdown or a Word document, each quotation followed by its citation."""
        eng = get_engine(request)
        items = resolve(body.ids, paragraph_lookup(eng))
        data = export(items, body.format, body.lang)
        if body.format == "docx":
            name, media = "npt-passages.docx", DOCX_MEDIA_TYPE
        else:
            name, media = "npt-passages.md", MARKDOWN_MEDIA_TYPE
        return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def filters_from(request: Request, date_from: str, date_to: str) -> Filters:
    """The repeatable `state` and `doc` parameters plus the date range, as given; the engine validates them."""
    qp = request.query_params
    return Filters(tuple(qp.getlist("state")), tuple(qp.getlist("doc")), date_from.strip(), date_to.strip())


def with_lang(request: Request, lang: str) -> str:
    """This page's path and query with `lang` replaced: the language switch link (relative, same origin)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", lang)]
    return request.url.path + "?" + urlencode(params)


def _doc_speaker(d: Document, lang: str) -> str:
    if lang != "zh":
        return d.speaker
    subs = "、".join(zh_name(n) for n in d.submitted_by)
    if d.author and subs and d.author not in d.submitted_by:
        return f"{zh_name(d.author)}（{subs}转递）"
    return zh_name(d.author) if d.author else subs


def _group_speaker(eng: Engine, docs: tuple[str, ...], lang: str) -> str:
    d = eng.documents.get(docs[0]) if docs else None
    return _doc_speaker(d, lang) if d else ""

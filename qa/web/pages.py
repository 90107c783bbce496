"""The HTML pages (ask, compare, documents, one document, drafting basket), as one router.

Pages render server-side and work without JavaScript; `web/static/app.js` adds the basket, copying citations
and the language switch. Every passage is rendered from the same `Hit` records as the JSON API, and text is
only ever escaped by the templates (the answering sentence is three escaped pieces around a `<mark>`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from qa import __version__
from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.errors import NotFound, QAError
from qa.parties.citation import (
    citation,
    join_names,
    meeting_in,
    name_in,
    paragraph_author,
    passage_url,
    speaker,
    speakers_of,
    where,
)
from qa.resources import web_folder
from qa.search.answer import Answer, Hit, reason_json
from qa.search.engine import Engine, Filters, validate_k
from qa.web.api import engine_of, settings_of
from qa.web.i18n import COOKIE, EXAMPLES_ASK, EXAMPLES_COMPARE, LANGS, choose_language, translator
from qa.web.messages import (
    UnknownDocumentFilter,
    check_input,
    compare_summary,
    not_addressed_message,
    page_number,
    unknown_document,
)
from qa.web.naming import corpus_label

TEMPLATES_DIR = web_folder("templates")
STATIC_DIR = web_folder("static")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
COMPARE_K = 3
_SEPARATORS = re.compile(r"[,，、;；]")  # several states or documents typed in one field
DOCS_PER_PAGE = 100


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
    has_symbol: bool = True  # its kind of document carries a UN symbol (a debate statement does not)
    text_lang: str = "zh-Hans"  # the HTML lang of the passage and its title: its document's language
    answers: bool = True  # the relevance judgement's verdict: False shows the card as "closest, does not answer"
    relevance: float | None = None
    # other parties' paragraphs with the same text (`Hit.also_in`): (speaker, where, url) in the page's language
    also_in: tuple[tuple[str, str, str], ...] = ()

    @property
    def text(self) -> str:
        return self.before + self.answer + self.after

    def cite(self, lang: str) -> str:
        return self.citation_zh if lang == "zh" else self.citation_en

    @property
    def title_en_shown(self) -> str:
        """The English title beside the document's own, when it is another (an English document's is the same)."""
        return self.title_en if self.title_en != self.title else ""


def split_text(text: str, span: tuple[int, int]) -> tuple[str, str, str]:
    """(before, answer, after) for a character span, clamped to the text; an empty span marks nothing."""
    n = len(text)
    start = max(0, min(int(span[0]), n))
    end = max(start, min(int(span[1]), n))
    return text[:start], text[start:end], text[end:]


def html_lang(language: str) -> str:
    """The HTML `lang` of text in a document's language: Chinese is marked as simplified script, so browsers
    choose a Chinese font and full-width punctuation for it, and English text keeps Latin ones."""
    return "zh-Hans" if language == "zh" else (language or "und")


def card(p: Paragraph, d: Document, lang: str, span: tuple[int, int] = (0, 0), rank: int = 0) -> Card:
    before, answer, after = split_text(p.text, span)
    author = paragraph_author(d, p)
    return Card(
        id=p.id, rank=rank, doc=d.id, label=p.label, paragraph_display=where(p, lang),
        section=p.section, before=before, answer=answer, after=after, title=d.title, title_en=d.title_en,
        speaker=speaker(d, p, lang), submitted_by=tuple(d.submitted_by), author=author,
        submitters_shown=("、" if lang == "zh" else ", ").join(name_in(s, lang) for s in d.submitted_by),
        author_shown=name_in(author, lang) if author and author not in d.submitted_by else "", date=d.date,
        meeting=meeting_in(d, lang), symbol=d.symbol, citation_en=citation(d, p, "en"),
        citation_zh=citation(d, p, "zh"), url=passage_url(p), text_lang=html_lang(d.language),
        has_symbol=has_symbol(d),
    )


def cards(hits: tuple[Hit, ...], lang: str) -> list[Card]:
    return [replace(card(h.paragraph, h.document, lang, h.answer_span, h.rank), answers=h.answers,
                    relevance=h.relevance,
                    also_in=tuple((speaker(d, p, lang), where(p, lang), passage_url(p)) for p, d in h.also_in))
            for h in hits]


@dataclass(frozen=True)
class GroupView:
    """One party of the compare view, its passages as cards in the interface language."""

    speaker: str
    submitted_by: tuple[str, ...]
    author: str
    docs: tuple[str, ...]
    covered: bool
    best_rank: int
    cards: list[Card]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


DOC_CHOICES = 200  # documents listed in the filter form's pick list; beyond, ids are typed (see /documents)


def filter_choices(documents: dict[str, Document], filters: Filters, lang: str, groups: list[str]
                   ) -> dict[str, list[Choice]]:
    """What the filter form offers to pick from: the parties that speak in the corpus and the groups of the
    parties table (any other name or alias may be typed), and the documents while they are few."""
    names = sorted({s for d in documents.values() for s in speakers_of(d)})
    chosen = {s.lower() for s in filters.states}
    states = [Choice(s, name_in(s, lang), s.lower() in chosen) for s in [*names, *groups]]
    docs = []
    if len(documents) <= DOC_CHOICES:
        for d in sorted(documents.values(), key=lambda d: (d.date, d.id)):
            who = speaker(d, None, lang)
            title = d.title if lang == "zh" else (d.title_en or d.title)
            docs.append(Choice(d.id, f"{who} — {title} ({d.year or '?'})", d.id in filters.docs))
    return {"states": states, "docs": docs}


# Kinds of document that carry a UN symbol; a statement in a debate or a research paper has none, so the page
# does not say "Symbol: not confirmed" on it.
SYMBOL_KINDS = frozenset({"working paper", "national report", "report", "resolution", "draft resolution", "decision",
                          "note verbale", "letter", "conference room paper", "information document", ""})
@dataclass(frozen=True)
class MetaRow:
    """One field of the document view's header: its label key, the value shown, and where it came from."""

    key: str
    value: str
    source: str  # 'read', 'derived', 'given', or '' when documents.json does not say


def has_symbol(d: Document) -> bool:
    """Whether to show a symbol field for the document: it has one, or its kind is one that carries one (so
    "not confirmed" is said of a working paper without its symbol, never of a speech)."""
    return bool(d.symbol) or d.kind in SYMBOL_KINDS


def metadata_rows(d: Document, lang: str, speaker_shown: str, meeting: str) -> list[MetaRow]:
    """The fields a document of its kind has, each with its source; a field the kind does not have (a
    speech's symbol) is left out, and one its kind has but the document does not print says so."""
    rows = [MetaRow("col_speaker", speaker_shown, d.source_of("submitted_by") or d.source_of("author"))]
    if d.kind:
        rows.append(MetaRow("kind", d.kind, d.source_of("kind")))
    rows.append(MetaRow("date", d.date, d.source_of("date")))
    if d.meeting:
        rows.append(MetaRow("meeting", meeting, d.source_of("meeting")))
    if has_symbol(d):
        rows.append(MetaRow("symbol", d.symbol, d.source_of("symbol")))
    return rows


def active_filters(filters: Filters) -> int:
    return len(filters.states) + len(filters.docs) + bool(filters.date_from) + bool(filters.date_to)


# --- the pages -----------------------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Mount static files, the templates and the page routes on the app."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    templates = Jinja2Templates(env=env)
    templates.env.globals["version"] = __version__
    templates.env.globals["LANGS"] = LANGS
    templates.env.globals["html_lang"] = html_lang
    templates.env.globals["name_in"] = name_in
    templates.env.globals["join_names"] = join_names
    templates.env.globals["reason_in"] = lambda reason, lang: reason_json(reason).get(lang, str(reason))
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(router)


def lang_of(request: Request) -> str:
    return choose_language(request.query_params.get("lang"), request.cookies, request.headers.get("accept-language", ""))


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A template with the context every page shares, the security headers and the language cookie."""
    lang = lang_of(request)
    other = "zh" if lang == "en" else "en"
    t = translator(lang)
    corpus = corpus_label(request, lang)
    base = {
        "lang": lang,
        "t": t,
        "brand": t("brand_of", name=corpus) if corpus else t("brand"),
        "switch_url": with_lang(request, other),
        "other_lang": other,
        "path": request.url.path,
        "max_q": settings_of(request).max_question_chars,
    }
    response = request.app.state.templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
    for key, value in SECURITY_HEADERS.items():
        response.headers[key] = value
    if request.query_params.get("lang") in LANGS and request.cookies.get(COOKIE) != lang:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=False)
    return response


def render_error(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", {"status": status, "message": message}, status)


def search_view(request: Request, q: str, k: str, date_from: str, date_to: str,
                examples: Any) -> tuple[Engine, str, Filters, dict[str, Any]]:
    """What the ask and compare pages share: engine, language, filters as given, base context."""
    eng = engine_of(request)
    lang = lang_of(request)
    filters = filters_from(request, date_from, date_to)
    context: dict[str, Any] = {
        "q": q, "k": k, "filters": filters, "active": active_filters(filters),
        "choices": filter_choices(eng.documents, filters, lang, eng.speakers.groups()), "examples": examples,
        "error": "", "error_documents": False,
    }
    return eng, lang, filters, context


@router.get("/")
def ask_page(request: Request, q: str = "", k: str = "", date_from: str = "", date_to: str = "") -> Response:
    eng, lang, filters, context = search_view(request, q, k, date_from, date_to, EXAMPLES_ASK)
    context.update(answer=None, cards=[], not_addressed="")
    status = 200
    if "q" in request.query_params:
        try:
            check_input(eng, q, k, filters, lang)
            answer: Answer = eng.ask(q, validate_k(k or None, eng.settings), filters)
        except QAError as e:
            context["error"], status = e.message, e.http_status
            context["error_documents"] = isinstance(e, UnknownDocumentFilter)
        else:
            context["answer"] = answer
            context["cards"] = cards(answer.hits, lang)
            context["not_addressed"] = not_addressed_message(eng, answer, lang)
    return render(request, "ask.html", context, status)


@router.get("/compare")
def compare_page(request: Request, q: str = "", k: str = "", date_from: str = "", date_to: str = "") -> Response:
    eng, lang, filters, context = search_view(request, q, k, date_from, date_to, EXAMPLES_COMPARE)
    context.update(groups=None, comparison=None, pages=[], export_query="", summary="")
    status = 200
    if "q" in request.query_params:
        try:
            page_no = page_number(request.query_params.get("page", "1"), lang)
            check_input(eng, q, k, filters, lang)
            comparison = eng.compare(q, validate_k(k or COMPARE_K, eng.settings), filters, page_no)
        except QAError as e:
            context["error"], status = e.message, e.http_status
            context["error_documents"] = isinstance(e, UnknownDocumentFilter)
        else:
            context["comparison"] = comparison
            context["groups"] = [
                GroupView(speaker=g.speaker_zh if lang == "zh" else g.speaker, submitted_by=g.submitted_by,
                          author=g.author, docs=g.docs, covered=g.covered, best_rank=g.best_rank,
                          cards=cards(g.hits, lang))
                for g in comparison.groups
            ]
            context["summary"] = compare_summary(comparison, translator(lang))
            pages = max(1, -(-comparison.total // comparison.per_page))
            context["pages"] = [(n, with_params(request, page=str(n))) for n in range(1, pages + 1)]
            context["export_query"] = export_query(q, k, filters)
    return render(request, "compare.html", context, status)


def export_query(q: str, k: str, filters: Filters) -> str:
    """The compare page's filters as /api/compare/export takes them: one `state=` or `doc=` per name, since the
    API (like /api/compare) reads each value as one name, while the page's field splits "Ireland, Austria"."""
    params = [("q", q)] + ([("k", k)] if k else []) + [("state", s) for s in filters.states]
    params += [("doc", d) for d in filters.docs]
    params += [(key, value) for key, value in (("date_from", filters.date_from), ("date_to", filters.date_to)) if value]
    return urlencode(params)


@router.get("/documents")
def documents_page(request: Request, find: str = "", page: str = "1") -> Response:
    """The documents, a page at a time, optionally those whose id, title, symbol or speaker contain `find`.

    Listed by submitter in English alphabetical order (the UN's own order of states), then title and date, so a
    reader finds a state where they expect it rather than in the order of the ids' ISO codes."""
    eng = engine_of(request)
    lang = lang_of(request)
    needle = find.strip().lower()
    docs = [d for d in sorted(eng.documents.values(), key=document_order)
            if not needle or needle in " ".join((d.id, d.title, d.title_en, d.symbol, speaker(d), speaker(d, None, "zh")
                                                 )).lower()]
    page_no = page_number(page, lang)
    pages = max(1, -(-len(docs) // DOCS_PER_PAGE))
    shown = docs[(page_no - 1) * DOCS_PER_PAGE: page_no * DOCS_PER_PAGE]
    rows = [{"doc": d, "speaker": speaker(d, None, lang), "meeting": meeting_in(d, lang),
             "paragraphs": len(eng.store.searchable(d.id)), "citation": citation(d, None, lang),
             "has_symbol": has_symbol(d)} for d in shown]
    links = [(n, with_params(request, page=str(n))) for n in range(1, pages + 1)] if pages > 1 else []
    first = (page_no - 1) * DOCS_PER_PAGE + 1
    return render(request, "documents.html", {"rows": rows, "find": find, "total": len(docs), "page": page_no,
                                              "pages": links, "all": len(eng.documents), "first": first,
                                              "last": first + len(shown) - 1, "last_page": pages,
                                              "last_url": with_params(request, page=str(pages))})


def document_order(d: Document) -> tuple[str, str, str, str]:
    return (speaker(d).casefold(), (d.title_en or d.title).casefold(), d.date, d.id)


@router.get("/documents/{doc_id}")
def document_page(request: Request, doc_id: str, hl: str = "") -> Response:
    eng = engine_of(request)
    lang = lang_of(request)
    d = eng.documents.get(doc_id)
    if d is None:
        raise NotFound(unknown_document(doc_id, eng.documents, lang))
    paragraphs = eng.all_paragraphs(doc_id)
    if hl and not any(p.label == hl for p in paragraphs):
        raise NotFound(f"Document {doc_id!r} has no paragraph {hl[:40]!r}; open /documents/{doc_id} to browse it.")
    items = [{"p": p, "card": card(p, d, lang)} for p in paragraphs]
    who = speaker(d, None, lang)
    context = {"doc": d, "items": items, "hl": hl, "speaker": who,
               "meeting": meeting_in(d, lang), "doc_citation": citation(d, None, lang),
               "meta": metadata_rows(d, lang, who, meeting_in(d, lang)), "recorded": not d.metadata_source,
               "searchable": sum(1 for p in paragraphs if p.searchable)}
    return render(request, "document.html", context)


@dataclass(frozen=True)
class Endpoint:
    """One operation of the JSON API as the endpoints page lists it."""

    method: str
    path: str
    summary: str
    parameters: tuple[tuple[str, str], ...]  # (name, description)


def endpoints(schema: dict[str, Any]) -> list[Endpoint]:
    """The API's operations from its OpenAPI schema, in the schema's order."""
    out = []
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            params = tuple((str(p.get("name", "")), str(p.get("description", ""))) for p in op.get("parameters", []))
            out.append(Endpoint(method.upper(), path, str(op.get("description") or op.get("summary") or ""), params))
    return out


@router.get("/endpoints")
def api_docs_page(request: Request) -> Response:
    """The JSON API's endpoints, served from this app: Swagger UI at /docs loads its script from a CDN and is
    blank offline, this page is not."""
    return render(request, "endpoints.html", {"endpoints": endpoints(request.app.openapi())})


@router.get("/basket")
def basket_page(request: Request) -> Response:
    return render(request, "basket.html", {})


def filters_from(request: Request, date_from: str, date_to: str) -> Filters:
    """The `state` and `doc` parameters (repeatable, or several names in one separated by commas), plus the
    date range, as given; the engine validates them."""
    qp = request.query_params

    def values(key: str) -> tuple[str, ...]:
        return tuple(x.strip() for v in qp.getlist(key) for x in _SEPARATORS.split(v) if x.strip())

    return Filters(values("state"), values("doc"), date_from.strip(), date_to.strip())


def with_lang(request: Request, lang: str) -> str:
    """This page's path and query with `lang` replaced: the language switch link (relative, same origin)."""
    return with_params(request, lang=lang)


def with_params(request: Request, **values: str) -> str:
    """This page's path and query with the given parameters replaced (relative, same origin)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in values] + list(values.items())
    return request.url.path + "?" + urlencode(params)

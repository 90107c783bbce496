"""The JSON API: ask, compare, documents, export and health, as one router over the app's engine.

Every passage leaves through `answer.passage_json` (inside `Hit.to_json`), the same shape the CLI prints
with `--json` and the pages render, with one link per passage (`citation.passage_url`).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StringConstraints, create_model

from qa import __version__
from qa.cli.handoff import index_id
from qa.errors import NotFound, QAError
from qa.parties.citation import citation, speaker
from qa.search.answer import PASSAGE_FIELDS, SHARED_FIELDS, passage_json
from qa.search.engine import MAX_PER_PAGE, Engine, Filters
from qa.search.shared_text import also_in
from qa.settings import Settings
from qa.text.scripts import DATE
from qa.web.draft import (
    DOCX_MEDIA_TYPE,
    EXPORT_NAME,
    MARKDOWN_MEDIA_TYPE,
    MAX_IDS,
    export,
    paragraph_lookup,
    resolve,
)
from qa.web.naming import corpus_label
from qa.web.tables import TABLE_FORMATS, export_table

router = APIRouter()


class NotReady(QAError):
    """The engine did not load (index missing or damaged, corpus or model unreadable): answer 503 with why."""

    http_status = 503


def engine_of(request: Request) -> Engine:
    """The app's engine, or 503 with the reason it did not load."""
    eng = request.app.state.engine
    if eng is None:
        raise NotReady(request.app.state.error or "The index is not loaded yet; try again in a moment.")
    return eng


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


# --- response schemas (documented in OpenAPI, checked by the generated-input tests) ---------------------------


if TYPE_CHECKING:
    Passage = BaseModel
else:  # the model of `answer.PASSAGE_FIELDS`, the shape `answer.passage_json` fills
    Passage = create_model("Passage", **{
        name: (kind, Field(description=doc) if doc else ...) for name, kind, doc in PASSAGE_FIELDS})


if TYPE_CHECKING:
    SharedText = BaseModel
else:  # where else a passage's text stands: the fields of a passage named by `answer.SHARED_FIELDS`
    SharedText = create_model("SharedText", **{
        name: (kind, Field(description=doc) if doc else ...) for name, kind, doc in PASSAGE_FIELDS
        if name in SHARED_FIELDS})


class Result(Passage):
    rank: int
    score: float
    channels: dict[str, float] = Field(description="Rank of the passage in each retrieval channel; its cosine.")
    answers: bool = Field(description="The relevance judgement's verdict: false marks a passage shown as the "
                                      "closest one, which does not answer.")
    relevance: float | None = Field(description="The judgement's probability that the passage answers (0-1, the "
                                                "same scale on any corpus); null when not judged.")
    also_in: list[SharedText] = Field(description="Other parties' paragraphs with the same text: the passage "
                                                  "quotes a text (an agreed document, a resolution), so its words are "
                                                  "not necessarily this party's own. Empty for most passages.")
    quoted_note: str = Field(description="What the citation adds when `also_in` is not empty, in English: where "
                                         "else the text stands and that it is quoted; empty otherwise.")
    quoted_note_zh: str = Field(description="The same in Chinese.")


class AskResponse(BaseModel):
    query: str
    language: str
    covered: bool = Field(description="False when the documents do not appear to cover the question, or when the "
                                      "party it asks about did not address it.")
    message: str
    addressed_by: list[str] = Field(description="When the party the question asks about did not address it: the "
                                                "parties that did, best first.")
    reason: dict[str, str] = Field(description="Why the question is not covered, in English (`en`) and Chinese "
                                               "(`zh`), e.g. the quoted term no document mentions; empty when it is.")
    answered: bool = Field(description="True when one of the results is judged to answer the question "
                                       "(`answers`); a covered question can have only closest passages.")
    results: list[Result]


class Group(BaseModel):
    submitted_by: list[str]
    author: str = Field(description="Whose text the passages are when not the submitters' own.")
    speaker: str
    speaker_zh: str
    docs: list[str] = Field(description="The documents of this voice that have passages on the question.")
    covered: bool = Field(description="True when one of this voice's passages is judged to answer the question "
                                      "(the relevance judgement of /api/ask); every voice in scope is listed, "
                                      "those that answer first.")
    best_rank: int = Field(description="Rank of this voice's best passage among all passages of the search.")
    results: list[Result]


class CompareResponse(BaseModel):
    query: str
    language: str
    covered: bool
    message: str
    total: int = Field(description="Every voice (state, group, body) of the corpus or of the filter.")
    covered_total: int = Field(description="Of those, how many have a passage judged to answer.")
    page: int
    per_page: int
    pages: int
    side_by_side: bool = Field(description="True when the question or the filter named the parties compared.")
    reason: dict[str, str] = Field(description="Why the question is not covered, in English (`en`) and Chinese "
                                               "(`zh`); empty when it is.")
    groups: list[Group] = Field(description="This page's voices, best answer first.")
    without_documents: list[str] = Field(default=[], description="Parties the filter names that have no document "
                                                                 "in this corpus.")


class DocumentOut(BaseModel):
    id: str
    file: str
    title: str
    title_en: str
    submitted_by: list[str]
    author: str
    speaker: str
    date: str
    meeting: str
    symbol: str
    language: str
    kind: str
    paragraphs: int = Field(description="Number of searchable paragraphs.")
    citation: str


class ParagraphOut(Passage):
    label: str
    kind: str
    searchable: bool
    position: int


class DocumentDetail(DocumentOut):
    all_paragraphs: list[ParagraphOut]


class ErrorOut(BaseModel):
    error: str
    status: int


class Health(BaseModel):
    status: str
    version: str
    documents: int = 0
    paragraphs: int = 0
    model: str = ""
    index_id: str = Field("", description="Which index this process serves (opaque); `qa ask` hands questions "
                                          "to a server whose index is its own.")
    error: str = ""


class ExportRequest(BaseModel):
    ids: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = Field(
        description=f"Paragraph ids in the order to export (the `id` of /api/ask results); at most {MAX_IDS}.",
        examples=[["sweden-2019:12"]],
        json_schema_extra={"minItems": 1, "maxItems": MAX_IDS},
    )
    format: Literal["markdown", "docx"] = Field("markdown", description="Markdown text or a Word document.")
    lang: Literal["en", "zh"] = Field("en", description="Language of the headings and citations.")


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Invalid input: the message says which rule and how to fix it."},
    404: {"model": ErrorOut, "description": "Unknown document."},
    503: {"model": ErrorOut, "description": "The index is missing or damaged."},
}
# The rules the server enforces (`engine.validate_question`, `validate_k`, `validate_filters`, `draft.resolve`),
# declared in the schema so that what the schema allows the server accepts. They are declared, not enforced by
# FastAPI: the server's own checks answer with their own messages. A question has a letter or digit of any
# script (`[^\W_]`, Python's `str.isalnum`), so not only punctuation or whitespace, and no NUL byte. A date range
# that runs backwards (date_from after date_to) is not a 400, since the schema cannot state a rule between two
# fields: it is answered with no passages and a message that says so (`engine.backwards`).
DEFAULTS = Settings()
QUESTION_RULES = {"minLength": 1, "maxLength": DEFAULTS.max_question_chars,
                  "pattern": "^[^\\x00]*[^\\W_][^\\x00]*$"}
K_RULES = {"minimum": 1, "maximum": DEFAULTS.max_k}
PAGE_RULES = {"minimum": 1}
PER_PAGE_RULES = {"minimum": 1, "maximum": MAX_PER_PAGE}
DATE_RULES = {"pattern": f"^({DATE.pattern})?$"}
STATE = Query(description="Only passages submitted or written by this state or body (repeatable).")
DOC = Query(description="Only these document ids (repeatable).")
DATE_FROM = Query(description="Only documents dated on or after (YYYY, YYYY-MM or YYYY-MM-DD).",
                  json_schema_extra=DATE_RULES)
DATE_TO = Query(description="Only documents dated on or before (not before date_from).",
                json_schema_extra=DATE_RULES)


# --- routes ------------------------------------------------------------------------------------------------------


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(request: Request) -> Any:
    eng = request.app.state.engine
    if eng is None:
        return JSONResponse({"status": "error", "version": __version__, "error": request.app.state.error or "starting"},
                            503)
    return Health(status="ok", version=__version__, documents=len(eng.documents), paragraphs=eng.store.size,
                  model=str(eng.store.manifest["model"].get("name", "")), index_id=index_id(eng.settings))


@router.get("/api/ask", response_model=AskResponse, responses=ERRORS)
def api_ask(
    request: Request,
    q: Annotated[str, Query(description="The question, Chinese or English.",
                            examples=["Which state proposed a stepping-stone approach?"],
                            json_schema_extra=QUESTION_RULES)],
    k: Annotated[int | None, Query(description="Number of passages (default QA_K, at most QA_MAX_K).",
                                   json_schema_extra=K_RULES)] = None,
    state: Annotated[list[str], STATE] = [],  # noqa: B006 - FastAPI copies query defaults
    doc: Annotated[list[str], DOC] = [],  # noqa: B006
    date_from: Annotated[str, DATE_FROM] = "",
    date_to: Annotated[str, DATE_TO] = "",
) -> Any:
    """Cited paragraphs that answer the question, best first."""
    return engine_of(request).ask(q, k, Filters(tuple(state), tuple(doc), date_from, date_to)).to_json()


@router.get("/api/compare", response_model=CompareResponse, responses=ERRORS)
def api_compare(
    request: Request,
    q: Annotated[str, Query(description="The topic or question.", json_schema_extra=QUESTION_RULES)],
    k: Annotated[int, Query(description="Passages per party (at most QA_MAX_K).", json_schema_extra=K_RULES)] = 3,
    state: Annotated[list[str], STATE] = [],  # noqa: B006
    doc: Annotated[list[str], DOC] = [],  # noqa: B006
    date_from: Annotated[str, DATE_FROM] = "",
    date_to: Annotated[str, DATE_TO] = "",
    page: Annotated[int, Query(description="Page of parties, from 1.", json_schema_extra=PAGE_RULES)] = 1,
    per_page: Annotated[int | None, Query(description="Parties per page (default QA_COMPARE_PAGE, at most 200).",
                                          json_schema_extra=PER_PAGE_RULES)] = None,
) -> Any:
    """What each state, group or body said on the question: one search, grouped by party, best answer first."""
    filters = Filters(tuple(state), tuple(doc), date_from, date_to)
    return engine_of(request).compare(q, k, filters, page, per_page).to_json()


@router.get(
    "/api/compare/export",
    responses={200: {"content": {m.split(";")[0]: {} for m in TABLE_FORMATS.values()},
                     "description": "One row per party: passages quoted verbatim, citations and links."}, **ERRORS},
)
def api_compare_export(
    request: Request,
    q: Annotated[str, Query(description="The topic or question.", json_schema_extra=QUESTION_RULES)],
    format: Annotated[Literal["csv", "markdown", "docx"], Query(description="csv, markdown or docx.")] = "csv",
    lang: Annotated[Literal["en", "zh"], Query(description="Language of headings, party names, citations.")] = "en",
    k: Annotated[int, Query(description="Passages per party.", json_schema_extra=K_RULES)] = 3,
    state: Annotated[list[str], STATE] = [],  # noqa: B006
    doc: Annotated[list[str], DOC] = [],  # noqa: B006
    date_from: Annotated[str, DATE_FROM] = "",
    date_to: Annotated[str, DATE_TO] = "",
    page: Annotated[int, Query(description="Page of parties, from 1.", json_schema_extra=PAGE_RULES)] = 1,
    per_page: Annotated[int, Query(description="Parties per page (at most 200).",
                                   json_schema_extra=PER_PAGE_RULES)] = 200,
) -> Response:
    """The comparison as a table to take away: CSV, Markdown or Word, in English or Chinese."""
    filters = Filters(tuple(state), tuple(doc), date_from, date_to)
    comparison = engine_of(request).compare(q, k, filters, page, per_page)
    data = export_table(comparison, format, lang, str(request.base_url))
    suffix = {"csv": "csv", "markdown": "md", "docx": "docx"}[format]
    return Response(data, media_type=TABLE_FORMATS[format],
                    headers={"Content-Disposition": f'attachment; filename="comparison.{suffix}"'})


@router.get("/api/documents", response_model=list[DocumentOut], responses=ERRORS)
def api_documents(request: Request) -> Any:
    """The corpus: every document with its metadata and paragraph count."""
    eng = engine_of(request)
    return [document_json(eng, d.id) for d in eng.documents.values()]


@router.get("/api/documents/{doc_id}", response_model=DocumentDetail, responses=ERRORS)
def api_document(request: Request, doc_id: str) -> Any:
    """One document: metadata and all its paragraphs (searchable or not), in order."""
    eng = engine_of(request)
    detail = document_json(eng, doc_id)
    d = eng.documents[doc_id]
    detail["all_paragraphs"] = [
        {**passage_json(p, d), "label": p.label, "kind": p.kind, "searchable": p.searchable, "position": p.position}
        for p in eng.all_paragraphs(doc_id)
    ]
    return detail


@router.post(
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
    eng = engine_of(request)
    items = resolve(body.ids, paragraph_lookup(eng))
    shared = {p.id: also_in(eng.store, eng.documents, p) for p, _ in items}
    data = export(items, body.format, body.lang, corpus=corpus_label(request, body.lang), shared=shared)
    if body.format == "docx":
        name, media = f"{EXPORT_NAME}.docx", DOCX_MEDIA_TYPE
    else:
        name, media = f"{EXPORT_NAME}.md", MARKDOWN_MEDIA_TYPE
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def document_json(eng: Engine, doc_id: str) -> dict[str, Any]:
    d = eng.documents.get(doc_id)
    if d is None:
        raise NotFound(f"No document {doc_id!r}; see /api/documents for the ids.")
    return {
        "id": d.id, "file": d.file, "title": d.title, "title_en": d.title_en, "submitted_by": list(d.submitted_by),
        "author": d.author, "speaker": speaker(d), "date": d.date, "meeting": d.meeting, "symbol": d.symbol,
        "language": d.language, "kind": d.kind, "paragraphs": len(eng.store.searchable(doc_id)),
        "citation": citation(d, None),
    }


def declare_corpus(app: FastAPI) -> None:
    """Serve an OpenAPI schema that also states this server's limits (QA_MAX_K, QA_MAX_QUESTION_CHARS) and names
    the values it knows: the corpus's document ids for `doc` and the parties table's names for `state` (any
    other name is refused with a 400)."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        schema = copy.deepcopy(base())
        settings, eng = app.state.settings, app.state.engine
        limits = {"q": {"maxLength": settings.max_question_chars}, "k": {"maximum": settings.max_k}}
        known = {"doc": sorted(eng.documents), "state": sorted(p.name for p in eng.speakers.parties)} if eng else {}
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for param in operation.get("parameters", []):
                    name = param.get("name")
                    if param.get("in") != "query":
                        continue
                    param["schema"].update(limits.get(name, {}))
                    if name in known:
                        param["schema"]["items"] = {"type": "string", "enum": known[name]}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

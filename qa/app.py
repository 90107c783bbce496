"""The web application: a factory that loads the model and index in its lifespan and serves the JSON API.

HTML pages live in `qa/pages.py` and are mounted here; both share one error handler that answers JSON under
`/api` and `/healthz` and an HTML page elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__
from .errors import InputError, NotFound, QAError
from .search import Engine, Filters
from .settings import Settings

log = logging.getLogger("qa")


# --- response schemas (documented in OpenAPI, checked by the generated-input tests) ---------------------------


class Result(BaseModel):
    rank: int
    score: float
    id: str = Field(description="Paragraph id, `<doc>:<label>`.")
    doc: str
    title: str
    title_en: str
    symbol: str = Field(description="UN document symbol; empty when not confirmed.")
    submitted_by: list[str]
    author: str = Field(description="Whose text it is when not the submitter's own; empty otherwise.")
    speaker: str = Field(description="Attribution in words, e.g. 'Group of Eminent Persons…, transmitted by Japan'.")
    date: str
    meeting: str
    paragraph: str = Field(description="Paragraph label, e.g. '12' or 'I.12' (annex I).")
    paragraph_display: str
    section: str
    text: str = Field(description="The paragraph, verbatim.")
    answer: str = Field(description="The sentence(s) that best answer the question, verbatim from `text`.")
    answer_start: int
    answer_end: int
    citation: str
    citation_zh: str
    url: str
    channels: dict[str, float]


class AskResponse(BaseModel):
    query: str
    language: str
    covered: bool = Field(description="False when the documents do not appear to cover the question.")
    message: str
    results: list[Result]


class Group(BaseModel):
    submitted_by: list[str]
    author: str
    speaker: str
    docs: list[str]
    covered: bool
    results: list[Result]


class CompareResponse(BaseModel):
    query: str
    groups: list[Group]


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


class ParagraphOut(BaseModel):
    id: str
    label: str
    section: str
    text: str
    kind: str
    searchable: bool
    position: int
    speaker: str


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
    error: str = ""


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Invalid input: the message says which rule and how to fix it."},
    404: {"model": ErrorOut, "description": "Unknown document."},
    503: {"model": ErrorOut, "description": "The index is missing or damaged."},
}


# --- the factory -----------------------------------------------------------------------------------------------


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app. Without an `engine`, the lifespan loads (and if needed builds) model and index."""
    settings = settings or Settings.load()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = engine
        app.state.error = ""
        if engine is None:
            try:
                app.state.engine = Engine.open(settings, build_missing=True, log=log.info)
            except QAError as e:
                app.state.error = e.message
                log.error("%s", e.message)
        yield

    app = FastAPI(
        title="NPT working papers: cited answers",
        version=__version__,
        description="Ask in Chinese or English; get the paragraphs that answer, each with an exact citation.\n\n"
        f"Limits: a question is at most {settings.max_question_chars} characters, `k` is 1 to {settings.max_k}, "
        f"a request body at most {settings.max_body_bytes} bytes (413 above), and `qa serve` reads at most "
        f"{MAX_HEAD_BYTES} bytes of request line and headers; text must be valid UTF-8 without NUL. "
        "Breaking a rule is a 4xx whose message names the rule.",
        lifespan=lifespan,
        dependencies=[Depends(_valid_utf8)],
    )
    app.state.settings = settings
    app.state.engine = engine  # also without a lifespan run (the lifespan sets them again)
    app.state.error = ""
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)  # type: ignore[arg-type]
    _install_error_handlers(app)

    def get_engine(request: Request) -> Engine:
        eng = request.app.state.engine
        if eng is None:
            raise NotReady(request.app.state.error or "The index is not loaded yet; try again in a moment.")
        return eng

    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}})
    def healthz(request: Request) -> Any:
        eng = request.app.state.engine
        if eng is None:
            return JSONResponse(
                {"status": "error", "version": __version__, "error": request.app.state.error or "starting"}, 503
            )
        return Health(status="ok", version=__version__, documents=len(eng.documents),
                      paragraphs=len(eng.index.paragraphs), model=str(eng.index.model.get("name", "")))

    @app.get("/api/ask", response_model=AskResponse, responses=ERRORS)
    def api_ask(
        request: Request,
        q: str = Query(description="The question, Chinese or English.", examples=["Which state proposed a stepping-stone approach?"]),
        k: int = Query(settings.k, ge=1, le=settings.max_k, description="Number of passages."),
        state: list[str] = Query([], description="Only documents submitted or written by this state or body (repeatable)."),
        doc: list[str] = Query([], description="Only these document ids (repeatable)."),
        date_from: str = Query("", description="Only documents dated on or after (YYYY, YYYY-MM or YYYY-MM-DD)."),
        date_to: str = Query("", description="Only documents dated on or before."),
    ) -> Any:
        """Cited paragraphs that answer the question, best first."""
        eng = get_engine(request)
        return eng.ask(q, k, Filters(tuple(state), tuple(doc), date_from, date_to)).to_json()

    @app.get("/api/compare", response_model=CompareResponse, responses=ERRORS)
    def api_compare(
        request: Request,
        q: str = Query(description="The topic or question."),
        k: int = Query(3, ge=1, le=settings.max_k, description="Passages per submitter."),
        state: list[str] = Query([]),
        doc: list[str] = Query([]),
        date_from: str = Query(""),
        date_to: str = Query(""),
    ) -> Any:
        """What each submitter (or author) said on the question, side by side."""
        eng = get_engine(request)
        groups = eng.compare(q, k, Filters(tuple(state), tuple(doc), date_from, date_to))
        return {"query": q.strip(), "groups": [g.to_json() for g in groups]}

    @app.get("/api/documents", response_model=list[DocumentOut], responses=ERRORS)
    def api_documents(request: Request) -> Any:
        """The corpus: every document with its metadata and paragraph count."""
        eng = get_engine(request)
        return [document_json(eng, d.id) for d in eng.documents.values()]

    @app.get("/api/documents/{doc_id}", response_model=DocumentDetail, responses=ERRORS)
    def api_document(request: Request, doc_id: str) -> Any:
        """One document: metadata and all its paragraphs (searchable or not), in order."""
        eng = get_engine(request)
        return {**document_json(eng, doc_id), "all_paragraphs": paragraphs_json(eng, doc_id)}

    try:
        from .pages import install_pages
    except ImportError:  # pages not built yet
        pass
    else:
        install_pages(app, settings, get_engine)
    return app


def document_json(eng: Engine, doc_id: str) -> dict[str, Any]:
    from .answer import citation

    d = eng.documents.get(doc_id)
    if d is None:
        raise NotFound(f"No document {doc_id!r}; see /api/documents for the ids.")
    n = sum(1 for p in eng.index.paragraphs if p.doc == doc_id)
    return {
        "id": d.id, "file": d.file, "title": d.title, "title_en": d.title_en, "submitted_by": list(d.submitted_by),
        "author": d.author, "speaker": d.speaker, "date": d.date, "meeting": d.meeting, "symbol": d.symbol,
        "language": d.language, "kind": d.kind, "paragraphs": n, "citation": citation(d, None),
    }


def paragraphs_json(eng: Engine, doc_id: str) -> list[dict[str, Any]]:
    from .answer import speaker

    d = eng.documents[doc_id]
    return [
        {"id": p.id, "label": p.label, "section": p.section, "text": p.text, "kind": p.kind,
         "searchable": p.searchable, "position": p.position, "speaker": speaker(d, p)}
        for p in eng.all_paragraphs(doc_id)
    ]


# --- errors -------------------------------------------------------------------------------------------------------


MAX_HEAD_BYTES = 4 * 1024 * 1024  # request line + headers `qa serve` reads; a longer URL is refused by uvicorn


class NotReady(QAError):
    """The engine did not load (index missing or damaged, corpus or model unreadable): answer 503 with why."""

    http_status = 503


def _valid_utf8(request: Request) -> None:
    """Refuse percent-escapes that are not UTF-8 (a lone surrogate, stray bytes) instead of answering for U+FFFD."""
    for raw in (request.scope.get("query_string") or b"", request.scope.get("raw_path") or b""):
        try:
            unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(
                "The request contains an invalid character (a lone surrogate or bytes that are not UTF-8); "
                "retype the question or id."
            ) from None


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api") or path == "/healthz" or "application/json" in request.headers.get("accept", "")


def error_response(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    render = getattr(request.app.state, "render_error", None)
    if render is not None:
        return render(request, status, message)
    from fastapi.responses import PlainTextResponse

    return PlainTextResponse(f"{status}: {message}", status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QAError)
    async def qa_error(request: Request, exc: QAError) -> Response:
        return error_response(request, exc.http_status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return error_response(request, 400, "Invalid request: " + "; ".join(parts) + ".")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "Not found.", 405: "Method not allowed."}.get(exc.status_code, str(exc.detail))
        return error_response(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request, 500, "Internal error; the request was not processed. Please report it.")


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, declared or streamed, before a route reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._reject(scope, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # an HTTPException: FastAPI passes it to the 413 handler
                    raise _TooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        body = (f'{{"error": "{_TooLarge(self.max_bytes).detail}", "status": 413}}').encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(StarletteHTTPException):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"Request body over the {max_bytes}-byte limit; send at most {max_bytes} bytes.")

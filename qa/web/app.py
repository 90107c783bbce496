"""The web application: `create_app` assembles the JSON API and the pages, loads the engine in the lifespan,
and translates every error once (JSON under `/api` and `/healthz`, an HTML page elsewhere).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa import __version__
from qa.embedding.encoder import Encoder
from qa.errors import InputError, QAError
from qa.search.engine import Engine
from qa.settings import Settings
from qa.web import api, pages

log = logging.getLogger("qa")


def create_app(settings: Settings | None = None, engine: Engine | None = None,
               encoder: Encoder | None = None) -> FastAPI:
    """Build the app. Without an `engine`, the lifespan loads (and if needed builds) model and index, with
    `encoder` as the model when one is given."""
    settings = settings or Settings.load()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = engine
        app.state.error = ""
        if engine is None:
            try:
                app.state.engine = Engine.open(settings, build_missing=True, log=log.info, encoder=encoder)
            except QAError as e:
                app.state.error = e.message
                log.error("%s", e.message)
        yield

    app = FastAPI(
        title="UN disarmament documents: cited answers",
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
    app.include_router(api.router)
    api.declare_corpus(app)
    pages.install(app)
    return app


# --- errors -------------------------------------------------------------------------------------------------------


MAX_HEAD_BYTES = 4 * 1024 * 1024  # request line + headers `qa serve` reads; a longer URL is refused by uvicorn


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
    if getattr(request.app.state, "templates", None) is not None:
        return pages.render_error(request, status, message)
    return PlainTextResponse(f"{status}: {message}", status_code=status)


def not_json_message(err: dict[str, Any], body: Any) -> str:
    """Where a request body stops being JSON, as line and column (pydantic gives a character offset)."""
    loc = err.get("loc", ())
    pos = loc[-1] if loc and isinstance(loc[-1], int) else None
    why = str((err.get("ctx") or {}).get("error") or "not JSON")
    where = ""
    if pos is not None:
        text = body if isinstance(body, str) else ""
        line, column = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        where = f" at line {line}, column {column} (character {pos})"
    return (f"The request body is not valid JSON: {why}{where}. Send a JSON object, e.g. "
            '{"ids": ["sweden-2019:12"], "format": "markdown"}.')


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QAError)
    async def qa_error(request: Request, exc: QAError) -> Response:
        return error_response(request, exc.http_status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        bad_json = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
        if bad_json is not None:
            return error_response(request, 400, not_json_message(bad_json, exc.body))
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return error_response(request, 400, "Invalid request: " + "; ".join(parts) + ".")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "Not found.", 405: "Method not allowed."}.get(exc.status_code, str(exc.detail))
        response = error_response(request, exc.status_code, message)
        response.headers.update(exc.headers or {})  # a 405's `Allow`: the methods the path does answer
        return response

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

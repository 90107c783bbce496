"""What every `qa` command shares at the terminal: settings from flags, one-line errors, inert document text,
the engine opened on first use.

Every QAError is translated here once: one line on stderr, the exception's exit code.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import Any

import click

from qa.errors import QAError
from qa.settings import Settings

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def inert(text: str) -> str:
    """Document text for the terminal: control characters (escape sequences, bell) shown as U+FFFD, never obeyed.
    One character for one, so answer spans still line up."""
    return _CONTROL.sub("\ufffd", text)


def fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A command whose QAError is one line on stderr and an exit code, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QAError as e:
            click.echo(f"error: {e.message}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


def with_settings(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command `--corpus-dir` and `--index-dir` of its own and call it with the resulting Settings:
    the command's flags over `qa`'s (`qa --corpus-dir X ask …` and `qa ask … --corpus-dir X` both work),
    over QA_* variables, over defaults."""

    @functools.wraps(fn)
    def wrapper(*args: Any, corpus_dir: str | None = None, index_dir: str | None = None, **kwargs: Any) -> Any:
        flags = dict(click.get_current_context().obj or {})
        flags.update({k: v for k, v in (("corpus_dir", corpus_dir), ("index_dir", index_dir)) if v is not None})
        try:
            settings = Settings.load(flags)
        except QAError as e:
            click.echo(f"error: {e.message}", err=True)
            sys.exit(e.exit_code)
        return fn(settings, *args, **kwargs)

    wrapper = click.option("--index-dir", "index_dir", type=click.Path(file_okay=False), default=None,
                           help="Index folder (env QA_INDEX_DIR; default ./index, or <corpus>/index for "
                                "another corpus).")(wrapper)
    return click.option("--corpus-dir", "corpus_dir", type=click.Path(file_okay=False), default=None,
                        help="Corpus folder (env QA_CORPUS_DIR; default the bundled ./corpus).")(wrapper)


def open_engine(settings: Settings, build_missing: bool = True, question_language: str = "") -> Any:
    """The engine over the settings' index, its progress on stderr (loaded on first use: `--help` stays fast)."""
    from qa.search.engine import Engine

    return Engine.open(settings, build_missing=build_missing, log=lambda s: click.echo(s, err=True),
                       question_language=question_language)


def require_documents(settings: Settings) -> None:
    """An empty corpus answers nothing: say so, and how to fill it, rather than that no paragraph matches."""
    from qa.documents.corpus import MANIFEST, read_documents
    from qa.errors import CorpusError

    if (settings.corpus_dir / MANIFEST).is_file() and not read_documents(settings.corpus_dir)[1]:
        raise CorpusError(f"The corpus {settings.corpus_dir} has no documents yet: add some with `qa add "
                          f"FILES-OR-FOLDERS --corpus-dir {settings.corpus_dir}`, then ask again.")


def mark(text: str, start: int, end: int, color: bool) -> str:
    """The answering sentence marked in its passage: bold and underlined on a terminal, 【…】 in a pipe."""
    if end <= start:
        return text
    left, mid, right = text[:start], text[start:end], text[end:]
    return left + (click.style(mid, bold=True, underline=True) if color else f"【{mid}】") + right

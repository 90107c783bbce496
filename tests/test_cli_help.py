"""Each command's --help: examples that agree with one another, so a reader can run them in order."""

from __future__ import annotations

import re

from click.testing import CliRunner

from qa.cli.main import cli


def _examples(*args: str) -> list[str]:
    out = CliRunner().invoke(cli, [*args, "--help"]).output
    _, _, tail = out.partition("Examples")
    return [line.strip() for line in tail.splitlines()[1:] if line.strip().startswith(("qa ", "QA_"))]


def test_every_command_shows_examples() -> None:
    for name in cli.commands:
        assert _examples(name), f"`qa {name} --help` shows no examples"


def test_the_walkthrough_of_init_add_and_index_uses_one_corpus_folder() -> None:
    for args in (("init",), ()):
        lines = _examples(*args)
        folders = {m.group(1) for line in lines for m in re.finditer(r"(?:qa init|--corpus-dir) (\S+)", line)}
        assert len(folders) == 1, (args, lines)
    init_folder = re.search(r"qa init (\S+)", " ".join(_examples("init")))
    assert init_folder is not None
    for name in ("add", "index", "verify", "documents"):
        assert any(f"--corpus-dir {init_folder.group(1)}" in line for line in _examples(name)), name

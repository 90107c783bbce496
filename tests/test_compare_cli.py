"""`qa compare`: who said what in the terminal, every party accounted for, and the same tables as the page."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

import qa.cli.compare
from qa.cli.main import cli

TPNW = "Treaty on the Prohibition of Nuclear Weapons"


@pytest.fixture(autouse=True)
def same_engine(statements_engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command opens the statements' index as the fixture did: the fixture's engine, not a second model."""
    monkeypatch.setattr(qa.cli.compare, "open_engine", lambda settings, **_: statements_engine)


def run(engine, *args: str):
    s = engine.settings
    return CliRunner().invoke(cli, ["--corpus-dir", str(s.corpus_dir), "--index-dir", str(s.index_dir), "compare",
                                    *args])


def test_compare_lists_who_addresses_the_question_and_names_everyone_else(statements_engine) -> None:
    result = run(statements_engine, TPNW)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 of 6 parties address the question.")  # only Ireland names the treaty
    addressing, _, rest = result.output.partition("Not addressing it on this page (5): ")
    assert "Ireland" in addressing and "Cite: Ireland" in addressing
    assert {"Kiribati", "Fiji", "Austria", "Mongolia", "New Zealand"} == set(rest.strip().split(", "))


def test_compare_prints_the_api_json_and_the_export_table(statements_engine) -> None:
    data = json.loads(run(statements_engine, TPNW, "--format", "json").output)
    assert data["total"] == 6 and [g["speaker"] for g in data["groups"] if g["covered"]] == ["Ireland"]
    table = list(csv.reader(io.StringIO(run(statements_engine, TPNW, "--format", "csv").output.lstrip("\ufeff"))))
    assert len(table) == 7 and any("Ireland" in row for row in table[1:])


def test_a_bad_page_is_refused_before_anything_loads(statements_engine) -> None:
    result = run(statements_engine, TPNW, "--per-page", "500")
    assert result.exit_code != 0 and "per_page = 500 is out of range" in result.output
    assert "Traceback" not in result.output

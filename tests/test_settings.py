"""Settings: a flag beats a `QA_*` variable, which beats the default; a bad value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli.main import cli
from qa.errors import InputError
from qa.settings import Settings

DEFAULT = Settings()
SEED = Path(__file__).resolve().parent.parent / "corpus"
# (field, default, value from the environment as text, that value parsed, a flag's value): a Path, an int, a float
FIELDS = [
    ("index_dir", DEFAULT.index_dir, "/tmp/from-env", Path("/tmp/from-env"), Path("/tmp/from-flag")),
    ("k", 5, "7", 7, 9),
    ("rrf_k", 10.0, "2.5", 2.5, 30.0),
]


@pytest.mark.parametrize("name, default, raw, parsed, flag", FIELDS, ids=[f[0] for f in FIELDS])
def test_flag_beats_environment_beats_default(name: str, default: object, raw: str, parsed: object,
                                              flag: object) -> None:
    variable = "QA_" + name.upper()
    assert getattr(Settings.load({}, env={}), name) == default
    assert getattr(Settings.load({}, env={variable: raw}), name) == parsed
    assert getattr(Settings.load({name: flag}, env={variable: raw}), name) == flag
    assert getattr(Settings.load({name: str(flag)}, env={variable: raw}), name) == flag  # flags arrive as text
    assert getattr(Settings.load({name: None}, env={variable: raw}), name) == parsed  # a flag not given


def test_empty_variable_means_the_default() -> None:
    assert Settings.load({}, env={"QA_K": "", "QA_INDEX_DIR": ""}) == DEFAULT


def test_path_from_the_environment_expands_the_home_folder() -> None:
    assert Settings.load({}, env={"QA_CACHE_DIR": "~/qa-cache"}).cache_dir == Path.home() / "qa-cache"


@pytest.mark.parametrize("variable, raw", [("QA_K", "five"), ("QA_PORT", "80.5"), ("QA_RRF_K", "ten")])
def test_bad_number_in_the_environment_is_an_input_error_naming_the_variable(variable: str, raw: str) -> None:
    with pytest.raises(InputError) as e:
        Settings.load({}, env={variable: raw})
    assert variable in e.value.message and repr(raw) in e.value.message


def test_cli_flag_beats_the_environment_and_a_bad_variable_is_one_line(tmp_path: Path) -> None:
    """Through the real entry point: `--corpus-dir` wins over QA_CORPUS_DIR; a bad QA_K stops `qa` cleanly."""
    env = {"QA_CORPUS_DIR": str(tmp_path / "no-corpus-here")}
    result = CliRunner().invoke(cli, ["documents"], env=env)
    assert result.exit_code != 0 and str(tmp_path / "no-corpus-here") in result.output
    result = CliRunner().invoke(cli, ["--corpus-dir", str(SEED), "documents"], env=env)
    assert result.exit_code == 0, result.output
    assert "sweden-2019" in result.output

    result = CliRunner().invoke(cli, ["documents"], env={"QA_K": "many"})
    assert result.exit_code == InputError.exit_code
    assert result.output.strip().count("\n") == 0 and "QA_K" in result.output

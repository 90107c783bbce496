"""Ablations: a ranking with some channels left out runs exactly those channels, in the engine and in `qa eval`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import qa.search.channels
import qa.search.engine
from qa.cli.main import cli
from qa.search.channels import CHANNELS, SECOND_PASS
from qa.search.engine import Engine
from qa.search.fusion import DEFAULT_WEIGHTS, Ranking
from qa.store.base import ALL

NAMES = [name for name, _ in DEFAULT_WEIGHTS]
CHANNEL_FUNCTIONS = {**CHANNELS, **SECOND_PASS}  # as imported, before any test wraps them
# Names a party, so the speaker channel has something to rank; names one only, so nothing is interleaved.
QUESTION = "What does Sweden propose about negative security assurances?"
# The `lexical` channel ranks paragraphs in the question's own language: on the Chinese seeds, a Chinese question.
QUESTION_ZH = "瑞典对消极安全保证提出了什么建议？"


def question_for(channel: str) -> str:
    return QUESTION_ZH if channel == "lexical" else QUESTION


def with_ranking(engine: Engine, ranking: Ranking) -> Engine:
    return Engine(engine.settings, engine.store, engine.encoder, ranking=ranking, corpus=engine.corpus)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in SECOND_PASS])
def test_one_channel_alone_ranks_exactly_as_that_channel_does(engine: Engine, name: str) -> None:
    ablated = with_ranking(engine, replace(engine.ranking.only([name]), judge=False))
    answer = ablated.ask(question_for(name), 5)
    assert len(answer.hits) == 5
    assert [set(h.channels) for h in answer.hits] == [{name, "dense_score"}] * 5
    assert [h.channels[name] for h in answer.hits] == [1.0, 2.0, 3.0, 4.0, 5.0]
    own = CHANNELS[name](ablated.analyse(question_for(name)), engine.store, ALL, ablated.ranking.candidates)
    assert [h.paragraph.id for h in answer.hits] == [pid for pid, _ in own[:5]]


@pytest.mark.parametrize("name", NAMES)
def test_leaving_one_channel_out_removes_its_rank_from_every_hit(engine: Engine, name: str) -> None:
    rest = [n for n in NAMES if n != name]
    assert all(set(h.channels) == {*NAMES, "dense_score"} for h in engine.ask(QUESTION, 5).hits)
    answer = with_ranking(engine, engine.ranking.only(rest)).ask(QUESTION, 5)
    assert answer.hits and all(set(h.channels) == {*rest, "dense_score"} for h in answer.hits)


# --- qa eval --channels ------------------------------------------------------------------------------------

QUESTIONS = [
    {"id": "t-en", "lang": "en", "type": "factual", "question": "Which state proposed a stepping-stone approach?",
     "doc": "003_b870c8805095604d.txt", "docs": ["003_b870c8805095604d.txt"], "gold": ["垫脚石"]},
    {"id": "t-zh", "lang": "zh", "type": "factual", "question": "五核国列举了哪些双边减少风险的协定和安排？",
     "doc": "001_7671fdb753a1d6d3.txt", "docs": ["001_7671fdb753a1d6d3.txt"], "gold": ["热线"]},
    {"id": "t-neg", "lang": "zh", "type": "negative", "question": "感冒了应该吃什么药？", "doc": "", "docs": [],
     "gold": []},
]


def run_eval(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, channels: str) -> tuple[Any, list[str]]:
    """`qa eval FILE --channels CHANNELS --json` over the session's index; returns the result and the channels run."""
    questions = tmp_path / "three.jsonl"
    questions.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8")
    ran: list[str] = []

    def recorded(name: str) -> Any:
        channel = CHANNEL_FUNCTIONS[name]
        return lambda *args: ran.append(name) or channel(*args)

    for name in NAMES:
        table = qa.search.channels.SECOND_PASS if name in SECOND_PASS else qa.search.channels.CHANNELS
        monkeypatch.setitem(table, name, recorded(name))
    monkeypatch.setattr(qa.search.engine, "load_encoder", lambda settings, **_: engine.encoder)  # the model, loaded once
    result = CliRunner().invoke(cli, ["--corpus-dir", str(engine.settings.corpus_dir), "--index-dir",
                                      str(engine.settings.index_dir), "eval", str(questions), "--channels", channels,
                                      "--json"])
    return result, ran


def test_qa_eval_with_one_channel_runs_only_that_channel(engine: Engine, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    result, ran = run_eval(engine, tmp_path, monkeypatch, "lexical")
    assert result.exit_code == 0, result.output
    assert ran == ["lexical"] * 3
    figures = json.loads(result.stdout)
    assert figures["summary"]["by_group"]["all"]["n"] == 2 and figures["summary"]["negative_total"] == 1
    assert [q["id"] for q in figures["questions"]] == ["t-en", "t-zh", "t-neg"]

    result, ran = run_eval(engine, tmp_path, monkeypatch, "all")
    assert result.exit_code == 0, result.output
    assert sorted(set(ran)) == sorted(NAMES) and len(ran) == 3 * len(NAMES)


def test_qa_eval_with_an_unknown_channel_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", str(tmp_path / "unused.jsonl"), "--channels", "nonsense"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: --channels 'nonsense'")
    assert "known: dense, sentence, lexical, crosslingual, speaker" in result.output


def test_feedback_reads_the_first_ranking_and_alone_has_nothing_to_read(engine: Engine) -> None:
    with_sentence = with_ranking(engine, engine.ranking.only(["sentence", "feedback"])).ask(QUESTION, 5)
    assert any(h.channels["feedback"] > 0 for h in with_sentence.hits)
    assert not with_ranking(engine, engine.ranking.only(["feedback"])).ask(QUESTION, 5).hits


def test_without_the_judgement_nothing_is_judged_reordered_or_narrowed(engine: Engine) -> None:
    plain = with_ranking(engine, replace(engine.ranking, judge=False))
    answer = plain.ask(QUESTION, 10)
    fused = plain.rank(plain.analyse(QUESTION), ALL, plain.ranking.candidates).fused
    assert [h.paragraph.id for h in answer.hits] == [pid for pid, _ in fused[:10]]
    assert all(h.relevance is None and h.answers for h in answer.hits)
    judged = engine.ask(QUESTION, 10)
    assert all(h.relevance is not None for h in judged.hits)
    assert {h.document.submitted_by for h in judged.hits} == {("Sweden",)}  # "What does Sweden propose": Sweden's

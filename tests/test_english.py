"""English documents as first-class as Chinese ones: six real 2021 General Assembly statements, the real model.

Questions in English and in Chinese, "not covered" in both, the answering sentence marked inside an English
paragraph, and citations that name no paragraph number the statements do not print.
"""

from __future__ import annotations

import pytest

from qa.search.engine import Filters

pytestmark = pytest.mark.slow  # builds an index of its own (seconds once its vectors are in .cache)

HOSTING = "look forward to hosting the first Meeting of States Parties"


def top(engine, question: str, k: int = 5):
    answer = engine.ask(question, k)
    return answer, answer.hits[0]


def test_english_question_finds_the_english_paragraph_and_its_speaker(statements_engine) -> None:
    answer, hit = top(statements_engine, "Which country will host the first meeting of the parties to the treaty "
                                         "banning nuclear weapons?")
    assert answer.covered and hit.document.submitted_by == ("Austria",)
    assert HOSTING in hit.paragraph.text


def test_chinese_question_finds_the_english_paragraph(statements_engine) -> None:
    answer, hit = top(statements_engine, "哪个国家将在维也纳主办《禁止核武器条约》缔约国第一次会议？")
    assert answer.covered and hit.document.submitted_by == ("Austria",) and HOSTING in hit.paragraph.text


def test_chinese_question_about_a_states_foreign_policy_reaches_its_english_statement(statements_engine) -> None:
    answer, hit = top(statements_engine, "爱尔兰外交政策的一个标志是什么？")
    assert answer.covered and hit.document.submitted_by == ("Ireland",)
    assert any("world free of nuclear weapons" in h.paragraph.text for h in answer.hits[:3])


def test_the_answering_sentence_is_one_english_sentence_of_the_paragraph(statements_engine) -> None:
    _, hit = top(statements_engine, "Which country organised a conference on human control over autonomous "
                                    "weapons?")
    assert "killer robots" in hit.paragraph.text or "human control" in hit.paragraph.text
    assert hit.answer != hit.paragraph.text and hit.answer.endswith(".") and len(hit.answer) < 220
    assert "human control" in hit.answer or "killing machines" in hit.answer


def test_a_paragraph_broken_over_two_lines_is_one_paragraph(statements_engine) -> None:
    _, hit = top(statements_engine, "What does Austria call a myth in the debate on nuclear weapons?")
    assert "myth of nuclear deterrence" in hit.paragraph.text and HOSTING in hit.paragraph.text


def test_statements_number_no_paragraphs_so_citations_name_none(statements_engine) -> None:
    answer = statements_engine.ask("nuclear disarmament", 10)
    for h in answer.hits:
        cited = h.to_json()
        assert "para." not in cited["paragraph_display"] and "para." not in cited["citation"]
        assert "paragraph" in cited["paragraph_display"] and "自然段" in cited["citation_zh"]


@pytest.mark.parametrize("question", [
    "What did these statements say about the Treaty of Pelindaba?",
    "这些发言如何评价《佩林达巴条约》？",
    "What is the easiest way to learn to juggle three balls?",
    "学习用三个球抛接杂耍最简单的方法是什么？",
])
def test_questions_the_statements_do_not_answer_are_said_not_covered(statements_engine, question: str) -> None:
    answer = statements_engine.ask(question, 5)
    assert not answer.covered and answer.hits


def test_state_filter_takes_the_chinese_name(statements_engine) -> None:
    answer = statements_engine.ask("nuclear weapons", 5, Filters(states=("爱尔兰",)))
    assert answer.hits and {h.document.submitted_by for h in answer.hits} == {("Ireland",)}


def test_compare_ranks_the_states_that_spoke_on_nuclear_weapons_first(statements_engine) -> None:
    comparison = statements_engine.compare("the Treaty on the Prohibition of Nuclear Weapons", 2)
    leaders = [g.submitted_by for g in comparison.groups[:2]]
    assert ("Austria",) in leaders and ("Ireland",) in leaders
    assert all(g.hits for g in comparison.groups)


def test_a_state_spoken_about_is_not_a_speaker_of_the_question(statements_engine) -> None:
    """Ireland speaking about New Zealand: the speaker channel looks for Ireland's texts only, in either language."""
    for question in ("What did Ireland say about New Zealand?", "爱尔兰对新西兰说了什么？"):
        assert statements_engine.analyse(question).speakers == frozenset({"Ireland"}), question


def test_the_marked_sentence_is_the_one_that_names_the_topic_not_the_closest_in_general(statements_engine) -> None:
    """Ireland's paragraph on nuclear weapons opens with its commitment to a world free of them (the sentence
    closest to the question), and its sentence on the TPNW comes fourth."""
    hit = statements_engine.ask("What did Ireland say about the TPNW?", 1).hits[0]
    assert hit.document.submitted_by == ("Ireland",)
    assert "Treaty on the Prohibition of Nuclear Weapons" in hit.answer, hit.answer

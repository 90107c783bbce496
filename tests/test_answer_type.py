"""The answer-type check (which questions ask for an amount of money, which passages state one) and the quoted
words a question asks about as a term."""

from __future__ import annotations

import pytest

from qa.search.answer_type import MONEY, expected_answer, states_answer
from qa.search.query import quoted_terms


@pytest.mark.parametrize("question", [
    "How much money is the United States pledging to end hunger?",
    "How much did Japan contribute to the COVAX Facility?",
    "How much do the nuclear-weapon States spend on their arsenals each year?",
    "这些国家每年花费多少资金维持核武库？",
    "日本向该基金捐款多少美元？",
])
def test_questions_that_ask_for_an_amount_of_money(question: str) -> None:
    assert expected_answer(question) == MONEY


@pytest.mark.parametrize("question", [
    "How many States have ratified the Treaty?",
    "How much progress has been made on nuclear disarmament?",
    "What did France say about funding for peacekeeping?",
    "有多少国家批准了该条约？",
])
def test_questions_that_do_not(question: str) -> None:
    assert expected_answer(question) == ""


@pytest.mark.parametrize("text", ["making a $10-billion commitment to end hunger", "2.5 million euros in aid",
                                  "US$ 3 million", "5 billion dollars", "捐款100亿美元", "三百万元"])
def test_passages_that_state_an_amount_of_money(text: str) -> None:
    assert states_answer(MONEY, text)


@pytest.mark.parametrize("text", ["In 2019 the Conference met for 10 weeks.", "国家元首出席了会议。",
                                  "modernizing their arsenals at great expense"])
def test_passages_that_do_not(text: str) -> None:
    assert not states_answer(MONEY, text)
    assert states_answer("", text)  # a question of no checked kind: any passage may answer


def test_quoted_terms_are_asked_about_but_a_quoted_clause_is_a_citation() -> None:
    assert quoted_terms("这些文件如何看待“核冬天”？") == ["核冬天"]
    assert quoted_terms('What is the "step-by-step approach"?') == ["step-by-step approach"]
    assert quoted_terms("“只有核国家才应作出努力，其他国家只需监督”的说法") == []
    assert quoted_terms("《禁止核武器条约》的地位") == []  # a title: the terminology's treaties, not this check
    assert quoted_terms("Russia’s position") == []

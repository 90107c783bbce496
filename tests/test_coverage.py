"""The "not covered" verdict on the seed corpus with the real model, for questions in Chinese and in English.

Each rule is checked on two questions that differ only in what the rule looks at (a field term, a name), and
also with the other rules switched off (`ONLY_TERMS_AND_NAMES`), so the verdict is shown to come from that rule.
"""

from __future__ import annotations

import pytest

from qa.search.coverage import CoveragePolicy, narrower_concepts, verdict
from qa.search.engine import NOT_COVERED

# The everyday-text and absent-words rules switched off: only field terms and names can refuse.
ONLY_TERMS_AND_NAMES = CoveragePolicy(margin=-10.0, max_absent_share=2.0)


def covered(query, store, policy) -> bool:
    return not verdict(query, store, policy)


def test_off_topic_chinese_question_is_not_covered_but_still_shows_the_closest_passages(engine) -> None:
    answer = engine.ask("感冒了应该吃什么药？", 5)
    assert not answer.covered and answer.message.startswith(NOT_COVERED)
    assert len(answer.hits) == 5


def test_off_topic_english_question_is_not_covered(engine) -> None:
    answer = engine.ask("How many calories are in a banana?", 5)
    assert not answer.covered and "everyday text" in answer.message


def test_english_question_naming_a_field_term_the_corpus_never_mentions_is_not_covered(engine) -> None:
    absent = engine.analyse("What do the papers say about the Chemical Weapons Convention?")
    present = engine.analyse("What do the papers say about the Comprehensive Nuclear-Test-Ban Treaty?")
    assert [t.english for t in absent.field_terms] == ["Chemical Weapons Convention"]
    assert not covered(absent, engine.store, ONLY_TERMS_AND_NAMES)
    assert covered(present, engine.store, ONLY_TERMS_AND_NAMES)
    assert not engine.ask(absent.text).covered
    assert engine.ask(present.text).covered


@pytest.mark.parametrize("question", ["What do the papers say about the Arms Trade Treaty?", "这些文件如何评价《武器贸易条约》？",
                                      "How do the papers view the Ottawa Convention on anti-personnel mines?"])
def test_a_conventional_arms_treaty_the_seed_papers_never_mention_is_not_covered(engine, question: str) -> None:
    assert not engine.ask(question).covered


def test_an_english_name_is_looked_for_in_chinese_papers_by_its_chinese_name(engine) -> None:
    """Chernobyl is 切尔诺贝利, which no seed paper writes; Gorbachev is 戈尔巴乔夫, which the UNIDIR paper does
    ("里根-戈尔巴乔夫的原则"). A capitalised common word in a title is no name and refuses nothing."""
    assert not engine.ask("What did the papers say about the Chernobyl accident?").covered
    assert engine.ask("What do the papers say about Gorbachev?").covered
    assert engine.ask("How does the International Commission on Nuclear Non-proliferation and Disarmament define "
                      "the minimization point?").covered


def test_a_field_term_whose_modifier_the_corpus_names_is_not_proof_of_absence(engine) -> None:
    # the Swedish paper writes 循序渐进做法, not the terminology's 循序渐进办法 or 分步骤办法
    query = engine.analyse("Why does Sweden think the traditional step-by-step approach cannot be acted on?")
    assert "step-by-step approach" in [t.english for t in query.field_terms]
    assert covered(query, engine.store, ONLY_TERMS_AND_NAMES)
    nsa = next(t for t in engine.analyse("negative security assurances").field_terms)
    assert narrower_concepts(nsa) == []  # its head, "security assurances", says nothing of the negative ones


def test_chinese_question_naming_a_field_term_the_corpus_never_mentions_is_not_covered(engine) -> None:
    absent = engine.analyse("化学武器公约规定了哪些核查措施？")
    present = engine.analyse("全面禁止核试验条约规定了哪些核查措施？")
    assert "Chemical Weapons Convention" in {t.english for t in absent.field_terms}
    assert not covered(absent, engine.store, ONLY_TERMS_AND_NAMES)
    assert covered(present, engine.store, ONLY_TERMS_AND_NAMES)
    assert not engine.ask(absent.text).covered
    assert engine.ask(present.text).covered


def test_chinese_question_naming_a_person_the_corpus_never_mentions_is_not_covered(engine) -> None:
    stranger = engine.analyse("李明在审议大会上提出了什么建议？")
    sweden = engine.analyse("瑞典在审议大会上提出了什么建议？")
    assert stranger.names == (("李明", "zh"),) and sweden.names == ()  # Sweden speaks in the corpus
    assert not covered(stranger, engine.store, ONLY_TERMS_AND_NAMES)
    assert covered(sweden, engine.store, ONLY_TERMS_AND_NAMES)
    assert not engine.ask(stranger.text).covered
    assert engine.ask(sweden.text).covered


@pytest.mark.parametrize("question", ["What do the P5 say about strategic risk reduction?",
                                      "五核国在减少战略风险方面采取了哪些措施？"], ids=["en", "zh"])
def test_on_topic_question_is_covered_and_answered_from_the_p5_paper(engine, question: str) -> None:
    answer = engine.ask(question, 3)
    assert answer.covered and answer.message == ""
    assert answer.hits[0].document.id == "p5-2021"


def test_a_question_asking_for_an_amount_of_money_is_not_covered_by_passages_that_state_none(engine) -> None:
    spending = engine.ask("How much money does the United States spend on its nuclear forces, according to the papers?")
    assert not spending.covered and "amount of money" in spending.message
    assert spending.hits and not any(h.answers for h in spending.hits)  # shown as closest, not as answers
    chinese = engine.ask("按照这些文件，俄罗斯每年在核力量上花费多少资金？")
    assert not chinese.covered and "amount of money" in chinese.message
    reason = chinese.to_json()["reason"]
    assert reason["en"] == chinese.reason == chinese.message.removeprefix(NOT_COVERED).strip() and "金额" in reason["zh"]
    assert engine.ask("What do the papers say about the United States' nuclear forces?").covered


def test_a_question_about_a_quoted_term_the_corpus_never_mentions_is_not_covered(engine) -> None:
    absent = engine.analyse("这些文件如何看待“小型模块化反应堆”？")
    present = engine.analyse("这些文件如何看待“垫脚石”办法？")
    assert absent.quoted == ("小型模块化反应堆",) and absent.names == ()
    assert not covered(absent, engine.store, ONLY_TERMS_AND_NAMES)
    assert verdict(absent, engine.store, ONLY_TERMS_AND_NAMES).zh == "没有文件提到“小型模块化反应堆”。"
    assert covered(present, engine.store, ONLY_TERMS_AND_NAMES)
    assert engine.analyse("俄方如何评价“只有核国家才应为核裁军作出一切努力，其他国家只需敦促和监督”的说法？").quoted == ()


def test_an_english_quoted_term_is_looked_for_in_chinese_papers_by_its_translation(engine) -> None:
    absent = engine.analyse('What do the papers say about "dirty bombs"?')  # CC-CEDICT: 脏弹, never written
    present = engine.analyse('What do the papers say about the "stepping stone" approach?')  # 垫脚石
    assert absent.quoted == ("dirty bombs",) and present.quoted == ("stepping stone",)
    assert not covered(absent, engine.store, ONLY_TERMS_AND_NAMES)
    assert covered(present, engine.store, ONLY_TERMS_AND_NAMES)
    untranslatable = engine.analyse('What do the papers say about "small modular reactors"?')
    assert covered(untranslatable, engine.store, ONLY_TERMS_AND_NAMES)  # the corpus cannot tell: not refused



def test_a_demonym_counts_as_its_country_so_a_question_about_swiss_law_is_not_refused(statements_engine) -> None:
    """No statement of the six writes "Ukrainian", but one names Ukraine (CC-CEDICT: 乌克兰人); none names
    Switzerland, so "Swiss" still refuses."""
    ukrainian = statements_engine.analyse("What is said about Ukrainian sovereignty?")
    swiss = statements_engine.analyse("What is said about Swiss sovereignty?")
    assert ukrainian.names == (("Ukrainian", "en"),) and swiss.names == (("Swiss", "en"),)
    assert covered(ukrainian, statements_engine.store, ONLY_TERMS_AND_NAMES)
    assert verdict(swiss, statements_engine.store, ONLY_TERMS_AND_NAMES) == "No document mentions Swiss."

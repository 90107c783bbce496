"""The relevance judgement: what a question is about, whether a passage answers it, and how ask, "not covered" and
who said what read that one verdict."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qa.cli.main import cli
from qa.errors import CorpusError
from qa.parties.speakers import Speakers
from qa.search.evaluate import Topic, score_topic
from qa.search.query import asked_parties, spoken_about, units_of
from qa.search.relevance import FEATURES, RelevanceModel, fit, load_model, not_addressed, reorder
from qa.search.units import compound_parts, passage_tokens, topic_units
from qa.store.base import ALL


def asked_of(question: str, speakers: Speakers) -> tuple[frozenset[str], ...]:
    """The corpus's names of each party the question asks about as the speaker."""
    return tuple(names for names, _ in asked_parties(question, speakers))


TPNW_EN = "What did {} say about the Treaty on the Prohibition of Nuclear Weapons?"
TPNW_ZH = "{}对《禁止核武器条约》说了什么？"


def labels(units) -> list[str]:
    return [u.label for u in units]


# --- what a question is about -------------------------------------------------------------------------------


def test_a_question_about_what_states_said_keeps_only_its_topic() -> None:
    units = topic_units("各国如何谈论阿富汗局势？", "zh", [(6, 9, "topic", ("Afghanistan",), "阿富汗")],
                        frozenset(), frozenset())
    assert labels(units) == ["阿富汗"]
    question = "How did countries talk about the situation in Myanmar?"
    at = question.index("Myanmar")
    english = topic_units(question, "en", [(at, at + 7, "topic", ("Myanmar", "Burma"), "缅甸")], frozenset(),
                          frozenset())
    assert labels(english) == ["Myanmar"]


def test_a_chinese_question_s_pronouns_interrogatives_and_numbers_are_not_its_topic() -> None:
    question = "哪个国家在第七十六届联大一般性辩论中表示，本届联大由它首次担任第一委员会主席？"
    units = labels(topic_units(question, "zh", [], frozenset(), frozenset()))
    assert not {"第七", "十六届", "本届", "它"} & set(units) and {"联大", "主席"} <= set(units)
    kept = labels(topic_units("哪几个国家呼吁以协商一致方式通过三十周年纪念宣言？", "zh", [], frozenset(), frozenset()))
    assert {"consensus", "纪念"} <= set(kept) and not {"哪几", "几个", "三十周年"} & set(kept)


def test_a_field_term_is_one_unit_matched_by_its_concept_in_either_language() -> None:
    units = topic_units("negative security assurances", "en", [], frozenset(), frozenset())
    assert len(units) == 1
    tokens = {t for alt in units[0].alternatives("zh") for t in alt}
    assert any(t.startswith("\u2261") for t in tokens)  # the concept token, found in Chinese paragraphs too


def test_an_english_compound_also_matches_its_two_words_when_the_corpus_has_them() -> None:
    known = {"cyber", "secur"}.__contains__
    (unit,) = topic_units("cybersecurity", "en", [], frozenset(), frozenset(), known)
    assert unit.found_in(frozenset({"cyber", "secur", "threat"}), "en")
    assert unit.found_in(frozenset({"cybersecur"}), "en")
    assert not unit.found_in(frozenset({"secur"}), "en")


def test_a_compound_is_partly_carried_by_its_rare_word_more_than_by_its_common_one() -> None:
    known = {"cyber", "secur"}.__contains__
    (unit,) = topic_units("cybersecurity", "en", [], frozenset(), frozenset(), known)
    rarity = {"cyber": 4.0, "secur": 1.0, "cybersecur": 5.0}.__getitem__
    rare = unit.share_in(passage_tokens("Cyber threats are growing."), "en", rarity)
    common = unit.share_in(passage_tokens("Security threats are growing."), "en", rarity)
    assert rare == pytest.approx(0.8)
    assert common == pytest.approx(0.2)
    assert unit.share_in(passage_tokens("Cybersecurity matters."), "en", rarity) == 1.0
    assert unit.share_in(passage_tokens("Climate change matters."), "en", rarity) == 0.0


def test_a_paragraph_carries_the_words_of_its_closed_compounds() -> None:
    tokens = passage_tokens("Cyberattacks, cybercrime and peacekeeping in cyberspace.")
    assert {"cyber", "attack", "crime", "peac", "keep", "space"} <= tokens
    assert compound_parts("statement") == frozenset()  # "ment" is not a word
    assert compound_parts("disarmament") == frozenset()


def test_a_one_word_field_term_is_carried_by_a_compound_of_it() -> None:
    cyber, _security = topic_units("网络安全", "zh", [], frozenset(), frozenset())
    assert cyber.found_in(passage_tokens("Security threats in cyberspace are increasing."), "en")
    assert not cyber.found_in(passage_tokens("Security threats at sea are increasing."), "en")


def test_a_chinese_word_matches_an_english_paragraph_through_cc_cedict() -> None:
    (unit,) = topic_units("疫苗", "zh", [], frozenset(), frozenset())
    assert unit.found_in(frozenset({"vaccin", "equiti"}), "en")
    assert not unit.found_in(frozenset({"pandem"}), "en")


def test_a_chinese_abbreviation_also_matches_the_acronym_its_dictionary_entry_gives() -> None:
    (unit,) = topic_units("新冠", "zh", [], frozenset(), frozenset())  # "novel coronavirus (… COVID-19)"
    assert unit.found_in(passage_tokens("Vaccines against COVID-19 must reach everyone."), "en")
    assert unit.found_in(passage_tokens("The novel coronavirus spread fast."), "en")
    assert not unit.found_in(passage_tokens("Vaccines against measles must reach everyone."), "en")


@pytest.mark.parametrize("question,language", [("terrorism", "en"), ("恐怖主义", "zh"), ("racism", "en"), ("种族主义", "zh")])
def test_a_topic_in_ism_is_carried_by_its_ist(question: str, language: str) -> None:
    (unit,) = topic_units(question, language, [], frozenset(), frozenset())
    person = "terrorists" if question in ("terrorism", "恐怖主义") else "racist"
    assert unit.found_in(passage_tokens(f"We condemn the {person} attacks of last year."), "en")
    assert not unit.found_in(passage_tokens("We condemn the attacks of last year."), "en")


def test_a_chinese_topic_is_read_in_the_dictionary_s_words_not_jieba_s_parts() -> None:
    units = topic_units("可持续发展", "zh", [], frozenset(), frozenset())  # jieba: 可/持续/发展
    assert [u.label for u in units] == ["可持续发展"]  # not 持续, "to continue", and 发展
    assert units[0].found_in(passage_tokens("Sustainable development must guide the recovery."), "en")


def test_a_chinese_word_glossed_in_four_words_matches_them_all() -> None:
    (unit,) = topic_units("联大", "zh", [], frozenset(), frozenset())  # "United Nations General Assembly"
    assert unit.found_in(passage_tokens("I address the United Nations General Assembly today."), "en")
    assert not unit.found_in(passage_tokens("The United Nations must act."), "en")


@pytest.mark.parametrize("question", ["What did states say about the question of Palestine?", "各国对巴勒斯坦问题说了什么？"])
def test_a_country_spoken_about_is_carried_by_its_demonym(engine, question: str) -> None:
    units = units_of(question, "zh" if "巴" in question else "en", engine.speakers, ())
    (palestine,) = [u for u in units if u.label in ("Palestine", "巴勒斯坦")]
    assert palestine.found_in(passage_tokens("Our Palestinian brothers and sisters continue to suffer."), "en")
    assert palestine.found_in(passage_tokens("We support the State of Palestine."), "en")
    assert not palestine.found_in(passage_tokens("The Pakistani delegation spoke next."), "en")


def test_a_country_spoken_about_is_also_searched_by_its_demonym_but_not_a_speaker(engine) -> None:
    assert "palestinian" in dict(engine.analyse("关于巴勒斯坦问题，各国说了什么？").cross_terms)
    assert "palestinian" in dict(engine.analyse("What did states say about Palestine?").terms)
    question = "What does Sweden propose about Ukraine?"
    assert [t for t, _ in spoken_about(question, engine.speakers, engine.analyse(question).asked)] == ["ukrainian"]


def test_the_party_asked_about_is_the_speaker_not_the_party_spoken_about(engine) -> None:
    speakers: Speakers = engine.speakers
    sweden = speakers.resolve("Sweden")
    assert asked_of("What does Sweden propose about negative security assurances?", speakers) == (sweden,)
    assert asked_of("瑞典对消极安全保证提出了什么建议？", speakers) == (sweden,)
    assert asked_of("Sweden's position on nuclear testing", speakers) == (sweden,)
    assert asked_of("What did Sweden report about negative security assurances?", speakers) == (sweden,)
    assert asked_of("Sweden's report on risk reduction", speakers) == (sweden,)
    assert asked_of("瑞典在报告中提到了哪些减少风险的措施？", speakers) == (sweden,)
    assert asked_of("Which state proposed a stepping-stone approach?", speakers) == ()
    assert asked_of("What did the P5 say about Sweden?", speakers) == (speakers.resolve("P5"),)
    assert asked_of("哪份文件提出由五个核武器国家和无核武器国家发表多边声明？", speakers) == ()


# --- the model ------------------------------------------------------------------------------------------------


def test_the_shipped_model_rises_with_the_share_of_the_topic_a_passage_carries() -> None:
    model = load_model()
    base = np.zeros((5, len(FEATURES)))
    base[:, FEATURES.index("coverage")] = [0.0, 0.25, 0.5, 0.75, 1.0]
    p = model.probability(base)
    assert list(p) == sorted(p) and p[0] < model.threshold < p[-1]


def test_a_model_fitted_on_separable_rows_says_which_side_a_row_is_on() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, len(FEATURES)))
    y = (x[:, 0] + 0.5 * x[:, 3] > 0).astype(float)
    model = fit(x, y)
    assert ((model.probability(x) >= 0.5) == (y > 0)).mean() > 0.95
    assert RelevanceModel.from_json(json.loads(json.dumps(model.to_json()))).probability(x[:3]) == pytest.approx(
        model.probability(x[:3]))


def test_a_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "model.json"
    bad.write_text('{"features": ["coverage"], "mean": [0], "scale": [1]}', encoding="utf-8")
    with pytest.raises(CorpusError, match="train_relevance.py"):
        load_model(str(bad))
    with pytest.raises(CorpusError, match="QA_RELEVANCE_MODEL"):
        load_model(str(tmp_path / "missing.json"))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"features": ["shoe_size"], "mean": [0], "scale": [1], "coef": [1], "bias": 0}),
                     encoding="utf-8")
    with pytest.raises(CorpusError, match="does not compute"):
        load_model(str(other))


def test_the_head_puts_passages_judged_to_answer_before_the_others() -> None:
    # fused ranks 1..4; only the third is judged to answer, so it leads, and the rest keep p^(1/4)/rank order
    assert reorder(np.array([0.05, 0.30, 0.60, 0.0]), threshold=0.4) == [2, 0, 1, 3]
    # among answers the fused rank still counts: 0.5 at rank 1 stays above 0.9 at rank 2
    assert reorder(np.array([0.5, 0.9, 0.1]), threshold=0.4) == [0, 1, 2]


# --- ask, not covered, who said what ---------------------------------------------------------------------------


def test_every_passage_of_an_answer_carries_the_verdict(engine) -> None:
    answer = engine.ask("Which state proposed a stepping-stone approach?", 5)
    top = answer.hits[0]
    assert top.document.submitted_by == ("Sweden",) and top.answers and top.relevance >= engine.judgement.threshold
    assert all(h.relevance is not None and h.answers == (h.relevance >= engine.judgement.threshold)
               for h in answer.hits)
    row = answer.to_json()["results"][0]
    assert row["answers"] is True and 0 < row["relevance"] <= 1
    marks = [h.answers for h in answer.hits]
    assert marks == sorted(marks, reverse=True)  # no "closest; does not answer" above an answer
    assert answer.to_json()["answered"] is True


def test_a_covered_question_no_passage_answers_says_so_above_the_closest(engine, monkeypatch: pytest.MonkeyPatch
                                                                         ) -> None:
    import qa.cli.main

    question = "What is the historical role of mutual deterrence according to Russia?"
    answer = engine.ask(question, 3)
    assert answer.covered and not any(h.answers for h in answer.hits) and answer.to_json()["answered"] is False
    monkeypatch.setattr(qa.cli.main, "open_engine", lambda settings, **_: engine)
    monkeypatch.setattr("qa.cli.handoff.ask_server", lambda *args: None)
    result = CliRunner().invoke(cli, ["ask", question, "-k", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("The relevance judgement marks none of these passages as answering the question.")
    assert result.output.count("(closest; does not answer)") == 3


@pytest.mark.parametrize("question", ["What did Russia say about the stepping-stone approach?",
                                      "俄罗斯对“垫脚石”办法说了什么？"])
def test_a_party_that_did_not_address_the_question_is_told_so_with_who_did(engine, question: str) -> None:
    answer = engine.ask(question, 3)
    assert not answer.covered and answer.addressed_by[0] in ("Sweden", "瑞典")  # named in the question's language
    assert answer.hits and all(h.document.submitted_by == ("Russian Federation",) and not h.answers
                               for h in answer.hits)
    assert ("do not address" in answer.message) if question.isascii() else ("未论及" in answer.message)


def test_the_parties_asked_about_are_never_named_as_the_others_who_addressed_it(engine) -> None:
    """Judged among everyone's passages, the P5's own paper may pass the line it missed among theirs alone: that
    makes them no "other" party, and the answer must not say the P5 did not address what the P5 said."""
    answer = engine.ask("关于热线、军方对军方渠道等危机沟通安排，五核国工作文件和瑞典工作文件分别怎么说？", 5)
    members = {"中国", "法国", "俄罗斯联邦", "大不列颠及北爱尔兰联合王国", "美利坚合众国", "瑞典"}
    assert not any(members & set(who.split("、")) for who in answer.addressed_by)
    assert answer.covered and "未论及" not in answer.message


def test_the_party_asked_about_answers_first_when_it_did_address_it(engine) -> None:
    answer = engine.ask("What does Sweden say about the stepping-stone approach?", 5)
    assert answer.covered and not answer.addressed_by
    assert {h.document.submitted_by for h in answer.hits} == {("Sweden",)} and any(h.answers for h in answer.hits[:3])


@pytest.mark.parametrize("template", [TPNW_EN, TPNW_ZH])
def test_on_english_statements_the_named_state_is_a_condition(statements_engine, template: str) -> None:
    ireland = statements_engine.ask(template.format("Ireland" if template == TPNW_EN else "爱尔兰"), 3)
    assert ireland.covered and ireland.hits[0].document.submitted_by == ("Ireland",)
    assert "prohibition" in ireland.hits[0].paragraph.text.lower() or "TPNW" in ireland.hits[0].paragraph.text
    kiribati = statements_engine.ask(template.format("Kiribati" if template == TPNW_EN else "基里巴斯"), 3)
    assert not kiribati.covered and kiribati.addressed_by
    assert all(h.document.submitted_by == ("Kiribati",) and not h.answers for h in kiribati.hits)


def test_compare_accounts_for_every_party_of_the_corpus(statements_engine) -> None:
    comparison = statements_engine.compare("Treaty on the Prohibition of Nuclear Weapons", 2, per_page=2)
    assert comparison.total == len(statements_engine.documents) == 6
    pages = [statements_engine.compare("Treaty on the Prohibition of Nuclear Weapons", 2, page=n, per_page=2)
             for n in (1, 2, 3)]
    groups = [g for c in pages for g in c.groups]
    assert len({g.speaker for g in groups}) == 6
    addressing = [g.speaker for g in groups if g.covered]
    assert "Ireland" in addressing and "Kiribati" not in addressing  # only Ireland's statement names the treaty
    assert groups[:len(addressing)] == [g for g in groups if g.covered]  # those that address it come first
    assert all(g.hits[0].answers for g in groups if g.covered)


def test_without_the_judgement_compare_reports_every_party_with_passages(statements_engine) -> None:
    from dataclasses import replace

    from qa.search.engine import Engine

    plain = Engine(statements_engine.settings, statements_engine.store, statements_engine.encoder,
                   ranking=replace(statements_engine.ranking, judge=False), corpus=statements_engine.corpus)
    comparison = plain.compare("Treaty on the Prohibition of Nuclear Weapons", 2, per_page=10)
    assert comparison.covered_total == sum(1 for g in comparison.groups if g.hits)


# --- measured as users meet it -------------------------------------------------------------------------------


def test_a_topic_is_scored_by_the_parties_reported_and_their_first_passages() -> None:
    topic = Topic("t", "en", "nuclear weapons", "nuclear weapon", frozenset({"Ireland", "Austria"}))
    row = score_topic(topic, [("Ireland", "… nuclear weapons …"), ("Fiji", "climate")])
    assert (row["party_precision"], row["party_recall"], row["passage_precision"]) == (0.5, 0.5, 0.5)
    assert row["wrong"] == ["Fiji"] and row["missed"] == ["Austria"]


def test_qa_eval_scores_a_topic_file(statements_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.cli.main

    topics = tmp_path / "topics.jsonl"
    topics.write_text(json.dumps({"id": "t1", "lang": "en", "question": "the Treaty on the Prohibition of Nuclear "
                                  "Weapons", "pattern": "prohibition of nuclear weapons|TPNW",
                                  "parties": ["Ireland"]}) + "\n", encoding="utf-8")
    monkeypatch.setattr(qa.cli.main, "open_engine", lambda settings, **_: statements_engine)
    result = CliRunner().invoke(cli, ["eval", str(topics), "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)["topics"][0]
    assert row["party_recall"] == 1.0 and row["party_precision"] >= 0.5 and row["passage_precision"] >= 0.5


def test_the_judgement_reads_the_head_of_the_ranking_only(engine) -> None:
    query = engine.analyse("Which state proposed a stepping-stone approach?")
    ranking = engine.rank(query, ALL, engine.ranking.candidates)
    fused, judged = engine.judged_head(query, ranking)
    assert len(judged) == min(30, len(ranking.fused)) and fused[30:] == ranking.fused[30:]
    assert sorted(fused[:30]) == sorted(ranking.fused[:30])


# --- a named party, as the answer names it --------------------------------------------------------------------


def test_a_party_is_not_carried_by_part_of_its_formal_name() -> None:
    from qa.search.units import _party_unit

    myanmar = _party_unit("Myanmar", ("Myanmar", "Republic of the Union of Myanmar"), "缅甸")
    china = passage_tokens("It is the 50th anniversary of the lawful seat of the People's Republic of China.")
    assert myanmar.share_in(china, "en", lambda token: 1.0) == 0.0
    assert myanmar.share_in(passage_tokens("The situation in Myanmar worsened."), "en", lambda token: 1.0) == 1.0


def test_an_english_word_also_takes_the_translation_the_corpus_uses() -> None:
    from qa.search.units import chinese_forms

    assert frozenset({"核武器"}) not in chinese_forms("nuclear")  # CC-CEDICT's first is 核子, no paper's word
    assert frozenset({"核武器"}) in chinese_forms("nuclear", known=lambda token: token == "核武器")


def test_a_group_asked_about_is_named_as_the_group(engine) -> None:
    query = engine.analyse("What did the P5 say about the stepping-stone approach?")
    assert query.asked_as == (engine.speakers.parties.resolve("P5").name,)
    assert not_addressed(("Nuclear-weapon States",), (), "en").startswith("The Nuclear-weapon States' documents")
    assert not_addressed(("Ireland",), (), "en").startswith("Ireland's documents")
    assert not_addressed(("Russian Federation",), (), "en").startswith("The Russian Federation's documents")
    assert not_addressed(("Iran (Islamic Republic of)",), (), "en").startswith("Iran (Islamic Republic of)'s")


def test_a_group_with_documents_of_its_own_is_asked_in_its_own_right_not_through_its_members() -> None:
    question = "What did the European Union say about the JCPOA?"
    with_own = Speakers(("European Union", "France", "Czechia", "Fiji"))
    assert asked_of(question, with_own) == (frozenset({"European Union"}),)  # France's statement is not the EU's
    assert asked_of("欧盟和斐济对伊朗核问题全面协议各自说了什么？", with_own) == (
        frozenset({"European Union"}), frozenset({"Fiji"}))
    without = Speakers(("France", "Czechia", "Fiji"))
    assert asked_of(question, without) == (frozenset({"France", "Czechia"}),)  # then its members speak for it


def test_compare_names_a_filtered_party_that_has_no_document_here(statements_engine) -> None:
    from qa.search.engine import Filters

    comparison = statements_engine.compare("Treaty on the Prohibition of Nuclear Weapons", 2,
                                           Filters(states=("Ireland", "Sweden")))
    assert [g.speaker for g in comparison.groups] == ["Ireland"] and comparison.without_documents == ("Sweden",)
    assert comparison.to_json()["without_documents"] == ["Sweden"]


def test_words_that_ask_for_parties_side_by_side_are_not_the_topic() -> None:
    chinese = labels(topic_units("新西兰和澳大利亚各自如何谈论裁军教育？它们分别有何异同？", "zh", [], frozenset(), frozenset()))
    assert not {"各自", "分别", "异同"} & set(chinese) and "disarmament education" in chinese
    english = labels(topic_units("How do Sweden and Russia differ on disarmament education, compared respectively?",
                                 "en", [], frozenset(), frozenset()))
    assert not {"differ", "compared", "respectively"} & set(english) and "disarmament education" in english


def test_parties_named_side_by_side_in_a_comparison_are_asked_together() -> None:
    speakers = Speakers(("Switzerland", "Netherlands", "Thailand", "Zambia", "San Marino", "Germany", "Russian Federation",
                         "Ukraine", "Japan"))
    assert len(asked_of("瑞士和荷兰各自是怎样资助民间组织的？", speakers)) == 2  # no verb of saying: its subjects
    assert len(asked_of("泰国、赞比亚和圣马力诺如何看待《禁止核武器条约》？", speakers)) == 3
    assert len(asked_of("How do Switzerland's report and the Netherlands' differ on funding?", speakers)) == 2
    assert asked_of("日本如何看待朝鲜最近发射弹道导弹？", speakers) == (frozenset({"Japan"}),)
    # parties spoken about stay topics: beside an asked speaker, or where the question asks who spoke
    assert asked_of("Compare what Germany said about Russia and Ukraine.", speakers) == (frozenset({"Germany"}),)
    assert asked_of("Which states compare Russia and Ukraine?", speakers) == ()


def test_a_chinese_date_is_a_month_english_text_names_and_not_a_measure_word() -> None:
    units = topic_units("哈萨克斯坦说，2021年8月29日纪念的是哪项决定？", "zh", [], frozenset(), frozenset())
    august = next(u for u in units if u.label == "8月")
    assert august.found_in(passage_tokens("Last month, on 29 August, we marked the anniversary"), "en")
    assert not {"年", "日", "8"} & set(labels(units)) and {"2021", "29"} <= set(labels(units))


def test_a_question_that_asks_which_thing_a_named_party_said_still_asks_that_party() -> None:
    speakers = Speakers(("Czechia", "Sweden", "Holy See"))
    czechia = (frozenset({"Czechia"}),)
    assert asked_of("Which vital public facilities does Czechia say are targeted by hackers?", speakers) == czechia
    assert asked_of("What does Sweden regard as the most worrying aspect?", speakers) == (frozenset({"Sweden"}),)
    assert asked_of("How does the Holy See judge the argument for deterrence?", speakers) == (frozenset({"Holy See"}),)
    assert asked_of("瑞典在哪些方面提出了建议？", speakers) == (frozenset({"Sweden"}),)
    # but not one that asks which party spoke
    assert asked_of("Which country argued that Czechia was right?", speakers) == ()
    assert asked_of("哪份文件提到瑞典的建议？", speakers) == ()


def test_a_party_spoken_about_is_carried_by_its_common_chinese_name() -> None:
    from qa.search.units import _party_unit

    us = _party_unit("US", ("United States", "US", "美国", "美方", "美"), "美利坚合众国")
    assert us.found_in(passage_tokens("中国和美国应启动战略对话"), "zh")
    assert not us.found_in(passage_tokens("美洲国家组织"), "zh")  # not by a one-character abbreviation

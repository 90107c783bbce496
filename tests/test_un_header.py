"""Reading a UN document's first page: the real npt2014 reports and seed papers, and small documents in each
symbol series and both languages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import shared_file

from qa.documents.ingest import read_text
from qa.documents.un_header import READ, read_header
from qa.documents.un_submitters import compare_names
from qa.documents.un_symbols import ordinal, parse_symbol
from qa.parties.table import Parties, load_parties

ROOT = Path(__file__).resolve().parent.parent
NPT2014 = ROOT.parent / "shared" / "corpora" / "npt2014-reports"
SEEDS = ROOT.parent / "shared" / "seeds"
sys.path.insert(0, str(ROOT / "bench"))
import header_accuracy  # the bench's scoring, so the tests and the closing table agree


@pytest.fixture(scope="module")
def parties() -> Parties:
    return load_parties()


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in shared_file(path).read_text(encoding="utf-8").splitlines()]


def test_npt2014_reports_read_symbol_submitters_kind_and_meeting_for_20_of_21(parties: Parties) -> None:
    right, total, misses = header_accuracy.score(header_accuracy.npt2014_rows(), parties)
    assert total == 21
    for name in ("symbol", "submitters/author", "kind", "meeting"):
        assert right[name] >= 20, (name, misses)
    assert right["title"] >= 19, misses


def test_seed_papers_read_submitters_author_kind_and_meeting_for_4_of_5(parties: Parties) -> None:
    documents = {d["file"]: d for d in json.loads((ROOT / "corpus" / "documents.json").read_text("utf-8"))}
    good = 0
    for name, row in documents.items():
        h = read_header(read_text(shared_file(SEEDS / name)), parties)
        good += (compare_names(parties, h.submitted_by, row["submitted_by"])
                 and compare_names(parties, [h.author], [row["author"]]) and h.kind == row["kind"]
                 and header_accuracy.normal_meeting(h.meeting.name) == header_accuracy.normal_meeting(row["meeting"]))
    assert good >= 4


def test_a_field_the_paper_does_not_print_is_left_empty_not_guessed(parties: Parties) -> None:
    unidir = read_header(read_text(shared_file(SEEDS / "000_e56168cbefb5acf9.txt")), parties)
    assert unidir.symbol == "" and unidir.meeting.name == "" and unidir.date == ""
    assert set(unidir.missing()) >= {"symbol", "meeting", "date", "submitted_by"}
    assert unidir.author == "United Nations Institute for Disarmament Research"
    japan = read_header(read_text(shared_file(SEEDS / "002_759d055da13ae9c8.txt")), parties)
    assert japan.symbol == "" and japan.date == "2018-04-20" and japan.original_language == "en"


def test_a_note_by_the_secretariat_has_an_author_and_no_submitter(parties: Parties) -> None:
    h = read_header(read_text(shared_file(NPT2014 / "texts" / "1.txt")), parties)
    assert h.submitted_by == () and h.author == "United Nations Secretariat" and h.source("author") == READ
    assert h.meeting.place == "New York" and h.meeting.start == "2014-04-28"


ENGLISH_WP = """NPT/CONF.2020/PC.III/WP.18

Preparatory Committee for the 2020 Review Conference of the
Parties to the Treaty on the Non-Proliferation of Nuclear Weapons

Distr.: General
15 April 2019

Original: English

Third session
New York, 29 April-10 May 2019

Nuclear disarmament verification

Working paper submitted by Ireland on behalf of the New Agenda Coalition (Brazil,
Egypt, Ireland, Mexico, New Zealand and South Africa)

1. The New Agenda Coalition recalls the unequivocal undertaking of the nuclear-weapon States to accomplish
the total elimination of their nuclear arsenals.
"""


def test_english_working_paper_reads_every_field_and_keeps_on_behalf_of(parties: Parties) -> None:
    h = read_header(ENGLISH_WP, parties)
    assert h.symbol == "NPT/CONF.2020/PC.III/WP.18" and h.kind == "working paper"
    assert h.title == "Nuclear disarmament verification" and h.title_en == h.title
    assert h.submitted_by == ("Ireland",) and h.on_behalf_of == ("New Agenda Coalition",)
    assert h.meeting.name == ("Preparatory Committee for the 2020 Review Conference of the Parties to the Treaty on "
                              "the Non-Proliferation of Nuclear Weapons, third session, New York")
    assert h.date == "2019-04-15" and h.source("date") == READ
    assert h.language == "en" and h.original_language == "en" and h.missing() == ("author",)


CHINESE_WP = """NPT/CONF.2020/WP.5

不扩散核武器条约缔约国
2020 年审议大会

Distr.: General
2021年12月7日
Chinese
Original: English

2022 年 1 月 4 日至 28 日，纽约

减少战略风险

中国、法国、俄罗斯联邦、大不列颠及北爱尔兰联合王国和美利坚合众国提交的工作文件

1. 五个核武器国家认识到自身有责任合作努力减少核冲突风险，并促进战略稳定性和可预测性。
"""


def test_chinese_working_paper_reads_five_submitters_and_the_meeting_in_english(parties: Parties) -> None:
    h = read_header(CHINESE_WP, parties)
    assert h.symbol == "NPT/CONF.2020/WP.5" and h.title == "减少战略风险" and h.title_en == ""
    assert compare_names(parties, h.submitted_by, ["China", "France", "Russian Federation", "United Kingdom",
                                                   "United States"])
    assert h.kind == "working paper" and h.date == "2021-12-07" and h.language == "zh" and h.original_language == "en"
    assert h.meeting.name == ("2020 Review Conference of the Parties to the Treaty on the Non-Proliferation of "
                              "Nuclear Weapons, New York")
    assert h.meeting.dates == "4-28 January 2022" and h.meeting.name_zh.endswith("，纽约")


FIRST_COMMITTEE = """A/C.1/76/L.12

General Assembly

Distr.: Limited
8 October 2021

Original: English

Seventy-sixth session
First Committee
Agenda item 98 (e)
General and complete disarmament

Austria, Brazil and Mexico: draft resolution

Ethical imperatives for a nuclear-weapon-free world

The General Assembly,

Recalling its resolution 75/63 of 7 December 2020,
"""


def test_first_committee_draft_resolution_reads_its_sponsors_and_title_after_them(parties: Parties) -> None:
    h = read_header(FIRST_COMMITTEE, parties)
    assert h.symbol == "A/C.1/76/L.12" and h.kind == "draft resolution"
    assert h.submitted_by == ("Austria", "Brazil", "Mexico")
    assert h.title == "Ethical imperatives for a nuclear-weapon-free world"
    assert h.meeting.name == "General Assembly, First Committee, seventy-sixth session, New York"
    assert h.date == "2021-10-08"


SECURITY_COUNCIL = """S/2021/567

Security Council

Distr.: General
15 June 2021

Original: English

Letter dated 14 June 2021 from the Permanent Representative of Ireland to the United
Nations addressed to the President of the Security Council

I have the honour to transmit herewith the summary of the open debate on non-proliferation.
"""


def test_security_council_letter_names_its_sender_as_submitter(parties: Parties) -> None:
    h = read_header(SECURITY_COUNCIL, parties)
    assert h.symbol == "S/2021/567" and h.kind == "letter" and h.submitted_by == ("Ireland",)
    assert h.title.startswith("Letter dated 14 June 2021 from the Permanent Representative of Ireland")
    assert h.meeting.name == "Security Council, New York" and h.date == "2021-06-15"


DISARMAMENT_COMMISSION = """A/CN.10/2019/WP.1

Disarmament Commission
2019 substantive session
New York, 1-19 April 2019

Recommendations for achieving nuclear disarmament

Working paper submitted by China

1. Nuclear disarmament should follow the principles of maintaining global strategic stability.
"""


def test_disarmament_commission_working_paper_keeps_its_substantive_session(parties: Parties) -> None:
    h = read_header(DISARMAMENT_COMMISSION, parties)
    assert h.kind == "working paper" and h.submitted_by == ("China",)
    assert h.meeting.name == "Disarmament Commission, 2019 substantive session, New York"
    assert h.meeting.start == "2019-04-01" and h.date == "2019-04-01" and h.source("date") == "derived"


CONFERENCE_ON_DISARMAMENT = """CD/2230

Conference on Disarmament

19 August 2021

Original: Chinese

Transparency in armaments

Working paper submitted by Swedn

1. Transparency builds confidence among States.
"""


def test_unknown_submitter_is_a_problem_naming_the_closest_parties(parties: Parties) -> None:
    h = read_header(CONFERENCE_ON_DISARMAMENT, parties)
    assert h.submitted_by == () and len(h.problems) == 1
    assert "'Swedn'" in h.problems[0] and "Sweden" in h.problems[0]
    assert h.meeting.name == "Conference on Disarmament, Geneva" and h.original_language == "zh"


def test_a_speech_reads_no_title_symbol_or_author_from_its_salutation(parties: Parties) -> None:
    speech = read_text(shared_file(ROOT.parent / "shared" / "corpora" / "ungdc-2021" / "texts" / "WSM_76_2021.txt"))
    h = read_header(speech, parties)
    assert (h.symbol, h.title, h.submitted_by, h.author, h.meeting.name) == ("", "", (), "", "")


@pytest.mark.parametrize(("symbol", "body", "session", "kind"), [
    ("NPT/CONF.2015/PC.III/WP.18", "Preparatory Committee for the 2015 Review Conference", "third session",
     "working paper"),
    ("NPT/CONF.2020/WP.5", "2020 Review Conference", "", "working paper"),
    ("A/RES/76/34", "General Assembly", "seventy-sixth session", "resolution"),
    ("A/76/100", "General Assembly", "seventy-sixth session", ""),
    ("A/CN.10/2019/WP.1", "Disarmament Commission", "2019 substantive session", "working paper"),
    ("CD/WP.620", "Conference on Disarmament", "", "working paper"),
    ("S/RES/2589 (2021)", "Security Council", "", "resolution"),
])
def test_each_symbol_series_names_its_body_session_and_kind(symbol: str, body: str, session: str, kind: str) -> None:
    series = parse_symbol(symbol)
    assert series.body.startswith(body) and series.session == session and series.kind == kind


def test_session_ordinals_are_spelled_as_the_un_spells_them() -> None:
    assert [ordinal(n) for n in (1, 3, 10, 20, 76)] == ["first", "third", "tenth", "twentieth", "seventy-sixth"]


CHINESE_RENDER = """NPT/CONF.2015/PC.III/WP.18

第三届会议

2014年4月28日至5月9日，纽约

核裁军的核查

由爱尔兰代表新议程联盟(巴西、埃及、爱尔兰、墨西哥、新西兰和南非)提交的工作文件

1. 新议程联盟回顾核武器国家明确承诺彻底消除其核武库，从而实现核裁军，这是所有缔约国根据《条约》第六条所作的承诺。
"""


def test_chinese_working_paper_of_a_session_keeps_on_behalf_of_and_derives_the_meeting(parties: Parties) -> None:
    h = read_header(CHINESE_RENDER, parties)
    assert h.title == "核裁军的核查" and h.submitted_by == ("Ireland",) and h.on_behalf_of == ("New Agenda Coalition",)
    assert h.meeting.name.startswith("Preparatory Committee for the 2015 Review Conference") and h.language == "zh"


PDF_MASTHEAD = """United Nations NPT/CONF.2015/PC.III/WP.3
Preparatory Committee for the 2015 Review Conference of the Parties to the Treaty on the Non-Proliferation of Nuclear Weapons
Distr.: General 10 April 2014
Original: English
14-29530 (E) 160414
*1429530*
Third session
New York, 28 April-9 May 2014
Nuclear disarmament
Working paper submitted by the members of the Vienna Group of Ten (Australia, Austria, Denmark)
1. The Group welcomes the progress made in implementing the 2010 action plan, and calls on all States to do more.
"""


def test_a_pdf_masthead_on_few_lines_reads_symbol_date_and_a_group_with_its_qualifiers(parties: Parties) -> None:
    h = read_header(PDF_MASTHEAD, parties)
    assert h.symbol == "NPT/CONF.2015/PC.III/WP.3" and h.date == "2014-04-10" and h.title == "Nuclear disarmament"
    assert h.submitted_by == ("Vienna Group of Ten",) and h.problems == ()
    assert h.meeting.name.endswith("third session, New York")

"""`qa add PATH...` with no metadata flags: folders of UN documents read from their first pages, shown before
they are written, refused file by file with a reason, and overridden field by field by flags."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import shared_file

from qa.cli.main import cli
from qa.documents.corpus import load_corpus
from qa.documents.un_submitters import compare_names
from qa.parties.table import load_parties

ROOT = Path(__file__).resolve().parent.parent
NPT2014 = ROOT.parent / "shared" / "corpora" / "npt2014-reports"
SEEDS = ROOT.parent / "shared" / "seeds"
sys.path.insert(0, str(ROOT / "bench"))
import header_accuracy  # the bench's comparisons, so the tests and the closing table agree

WORKING_PAPER = """NPT/CONF.2020/PC.III/WP.{n}

Preparatory Committee for the 2020 Review Conference of the
Parties to the Treaty on the Non-Proliferation of Nuclear Weapons

15 April 2019

Third session
New York, 29 April-10 May 2019

{title}

Working paper submitted by {who}

1. {body}
"""
CHINESE_PAPER = """第三届会议

2019 年 4 月 29 日至 5 月 10 日，纽约

{title}

{who}提交的工作文件

1. {body}
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def snapshot(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def paper(folder: Path, name: str, n: int = 1, title: str = "Negative security assurances", who: str = "Japan",
          body: str = "States should give legally binding assurances to non-nuclear-weapon States.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    template = CHINESE_PAPER if name.endswith("-zh.txt") else WORKING_PAPER
    (folder / name).write_text(template.format(n=n, title=title, who=who, body=body), encoding="utf-8")
    return folder / name


def test_npt2014_folder_imports_all_21_documents_with_no_manifest(tmp_path: Path) -> None:
    corpus_dir = tmp_path / "r"
    assert run("init", str(corpus_dir))[0] == 0
    code, out = run("add", str(shared_file(NPT2014 / "manifest.jsonl").parent / "texts"), "--corpus-dir",
                    str(corpus_dir))
    assert code == 0 and "21 added, 0 already in the corpus, 0 refused" in out, out[-800:]
    parties = load_parties()
    truth = {json.loads(line)["file"]: json.loads(line)
             for line in (NPT2014 / "manifest.jsonl").read_text(encoding="utf-8").splitlines()}
    right = dict.fromkeys(("symbol", "who", "kind", "meeting", "title"), 0)
    for d in load_corpus(corpus_dir).documents:
        row = truth[d.source]
        right["symbol"] += d.symbol == row["symbol"]
        right["who"] += compare_names(parties, d.submitted_by, row["submitted_by"]) and \
            compare_names(parties, [d.author], [row["author"]])
        right["kind"] += d.kind == row["kind"]
        right["meeting"] += header_accuracy.normal_meeting(d.meeting) == header_accuracy.normal_meeting(row["meeting"])
        right["title"] += header_accuracy.title_right(d.title, row["title"])
        assert d.source_of("symbol") == "read" and d.language == "en"
    assert min(right["symbol"], right["who"], right["kind"], right["meeting"]) >= 20, right
    assert right["title"] >= 19, right


def test_seed_papers_imported_with_no_flags_match_the_bundled_metadata(tmp_path: Path) -> None:
    code, out = run("add", str(shared_file(SEEDS / "000_e56168cbefb5acf9.txt").parent), "--corpus-dir",
                    str(tmp_path / "c"))
    assert code == 0 and "5 added" in out, out[-800:]
    parties = load_parties()
    truth = {d["sha256"]: d for d in json.loads((ROOT / "corpus" / "documents.json").read_text("utf-8"))}
    docs = load_corpus(tmp_path / "c").documents
    same = [compare_names(parties, d.submitted_by, truth[d.sha256]["submitted_by"])
            and compare_names(parties, [d.author], [truth[d.sha256]["author"]]) and d.kind == truth[d.sha256]["kind"]
            and header_accuracy.normal_meeting(d.meeting) == header_accuracy.normal_meeting(truth[d.sha256]["meeting"])
            for d in docs]
    assert len(docs) == 5 and sum(same) >= 4
    unidir = next(d for d in docs if d.sha256 == truth_sha(truth, "unidir-2021"))
    assert unidir.symbol == "" and unidir.meeting == "" and "symbol" not in dict(unidir.metadata_source)


def truth_sha(truth: dict[str, dict], doc_id: str) -> str:
    return next(sha for sha, d in truth.items() if d["id"] == doc_id)


def test_dry_run_prints_what_was_read_marks_what_is_missing_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    paper(folder, "wp1.txt")
    paper(folder, "wp2-zh.txt", title="消极安全保证", who="瑞典", body="核武器国家应向无核武器国家提供具有法律约束力的保证。")
    corpus_dir = tmp_path / "c"
    run("init", str(corpus_dir))
    before = snapshot(corpus_dir)
    code, out = run("add", str(folder), "--dry-run", "--corpus-dir", str(corpus_dir))
    assert code == 0 and "2 to add (dry run: nothing written)" in out, out
    assert "symbol       NPT/CONF.2020/PC.III/WP.1  (read)" in out
    assert "symbol       —  (missing)" in out  # the Chinese paper prints no symbol
    assert "meeting      Preparatory Committee for the 2020 Review Conference" in out and "(derived)" in out
    assert snapshot(corpus_dir) == before
    code, out = run("add", str(folder), "--dry-run", "--json", "--corpus-dir", str(tmp_path / "never"))
    rows = json.loads(out)
    assert [r["status"] for r in rows] == ["to add", "to add"] and not (tmp_path / "never").exists()
    zh = next(r for r in rows if r["file"].endswith("wp2-zh.txt"))
    assert zh["fields"]["submitted_by"] == {"value": ["Sweden"], "source": "read"}
    assert zh["fields"]["symbol"] == {"value": "", "source": ""} and zh["fields"]["language"]["value"] == "zh"


def test_without_dry_run_it_writes_then_prints_the_same_table(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    paper(folder, "wp1.txt")
    code, out = run("add", str(folder), "--corpus-dir", str(tmp_path / "c"))
    assert code == 0 and "added    in/wp1.txt  → japan-2019" in out and "submitted by Japan  (read)" in out
    doc = load_corpus(tmp_path / "c").document("japan-2019")
    assert doc.title == "Negative security assurances" and doc.kind == "working paper" and doc.date == "2019-04-15"
    assert dict(doc.metadata_source)["title"] == "read"
    stored = json.loads((tmp_path / "c" / "documents.json").read_text(encoding="utf-8"))
    assert stored[0]["metadata_source"]["symbol"] == "read"


def test_refusals_are_per_file_with_their_reason_and_nothing_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    paper(folder, "good.txt", n=1)
    paper(folder, "same-symbol.txt", n=1, title="Another paper", body="A different text with the same symbol.")
    paper(folder, "unknown.txt", n=2, who="Freedonia and Swedn")
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    corpus_dir = tmp_path / "c"
    run("init", str(corpus_dir))
    before = snapshot(corpus_dir)
    code, out = run("add", str(folder), "--corpus-dir", str(corpus_dir))
    assert code == 1 and "nothing written because of the refusals" in out
    assert snapshot(corpus_dir) == before
    assert "refused  in/empty.txt: empty.txt" in out and "no text" in out
    assert "refused  in/broken.pdf: broken.pdf is a damaged PDF" in out or "not a PDF" in out
    assert "refused  in/same-symbol.txt: duplicate of 'japan-2019', which has the same symbol" in out
    assert "refused  in/unknown.txt: submitter 'Freedonia' is not in the parties table" in out
    code, out = run("add", str(folder), "--corpus-dir", str(corpus_dir), "--skip-bad")
    assert code == 1 and "1 added" in out
    assert [d.title for d in load_corpus(corpus_dir).documents] == ["Negative security assurances"]
    code, out = run("add", str(folder / "good.txt"), "--corpus-dir", str(corpus_dir))
    assert code == 0 and "already in the corpus as 'japan-2019'" in out  # the same text again: a no-op


def test_a_document_whose_symbol_is_already_in_the_corpus_is_refused(tmp_path: Path) -> None:
    paper(tmp_path / "a", "wp.txt", n=7)
    paper(tmp_path / "b", "wp.txt", n=7, body="The revised text of the same paper, with one more sentence here.")
    assert run("add", str(tmp_path / "a"), "--corpus-dir", str(tmp_path / "c"))[0] == 0
    code, out = run("add", str(tmp_path / "b"), "--corpus-dir", str(tmp_path / "c"))
    assert code == 1 and "same symbol NPT/CONF.2020/PC.III/WP.7 in the same language" in out


def test_flags_override_what_was_read_field_by_field(tmp_path: Path) -> None:
    f = paper(tmp_path / "in", "wp.txt")
    code, out = run("add", str(f), "--corpus-dir", str(tmp_path / "c"), "--submitted-by", "Australia",
                    "--kind", "statement", "--date", "2019-05-02")
    assert code == 0, out
    doc = load_corpus(tmp_path / "c").documents[0]
    assert doc.submitted_by == ("Australia",) and doc.kind == "statement" and doc.date == "2019-05-02"
    assert doc.title == "Negative security assurances" and doc.symbol == "NPT/CONF.2020/PC.III/WP.1"
    sources = dict(doc.metadata_source)
    assert sources["submitted_by"] == sources["kind"] == sources["date"] == "given"
    assert sources["title"] == sources["symbol"] == "read"


def test_a_manifest_may_hold_just_the_file_and_its_columns_still_win(tmp_path: Path) -> None:
    paper(tmp_path, "wp1.txt", n=1)
    paper(tmp_path, "wp2.txt", n=2, who="Canada", title="Fissile material")
    rows = [{"file": "wp1.txt"}, {"file": "wp2.txt", "title": "A title from the manifest"}]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code, out = run("add", "--manifest", str(tmp_path / "m.jsonl"), "--corpus-dir", str(tmp_path / "c"))
    assert code == 0, out
    docs = {d.symbol: d for d in load_corpus(tmp_path / "c").documents}
    assert docs["NPT/CONF.2020/PC.III/WP.1"].title == "Negative security assurances"
    assert docs["NPT/CONF.2020/PC.III/WP.2"].title == "A title from the manifest"
    assert docs["NPT/CONF.2020/PC.III/WP.2"].submitted_by == ("Canada",)


def test_a_file_that_prints_no_title_or_submitter_is_refused_with_the_flag_to_give(tmp_path: Path) -> None:
    f = tmp_path / "note.txt"
    f.write_text("1. States should reduce the role of nuclear weapons in their security policies.\n", encoding="utf-8")
    code, out = run("add", str(f), "--corpus-dir", str(tmp_path / "c"))
    assert code != 0 and "--title" in out and out.count("\n") == 1
    code, out = run("add", str(f), "--corpus-dir", str(tmp_path / "c"), "--title", "Roles", "--submitted-by", "Chile")
    assert code == 0, out


def test_init_title_names_the_corpus(tmp_path: Path) -> None:
    from qa.documents.corpus import corpus_title

    assert run("init", str(tmp_path / "c"), "--title", "NPT 2014 national reports")[0] == 0
    assert corpus_title(tmp_path / "c") == "NPT 2014 national reports"
    assert corpus_title(tmp_path) == ""


def test_a_misspelt_submitted_by_is_refused_with_the_closest_names_and_writes_nothing(tmp_path: Path) -> None:
    f = paper(tmp_path / "in", "wp.txt")
    code, out = run("add", str(f), "--corpus-dir", str(tmp_path / "c"), "--submitted-by", "Japn")
    assert code != 0 and out.count("\n") == 1, out
    assert "'Japn' is not in the parties table" in out and "Japan" in out and "--new-party" in out
    assert not (tmp_path / "c").exists()


def test_new_party_adds_a_submitter_the_table_lacks_and_the_corpus_knows_it_from_then_on(tmp_path: Path) -> None:
    corpus_dir = tmp_path / "c"
    code, out = run("add", str(paper(tmp_path / "a", "wp.txt", n=1)), "--corpus-dir", str(corpus_dir),
                    "--submitted-by", "Freedonia", "--new-party")
    assert code == 0, out
    assert load_corpus(corpus_dir).documents[0].submitted_by == ("Freedonia",)
    code, out = run("add", str(paper(tmp_path / "b", "wp.txt", n=2)), "--corpus-dir", str(corpus_dir),
                    "--submitted-by", "Freedonia")
    assert code == 0, out


def test_a_manifest_row_naming_an_unknown_submitter_is_refused_with_the_closest_names(tmp_path: Path) -> None:
    paper(tmp_path, "wp1.txt", n=1)
    paper(tmp_path, "wp2.txt", n=2)
    rows = [{"file": "wp1.txt", "submitted_by": ["Japan"]}, {"file": "wp2.txt", "submitted_by": ["Swedn"]}]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code, out = run("add", "--manifest", str(tmp_path / "m.jsonl"), "--corpus-dir", str(tmp_path / "c"))
    assert code == 1 and "'Swedn' is not in the parties table (closest parties: Sweden" in out, out
    assert not (tmp_path / "c" / "documents.json").exists()
    code, out = run("add", "--manifest", str(tmp_path / "m.jsonl"), "--corpus-dir", str(tmp_path / "c"),
                    "--new-party")
    assert code == 0, out


def test_a_misspelt_author_is_refused_like_a_submitter_and_new_party_accepts_it(tmp_path: Path) -> None:
    f = paper(tmp_path / "in", "wp.txt")
    code, out = run("add", str(f), "--corpus-dir", str(tmp_path / "c"), "--author", "UNIDRI")
    assert code != 0 and "--author 'UNIDRI' is not in the parties table" in out and "--new-party" in out, out
    assert not (tmp_path / "c").exists()
    code, out = run("add", str(f), "--corpus-dir", str(tmp_path / "c"), "--author", "裁研所")
    assert code == 0, out
    assert load_corpus(tmp_path / "c").documents[0].author == "裁研所"


def test_a_manifest_row_naming_an_unknown_author_is_refused_and_the_others_are_not_written(tmp_path: Path) -> None:
    paper(tmp_path, "wp1.txt", n=1)
    paper(tmp_path, "wp2.txt", n=2)
    rows = [{"file": "wp1.txt", "author": "UNIDIR"}, {"file": "wp2.txt", "author": "Secretariatt"}]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code, out = run("add", "--manifest", str(tmp_path / "m.jsonl"), "--corpus-dir", str(tmp_path / "c"))
    assert code == 1 and "author 'Secretariatt' is not in the parties table" in out, out
    assert not (tmp_path / "c" / "documents.json").exists()
    code, out = run("add", "--manifest", str(tmp_path / "m.jsonl"), "--corpus-dir", str(tmp_path / "c"),
                    "--new-party")
    assert code == 0, out


def test_a_submitter_no_party_has_derives_no_author_and_the_refusal_names_the_flags_to_fix_it(tmp_path: Path) -> None:
    f = paper(tmp_path / "in", "wp.txt", who="Freedonia")
    code, out = run("add", str(f), "--corpus-dir", str(tmp_path / "c"), "--json", "--dry-run")
    row = json.loads(out)[0]
    assert code == 1 and row["status"] == "refused"
    assert row["fields"]["author"]["value"] == "" and "secretariat" not in row["id"]
    assert "'Freedonia' is not in the parties table" in row["reason"] and "parties-curated" not in row["reason"]
    assert "--submitted-by 'Freedonia' --new-party" in row["reason"]
    code, out = run("add", str(f), "--corpus-dir", str(tmp_path / "c"), "--submitted-by", "Freedonia", "--new-party")
    assert code == 0 and "freedonia-2019" in out, out

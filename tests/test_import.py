"""A corpus from nothing, in bulk: `qa init`, `qa add --manifest` (JSON Lines and CSV), row-by-row refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli.main import cli
from qa.documents.corpus import load_corpus

ROOT = Path(__file__).resolve().parent.parent
UNGDC_DIR = ROOT.parent / "shared" / "corpora" / "ungdc-2021"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def write_texts(folder: Path, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


ENGLISH = "1. The Treaty is the cornerstone of the non-proliferation regime.\n\n2. We support its universality.\n"
CHINESE = "1. 《不扩散核武器条约》是核不扩散体系的基石。\n\n2. 我们支持条约的普遍性。\n"


def test_init_makes_an_empty_corpus_and_says_what_to_do_next(tmp_path: Path) -> None:
    code, out = run("init", str(tmp_path / "c"))
    assert code == 0 and "qa add" in out
    assert json.loads((tmp_path / "c" / "documents.json").read_text()) == []
    code, out = run("init", str(tmp_path / "c"))
    assert code == 0 and "Already a corpus" in out


def test_manifest_import_records_each_row_with_its_own_metadata_and_detects_language(tmp_path: Path) -> None:
    write_texts(tmp_path, {"t/a.txt": ENGLISH, "t/b.txt": CHINESE})
    rows = [{"file": "t/a.txt", "title": "Report", "submitted_by": ["Germany"], "date": "2014-03-17",
             "kind": "report", "symbol": "NPT/CONF.2015/PC.III/2"},
            {"file": "t/b.txt", "title": "工作文件", "submitted_by": ["China", "France"], "kind": "working paper"}]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    code, out = run("add", "--manifest", str(tmp_path / "m.jsonl"), "--corpus-dir", str(tmp_path / "c"))
    assert code == 0, out
    docs = {d.source: d for d in load_corpus(tmp_path / "c").documents}
    assert docs["t/a.txt"].submitted_by == ("Germany",) and docs["t/a.txt"].kind == "report"
    assert docs["t/a.txt"].language == "en" and docs["t/b.txt"].language == "zh"
    assert docs["t/b.txt"].submitted_by == ("China", "France") and docs["t/a.txt"].id == "germany-2014"


def test_importing_the_same_manifest_again_changes_nothing(tmp_path: Path) -> None:
    write_texts(tmp_path, {"a.txt": ENGLISH})
    (tmp_path / "m.jsonl").write_text(json.dumps({"file": "a.txt", "title": "T", "submitted_by": ["Japan"]}) + "\n")
    run("add", "--manifest", str(tmp_path / "m.jsonl"), "--corpus-dir", str(tmp_path / "c"))
    before = (tmp_path / "c" / "documents.json").read_bytes()
    code, out = run("add", "--manifest", str(tmp_path / "m.jsonl"), "--corpus-dir", str(tmp_path / "c"))
    assert code == 0 and "0 added, 1 already in the corpus" in out
    assert (tmp_path / "c" / "documents.json").read_bytes() == before


def test_csv_manifest_splits_submitters_on_semicolons(tmp_path: Path) -> None:
    write_texts(tmp_path, {"a.txt": ENGLISH})
    (tmp_path / "m.csv").write_text("file,title,submitted_by,date\na.txt,Joint paper,China;Russian Federation,2022\n")
    code, out = run("add", "--manifest", str(tmp_path / "m.csv"), "--corpus-dir", str(tmp_path / "c"))
    assert code == 0, out
    (doc,) = load_corpus(tmp_path / "c").documents
    assert doc.submitted_by == ("China", "Russian Federation") and doc.date == "2022"


def test_bad_rows_are_refused_one_by_one_and_nothing_is_written_unless_skip_bad(tmp_path: Path) -> None:
    write_texts(tmp_path, {"good.txt": ENGLISH, "other.txt": CHINESE})
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    rows = [{"file": "good.txt", "title": "Good", "submitted_by": ["Japan"]},
            {"file": "missing.txt", "title": "Missing", "submitted_by": ["Japan"]},
            {"file": "other.txt", "title": "Bad date", "submitted_by": ["Japan"], "date": "May 2019"},
            {"file": "other.txt", "title": "Unknown column", "submitted_by": ["Japan"], "colour": "red"},
            {"file": "bad.pdf", "title": "Unreadable", "submitted_by": ["Japan"]},
            {"file": "good.txt", "title": "Same text again", "submitted_by": ["Japan"]}]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    code, out = run("add", "--manifest", str(tmp_path / "m.jsonl"), "--corpus-dir", str(tmp_path / "c"))
    assert code == 1 and "nothing written because of the refusals" in out
    assert not (tmp_path / "c" / "documents.json").exists()
    code, out = run("add", "--manifest", str(tmp_path / "m.jsonl"), "--corpus-dir", str(tmp_path / "c"), "--skip-bad")
    assert code == 1
    assert "row 2  missing.txt: file 'missing.txt' does not exist" in out
    assert "row 3  other.txt: date 'May 2019'" in out and "row 4  other.txt: unknown column(s) colour" in out
    assert "row 5  bad.pdf" in out and "damaged PDF" in out and "row 7  -: not valid JSON" in out
    assert "row 6  good.txt: already in the corpus" in out
    assert [d.title for d in load_corpus(tmp_path / "c").documents] == ["Good"]


def test_a_missing_corpus_folder_is_created_by_add(tmp_path: Path) -> None:
    write_texts(tmp_path, {"a.txt": CHINESE})
    code, out = run("add", str(tmp_path / "a.txt"), "--title", "T", "--submitted-by", "伊朗",
                    "--corpus-dir", str(tmp_path / "new" / "corpus"))
    assert code == 0, out
    assert [d.title for d in load_corpus(tmp_path / "new" / "corpus").documents] == ["T"]


def test_the_194_general_debate_statements_import_with_their_speakers(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the manifest named as the README names it, relative and through '..'
    code, out = run("add", "--manifest", "../shared/corpora/ungdc-2021/manifest.jsonl", "--corpus-dir",
                    str(tmp_path / "c"))
    assert code == 0 and "194 added" in out, out[-500:]
    docs = {d.id: d for d in load_corpus(tmp_path / "c").documents}
    assert len(docs) == 194 and docs["chn-76"].submitted_by == ("China",)
    assert docs["chn-76"].source == "texts/CHN_76_2021.txt" and docs["chn-76"].kind == "statement"
    assert all(d.language == "en" for d in docs.values())


def test_another_corpus_keeps_its_own_index_unless_told_otherwise(tmp_path: Path) -> None:
    from qa.settings import Settings

    assert Settings.load({"corpus_dir": str(tmp_path / "c")}, env={}).index_dir == tmp_path / "c" / "index"
    assert Settings.load({}, env={}).index_dir == ROOT / "index"
    assert Settings.load({"corpus_dir": str(tmp_path / "c")}, env={"QA_INDEX_DIR": "/x"}).index_dir == Path("/x")

"""`qa add` for each supported format, and refusals that leave the corpus byte-identical."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter

from qa.cli.main import cli
from qa.documents.corpus import load_corpus

PARAGRAPHS = [
    "Sweden proposes a stepping stone approach to nuclear disarmament diplomacy.",
    "States should reduce the role of nuclear weapons in their security policies.",
]


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file of the corpus folder by content (a folder in it, such as Python's `__pycache__` when the bundled
    corpus was imported for its data files, is not the corpus's)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _add(corpus_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--corpus-dir", str(corpus_dir), "add", *args])
    return result.exit_code, result.output


def _pdf_bytes(lines: list[str]) -> bytes:
    """A one-page PDF with Helvetica text, built by hand (offsets computed, so pypdf reads it strictly)."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({t}) Tj T*" for t in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        ("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
         "/Contents 4 0 R >>"),
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_add_txt_appears_with_metadata(corpus_copy: Path, tmp_path: Path) -> None:
    f = tmp_path / "paper.txt"
    f.write_text("瑞典提交的工作文件\n\n 减少核风险需要所有国家参与。\n\n 核武器国家负有特殊责任。\n", encoding="utf-8")
    code, out = _add(corpus_copy, str(f), "--title", "减少核风险", "--submitted-by", "Sweden", "--date", "2023-05-01",
                     "--meeting", "Preparatory Committee, first session, Vienna")
    assert code == 0, out
    corpus = load_corpus(corpus_copy)
    doc = corpus.document("sweden-2023")
    assert doc.submitted_by == ("Sweden",) and doc.meeting.endswith("Vienna") and doc.file.startswith("005_")
    assert [p.text for p in corpus.paragraphs_of(doc.id) if p.searchable] == ["减少核风险需要所有国家参与。",
                                                                                  "核武器国家负有特殊责任。"]


def test_add_md_keeps_headings_out_of_search(corpus_copy: Path, tmp_path: Path) -> None:
    f = tmp_path / "paper.md"
    f.write_text("# Title\n\n## Section\n\n1. First **numbered** paragraph.\n\n2. Second one.\n", encoding="utf-8")
    code, out = _add(corpus_copy, str(f), "--title", "Title", "--submitted-by", "Japan")
    assert code == 0, out
    ps = load_corpus(corpus_copy).paragraphs_of("japan")
    assert [(p.label, p.section, p.text) for p in ps if p.searchable] == [
        ("1", "Section", "1. First numbered paragraph."), ("2", "Section", "2. Second one.")]


def test_add_pdf(corpus_copy: Path, tmp_path: Path) -> None:
    f = tmp_path / "paper.pdf"
    f.write_bytes(_pdf_bytes(PARAGRAPHS))
    code, out = _add(corpus_copy, str(f), "--title", "Stepping stones", "--submitted-by", "Sweden")
    assert code == 0, out
    text = " ".join(p.text for p in load_corpus(corpus_copy).paragraphs_of("sweden") if p.searchable)
    assert "stepping stone approach" in text and "security policies" in text


def test_add_docx(corpus_copy: Path, tmp_path: Path) -> None:
    d = docx.Document()
    d.add_heading("Strategic risk reduction", level=1)
    for t in PARAGRAPHS:
        d.add_paragraph(t)
    f = tmp_path / "paper.docx"
    d.save(str(f))
    code, out = _add(corpus_copy, str(f), "--title", "Strategic risk reduction", "--submitted-by", "France",
                     "--submitted-by", "China", "--date", "2021")
    assert code == 0, out
    ps = load_corpus(corpus_copy).paragraphs_of("france-2021")
    assert [p.text for p in ps if p.searchable] == PARAGRAPHS
    assert all(p.section == "Strategic risk reduction" for p in ps if p.searchable)


def _encrypted_pdf(tmp_path: Path) -> Path:
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(_pdf_bytes(PARAGRAPHS))).pages[0])
    writer.encrypt("secret")
    f = tmp_path / "locked.pdf"
    with open(f, "wb") as out:
        writer.write(out)
    return f


def _zip_bomb_docx(tmp_path: Path) -> Path:
    f = tmp_path / "bomb.docx"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    return f


@pytest.mark.parametrize("make, message", [
    (lambda t: (t / "empty.txt").write_bytes(b"") and None or t / "empty.txt", "empty"),
    (lambda t: (t / "blank.md").write_text("  \n\n \n") and None or t / "blank.md", "no text"),
    (lambda t: (t / "bad.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage") and None or t / "bad.pdf", "PDF"),
    (lambda t: (t / "fake.pdf").write_bytes(b"hello") and None or t / "fake.pdf", "not a PDF"),
    (_encrypted_pdf, "encrypted"),
    (lambda t: (t / "paper.rtf").write_text("{\\rtf1 hi}") and None or t / "paper.rtf", "unsupported"),
    (_zip_bomb_docx, "zip bomb"),
    (lambda t: (t / "broken.docx").write_bytes(b"PK\3\4 not really") and None or t / "broken.docx", "docx"),
])
def test_bad_file_is_refused_and_corpus_unchanged(corpus_copy: Path, tmp_path: Path, make, message: str) -> None:
    before = _snapshot(corpus_copy)
    f = make(tmp_path)
    code, out = _add(corpus_copy, str(f), "--title", "T", "--submitted-by", "Sweden")
    assert code != 0
    assert message.lower() in out.lower() and out.count("\n") == 1, out
    assert _snapshot(corpus_copy) == before


def test_symlink_is_refused_and_corpus_unchanged(corpus_copy: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("一段文字。\n", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    before = _snapshot(corpus_copy)
    code, out = _add(corpus_copy, str(link), "--title", "T", "--submitted-by", "Sweden")
    assert code != 0 and "symbolic link" in out
    assert _snapshot(corpus_copy) == before


def test_adding_a_file_already_in_the_corpus_is_a_no_op(corpus_copy: Path) -> None:
    before = _snapshot(corpus_copy)
    code, out = _add(corpus_copy, str(corpus_copy / "003_b870c8805095604d.txt"), "--title", "T",
                     "--submitted-by", "Sweden")
    assert code == 0 and "already in the corpus as 'sweden-2019'" in out and "0 added" in out
    assert _snapshot(corpus_copy) == before


def test_bad_date_is_refused_before_reading(corpus_copy: Path, tmp_path: Path) -> None:
    f = tmp_path / "p.txt"
    f.write_text("一段文字。\n", encoding="utf-8")
    before = _snapshot(corpus_copy)
    code, out = _add(corpus_copy, str(f), "--title", "T", "--submitted-by", "Sweden", "--date", "May 2019")
    assert code != 0 and "YYYY" in out
    assert _snapshot(corpus_copy) == before

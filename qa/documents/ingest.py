"""Reading a user's file (.txt, .md, .pdf, .docx) into plain text, refusing anything unsafe or unreadable.

Every refusal is an `InputError` naming the file, the rule and the fix; nothing here writes to disk.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

from qa.errors import InputError

SUPPORTED = (".txt", ".md", ".pdf", ".docx")
MAX_FILE_BYTES = 50 * 1024 * 1024
# A .docx is a zip: refuse archives that would expand to more than this, or compress suspiciously well.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_ZIP_ENTRIES = 2000


def check_path(path: Path) -> Path:
    """The regular file the user named, refusing symlinks and paths that lead elsewhere through one.

    A path through '..' ('../shared/texts/1.txt') is the user's own way to name a file and is accepted; only a
    manifest's rows, which must stay below the manifest's folder, refuse '..' (`manifest._entry`)."""
    if path.is_symlink():
        raise InputError(f"{path} is a symbolic link; pass the real file instead.")
    if not path.exists():
        raise InputError(f"{path} does not exist; check the path.")
    if not path.is_file():
        raise InputError(f"{path} is not a regular file; pass a .txt, .md, .pdf or .docx file.")
    resolved = path.resolve()
    if resolved != Path(os.path.normpath(path.absolute())):  # '..' taken out by name, links left in
        raise InputError(f"{path} resolves to {resolved} through a symbolic link; pass the real path instead.")
    if path.suffix.lower() not in SUPPORTED:
        raise InputError(f"{path.name}: unsupported file type {path.suffix or '(none)'!r}; "
                         f"supported are {', '.join(SUPPORTED)}.")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path.name} is empty; nothing to add.")
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path.name} is {size // 1024 // 1024} MB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MB.")
    return path


def read_text(path: Path) -> str:
    """The text of a supported file; raises InputError for unsupported, empty, encrypted or corrupt files."""
    path = check_path(path)
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        text = _decode(data, path.name)
    elif suffix == ".pdf":
        text = _pdf_text(data, path.name)
    else:
        text = _docx_text(data, path.name)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise InputError(f"{path.name} contains no text (a scanned PDF needs OCR first); nothing to add.")
    return text


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 or GB18030 text; save it as UTF-8 and retry.") from None


def _pdf_text(data: bytes, name: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise InputError(f"{name} is not a PDF file (no %PDF header); export it again as PDF.")
    try:
        with _quiet("pypdf"):
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise InputError(f"{name} is encrypted; remove the password protection and retry.")
            pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError) as e:
        raise InputError(f"{name} is a damaged PDF ({type(e).__name__}); export it again and retry.") from None
    return "\f".join(pages)  # a form feed between pages: the segmenter gives each paragraph its page


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """A library's log silenced while it reads a file: its complaints ("EOF marker not found") would reach the
    terminal beside the one refusal line that already says what is wrong with the file."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def check_zip(data: bytes, name: str) -> None:
    """Refuse zip bombs before anything is decompressed: entry count, total size and compression ratio."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InputError(f"{name} is not a valid .docx (not a zip archive); save it again from Word.") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise InputError(f"{name} has {len(infos)} archive entries (limit {MAX_ZIP_ENTRIES}); refusing it.")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise InputError(f"{name} would expand to {total // 1024 // 1024} MB (limit "
                         f"{MAX_UNZIPPED_BYTES // 1024 // 1024} MB); refusing a possible zip bomb.")
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size > MAX_ZIP_RATIO * max(i.compress_size, 1):
            raise InputError(f"{name}: entry {i.filename} compresses {i.file_size // max(i.compress_size, 1)}:1 "
                             f"(limit {MAX_ZIP_RATIO}:1); refusing a possible zip bomb.")


def _docx_text(data: bytes, name: str) -> str:
    """Paragraphs one per line; Word headings become Markdown headings and table rows tab-separated lines."""
    check_zip(data, name)
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, XMLSyntaxError, KeyError, ValueError, zipfile.BadZipFile, OSError) as e:
        raise InputError(f"{name} is not a readable .docx ({type(e).__name__}); save it again from Word.") from None
    lines: list[str] = []
    for p in document.paragraphs:
        text = p.text.strip()
        if not text:
            continue
        style = (p.style.name if p.style is not None else "") or ""
        if style.startswith("Heading") and style[-1:].isdigit():
            lines.append("#" * min(int(style[-1]), 6) + " " + text)
        elif style == "Title":
            lines.append("# " + text)
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip().replace("\n", " ") for c in row.cells]
            if any(cells):
                lines.append("\t".join(cells))
    return "\n\n".join(lines)

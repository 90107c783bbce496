"""Segmentation and sentence-splitting figures: prints them, asserts nothing.

Per corpus (the Chinese seeds in corpus/, the UNGDC 2021 statements and the NPT 2014 PrepCom export in
../shared/corpora/): documents, searchable paragraphs, median and longest paragraph, share numbered, gold
quotes of the dev sets that lie inside exactly one searchable paragraph, time to segment the corpus (best of
three), and sentence splitting in microseconds per searchable paragraph. Then the measurement behind the
English semicolon rule of `qa.text.sentences`, and how a Chinese PDF export is segmented: each seed paper's own
segments laid out as such an export lays them out (lines filled to 76 display columns, blank lines between
paragraphs, the running header and footer every 40 lines, also inside paragraphs), segmented again and compared
with the segments they came from.

Usage: .venv/bin/python bench/segment.py
"""

from __future__ import annotations

import json
import math
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.documents.paragraph import Paragraph
from qa.documents.segmentation import paragraphs
from qa.text import sentences

SHARED = ROOT.parent / "shared"


def _ws(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _sources(name: str) -> dict[str, tuple[str, str]]:
    """file -> (document id, text) as the manifest lists them."""
    if name == "seeds":
        docs = json.loads((ROOT / "corpus" / "documents.json").read_text(encoding="utf-8"))
        return {d["file"]: (d["id"], (ROOT / "corpus" / d["file"]).read_text(encoding="utf-8")) for d in docs}
    folder = SHARED / "corpora" / name
    out = {}
    for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        file = json.loads(line)["file"]
        out[file] = (Path(file).stem, (folder / file).read_text(encoding="utf-8"))
    return out


def _gold(path: Path, segmented: dict[str, tuple[Paragraph, ...]]) -> str:
    if not path.exists():
        return "n/a"
    inside = total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        for quote, file in zip(q["gold"], q["docs"]):
            total += 1
            inside += len([p for p in segmented[file] if p.searchable and _ws(quote) in _ws(p.text)]) == 1
    return f"{inside}/{total} ({path.name})"


def corpus_figures(name: str, dev: Path | None) -> list[str]:
    sources = _sources(name)
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        segmented = {file: paragraphs(doc_id, text) for file, (doc_id, text) in sources.items()}
        best = min(best, time.perf_counter() - t0)
    searchable = [p for ps in segmented.values() for p in ps if p.searchable]
    body = [p for p in searchable if p.kind in ("paragraph", "item", "note")]
    lengths = [len(p.text) for p in searchable]
    texts = [p.text for p in searchable]
    split = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        for t in texts:
            sentences.sentence_spans(t)
        split = min(split, time.perf_counter() - t0)
    return [
        name, str(len(sources)), str(len(searchable)), f"{statistics.median(lengths):.0f}", str(max(lengths)),
        f"{sum(p.numbered for p in body) / len(body):.0%}", _gold(dev, segmented) if dev else "n/a",
        f"{best:.2f} s", f"{split / len(texts) * 1e6:.1f} us ({statistics.mean(lengths):.0f} chars)",
    ]


def semicolon_figures() -> None:
    """What a semicolon does in English sentences, to decide whether it ends the answer unit."""
    texts = []
    for name in ("ungdc-2021", "npt2014-reports"):
        for doc_id, text in _sources(name).values():
            texts += [p.text for p in paragraphs(doc_id, text) if p.searchable]
    saved = sentences.LIST_CHARS
    sentences.LIST_CHARS = 10**9  # no semicolon ends a sentence
    units = [t[s:e] for t in texts for s, e in sentences.sentence_spans(t)]
    sentences.LIST_CHARS = saved
    one = [u.split(";", 1)[1] for u in units if u.count(";") == 1]
    connective = re.compile(r"\s*(however|but|and|or|it|its|this|that|these|those|they|we|there|which|thus|"
                            r"therefore|in|at|on|for|as|while|yet|so|nor|not|instead|moreover|indeed|rather)\b",
                            re.IGNORECASE)
    lists = [u for u in units if len(u) > sentences.LIST_CHARS and u.count(";") >= 2]
    pieces = sorted(len(x.strip()) for u in lists for x in u.split(";"))
    print(f"\nEnglish semicolons (UNGDC + NPT, {len(units)} sentences without splitting at ';'):")
    print(f"  sentences holding a ';': {sum(';' in u for u in units)} "
          f"({sum(';' in u for u in units) / len(units):.1%})")
    print(f"  clause after a single ';' opening with a connective or pronoun: "
          f"{sum(bool(connective.match(x)) for x in one) / max(len(one), 1):.0%} of {len(one)}")
    print(f"  list sentences (> {sentences.LIST_CHARS} chars, >= 2 ';'): {len(lists)}, split into {len(pieces)} "
          f"items of median {statistics.median(pieces):.0f} chars" if pieces else "  no list sentences")


def pdf_export(segments: tuple[Paragraph, ...], columns: int = 76, page: int = 40) -> str:
    """Segments as a Chinese PDF text export lays them out (see the module's docstring)."""
    lines: list[str] = []
    for p in segments:
        line = ""
        for ch in re.sub(r"\s*\n\s*", "", p.text):
            if sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line + ch) > columns:
                lines.append(line)
                line = ""
            line += ch
        lines += [line, ""]
    pages = [lines[i:i + page] for i in range(0, len(lines), page)]
    out = ["NPT/CONF.2020/PC.III/WP.99", ""]
    for k, lines_of_page in enumerate(pages, 1):
        out += lines_of_page
        if k < len(pages):
            out += ["", f"{k}/{len(pages)}" + " " * 40 + "19-07001 (C)", "", "NPT/CONF.2020/PC.III/WP.99", ""]
    return "\n".join(out) + "\n"


def chinese_export_figures() -> None:
    """Searchable paragraphs of the seeds' PDF-export rendering that are exactly a segment of the source."""
    found = same = 0
    for doc_id, text in _sources("seeds").values():
        source = paragraphs(doc_id, text)
        own = {_ws(p.text) for p in source}
        again = [p for p in paragraphs(doc_id, pdf_export(source)) if p.searchable]
        found += len(again)
        same += sum(_ws(p.text) in own for p in again)
    print(f"\nChinese PDF export (the seeds re-laid): {same} of {found} searchable paragraphs are a segment of "
          f"the source ({same / max(found, 1):.1%})")


def main() -> None:
    rows = [["corpus", "docs", "searchable", "median len", "max len", "numbered", "gold in one paragraph",
             "segment", "sentences/paragraph"]]
    rows.append(corpus_figures("seeds", SHARED / "eval" / "dev.jsonl"))
    rows.append(corpus_figures("ungdc-2021", SHARED / "eval" / "ungdc-2021-dev.jsonl"))
    rows.append(corpus_figures("npt2014-reports", None))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    semicolon_figures()
    chinese_export_figures()


if __name__ == "__main__":
    main()

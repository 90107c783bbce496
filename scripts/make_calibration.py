"""Rebuild corpus/calibration.tsv: the texts that set the activation ranges of the int8 OpenVINO encoder.

    python scripts/make_calibration.py           # write corpus/calibration.tsv
    python scripts/make_calibration.py --check   # exit 1 if corpus/calibration.tsv is not what this would write

English rows: paragraphs of the 21 NPT 2014 Preparatory Committee documents in ../shared/corpora/npt2014-reports
(United Nations Parallel Corpus v1.0), segmented by the project's own segmenter, every paragraph of at least 80
characters taken in turn from each document until there are ENGLISH rows. Chinese rows: the `zh` rows already in
the file, kept as they are (written for this file by the npt-qa developers; see its header). No evaluation
question and no paragraph of the bundled corpus is used. The same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "corpus" / "calibration.tsv"
NPT = ROOT.parent / "shared" / "corpora" / "npt2014-reports"
ENGLISH = 240
MIN_CHARS = 80

sys.path.insert(0, str(ROOT))
from qa.documents.segmentation import paragraphs

HEADER = """\
# Calibration texts for the int8 OpenVINO encoder (qa/embedding/quantize.py): NNCF runs the model on each row to set the
# ranges of its activations. They only calibrate; nothing here is searched, and changing this file rebuilds the
# int8 model (its hash is in the model's cache key) and so re-embeds every index built with it.
# Columns: language, source, text (one paragraph, no tabs). Written by scripts/make_calibration.py.
#
# English (en): paragraphs of documents NPT/CONF.2015/PC.III/1 to /21 (third session of the Preparatory Committee
# for the 2015 NPT Review Conference, 2014), from the United Nations Parallel Corpus v1.0 (Ziemski,
# Junczys-Dowmunt and Pouliquen, LREC 2016), as in ../shared/corpora/npt2014-reports. Source: the United
# Nations; the corpus asks users to acknowledge the United Nations as the source and sets no other restriction.
# Chinese (zh): sentences written for this file by the npt-qa developers (UN-style and everyday prose on varied
# topics, not taken from any document of the corpus or from any evaluation question); same licence as npt-qa.
"""


def english_rows() -> list[tuple[str, str, str]]:
    per_doc: list[list[tuple[str, str, str]]] = []
    for line in (NPT / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        text = (NPT / entry["file"]).read_text(encoding="utf-8")
        found = [" ".join(p.text.split()) for p in paragraphs("doc", text) if p.searchable]
        per_doc.append([("en", entry["symbol"], t) for t in found if len(t) >= MIN_CHARS])
    rows: list[tuple[str, str, str]] = []
    depth = 0
    while len(rows) < ENGLISH and any(depth < len(d) for d in per_doc):
        rows += [d[depth] for d in per_doc if depth < len(d)]
        depth += 1
    return rows[:ENGLISH]


def chinese_rows(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] == "zh":
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def render(rows: list[tuple[str, str, str]]) -> str:
    return HEADER + "".join(f"{lang}\t{source}\t{text}\n" for lang, source, text in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when the file differs")
    args = parser.parse_args()
    zh = chinese_rows(OUTPUT)
    if not zh:
        sys.exit(f"{OUTPUT} has no zh rows to keep: restore it from git before regenerating.")
    text = render(english_rows() + zh)
    if args.check:
        same = OUTPUT.read_text(encoding="utf-8") == text
        print("calibration.tsv is up to date" if same else "calibration.tsv differs from what the script writes")
        sys.exit(0 if same else 1)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}: {text.count(chr(10) + 'en' + chr(9))} English and {len(zh)} Chinese rows")


if __name__ == "__main__":
    main()

"""How well `qa.un_header` reads UN documents' own metadata: per field, right / total, on two folders whose true
metadata is known (the npt2014 folder's manifest.jsonl and the seed papers' corpus/documents.json).

    python bench/header_accuracy.py [--show-misses]

Names are compared through the parties table (any name of a party is that party); meetings are compared with
"the 2020 NPT Review Conference" and "the 2020 Review Conference of the Parties to the Treaty on the
Non-Proliferation of Nuclear Weapons" taken as the same name; a title is right when it is the manifest's title,
or begins with it when the manifest cut it at 240 characters.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.documents.ingest import read_text
from qa.documents.un_header import Header, read_header
from qa.documents.un_submitters import compare_names
from qa.documents.un_symbols import REVIEW_CONFERENCE
from qa.parties.table import Parties, load_parties

SHARED = ROOT.parent / "shared"
NPT2014 = SHARED / "corpora" / "npt2014-reports"
SEEDS = SHARED / "seeds"
TITLE_CUT = 240


def normal_meeting(text: str) -> str:
    text = text.replace(f"{REVIEW_CONFERENCE}", "NPT Review Conference")
    text = re.sub(r"\b(\d{4}) NPT Review Conference", r"\1 NPT Review Conference", text)
    return " ".join(text.lower().split())


def normal_title(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


def title_right(read: str, true: str) -> bool:
    a, b = normal_title(read), normal_title(true)
    return a == b or (len(true) >= TITLE_CUT and a.startswith(b))


def who_right(parties: Parties, h: Header, row: dict) -> bool:
    return compare_names(parties, h.submitted_by, row.get("submitted_by") or []) and \
        compare_names(parties, [h.author], [row.get("author", "")])


CHECKS: dict[str, Callable[[Parties, Header, dict], bool]] = {
    "symbol": lambda _, h, r: h.symbol == r.get("symbol", ""),
    "title": lambda _, h, r: title_right(h.title, r.get("title", "")),
    "submitters/author": who_right,
    "kind": lambda _, h, r: h.kind == r.get("kind", ""),
    "meeting": lambda _, h, r: normal_meeting(h.meeting.name) == normal_meeting(r.get("meeting", "")),
    "date": lambda _, h, r: h.date == r.get("date", ""),
    "language": lambda _, h, r: h.language == r.get("language", ""),
}


def npt2014_rows() -> Iterator[tuple[Path, dict]]:
    for line in (NPT2014 / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        yield NPT2014 / row["file"], row


def seed_rows() -> Iterator[tuple[Path, dict]]:
    for row in json.loads((ROOT / "corpus" / "documents.json").read_text(encoding="utf-8")):
        yield SEEDS / row["file"], row


def score(rows: Iterator[tuple[Path, dict]], parties: Parties) -> tuple[dict[str, int], int, list[str]]:
    right = dict.fromkeys(CHECKS, 0)
    total = 0
    misses: list[str] = []
    for path, row in rows:
        header = read_header(read_text(path), parties)
        total += 1
        for name, check in CHECKS.items():
            if check(parties, header, row):
                right[name] += 1
            else:
                got = {"symbol": header.symbol, "title": header.title, "kind": header.kind,
                       "meeting": header.meeting.name, "date": header.date, "language": header.language,
                       "submitters/author": f"{list(header.submitted_by)} / {header.author!r}"}[name]
                want = {"submitters/author": f"{row.get('submitted_by')} / {row.get('author')!r}"}.get(
                    name, row.get(name, ""))
                misses.append(f"  {path.name} {name}: read {got!r}, true {want!r}")
    return right, total, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true", help="List every field read wrong.")
    args = parser.parse_args()
    parties = load_parties()
    results = {"npt2014-reports (21, English)": score(npt2014_rows(), parties),
               "seeds (5, Chinese)": score(seed_rows(), parties)}
    names = list(CHECKS)
    print("| folder | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for folder, (right, total, _) in results.items():
        print(f"| {folder} | " + " | ".join(f"{right[n]}/{total}" for n in names) + " |")
    if args.show_misses:
        for folder, (_, _, misses) in results.items():
            print(f"\n{folder}: misses")
            print("\n".join(misses) or "  none")


if __name__ == "__main__":
    main()

"""A held-back check of who said what: topics that no change was tuned on, scored like the shared topic file.

The topics were written once, after the judgement's design and before measuring it, to check that a gain on
`../shared/eval/topics/ungdc-2021.jsonl` holds on other subjects: each in English and in Chinese, with a pattern
that marks a statement as addressing it (as the shared file's README scores topics). This script writes the topic
file for a corpus: a party is expected when one of its paragraphs matches the pattern. The patterns are literal
("climate finance", not any talk of money for adaptation), so precision here is a lower bound.

Usage:
  python bench/heldout_topics.py --corpus-dir /data/ungdc > /tmp/heldout.jsonl
  qa eval /tmp/heldout.jsonl --corpus-dir /data/ungdc
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.documents.corpus import load_corpus

CLIMATE_FINANCE = r"climate[- ]financ|financing for climate|climate-related financ"
FOOD_SECURITY = r"food (?:in)?security"
COUNCIL_REFORM = r"reform(?:ing)? (?:of )?the Security Council|Security Council reform"
JCPOA = r"Joint Comprehensive Plan of Action|JCPOA"
CUBA_EMBARGO = r"(?:embargo|blockade)[^.]{0,80}Cuba|Cuba[^.]{0,80}(?:embargo|blockade)"
TERRORISM = r"terroris"

TOPICS = (
    ("h01", "en", "climate finance", CLIMATE_FINANCE),
    ("h02", "en", "What did states say about food security?", FOOD_SECURITY),
    ("h03", "en", "reform of the Security Council", COUNCIL_REFORM),
    ("h04", "en", "the Joint Comprehensive Plan of Action", JCPOA),
    ("h05", "en", "the embargo against Cuba", CUBA_EMBARGO),
    ("h06", "en", "How did countries talk about terrorism?", TERRORISM),
    ("h11", "zh", "各国对气候融资说了什么？", CLIMATE_FINANCE),
    ("h12", "zh", "哪些国家谈到了粮食安全？", FOOD_SECURITY),
    ("h13", "zh", "关于安理会改革，各国说了什么？", COUNCIL_REFORM),
    ("h14", "zh", "各国如何谈论《联合全面行动计划》？", JCPOA),
    ("h15", "zh", "关于对古巴的封锁，各国说了什么？", CUBA_EMBARGO),
    ("h16", "zh", "各国如何谈论恐怖主义？", TERRORISM),
)


def topic_file(corpus_dir: Path) -> list[dict[str, object]]:
    """Each topic with the parties whose documents match its pattern (a document's first submitter)."""
    corpus = load_corpus(corpus_dir)
    texts = {d.id: "\n".join(p.text for p in corpus.paragraphs_of(d.id)) for d in corpus.documents}
    out = []
    for tid, lang, question, pattern in TOPICS:
        found = re.compile(pattern, re.IGNORECASE)
        parties = sorted({d.submitted_by[0] for d in corpus.documents
                          if d.submitted_by and found.search(texts[d.id])})
        out.append({"id": tid, "lang": lang, "question": question, "pattern": pattern, "parties": parties})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", type=Path, required=True, help="a corpus folder (`qa add` made it)")
    args = ap.parse_args()
    for row in topic_file(args.corpus_dir):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""A check of "What did X say about Y?": the named party is a condition, and the answer says when X never addressed Y.

Questions are made from a corpus, not taken from any evaluation file: Y is a field concept of the terminology
that between 4 and 60 of the corpus's documents name (in either language); X is a state whose documents name it
(should answer, X's passage first and about Y) or one whose documents never do (should say so). Asked in English
("What did Ireland say about the Treaty on the Prohibition of Nuclear Weapons?") and Chinese
("爱尔兰对禁止核武器条约说了什么？").

Usage: python bench/named_party.py --corpus-dir /data/ungdc [--topics 10] [--per-side 3] [--seed 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.parties.citation import voice
from qa.search.engine import Engine
from qa.search.units import passage_tokens
from qa.settings import Settings
from qa.text.terminology import CONCEPT, concept, load_terminology


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", type=Path, required=True)
    ap.add_argument("--topics", type=int, default=10)
    ap.add_argument("--per-side", type=int, default=3, help="states that did, and that did not, address each topic")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    engine = Engine.open(Settings.load({"corpus_dir": args.corpus_dir.resolve()}), build_missing=False,
                         log=lambda m: print(m, file=sys.stderr))
    rng = random.Random(args.seed)
    single = {d.id: d.submitted_by[0] for d in engine.documents.values() if len(d.submitted_by) == 1 and not d.author}
    concepts_of: dict[str, set[str]] = defaultdict(set)  # concept -> states that name it
    for doc_id, state in single.items():
        for p in engine.store.searchable(doc_id):
            for t in passage_tokens(p.text):
                if t.startswith(CONCEPT):
                    concepts_of[t].add(state)
    states = sorted(set(single.values()))
    terms = {}
    for term in load_terminology():
        key = CONCEPT + concept(term)
        if 4 <= len(concepts_of.get(key, ())) <= 60 and key not in terms and len(term.english) > 4:
            terms[key] = term
    chosen = rng.sample(sorted(terms), min(args.topics, len(terms)))
    rows = []
    for key in chosen:
        term = terms[key]
        did = sorted(concepts_of[key])
        did_not = [s for s in states if s not in concepts_of[key]]
        for state, addressed in [(s, True) for s in rng.sample(did, min(args.per_side, len(did)))] + \
                                [(s, False) for s in rng.sample(did_not, min(args.per_side, len(did_not)))]:
            for lang, question in (("en", f"What did {state} say about the {term.english}?"),
                                   ("zh", f"{engine.speakers.zh(state)}对{term.chinese[0]}说了什么？")):
                answer = engine.ask(question, 5)
                first = answer.hits[0] if answer.hits else None
                first_is_x = bool(first and state in voice(first.document, first.paragraph))
                on_topic = bool(first and key in passage_tokens(first.paragraph.text))
                said_not = not answer.covered and bool(answer.hits) and all(not h.answers for h in answer.hits)
                ok = (first_is_x and on_topic and answer.covered) if addressed else said_not
                rows.append({"question": question, "lang": lang, "state": state, "topic": term.english,
                             "addressed": addressed, "ok": ok, "first_is_x": first_is_x, "on_topic": on_topic,
                             "covered": answer.covered, "message": answer.message[:160]})
    summary = {}
    for lang in ("en", "zh", "all"):
        for addressed in (True, False):
            rs = [r for r in rows if (lang == "all" or r["lang"] == lang) and r["addressed"] == addressed]
            summary[f"{lang}/{'addressed' if addressed else 'not addressed'}"] = (
                round(sum(r["ok"] for r in rs) / len(rs), 3) if rs else None, len(rs))
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1))
        return
    for r in rows:
        if not r["ok"]:
            print(f"  miss: {r['question']} (addressed={r['addressed']}, first is X={r['first_is_x']}, "
                  f"on topic={r['on_topic']}, covered={r['covered']})")
    print(f"{len(chosen)} topics, {len(rows)} questions")
    for k, (rate, n) in summary.items():
        print(f"{k:<24} {rate} of {n}: X first and on topic" if "/addressed" in k else
              f"{k:<24} {rate} of {n}: says X does not address it")


if __name__ == "__main__":
    main()

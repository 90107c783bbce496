"""The relevance judgement's cost, in process: per question (the head of /api/ask) and per compared party.

For each question of an eval file (its questions only), after a warm-up, the script times
  (a) `engine.rank` alone (the channels and their fusion, no judgement),
  (b) the judgement of the head: `candidate_features` + `judgement.probability` on the top `HEAD` passages,
      with the tokens of passages cached as a running server has them, and cold (`passage_tokens` uncached),
  (c) a whole `engine.ask`, with the judgement and without it (`Ranking.judge=False`), interleaved,
  (d) `engine.compare`, with and without the judgement, and the judgement's share of it: `candidate_features`
      + `probability` on the rows `compare` judges (each party's best `JUDGED_PER_PARTY`), divided by the number
      of parties judged.
It prints p50/p90 per stage, the judgement's ms per question and per compared party, and the ratios with /
without the judgement. The load average is printed at start and end (the figures are wall-clock times on a
shared machine). Prints, asserts nothing.

Usage: .venv/bin/python bench/judgement_cost.py --corpus-dir /tmp/ungdc
           [--eval ../shared/eval/ungdc-2021-dev.jsonl] [--rounds 2] [--limit 60]
(/tmp/ungdc: `qa init /tmp/ungdc && qa add --manifest ../shared/corpora/ungdc-2021/manifest.jsonl --corpus-dir
/tmp/ungdc && qa index --corpus-dir /tmp/ungdc`)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import pct


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn(*args)
    return 1000 * (time.perf_counter() - t), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", required=True)
    ap.add_argument("--index-dir", default="")
    ap.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval" / "ungdc-2021-dev.jsonl"))
    ap.add_argument("--rounds", type=int, default=2, help="passes over the questions (default 2)")
    ap.add_argument("--limit", type=int, default=60, help="at most this many questions (default 60)")
    args = ap.parse_args()

    from qa.parties.citation import paragraph_author
    from qa.search import relevance
    from qa.search.compare import JUDGED_PER_PARTY, voices_in
    from qa.search.engine import Engine
    from qa.search.relevance import HEAD, candidate_features
    from qa.settings import Settings
    from qa.store.base import Filter

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    questions = [json.loads(line)["question"] for line in Path(args.eval).read_text(encoding="utf-8").splitlines()
                 if line.strip()][:args.limit]
    overrides: dict[str, Any] = {"corpus_dir": args.corpus_dir}
    if args.index_dir:
        overrides["index_dir"] = args.index_dir
    settings = Settings.load(overrides)
    t0 = time.perf_counter()
    engine = Engine.open(settings, build_missing=False, log=lambda s: print(f"  ({s})"))
    print(f"engine open: {time.perf_counter() - t0:.1f} s, {engine.store.size} paragraphs, {qa_path()}")
    judged_ranking = engine.ranking
    plain_ranking = dataclasses.replace(engine.ranking, judge=False)
    where = Filter()

    def use(judge: bool) -> None:  # the engine is used from this thread only: switching its ranking is safe
        engine.ranking = judged_ranking if judge else plain_ranking

    def judge_head(query: Any, ranking: Any) -> Any:
        return engine.judgement.probability(candidate_features(engine.store, query, ranking.fused[:HEAD],
                                                               ranking.lists))

    def compare_rows(query: Any) -> tuple[Any, list[int], int]:
        """What `compare.compare` judges: the ranking, the rows (each voice's best few) and the voices judged."""
        scope = where.narrowed(frozenset().union(*query.asked)) if query.asked else where
        ranking = engine.rank(query, scope, settings.compare_candidates)
        paragraphs = engine.store.paragraphs([pid for pid, _ in ranking.fused])
        voices: dict[Any, list[int]] = {key: [] for key in voices_in(engine.documents, scope)}
        for i, p in enumerate(paragraphs):
            d = engine.documents[p.doc]
            voices.setdefault((d.submitted_by, paragraph_author(d, p)), []).append(i)
        rows = [i for r in voices.values() for i in r[:JUDGED_PER_PARTY]]
        return ranking, rows, sum(1 for r in voices.values() if r)

    def judge_rows(query: Any, ranking: Any, rows: list[int]) -> Any:
        x = candidate_features(engine.store, query, [ranking.fused[i] for i in rows], ranking.lists,
                               [i + 1 for i in rows])
        return engine.judgement.probability(x)

    def uncached(fn: Callable[..., Any], *args: Any) -> float:
        """`fn` timed with the passages' tokens computed afresh (the cache left as it was for the others)."""
        cached = relevance.passage_tokens
        relevance.passage_tokens = cached.__wrapped__  # type: ignore[attr-defined]
        try:
            return timed(fn, *args)[0]
        finally:
            relevance.passage_tokens = cached

    for judge in (True, False):  # warm-up: lazy tables, the dictionaries, both code paths
        use(judge)
        for q in questions[:3]:
            engine.ask(q)
            engine.compare(q)

    t: dict[str, list[float]] = {k: [] for k in (
        "analyse", "rank", "head", "head_cold", "ask", "ask_plain", "compare", "compare_plain", "compare_rank",
        "rows", "rows_cold", "per_party", "per_party_cold")}
    parties: list[int] = []
    judged_rows: list[int] = []
    for r in range(args.rounds):
        for n, q in enumerate(questions):
            ms, query = timed(engine.analyse, q)
            t["analyse"].append(ms)
            ms, ranking = timed(engine.rank, query, where, judged_ranking.candidates)
            t["rank"].append(ms)
            t["head"].append(timed(judge_head, query, ranking)[0])
            t["head_cold"].append(uncached(judge_head, query, ranking))
            ms, (cranking, rows, judged_parties) = timed(compare_rows, query)
            t["compare_rank"].append(ms)
            ms = timed(judge_rows, query, cranking, rows)[0]
            cold = uncached(judge_rows, query, cranking, rows)
            t["rows"].append(ms)
            t["rows_cold"].append(cold)
            t["per_party"].append(ms / max(judged_parties, 1))
            t["per_party_cold"].append(cold / max(judged_parties, 1))
            parties.append(judged_parties)
            judged_rows.append(len(rows))
            # with and without the judgement, alternately; which goes first alternates too
            for judge in ((True, False) if (r + n) % 2 == 0 else (False, True)):
                use(judge)
                t["ask" if judge else "ask_plain"].append(timed(engine.ask, q)[0])
            for judge in ((False, True) if (r + n) % 2 == 0 else (True, False)):
                use(judge)
                t["compare" if judge else "compare_plain"].append(timed(engine.compare, q)[0])
            use(True)

    def row(name: str, key: str) -> str:
        return f"| {name} | {statistics.median(t[key]):.1f} | {pct(t[key], 90):.1f} |"

    print(f"\n{len(questions)} questions × {args.rounds} rounds over {args.corpus_dir}; head = {HEAD} passages; "
          f"compare judges each party's best {JUDGED_PER_PARTY}")
    print("| stage | p50 ms | p90 ms |\n|---|---|---|")
    for name, key in (("analyse (question → Query)", "analyse"), ("(a) rank alone", "rank"),
                      ("(b) judgement of the head (tokens cached)", "head"),
                      ("(b) judgement of the head (tokens cold)", "head_cold"),
                      ("(c) ask, with the judgement", "ask"), ("(c) ask, without (judge=False)", "ask_plain"),
                      ("(d) compare's rank (compare_candidates)", "compare_rank"),
                      ("(d) judgement of compare's rows (cached)", "rows"),
                      ("(d) judgement of compare's rows (cold)", "rows_cold"),
                      ("(d) compare, with the judgement", "compare"),
                      ("(d) compare, without (judge=False)", "compare_plain"),
                      ("(d) judgement per compared party (cached)", "per_party"),
                      ("(d) judgement per compared party (cold)", "per_party_cold")):
        print(row(name, key))
    med = {k: statistics.median(v) for k, v in t.items()}
    print(f"\nparties judged per comparison: median {statistics.median(parties):.0f}, max {max(parties)}; "
          f"rows judged: median {statistics.median(judged_rows):.0f}, max {max(judged_rows)}")
    print(f"judgement per question (head of ask): {med['head']:.1f} ms cached, {med['head_cold']:.1f} ms cold "
          f"({100 * med['head'] / med['ask']:.0f}% / {100 * med['head_cold'] / med['ask']:.0f}% of ask's p50)")
    print(f"judgement per compared party: {med['per_party']:.2f} ms cached, {med['per_party_cold']:.2f} ms cold "
          f"(per comparison {med['rows']:.0f} / {med['rows_cold']:.0f} ms, "
          f"{100 * med['rows'] / med['compare']:.0f}% of compare's p50)")
    print(f"ask with / without the judgement (p50): {med['ask']:.1f} / {med['ask_plain']:.1f} = "
          f"{med['ask'] / med['ask_plain']:.2f}; p90 {pct(t['ask'], 90) / pct(t['ask_plain'], 90):.2f}")
    print(f"compare with / without the judgement (p50): {med['compare']:.1f} / {med['compare_plain']:.1f} = "
          f"{med['compare'] / med['compare_plain']:.2f}; compare / ask (p50, both judged): "
          f"{med['compare'] / med['ask']:.2f}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def qa_path() -> str:
    import qa

    return f"qa from {Path(qa.__file__).parent}"


if __name__ == "__main__":
    main()

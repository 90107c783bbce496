"""Speed of the parties table: load in a fresh process, and mentions() on questions of about 60 characters.
Prints figures, asserts nothing. Usage: python bench/parties_speed.py"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "What did the Russian Federation say about the New START Treaty?",  # 62 characters
    "What should an initial China–US strategic dialogue focus on?",
    "How does the Non-Aligned Movement view negative security assurances",
    "俄方如何评价美俄战略稳定对话以及五核国进程在减少核风险方面的作用？请结合名人小组主席总结和日方立场说明。",
]

LOAD = """
import time
t0 = time.perf_counter()
from qa.parties.table import load_parties
t1 = time.perf_counter()
load_parties()
t2 = time.perf_counter()
print(f"{(t1 - t0) * 1000:.1f} {(t2 - t1) * 1000:.1f}")
"""


def main() -> int:
    runs = [subprocess.run([sys.executable, "-c", LOAD], cwd=ROOT, capture_output=True, text=True, check=True)
            for _ in range(5)]
    imports, loads = zip(*(map(float, r.stdout.split()) for r in runs), strict=True)
    print(f"import qa.parties.table: median {statistics.median(imports):.1f} ms; "
          f"load_parties(): median {statistics.median(loads):.1f} ms (fresh process, 5 runs)")

    from qa.parties.table import load_parties

    parties = load_parties()
    names = len(parties) + sum(len(p.aliases) for p in parties)
    print(f"table: {len(parties)} parties, {names} names and aliases")
    for question in QUESTIONS:
        rounds = 2000
        start = time.perf_counter()
        for _ in range(rounds):
            found = parties.mentions(question)
        per_call = (time.perf_counter() - start) / rounds * 1e6
        print(f"mentions: {per_call:6.1f} µs for {len(question)} characters -> "
              f"{[(m.text, m.role) for m in found]}")
    start = time.perf_counter()
    suggestions = parties.suggest("Iren")
    print(f"suggest('Iren'): {(time.perf_counter() - start) * 1000:.1f} ms -> {suggestions}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

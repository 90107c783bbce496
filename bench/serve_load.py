"""Many users at once: requests/s and latency of a real `qa serve` on loopback, 1 client and 16 clients, per
encoder backend and with micro-batching on or off. Prints a table; asserts nothing.

Each configuration is a fresh server (its own index folder, built first if missing) measured in interleaved
rounds, so a neighbour's load falls on every configuration alike; read the ratio column (to "today": torch,
no micro-batching, measured in the same round).

Usage: python bench/serve_load.py [--rounds 2] [--seconds 20] [--configs today,openvino+batch]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS_FILE = ROOT.parent / "shared" / "eval" / "dev.jsonl"  # questions on the seeds, used as load only
CONFIGS = {  # name -> (QA_ENCODER, QA_QUERY_BATCH)
    "today": ("torch", "1"),
    "torch+batch": ("torch", "32"),
    "openvino": ("openvino-fp32", "1"),
    "openvino+batch": ("openvino-fp32", "32"),
}


def questions() -> list[str]:
    return [json.loads(line)["question"] for line in QUESTIONS_FILE.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))] if xs else float("nan")


def start_server(config: str, index_root: Path) -> tuple[subprocess.Popen[bytes], int]:
    encoder, batch = CONFIGS[config]
    port = free_port()
    env = {**os.environ, "QA_ENCODER": encoder, "QA_QUERY_BATCH": batch, "PYTHONPATH": str(ROOT),
           "QA_INDEX_DIR": str(index_root / encoder), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli.main", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 900  # a first start builds the index
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"{config}: the server did not start")


def load(port: int, clients: int, seconds: float, asked: list[str]) -> dict[str, float]:
    """`clients` threads, each on its own keep-alive connection, asking in turn for `seconds` (after 2 s of
    warm-up); requests/s and latency percentiles of the answered requests."""
    stop_at = time.perf_counter() + 2 + seconds
    measure_from = time.perf_counter() + 2
    latencies: list[float] = []
    failed = [0]
    lock = threading.Lock()

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        n = i
        while (now := time.perf_counter()) < stop_at:
            q = urllib.parse.quote(asked[n % len(asked)])
            n += clients
            t = time.perf_counter()
            conn.request("GET", f"/api/ask?q={q}&k=5")
            response = conn.getresponse()
            response.read()
            ms = (time.perf_counter() - t) * 1000
            if now >= measure_from:
                with lock:
                    if response.status == 200:
                        latencies.append(ms)
                    else:
                        failed[0] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return {"rps": len(latencies) / seconds, "p50": pct(latencies, 50), "p99": pct(latencies, 99),
            "n": len(latencies), "failed": failed[0]}


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def measure(configs: list[str], rounds: int, seconds: float, index_root: Path) -> dict[str, list[dict[str, float]]]:
    """Per configuration and round: 1-client and 16-client figures, and the load average at the end."""
    asked = questions()
    results: dict[str, list[dict[str, float]]] = {c: [] for c in configs}
    for r in range(rounds):
        for config in (configs if r % 2 == 0 else configs[::-1]):  # alternate the order between rounds
            proc, port = start_server(config, index_root)
            try:
                one = load(port, 1, seconds, asked)
                many = load(port, 16, seconds, asked)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            results[config].append({"rps1": one["rps"], "p50_1": one["p50"], "p99_1": one["p99"],
                                    "rps16": many["rps"], "p50_16": many["p50"], "p99_16": many["p99"],
                                    "failed": one["failed"] + many["failed"], "load": loadavg()})
            print(f"  round {r + 1} {config:15s} 1 client {one['rps']:6.1f} req/s p50 {one['p50']:6.1f} ms | "
                  f"16 clients {many['rps']:6.1f} req/s p50 {many['p50']:6.1f} ms p99 {many['p99']:7.1f} ms | "
                  f"load {loadavg():.1f}", flush=True)
    return results


def table(results: dict[str, list[dict[str, float]]]) -> str:
    base = results.get("today")
    rows = [("| config | 1 client req/s | 1 client p50 ms | 16 clients req/s | 16 clients p50 / p99 ms | "
             "16-client req/s vs today (same round) |"), "|---|---|---|---|---|---|"]
    for config, runs in results.items():
        med = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
        ratio = "–"
        if base and config != "today":
            ratio = ", ".join(f"{a['rps16'] / b['rps16']:.2f}" for a, b in zip(runs, base))
        rows.append(f"| {config} | {med['rps1']:.1f} | {med['p50_1']:.1f} | {med['rps16']:.1f} | "
                    f"{med['p50_16']:.0f} / {med['p99_16']:.0f} | {ratio} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20.0, help="measured seconds per client count")
    ap.add_argument("--configs", default=",".join(CONFIGS), help=f"from {', '.join(CONFIGS)}")
    ap.add_argument("--index-root", type=Path, help="folder for one index per backend (default: a temporary one)")
    args = ap.parse_args()
    print(f"uptime: {subprocess.run(['uptime'], check=False, capture_output=True, text=True).stdout.strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(args.configs.split(","), args.rounds, args.seconds, args.index_root or Path(tmp))
    print(table(results))


if __name__ == "__main__":
    main()

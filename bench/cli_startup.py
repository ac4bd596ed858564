"""How much `actionplan --help` costs over a bare Python start (target: under 0.25 s).

Runs each command N times in fresh processes and reports the median wall time of both and their
difference. Usage: python bench/cli_startup.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def median_seconds(argv: list[str], n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    bare = median_seconds([sys.executable, "-c", "pass"], n)
    helped = median_seconds([sys.executable, "-m", "actionplan.cli", "--help"], n)
    print(f"bare python start      {bare * 1000:7.1f} ms (median of {n})")
    print(f"actionplan --help      {helped * 1000:7.1f} ms (median of {n})")
    print(f"cost over bare start   {(helped - bare) * 1000:7.1f} ms (target < 250 ms)")


if __name__ == "__main__":
    main()

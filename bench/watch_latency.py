"""How long from a return's last write to the master containing it, with `actionplan watch`.

Runs the watcher (in a thread, as the command does) on a fresh seed master, drops the 13 seed
returns one at a time (each written and fsynced, as a save or a copy would), and measures from the
end of each write until the return has been merged into the master and moved to merged/ (which
happens only after the master was replaced). With native events and with --poll.

    python bench/watch_latency.py [--settle 2.0] [--interval 1.0]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def measure(poll: bool, settle: float, interval: float) -> dict[str, object]:
    from sync.copies import issue_copies
    from sync.simulate import fill_copy, simulated_answers
    from sync.watch import MERGED_FOLDER, ReturnsWatcher
    from workbook.importers.seed import seed_plan
    from workbook.master.read import read_master
    from workbook.master.write import write_master

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        master = folder / "master.xlsx"
        plan = dataclasses.replace(seed_plan(), plan_id="plan-bench")
        write_master(plan, master)
        issued = issue_copies(master, folder / "copies")
        answers = simulated_answers([(c.lead, c.refs) for c in issued.copies], plan.rag_key)
        staged = folder / "staged"
        staged.mkdir()
        returns = []
        for c in issued.copies:
            path = staged / f"{c.lead}.xlsx"
            fill_copy(c.path, path, answers[c.lead])
            returns.append(path)
        inbox = folder / "inbox"
        watcher = ReturnsWatcher(
            master, inbox, poll=poll, settle=settle, interval=interval, log=lambda line: None
        )
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        thread.start()
        time.sleep(0.5)
        latencies = []
        for path in returns:
            target = inbox / path.name
            with target.open("wb") as fh:
                fh.write(path.read_bytes())
                fh.flush()
                os.fsync(fh.fileno())
            written = time.perf_counter()
            done = inbox / MERGED_FOLDER / path.name
            while not done.exists():
                time.sleep(0.01)
            latencies.append(time.perf_counter() - written)
        stop.set()
        watcher.wake()
        thread.join()
        added = sum(len(it.updates) for it in read_master(master, rich=False).items)
        expected = sum(len(it.updates) for it in seed_plan().items) + sum(
            1 for mine in answers.values() for a in mine.values() if a.update
        )
        return {
            "mode": f"--poll (every {interval:g} s)" if poll else "native events",
            "returns": len(latencies),
            "median": statistics.median(latencies),
            "max": max(latencies),
            "min": min(latencies),
            "all_merged": added == expected,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=2.0, help="the watcher's --settle")
    parser.add_argument("--interval", type=float, default=1.0, help="the watcher's --interval")
    args = parser.parse_args()
    print(f"settle {args.settle:g} s (a file must be unchanged this long before it is merged)")
    for poll in (False, True):
        r = measure(poll, args.settle, args.interval)
        print(
            f"{r['mode']:22} {r['returns']} returns: last write -> in the master "
            f"median {r['median']:.2f} s, min {r['min']:.2f} s, max {r['max']:.2f} s; "
            f"every update in the master: {'yes' if r['all_merged'] else 'NO'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Faults while a merge writes the master, at scale: the kill test of tests/test_faults.py run many
times, then each write fault (disk full, permission denied, at the backup or the master) and a
`backups` path that is a file, each a few times.

Kill: the seed master with all 13 leads' returns filled in is merged in a child process of a warm
server (imports done, one merge behind it) and SIGKILLed after a random delay between 0 and the
typical merge time; the master must then open (openpyxl and python-calamine read every sheet) and
hold the state before or after the merge, and the next merge must give the after state. Write
faults: the merge runs in this process with the OS error injected, must leave the master's bytes
as they were, and the next merge must give the after state.

Usage: python bench/faults.py [--runs 200] [--fault-runs 10] [--seed 20230531]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.cycle import sheets
from tests.test_faults import (
    FAULTS,
    SEED,
    Batch,
    Fault,
    MergeServer,
    backups,
    fault_once,
    kill_once,
    kill_report,
    make_batch,
    opens,
    receipts,
    temp_files,
    typical_seconds,
)
from workbook.errors import ActionPlanError
from workbook.master.edit import BACKUP_FOLDER

CORRUPTED_TARGET = 0


@dataclass
class Row:
    fault: str
    runs: int = 0
    opened: int = 0
    before: int = 0
    after: int = 0
    corrupted: int = 0
    orphans: int = 0  # temp files left behind, all runs together
    rerun_ok: int = 0  # the next merge gave the after state
    raised: str = ""  # what the faulted merge raised


def kill_row(batch: Batch, folder: Path, runs: int, seed: int) -> tuple[Row, str]:
    server = MergeServer(batch.job(batch.fresh(folder / "warmup")))
    try:
        typical = typical_seconds(batch, server, folder)
        rng = random.Random(seed)
        kills = [
            kill_once(batch, server, folder / f"kill{n}", rng.uniform(0, typical))
            for n in range(runs)
        ]
    finally:
        server.close()
    row = Row(
        "SIGKILL at a random moment",
        runs=runs,
        opened=sum(k.opened for k in kills),
        before=sum(k.before for k in kills),
        after=sum(k.after for k in kills),
        corrupted=sum(k.corrupted for k in kills),
        orphans=sum(len(k.temp_files) for k in kills),
        rerun_ok=sum(k.rerun_after for k in kills),
        raised="-",
    )
    return row, kill_report(kills, typical, seed)


def fault_row(batch: Batch, fault: Fault, folder: Path, runs: int) -> Row:
    row = Row(str(fault), runs=runs)
    raised = set()
    for n in range(runs):
        out = fault_once(batch, fault, folder / f"{n}")
        row.opened += out.opened
        row.before += out.unchanged
        row.corrupted += not out.opened or not out.unchanged
        row.orphans += len(out.temp_files)
        row.rerun_ok += out.rerun_after
        raised.add(_kind(out.error))
        if out.receipts:
            raised.add(f"{len(out.receipts)} receipts!")
    row.raised = ", ".join(sorted(raised))
    return row


def backups_file_row(batch: Batch, folder: Path, runs: int) -> Row:
    """`backups` beside the master is a regular file, so it cannot be made as a folder."""
    row = Row(f"'{BACKUP_FOLDER}' is a file", runs=runs)
    raised = set()
    for n in range(runs):
        where = folder / f"{n}"
        master = batch.fresh(where)
        (where / BACKUP_FOLDER).write_text("not a folder")
        error = None
        try:
            batch.merge(master)
        except Exception as e:
            error = e
        raised.add(_kind(error))
        opened = opens(master)
        row.opened += opened
        row.before += master.read_bytes() == batch.before
        row.corrupted += not opened or master.read_bytes() != batch.before
        row.orphans += len(temp_files(where))
        if receipts(where) or backups(where):
            raised.add("wrote receipts or backups!")
        (where / BACKUP_FOLDER).unlink()
        batch.merge(master)
        row.rerun_ok += sheets(master) == batch.after_sheets
    row.raised = ", ".join(sorted(raised))
    return row


def _kind(error: BaseException | None) -> str:
    if error is None:
        return "nothing (merged!)"
    if isinstance(error, ActionPlanError):
        return type(error).__name__
    return f"bare {type(error).__name__}"


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"machine: {cpu or 'unknown CPU'}, {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}, temp folder {tempfile.gettempdir()} "
        f"({_filesystem(Path(tempfile.gettempdir()))})"
    )


def _filesystem(path: Path) -> str:
    """The file system `path` is on, from /proc/mounts: what fsync and rename cost depends on it."""
    best, kind = "", "unknown file system"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            _, mount, fstype, *_ = line.split()
            inside = str(path.resolve()).startswith(mount.rstrip("/") + "/") or mount == "/"
            if inside and len(mount) >= len(best):
                best, kind = mount, fstype
    except OSError:
        pass
    return kind


def table(rows: list[Row]) -> str:
    titles = ("fault", "runs", "master opened", "equal to before", "equal to after",
              "corrupted", "orphan temp files", "next merge ok", "raised")  # fmt: skip
    cells = [
        (r.fault, r.runs, r.opened, r.before, r.after, r.corrupted, r.orphans, r.rerun_ok,
         r.raised)
        for r in rows
    ]  # fmt: skip
    widths = [max(len(str(v)) for v in column) for column in zip(titles, *cells, strict=True)]

    def line(values: tuple[object, ...]) -> str:
        return "  ".join(
            str(v).ljust(w) if i in (0, 8) else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    return "\n".join([line(titles), line(tuple("-" * w for w in widths)), *map(line, cells)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="kills (default 200)")
    parser.add_argument("--fault-runs", type=int, default=10, help="runs of each write fault")
    parser.add_argument("--seed", type=int, default=SEED, help="seeds the kill moments")
    args = parser.parse_args()
    started = time.perf_counter()
    print(machine())
    from workbook.importers.seed import seed_plan

    with tempfile.TemporaryDirectory(prefix="actionplan-faults-") as tmp:
        folder = Path(tmp)
        batch = make_batch(folder / "batch", seed_plan())
        kill, report = kill_row(batch, folder / "kills", args.runs, args.seed)
        rows = [kill]
        rows += [
            fault_row(batch, fault, folder / f"fault{i}", args.fault_runs)
            for i, fault in enumerate(FAULTS)
        ]
        rows.append(backups_file_row(batch, folder / "backups-file", args.fault_runs))
    wall = time.perf_counter() - started
    print()
    print(table(rows))
    print()
    print(report)
    print()
    corrupted = sum(r.corrupted for r in rows)
    verdict = "PASS" if corrupted <= CORRUPTED_TARGET else "FAIL"
    print(f"corrupted masters: {corrupted} (target {CORRUPTED_TARGET}): {verdict}")
    print(f"wall time: {wall:.1f} s")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())

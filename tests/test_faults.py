"""Faults while a merge writes the master, with real files and real processes: a merge killed at a
random moment, a full disk or a refused write at the backup or at the master's replace, the master
opened in Excel or saved by someone else mid-batch, the watcher and `actionplan merge` writing the
same master at once, and a `backups` folder that cannot be made.

The master must always open and hold either the state before the merge or the state after it;
nothing a fault stops may leave temp files (a killed process may leave its one temp file), claim
success in a receipt, or stop the next merge from working.

Counts scale with FAULT_RUNS: FAULT_RUNS kills and FAULT_RUNS // 2 watcher rounds. The default, 20,
takes about 25 s on 2 cores; the nightly run sets FAULT_RUNS=200 (about 3.5 min). FAULT_SEED
changes the random kill moments. `bench/faults.py` runs the kill test and the write faults at scale
and prints a table.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from openpyxl import load_workbook

import sync.merge.apply
import workbook.master.edit
from sync.merge.apply import merge_returns
from sync.simulate import Answer, simulated_answers
from sync.watch import MERGED_FOLDER, ReturnsWatcher
from tests.cycle import MERGED, Cycle, cell, sheets, start_cycle
from workbook.errors import ActionPlanError, MasterError
from workbook.master.edit import BACKUP_FOLDER, MasterEdit
from workbook.master.sheets import SHEET_PLAN, SHEET_UPDATES
from workbook.plan.model import Plan

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("FAULT_RUNS", "20"))
SEED = int(os.environ.get("FAULT_SEED", "20230531"))
WHEN = MERGED
MASTER = "master.xlsx"
#: The watcher's settle time in the concurrency test: short, so a round is quick.
SETTLE = 0.3

# Where a kill landed, judged from what it left on disk.
BEFORE = "before the replace"
DURING = "during the replace"  # the master's temp file was being written: not yet renamed
AFTER = "after the replace"  # the master was replaced; receipts may still have been due
FINISHED = "finished before the kill"


# --- A batch of returns and the master before and after merging it -------------------------------


@dataclass(frozen=True)
class Batch:
    """The seed master with copies issued to all 13 leads, every lead's return filled in, and the
    master as merging them all (at `WHEN`) leaves it."""

    cycle: Cycle
    returns: tuple[Path, ...]
    before: bytes
    # the after state is judged by its sheets: parts a merge adds carry the time they were zipped
    before_sheets: dict[str, list[list[object]]]
    after_sheets: dict[str, list[list[object]]]
    #: returns that changed nothing (a lead who sent their copy back untouched)
    quiet: frozenset[str] = frozenset()

    def fresh(self, folder: Path) -> Path:
        """A copy of the master before the merge, alone in `folder`."""
        folder.mkdir(parents=True)
        master = folder / MASTER
        master.write_bytes(self.before)
        return master

    def job(self, master: Path) -> dict[str, object]:
        return {
            "master": str(master),
            "returns": [str(p) for p in self.returns],
            "when": WHEN.isoformat(),
            "receipts": str(master.parent / "receipts"),
        }

    def merge(self, master: Path) -> sync.merge.apply.MergeRun:
        return merge_returns(
            master, self.returns, when=WHEN, receipts_dir=master.parent / "receipts"
        )


def make_batch(folder: Path, plan: Plan) -> Batch:
    cycle = start_cycle(folder / "cycle", plan)
    answers = simulated_answers([(lead, c.refs) for lead, c in cycle.copies.items()], plan.rag_key)
    returns = tuple(cycle.fill(lead, mine) for lead, mine in answers.items())
    before = cycle.master.read_bytes()
    batch = Batch(cycle, returns, before, sheets(cycle.master), {})
    reference = batch.fresh(folder / "reference")
    run = batch.merge(reference)
    quiet = frozenset(r.name for r in run.changes.results if not r.lines)
    return Batch(cycle, returns, before, batch.before_sheets, sheets(reference), quiet)


def opens(path: Path) -> bool:
    """Whether both openpyxl and python-calamine read every sheet of the workbook."""
    try:
        wb = load_workbook(path)
        try:
            for ws in wb.worksheets:
                for _ in ws.iter_rows(values_only=True):
                    pass
        finally:
            wb.close()
        sheets(path)
    except Exception:
        return False
    return True


def temp_files(folder: Path) -> tuple[str, ...]:
    """write_atomically's temp files (`.name.<hex>.tmp`) anywhere under `folder`."""
    return tuple(sorted(str(p.relative_to(folder)) for p in folder.rglob(".*.tmp")))


def receipts(folder: Path) -> tuple[str, ...]:
    where = folder / "receipts"
    if not where.is_dir():
        return ()
    return tuple(sorted(p.name for p in where.iterdir() if not p.name.startswith(".")))


def backups(folder: Path) -> tuple[str, ...]:
    where = folder / BACKUP_FOLDER
    if not where.is_dir():
        return ()
    return tuple(sorted(p.name for p in where.iterdir() if not p.name.startswith(".")))


# --- Killed mid-write -----------------------------------------------------------------------------

# A Python process that imports everything a merge needs, merges once to warm up, then forks a child
# per merge it is asked for. A fresh interpreter spends most of a second importing before it touches
# the master, so the kill would mostly land in start-up; a forked child is straight into the merge.
# A child is reaped only when the test says so: until then its pid cannot be reused, so the SIGKILL
# always reaches the merge it was meant for, even if that merge has just finished.
_SERVER = r"""
import datetime as dt, json, os, sys, time, traceback
from pathlib import Path
from sync.merge.apply import merge_returns

def merge(job):
    merge_returns(Path(job["master"]), [Path(p) for p in job["returns"]],
                  when=dt.datetime.fromisoformat(job["when"]), receipts_dir=Path(job["receipts"]))

def fork(job):
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        merge(job)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)

def reply(**answer):
    print(json.dumps(answer), flush=True)

merge(json.loads(sys.argv[1]))
reply(ready=True)
for line in sys.stdin:
    ask = json.loads(line)
    if ask["op"] == "run":
        start = time.perf_counter()
        _, status = os.waitpid(fork(ask["job"]), 0)
        reply(seconds=time.perf_counter() - start, code=os.waitstatus_to_exitcode(status))
    elif ask["op"] == "start":
        reply(pid=fork(ask["job"]))
    elif ask["op"] == "reap":
        _, status = os.waitpid(ask["pid"], 0)
        reply(code=os.waitstatus_to_exitcode(status))
"""


class MergeServer:
    """Runs merges in child processes of a warm server (see `_SERVER`)."""

    def __init__(self, warmup: dict[str, object]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, json.dumps(warmup)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self._answer()["ready"]

    def _answer(self, timeout: float = 60.0) -> dict[str, object]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the merge server stopped answering (exit {self.proc.poll()})")
        return json.loads(line)

    def _ask(self, **ask: object) -> dict[str, object]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(ask) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def run(self, job: dict[str, object]) -> tuple[float, int]:
        """Merge to the end: (seconds from fork to exit, exit code)."""
        answer = self._ask(op="run", job=job)
        return float(answer["seconds"]), int(answer["code"])  # type: ignore[arg-type, call-overload]

    def start(self, job: dict[str, object]) -> int:
        return int(self._ask(op="start", job=job)["pid"])  # type: ignore[call-overload]

    def reap(self, pid: int) -> int:
        """The child's exit code (-9 when the SIGKILL took it)."""
        return int(self._ask(op="reap", pid=pid)["code"])  # type: ignore[call-overload]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def typical_seconds(batch: Batch, server: MergeServer, folder: Path, n: int = 3) -> float:
    """The median time of `n` merges run to the end; each must give the after state."""
    times = []
    for i in range(n):
        master = batch.fresh(folder / f"timing{i}")
        seconds, code = server.run(batch.job(master))
        assert code == 0 and sheets(master) == batch.after_sheets
        times.append(seconds)
    return sorted(times)[n // 2]


@dataclass(frozen=True)
class Killed:
    """What one SIGKILL left, and what the next merge made of it."""

    delay: float
    code: int  # the child's exit code: -9 killed, 0 when it finished first
    phase: str
    detail: str
    opened: bool
    before: bool
    after: bool
    temp_files: tuple[str, ...]
    rerun_error: str  # "" when the next merge ran
    rerun_after: bool  # the next merge left the master in the after state
    rerun_temp_files: tuple[str, ...]
    missing_receipts: int  # returns with no receipt after the next merge

    @property
    def corrupted(self) -> bool:
        return not self.opened or not (self.before or self.after)


def kill_once(batch: Batch, server: MergeServer, folder: Path, delay: float) -> Killed:
    master = batch.fresh(folder)
    pid = server.start(batch.job(master))
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)  # never reaped yet, so still this merge's pid
    code = server.reap(pid)
    opened = opens(master)
    state = sheets(master) if opened else None
    before, after = state == batch.before_sheets, state == batch.after_sheets
    temps = temp_files(folder)
    phase, detail = _phase(master, batch, code, after, temps)
    try:
        batch.merge(master)
        rerun_error = ""
    except Exception as e:
        rerun_error = f"{type(e).__name__}: {e}"
    rerun_after = not rerun_error and opens(master) and sheets(master) == batch.after_sheets
    return Killed(
        delay=delay,
        code=code,
        phase=phase,
        detail=detail,
        opened=opened,
        before=before,
        after=after,
        temp_files=temps,
        rerun_error=rerun_error,
        rerun_after=rerun_after,
        rerun_temp_files=temp_files(folder),
        missing_receipts=len(batch.returns) - len(receipts(folder)),
    )


def _phase(
    master: Path, batch: Batch, code: int, after: bool, temps: tuple[str, ...]
) -> tuple[str, str]:
    """Where a kill landed, from the files it left."""
    folder = master.parent
    if code == 0:
        return FINISHED, FINISHED
    if after:
        got = len(receipts(folder))
        return AFTER, f"after the replace, {got} of {len(batch.returns)} receipts written"
    if any(t.startswith(f".{MASTER}.") for t in temps):
        return DURING, "writing the master's temp file"
    if backups(folder):
        return BEFORE, "backup written, master not yet"
    if temps:
        return BEFORE, "writing the backup"
    return BEFORE, "reading and computing"


def kill_report(kills: list[Killed], typical: float, seed: int = SEED) -> str:
    phases = Counter(k.phase for k in kills)
    details = Counter(k.detail for k in kills)
    order = [BEFORE, DURING, AFTER, FINISHED]
    in_order = sorted(
        details.items(),
        key=lambda d: (
            order.index(next(k.phase for k in kills if k.detail == d[0])),
            [int(w) if w.isdigit() else 0 for w in d[0].split()],  # 2 of 13 before 10 of 13
            d[0],
        ),
    )
    orphans = [t for k in kills for t in k.temp_files]
    where = Counter(Path(t).parent.name or "master's folder" for t in orphans)
    lines = [
        f"{len(kills)} kills, delays 0-{typical * 1000:.0f} ms (typical merge), seed {seed}",
        "  " + ", ".join(f"{p}: {phases[p]}" for p in (BEFORE, DURING, AFTER, FINISHED)),
        *(f"    {d}: {n}" for d, n in in_order),
        f"  opened {sum(k.opened for k in kills)}, equal to before {sum(k.before for k in kills)},"
        f" equal to after {sum(k.after for k in kills)}, corrupted"
        f" {sum(k.corrupted for k in kills)}",
        f"  orphan temp files: {len(orphans)} (in {sum(bool(k.temp_files) for k in kills)} runs:"
        f" {', '.join(f'{n} in {w}' for w, n in sorted(where.items())) or 'none'}),"
        f" still there after the next merge: {sum(len(k.rerun_temp_files) for k in kills)}",
        f"  next merge worked: {sum(k.rerun_after for k in kills)} of {len(kills)}; returns left"
        f" without a receipt: {sum(k.missing_receipts for k in kills)}"
        f" (in {sum(k.missing_receipts > 0 for k in kills)} runs)",
    ]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, seed: Plan) -> Batch:
    return make_batch(tmp_path_factory.mktemp("faults"), seed)


@pytest.fixture(scope="module")
def server(batch: Batch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MergeServer]:
    s = MergeServer(batch.job(batch.fresh(tmp_path_factory.mktemp("warmup") / "m")))
    yield s
    s.close()


def test_a_merge_killed_at_any_moment_leaves_the_master_before_or_after(
    batch: Batch, server: MergeServer, tmp_path: Path
) -> None:
    typical = typical_seconds(batch, server, tmp_path)
    rng = random.Random(SEED)
    kills = [
        kill_once(batch, server, tmp_path / f"kill{n}", rng.uniform(0, typical))
        for n in range(RUNS)
    ]
    report = kill_report(kills, typical)
    print(report)
    bad = [k for k in kills if k.corrupted or _beside_master(k) > 1 or not k.rerun_after]
    assert not bad, f"{report}\n{bad}"
    # a kill may leave its own temporary files (at most one beside the master; the receipts of
    # one batch are written together), never one under a real name, and the next merge clears
    # them all away
    assert all(k.rerun_temp_files == () for k in kills)


def _beside_master(kill: Killed) -> int:
    """The temporary files a kill left in the master's own folder."""
    return sum(1 for t in kill.temp_files if not Path(t).parent.name)


# Kill the merge the moment the master has been replaced, before any receipt is written.
_KILL_BEFORE_RECEIPTS = r"""
import datetime as dt, json, os, signal, sys
from pathlib import Path
import sync.merge.apply

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

sync.merge.apply.write_receipts = killed
job = json.loads(sys.argv[1])
sync.merge.apply.merge_returns(Path(job["master"]), [Path(p) for p in job["returns"]],
    when=dt.datetime.fromisoformat(job["when"]), receipts_dir=Path(job["receipts"]))
"""


def test_a_merge_killed_before_its_receipts_gets_them_from_the_next_merge(
    batch: Batch, tmp_path: Path
) -> None:
    master = batch.fresh(tmp_path / "m")
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_BEFORE_RECEIPTS, json.dumps(batch.job(master))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL
    assert sheets(master) == batch.after_sheets and receipts(tmp_path / "m") == ()
    batch.merge(master)
    # every return that changed something has its receipt remade from the Changes log
    changed = {f"{p.stem} - receipt.txt" for p in batch.returns if p.name not in batch.quiet}
    assert changed <= set(receipts(tmp_path / "m"))


def test_a_return_that_changed_nothing_gets_its_receipt_after_a_kill(
    tmp_path: Path, seed: Plan
) -> None:
    cycle = start_cycle(tmp_path / "c", seed, leads=["GT"])
    nothing = cycle.fill("GT", {}, name="GT nothing.xlsx")  # sent back without a change
    receipts_dir = tmp_path / "receipts"
    job = {"master": str(cycle.master), "returns": [str(nothing)], "when": WHEN.isoformat()}
    job["receipts"] = str(receipts_dir)
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_BEFORE_RECEIPTS, json.dumps(job)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL and receipts(tmp_path) == ()
    run = merge_returns(cycle.master, [nothing], when=WHEN, receipts_dir=receipts_dir)
    assert [r.outcome for r in run.changes.results] == ["already merged"]
    assert (receipts_dir / "GT nothing - receipt.txt").exists()


# --- Disk full, permission denied -----------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """An OS error at one step of `MasterEdit.commit`: creating the temp file, writing it (half
    is written, then the error) or renaming it over the target; for the backup or the master."""

    code: int  # errno
    how: str  # "create", "write" or "replace"
    step: str  # "backup" or "master"

    def __str__(self) -> str:
        return f"{errno.errorcode[self.code]} at the {self.step} {self.how}"


FAULTS = tuple(
    Fault(code, how, step)
    for code, hows in ((errno.ENOSPC, ("write", "replace")), (errno.EACCES, ("create", "replace")))
    for how in hows
    for step in ("backup", "master")
)


@contextlib.contextmanager
def injected(fault: Fault, master: Path) -> Iterator[None]:
    """Make `fault` happen when the merge writes the backup or the master at `master`."""
    real_open, real_replace = os.open, os.replace
    real_write = workbook.master.edit.write_atomically

    def targeted(path: str | os.PathLike[str]) -> bool:
        path = Path(path)
        if fault.step == "master":
            return path == master
        return path.parent == master.parent / BACKUP_FOLDER

    def error(*names: object) -> OSError:
        # OSError picks the subclass from the errno: EACCES gives a PermissionError, as the OS does
        return OSError(fault.code, os.strerror(fault.code), *names)

    def fake_open(path, flags, mode=0o777, *, dir_fd=None):
        tmp = Path(path)
        # ".name.<hex>.tmp" is the temp file for "name"
        target = tmp.with_name(tmp.name[1:].rsplit(".", 2)[0])
        if fault.how == "create" and tmp.name.endswith(".tmp") and targeted(target):
            raise error(str(path))
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def fake_replace(src, dst, **kwargs):
        if fault.how == "replace" and targeted(dst):
            raise error(str(src), None, str(dst))
        return real_replace(src, dst, **kwargs)

    def fake_write_atomically(
        path: Path, write: Callable[[BinaryIO], object], **kwargs: Any
    ) -> None:
        if fault.how != "write" or not targeted(path):
            return real_write(path, write, **kwargs)

        def half(fh: BinaryIO) -> None:
            buf = io.BytesIO()
            write(buf)
            fh.write(buf.getvalue()[: len(buf.getvalue()) // 2])
            raise error()  # as from write(2): no file name

        return real_write(path, half, **kwargs)

    os.open, os.replace = fake_open, fake_replace
    workbook.master.edit.write_atomically = fake_write_atomically
    try:
        yield
    finally:
        os.open, os.replace = real_open, real_replace
        workbook.master.edit.write_atomically = real_write


@dataclass(frozen=True)
class Faulted:
    """What a merge under a write fault did, and what the next merge made of it."""

    error: BaseException | None
    unchanged: bool  # the master's bytes are as before
    opened: bool
    temp_files: tuple[str, ...]
    receipts: tuple[str, ...]
    backups: tuple[str, ...]
    backup_is_before: bool  # every backup left holds the master as it was
    rerun_error: str
    rerun_after: bool


def fault_once(batch: Batch, fault: Fault, folder: Path) -> Faulted:
    master = batch.fresh(folder)
    error = None
    with injected(fault, master):
        try:
            batch.merge(master)
        except Exception as e:
            error = e
    left = backups(folder)
    backup_is_before = all((folder / BACKUP_FOLDER / b).read_bytes() == batch.before for b in left)
    faulted = (
        master.read_bytes() == batch.before,
        opens(master),
        temp_files(folder),
        receipts(folder),
        left,
        backup_is_before,
    )
    try:
        batch.merge(master)
        rerun_error = ""
    except Exception as e:
        rerun_error = f"{type(e).__name__}: {e}"
    rerun_after = not rerun_error and sheets(master) == batch.after_sheets
    return Faulted(error, *faulted, rerun_error, rerun_after)


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_a_write_fault_leaves_the_master_as_it_was_and_the_rerun_merges(
    batch: Batch, fault: Fault, tmp_path: Path
) -> None:
    out = fault_once(batch, fault, tmp_path / "m")
    assert isinstance(out.error, OSError | ActionPlanError)
    assert out.unchanged and out.opened
    assert out.temp_files == ()
    assert out.receipts == ()  # the receipts folder is made first, but nothing claims a merge
    # a fault at the master leaves the backup already taken: a true copy of the master as it was
    assert len(out.backups) == (1 if fault.step == "master" else 0) and out.backup_is_before
    assert out.rerun_error == "" and out.rerun_after


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_a_write_fault_is_one_actionable_error(batch: Batch, fault: Fault, tmp_path: Path) -> None:
    out = fault_once(batch, fault, tmp_path / "m")
    assert isinstance(out.error, ActionPlanError)
    message = str(out.error)
    assert "\n" not in message and os.strerror(fault.code) in message
    # it names the file the owner knows, not the temp file (already gone)
    where = tmp_path / "m" / (BACKUP_FOLDER if fault.step == "backup" else MASTER)
    assert str(where) in message and ".tmp" not in message


# The command line under a write fault: the library's `injected` around `actionplan merge`.
_CLI_WITH_FAULT = r"""
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.test_faults import Fault, injected
from actionplan.cli import main
code, how, step, master, *returns = json.loads(sys.argv[2])
with injected(Fault(code, how, step), Path(master)):
    main(["merge", master, *returns])
"""


@pytest.mark.parametrize(
    "fault",
    [Fault(errno.ENOSPC, "replace", "master"), Fault(errno.EACCES, "create", "backup")],
    ids=str,
)
def test_a_write_fault_is_one_line_and_exit_2_from_the_command(
    batch: Batch, fault: Fault, tmp_path: Path
) -> None:
    master = batch.fresh(tmp_path / "m")
    args = [fault.code, fault.how, fault.step, str(master), *map(str, batch.returns)]
    proc = subprocess.run(
        [sys.executable, "-c", _CLI_WITH_FAULT, str(ROOT), json.dumps(args)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("Error: ")
    assert os.strerror(fault.code) in proc.stderr
    assert master.read_bytes() == batch.before
    assert temp_files(tmp_path / "m") == () and receipts(tmp_path / "m") == ()


# --- Opened in Excel, or saved by someone else, mid-batch -----------------------------------------


def _hook(monkeypatch: pytest.MonkeyPatch, where: str, action: Callable[[], object]) -> None:
    """Run `action` once the merge has read the master: as the change set is computed ("merge"),
    or as the edit is committed ("commit")."""
    if where == "merge":
        real_merge = sync.merge.apply.merge

        def merge(*args, **kwargs):
            action()
            return real_merge(*args, **kwargs)

        monkeypatch.setattr(sync.merge.apply, "merge", merge)
    else:
        real_commit = MasterEdit.commit

        def commit(self, *args, **kwargs):
            action()
            return real_commit(self, *args, **kwargs)

        monkeypatch.setattr(MasterEdit, "commit", commit)


@pytest.mark.parametrize("where", ["merge", "commit"])
@pytest.mark.parametrize("lock_name", ["~$master.xlsx", ".~lock.master.xlsx#"])
def test_a_master_opened_mid_batch_is_not_written(
    batch: Batch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, lock_name: str
) -> None:
    folder = tmp_path / "m"
    master = batch.fresh(folder)
    lock = folder / lock_name
    _hook(monkeypatch, where, lambda: lock.write_bytes(b"owner"))
    with pytest.raises(MasterError) as refused:
        batch.merge(master)
    message = str(refused.value)
    assert "\n" not in message and "open in Excel or LibreOffice" in message
    assert lock_name in message and "nothing was written" in message
    assert master.read_bytes() == batch.before
    assert backups(folder) == () and receipts(folder) == () and temp_files(folder) == ()
    monkeypatch.undo()
    lock.unlink()
    batch.merge(master)
    assert sheets(master) == batch.after_sheets


OWNER_EDIT = "Owner's edit, saved in Excel while the merge ran"
EDITED = "WNI-03"


def someone_saves(master: Path) -> None:
    """The owner changes one item's Action text and saves the master, in place."""
    wb = load_workbook(master)
    ws = wb[SHEET_PLAN]
    header = next(r for r in ws.iter_rows() if r[0].value == "Ref")
    column = next(c.column for c in header if c.value == "Action")
    row = next(r[0].row for r in ws.iter_rows() if r[0].value == EDITED)
    ws.cell(row, column).value = OWNER_EDIT
    wb.save(master)


def _merged_as_expected(master: Path, batch: Batch) -> None:
    """The master holds the owner's edit and everything the batch brings."""
    got = sheets(master)
    assert cell(got[SHEET_PLAN], EDITED, "Action") == OWNER_EDIT
    for name, grid in batch.after_sheets.items():
        if name == SHEET_PLAN:
            for ref_row in grid:
                if ref_row and isinstance(ref_row[0], str) and ref_row[0] != EDITED:
                    assert ref_row in got[name], ref_row[0]
        else:
            assert got[name] == grid, name


@pytest.mark.parametrize("where", ["merge", "commit"])
def test_a_master_saved_mid_batch_is_not_overwritten(
    batch: Batch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    folder = tmp_path / "m"
    master = batch.fresh(folder)
    _hook(monkeypatch, where, lambda: someone_saves(master))
    with pytest.raises(MasterError) as refused:
        batch.merge(master)
    assert "\n" not in str(refused.value) and "changed on disk" in str(refused.value)
    saved = master.read_bytes()
    assert cell(sheets(master)[SHEET_PLAN], EDITED, "Action") == OWNER_EDIT  # nothing lost
    assert backups(folder) == () and receipts(folder) == () and temp_files(folder) == ()
    monkeypatch.undo()
    batch.merge(master)  # onto the owner's saved master
    assert master.read_bytes() != saved
    _merged_as_expected(master, batch)


def test_a_master_saved_while_the_new_master_is_written_is_not_overwritten(
    batch: Batch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "m"
    master = batch.fresh(folder)
    real_write = workbook.master.edit.write_atomically

    def write_atomically(path: Path, write: Callable[[BinaryIO], object], **kwargs: Any) -> None:
        if path == master:  # the backup is written and checked; now the owner saves
            someone_saves(master)
        real_write(path, write, **kwargs)

    monkeypatch.setattr(workbook.master.edit, "write_atomically", write_atomically)
    with contextlib.suppress(MasterError):  # refusing would be right
        batch.merge(master)
    assert cell(sheets(master)[SHEET_PLAN], EDITED, "Action") == OWNER_EDIT


# --- The watcher and `actionplan merge` at once ---------------------------------------------------


@dataclass
class Round:
    gated: bool  # both were made to wait for the lock, then let go at once
    offset: float
    failures: list[str]
    command_ready: float = 0.0  # seconds from starting the command to it asking for the lock
    watcher_waited: bool = False  # the watcher waited while the command held the lock
    command_waited: bool = False  # the command waited while the watcher held the lock
    command_first: bool = False


def _wait_for(condition: Callable[[], object], timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.005)
    return False


def _has_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open: a command inside `writer_lock` keeps the lock file
    open while it waits and while it holds the lock."""
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def _rows_with(grid: list[list[object]], text: str) -> list[int]:
    return [i for i, row in enumerate(grid) if any(isinstance(v, str) and text in v for v in row)]


def watcher_and_command_round(
    batch: Batch, folder: Path, n: int, *, gated: bool, offset: float
) -> Round:
    """The watcher merges GT's return while `actionplan merge` merges LH's into the same master.

    Gated: the test holds the writer lock until the command and the watcher both wait for it,
    then lets go `offset` s later, so they contend. Otherwise the watcher's return is dropped
    `offset` s after the command starts, and they meet as they happen to.
    """
    by_watcher = f"Round {n}: merged by the watcher"
    by_command = f"Round {n}: merged by the command"
    gt = batch.cycle.fill("GT", {"WNI-01": Answer("AMBER", by_watcher)}, name=f"GT {n}.xlsx")
    lh = batch.cycle.fill("LH", {"WNI-02": Answer("GREEN", by_command)}, name=f"LH {n}.xlsx")
    master = batch.fresh(folder)
    lock = master.with_name(f".{MASTER}.writer-lock")
    inbox = folder / "inbox"
    lines: list[str] = []
    r = Round(gated, offset, [])
    asked = threading.Event()
    merges: list[float] = []  # how long the watcher waited for the lock, per merge
    command: list[subprocess.Popen[str]] = []
    real_lock = workbook.master.edit.writer_lock

    @contextlib.contextmanager
    def watched_lock(path: Path, **kw: Any) -> Iterator[None]:
        start = time.monotonic()
        asked.set()
        with real_lock(path, **kw):
            merges.append(time.monotonic() - start)
            # the command, if still running, is inside writer_lock: waiting for this merge
            if command and command[0].poll() is None:
                r.command_waited |= _has_open(command[0].pid, lock)
            yield

    def drop() -> None:
        (inbox / ".arriving").write_bytes(gt.read_bytes())
        os.replace(inbox / ".arriving", inbox / "GT.xlsx")  # lands whole, as Excel saves

    workbook.master.edit.writer_lock = watched_lock  # type: ignore[assignment]
    watcher = ReturnsWatcher(
        master, inbox, settle=SETTLE, interval=0.1, log=lines.append, retry=0.3
    )
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        _wait_for(lambda: lines)
        with real_lock(master) if gated else contextlib.nullcontext():
            started = time.monotonic()
            command.append(
                subprocess.Popen(
                    [sys.executable, "-m", "actionplan.cli", "merge", str(master), str(lh)],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
            if gated:
                drop()
                if not _wait_for(lambda: _has_open(command[0].pid, lock)):
                    r.failures.append("the command never asked for the lock")
                r.command_ready = time.monotonic() - started
                if not _wait_for(asked.is_set):
                    r.failures.append("the watcher never asked for the lock")
                time.sleep(offset)
            else:
                time.sleep(offset)
                drop()
        out, err = command[0].communicate(timeout=90)
        if not _wait_for(lambda: (inbox / MERGED_FOLDER / "GT.xlsx").exists()):
            r.failures.append("the watcher never merged GT.xlsx")
    finally:
        stop.set()
        watcher.wake()
        thread.join(timeout=30)
        workbook.master.edit.writer_lock = real_lock
        if command and command[0].poll() is None:
            command[0].kill()
    if command[0].returncode != 0 or err:
        r.failures.append(f"command exit {command[0].returncode}: {err.strip()} {out.strip()}")
    trouble = [ln for ln in lines if "waiting:" in ln or "could not merge" in ln]
    if trouble:
        r.failures.append(f"watcher: {trouble}")
    if len(merges) != 1:
        r.failures.append(f"the watcher merged {len(merges)} times")
    if not opens(master):
        r.failures.append("the master does not open")
        return r
    got = sheets(master)
    plan, log = got[SHEET_PLAN], got[SHEET_UPDATES]
    for text, ref, status in ((by_watcher, "WNI-01", "AMBER"), (by_command, "WNI-02", "GREEN")):
        in_log = len(_rows_with(log, text))
        in_cell = str(cell(plan, ref, "Update")).count(text)
        if (in_log, in_cell, cell(plan, ref, "Status")) != (1, 1, status):
            r.failures.append(f"{ref}: {text!r} {in_log}x in Updates, {in_cell}x in the cell")
    if not r.failures:
        r.command_first = _rows_with(log, by_command) < _rows_with(log, by_watcher)
        # the command took the lock first and the watcher waited long enough to notice
        r.watcher_waited = r.command_first and merges[0] > 0.02
    return r


def test_the_watcher_and_a_merge_command_take_turns_and_lose_nothing(
    batch: Batch, tmp_path: Path
) -> None:
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to see the command wait for the lock")
    count = max(2, RUNS // 2)
    gated = [
        watcher_and_command_round(
            batch, tmp_path / f"gated{n}", n, gated=True, offset=0.06 * n / max(1, count // 2 - 1)
        )
        for n in range(count // 2)
    ]
    # Free rounds drop the watcher's return so that its merge starts around when the command
    # asks for the lock (as timed in the gated rounds): just before, on, and just after.
    ready = sorted(r.command_ready for r in gated)[len(gated) // 2]
    free_count = count - len(gated)
    free = [
        watcher_and_command_round(
            batch,
            tmp_path / f"free{n}",
            len(gated) + n,
            gated=False,
            offset=max(0.0, ready - SETTLE + 0.5 * n / max(1, free_count - 1) - 0.3),
        )
        for n in range(free_count)
    ]
    rounds = gated + free

    def tally(rs: list[Round]) -> str:
        return (
            f"{len(rs)} rounds, command first in {sum(r.command_first for r in rs)}, the "
            f"watcher waited for the command in {sum(r.watcher_waited for r in rs)}, the command "
            f"for the watcher in {sum(r.command_waited for r in rs)}"
        )

    summary = f"gated: {tally(gated)}; free: {tally(free)}; command ready after {ready:.2f} s"
    print(summary)
    failed = [(r.gated, r.offset, r.failures) for r in rounds if r.failures]
    assert not failed, f"{summary}\n{failed}"
    assert all(r.watcher_waited or r.command_waited for r in gated), summary


# --- A backups folder that cannot be made ---------------------------------------------------------


def test_a_backups_path_that_is_a_file_stops_the_merge_with_one_line(
    batch: Batch, tmp_path: Path
) -> None:
    folder = tmp_path / "m"
    master = batch.fresh(folder)
    (folder / BACKUP_FOLDER).write_text("not a folder")  # mkdir fails even for root
    proc = subprocess.run(
        [sys.executable, "-m", "actionplan.cli", "merge", str(master), *map(str, batch.returns)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("Error: ")
    assert BACKUP_FOLDER in proc.stderr
    assert master.read_bytes() == batch.before
    assert temp_files(folder) == () and receipts(folder) == ()
    (folder / BACKUP_FOLDER).unlink()
    batch.merge(master)
    assert sheets(master) == batch.after_sheets


def test_a_backups_path_that_is_a_file_is_one_actionable_error(
    batch: Batch, tmp_path: Path
) -> None:
    folder = tmp_path / "m"
    master = batch.fresh(folder)
    (folder / BACKUP_FOLDER).write_text("not a folder")
    with pytest.raises(ActionPlanError) as refused:
        batch.merge(master)
    assert "\n" not in str(refused.value) and str(folder / BACKUP_FOLDER) in str(refused.value)

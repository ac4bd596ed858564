"""The watcher: watch a returns folder and merge each return once it has finished arriving.

Real saves are messy: Excel writes a temp file with no extension and renames it over the target,
OneDrive writes `name.xlsx~RF….TMP`, `~$name.xlsx` exists while a file is open, and copies arrive in
chunks. So file-system events are only a trigger: after one, the folder is scanned again, and a
file is merged only once it is stable - the same size and modification time for `settle` seconds,
a readable zip (or old enough that it never will be), and no lock file beside it.

Returns that are ready together are merged in one batch, with one write of the master. Each
processed return moves to `merged/` or `rejected/` with its receipt, so nothing is processed twice
(and the master's ledger would skip it anyway). A bad file never stops the watcher; a master that
cannot be written (open in Excel) is retried later, with the returns left where they are.

`settle_files` is the pure core; `ReturnsWatcher` does the I/O around it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sync.inbox import is_return_candidate
from sync.merge.apply import merge_returns
from sync.merge.core import WrongMasterError
from sync.merge.outcomes import ReturnOutcome
from sync.merge.summary import summarise_return
from sync.receipts import ReceiptOwner, place_receipts, same_name
from sync.returns import display_name
from workbook import clock
from workbook.errors import ActionPlanError
from workbook.xlsx.files import free_path, lock_files

if TYPE_CHECKING:
    from sync.merge.core import ReturnResult

MERGED_FOLDER = "merged"
REJECTED_FOLDER = "rejected"
#: Receipts are written here first, then moved beside their return.
STAGING_FOLDER = ".actionplan"
#: A file that is still not a readable zip after this many settle periods is merged anyway (and
#: so rejected with its reason) rather than waited for forever.
UNREADABLE_AFTER_SETTLES = 5
#: With nothing pending, the folder is still rescanned this often: a missed event is never fatal.
RESCAN_SECONDS = 30.0
#: A master that could not be written (open in Excel) is tried again after this long.
RETRY_SECONDS = 10.0


@dataclass(frozen=True)
class Seen:
    """A file as last scanned: its size and mtime, since when they have not changed."""

    size: int
    mtime_ns: int
    since: float
    first_seen: float


@dataclass(frozen=True)
class Settled:
    """What one scan decided."""

    seen: Mapping[str, Seen]
    ready: tuple[str, ...]
    new: tuple[str, ...]  # candidates seen for the first time
    waiting: tuple[str, ...]  # candidates not yet ready
    #: when to look again for the waiting ones (a file due to have settled, or in half a settle
    #: period for one that is locked or not yet readable); None when nothing waits
    next_check: float | None = None


def settle_files(
    previous: Mapping[str, Seen],
    scan: Mapping[str, tuple[int, int]],
    *,
    now: float,
    settle: float,
    is_zip: Callable[[str], bool],
) -> Settled:
    """Decide which files are ready to merge, from the last scan's state and a new scan of the
    folder (every file name, lock files included, with its size and mtime in ns)."""
    seen: dict[str, Seen] = {}
    ready: list[str] = []
    new: list[str] = []
    waiting: list[str] = []
    checks: list[float] = []
    names = set(scan)
    for name in sorted(scan, key=str.casefold):
        if not is_return_candidate(name):
            continue
        size, mtime = scan[name]
        before = previous.get(name)
        if before is None:
            new.append(name)
            state = Seen(size, mtime, now, now)
        elif (before.size, before.mtime_ns) != (size, mtime):
            state = Seen(size, mtime, now, before.first_seen)
        else:
            state = before
        seen[name] = state
        quiet = now - state.since >= settle and before is not None
        locked = any(lock in names for lock in lock_files(name))
        if not quiet or locked:
            waiting.append(name)
            checks.append(now + settle / 2 if locked else state.since + settle)
            continue
        old = now - state.first_seen >= settle * UNREADABLE_AFTER_SETTLES
        if not old and not is_zip(name):
            waiting.append(name)  # probably still arriving; a damaged file is merged in time
            checks.append(now + settle / 2)
            continue
        ready.append(name)
    # Returns that land together go in one batch: while another file is still arriving (not
    # locked, just not settled yet), the ready ones wait for it - but not for ever.
    arriving = [
        seen[n].since + settle
        for n in waiting
        if not any(lock in names for lock in lock_files(n)) and seen[n].since + settle > now
    ]
    oldest_ready = min((seen[n].since for n in ready), default=now)
    if ready and arriving and now - oldest_ready < settle * UNREADABLE_AFTER_SETTLES:
        waiting.extend(ready)
        checks.extend(arriving)
        ready = []
    return Settled(seen, tuple(ready), tuple(new), tuple(waiting), min(checks, default=None))


# --- The watcher --------------------------------------------------------------------------------


def _stamp() -> str:
    return clock.now().strftime("%H:%M:%S")


@dataclass
class ReturnsWatcher:
    """Merges returns into `master` as they land in `folder`."""

    master: Path
    folder: Path
    poll: bool = False
    settle: float = 2.0
    interval: float = 1.0  # the polling observer's scan interval
    log: Callable[[str], None] = print
    _seen: dict[str, Seen] = field(default_factory=dict)
    _wake: threading.Event = field(default_factory=threading.Event)
    retry: float = RETRY_SECONDS  # after a master that could not be written
    _retry_at: float = 0.0
    batches: int = 0
    #: returns refused as copies of another plan, with the (size, mtime) they had then: left
    #: where they are and not tried again until they change
    _refused: dict[str, tuple[int, int]] = field(default_factory=dict)
    _scanned: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def run(self, stop: threading.Event) -> None:
        """Watch until `stop` is set; the batch being merged then is finished first."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        wake = self._wake

        class _Trigger(FileSystemEventHandler):
            def on_any_event(self, event: object) -> None:
                wake.set()

        self.folder.mkdir(parents=True, exist_ok=True)
        observer = PollingObserver(timeout=self.interval) if self.poll else Observer()
        observer.schedule(_Trigger(), str(self.folder), recursive=False)
        observer.start()
        how = f"polling every {self.interval:g} s" if self.poll else "native events"
        self.log(f"{_stamp()} watching {self.folder} for returns to {self.master.name} ({how})")
        try:
            while not stop.is_set():
                next_check = self.step()
                timeout = RESCAN_SECONDS
                if next_check is not None:
                    timeout = min(timeout, max(0.02, next_check - time.monotonic()))
                # an event or a stop request ends the wait early; either way: scan again
                self._wake.wait(timeout)
                self._wake.clear()
        finally:
            # watchdog's inotify emitter logs an error for events still queued as it stops
            # ("queue_events() called when the thread is inactive"): expected at shutdown
            logging.getLogger("watchdog.observers.inotify").setLevel(logging.CRITICAL)
            observer.stop()
            observer.join(timeout=10)
            self.log(f"{_stamp()} stopped watching")

    def wake(self) -> None:
        """Ask for a scan now (a stop request uses this so the watcher need not wait)."""
        self._wake.set()

    def step(self) -> float | None:
        """Scan once and merge what is ready; return when to scan again for what is still
        arriving (a time.monotonic() value), or None when nothing is."""
        now = time.monotonic()
        scan = self._scan()
        settled = settle_files(
            self._seen,
            scan,
            now=now,
            settle=self.settle,
            is_zip=lambda name: zipfile.is_zipfile(self.folder / name),
        )
        self._seen = dict(settled.seen)
        for name in settled.new:
            self.log(f"{_stamp()} received {display_name(name)}")
        self._refused = {n: sig for n, sig in self._refused.items() if scan.get(n) == sig}
        ready = tuple(n for n in settled.ready if n not in self._refused)
        self._scanned = scan
        if ready and (now < self._retry_at or not self._merge(ready)):
            return self._retry_at  # the master could not be written just now
        return settled.next_check

    def _scan(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        try:
            entries = list(os.scandir(self.folder))
        except OSError as e:
            self.log(f"{_stamp()} cannot read {self.folder}: {e.strerror}; will try again")
            return out
        for entry in entries:
            try:
                if entry.is_file():
                    st = entry.stat()
                    out[entry.name] = (st.st_size, st.st_mtime_ns)
            except OSError:
                continue  # gone between listing and stat: a temp file renamed away
        if self.master.parent.resolve() == self.folder.resolve():
            out.pop(self.master.name, None)
        return out

    def _merge(self, names: tuple[str, ...]) -> bool:
        """Merge the returns called `names` as one batch and file them away; False when the
        master could not be written (they stay where they are, for the next try)."""
        paths = [self.folder / name for name in names]
        staging = self.folder / STAGING_FOLDER
        try:
            run = merge_returns(self.master, paths, receipts_dir=staging)
        except WrongMasterError as e:  # the owner's mistake: nothing written, nothing moved
            self.log(f"{_stamp()} not merged: {e}")
            self._refused.update((n, self._scanned[n]) for n in names if n in self._scanned)
            return True
        except ActionPlanError as e:
            self._retry_at = time.monotonic() + self.retry
            self.log(f"{_stamp()} waiting: {e} (trying again in {self.retry:g} s)")
            return False
        except Exception as e:  # a bug or an odd file must not stop the watcher; say so and retry
            self._retry_at = time.monotonic() + self.retry
            self.log(
                f"{_stamp()} could not merge {', '.join(names)}: unexpected "
                f"{type(e).__name__}: {e} (trying again in {self.retry:g} s)"
            )
            return False
        self.batches += 1
        by_name = {p.name: p for p in paths}
        filed: dict[Path, list[tuple[ReturnResult, str]]] = {}  # by folder, with the name given
        for result in run.changes.results:
            path = by_name.get(result.name)
            if path is None or not path.exists():
                continue
            merged = result.outcome in ("merged", "already merged", "duplicate")
            dest = self.folder / (MERGED_FOLDER if merged else REJECTED_FOLDER)
            moved = _move(path, dest)
            filed.setdefault(dest, []).append((result, moved.name))
            self._seen.pop(result.name, None)
            self.log(f"{_stamp()} {_describe(result)}")
        for dest, returns in filed.items():
            _file_receipts(returns, dest, run.receipt_of)
        return True


def _describe(result: ReturnResult) -> str:
    """The log line for a return once it is filed away."""
    told = summarise_return(result)
    if told.outcome is ReturnOutcome.MERGED:
        return f"merged {told.brief}"
    if told.outcome is ReturnOutcome.REJECTED:
        return f"rejected {told.line}"
    return f"{told.line}; moved to {MERGED_FOLDER}/"


def _file_receipts(
    returns: list[tuple[ReturnResult, str]],
    dest: Path,
    staged: Mapping[tuple[str, str], Path],
) -> None:
    """Move the staged receipt of each return just filed in `dest` (with the name it was filed
    under) beside it, named after it as filed - `MW.xlsx` and `MW.xls` get one each, told apart
    - and never over a file already there."""
    try:
        present = {same_name(entry.name) for entry in os.scandir(dest)}
    except OSError:
        present = set()

    def there(name: str) -> ReceiptOwner | None:  # any receipt there is an earlier return's
        return ReceiptOwner("", "") if same_name(name) in present else None

    as_filed: dict[str, Path] = {}
    for result, filed_as in returns:
        receipt = staged.get((result.name, result.sha256))
        if receipt is not None:
            as_filed[filed_as] = receipt
    moved = [dataclasses.replace(r, name=filed_as) for r, filed_as in returns]
    for placed in place_receipts(moved, there):
        receipt = as_filed.get(placed.result.name)
        if receipt is not None and receipt.exists():
            _move(receipt, dest, name=placed.name)


def _move(path: Path, folder: Path, *, name: str | None = None) -> Path:
    """Move `path` into `folder`, never over an earlier file of the same name."""
    folder.mkdir(exist_ok=True)
    target = free_path(folder / (name or path.name))
    os.replace(path, target)
    return target

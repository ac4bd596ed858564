"""Merging returned files into a master file: the shell around the pure `sync.merge.merge`.

Read the master once, read every return (a file that cannot be read is rejected with its reason,
and the rest of the batch still merges), compute the change set, apply it through a change-only
edit of the master (backup first, atomic replace), then write a receipt per return.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sync.decisions import DecisionSet, apply_decisions, decide, sheets_after
from sync.ledger import LEDGER_SHEETS, SHEET_PROPOSALS
from sync.merge.core import ChangeSet, RejectedFile, WrongMasterError, master_state, merge
from sync.merge.parallel import InTwo, map_in_two
from sync.receipts import ReceiptOwner, place_receipts, receipt_owner, receipt_text, same_name
from sync.returns import ReturnedCopy, ReturnError, read_return
from workbook import clock
from workbook.master.edit import editing_master
from workbook.master.editor import Editor, append_rows
from workbook.master.read import read_snapshot
from workbook.master.settings import SETTING_TITLE, settings_from_sheets
from workbook.master.sheets import SHEET_CHANGES
from workbook.xlsx.cells import Grid
from workbook.xlsx.files import remove_orphans, write_new_files

RECEIPTS_FOLDER = "receipts"
#: The share of a big batch of returns the merge reads itself while a child reads the rest: less
#: than half, as it reads the master meanwhile.
KEEP_WHILE_READING_MASTER = 0.4
#: The sheets a merge reads besides the plan's: the audit log and the ledger.
MERGE_SHEETS = (SHEET_CHANGES, *LEDGER_SHEETS)


@dataclass(frozen=True)
class MergeRun:
    """What `merge_returns` did (or, with dry_run, would do)."""

    master: Path
    changes: ChangeSet
    backup: Path | None
    receipts: tuple[Path, ...]  # the receipts this run wrote
    dry_run: bool
    #: each return's receipt, by (file name, SHA-256): the one written, or the one that stood
    receipt_of: Mapping[tuple[str, str], Path] = field(default_factory=dict)
    #: the owner's decisions on proposals, carried out before the returns were merged
    decisions: DecisionSet | None = None


def read_returns(paths: Sequence[Path]) -> list[ReturnedCopy | RejectedFile]:
    """Each return as read, or rejected with the one-line reason it cannot be read, in order
    (a big batch on two cores at once: sync.merge.parallel)."""
    return map_in_two(_read_or_reject, paths)


def _read_or_reject(path: Path) -> ReturnedCopy | RejectedFile:
    try:
        return read_return(path)
    except ReturnError as e:
        return RejectedFile(Path(path).name, _sha256(Path(path)), str(e))


def merge_returns(
    master: Path,
    returns: Sequence[Path],
    *,
    dry_run: bool = False,
    when: dt.datetime | None = None,
    receipts_dir: Path | None = None,
) -> MergeRun:
    """Merge the returned files into the master at `master` (see sync.merge.core for the rules):
    through the master's one write path, or, with `dry_run`, only working out what would change."""
    master = Path(master)
    when = (when or clock.now()).replace(microsecond=0)
    if dry_run:
        with InTwo(_read_or_reject, returns, keep=KEEP_WHILE_READING_MASTER) as reading:
            snapshot = read_snapshot(master, also=MERGE_SHEETS)
            decisions = decide(snapshot.sheets, when=when)
            read = reading.results()
        changes = _merge(master, sheets_after(snapshot.sheets, decisions), read, when)
        return MergeRun(master, changes, None, (), True, decisions=decisions)
    # the returns are read while the master is (on two cores, for a big batch)
    with (
        InTwo(_read_or_reject, returns, keep=KEEP_WHILE_READING_MASTER) as reading,
        editing_master(master, also=MERGE_SHEETS) as edit,
    ):
        sheets = edit.snapshot.sheets
        # the owner's decisions first: the returns are merged against the plan as decided
        decisions = decide(sheets, when=when)
        changes = _merge(master, sheets_after(sheets, decisions), reading.results(), when)
        folder = receipts_dir or master.parent / RECEIPTS_FOLDER
        # made before the master is written: a receipts folder that cannot be made stops the
        # merge with nothing written, rather than after the master has changed
        folder.mkdir(parents=True, exist_ok=True)
        backup = None
        if changes.changes_master or decisions.changes_master:
            apply_merge(edit, decisions, changes)
            backup = edit.commit(when=when)
        title = str(settings_from_sheets(sheets).get(SETTING_TITLE) or master.stem)
        filed = write_receipts(changes, folder, plan_title=title)
    written = tuple(f.path for f in filed if f.written)
    receipt_of = {(f.name, f.sha256): f.path for f in filed}
    return MergeRun(master, changes, backup, written, False, receipt_of, decisions)


def _merge(
    master: Path,
    sheets: Mapping[str, Grid],
    returns: Sequence[ReturnedCopy | RejectedFile],
    when: dt.datetime,
) -> ChangeSet:
    """The change set for `returns`; a batch that is all another plan's copies is refused
    naming the master file given (the owner's mistake: nothing is written, not even a
    receipt)."""
    try:
        return merge(master_state(sheets), list(returns), when=when)
    except WrongMasterError as e:
        raise e.naming(str(master)) from None


def apply_change_set(editor: Editor, changes: ChangeSet) -> None:
    """Put a change set into the master through `editor` (the file or the workbook open in
    Excel): the plan cells (rows grown to fit their new text), then the rows for Updates,
    Changes, Conflicts, Proposals and the ledger."""
    for w in changes.writes:
        editor.set_plan_text(w.row, w.column, w.new, key=w.field)
    for rows in (
        changes.updates_rows,
        changes.changes_rows,
        changes.conflicts_rows,
        changes.proposals_rows,
        changes.merged_rows,
    ):
        append_rows(editor, rows)


def apply_merge(editor: Editor, decisions: DecisionSet, changes: ChangeSet) -> None:
    """Carry out the owner's decisions, then put the merge's change set into the master, through
    `editor`; the Proposals sheet, when either wrote it, gets its Decision dropdown."""
    apply_decisions(editor, decisions, dropdown=False)
    apply_change_set(editor, changes)
    if decisions.marks or changes.proposals_rows:
        editor.apply_formats(SHEET_PROPOSALS, decisions.dropdown)


@dataclass(frozen=True)
class FiledReceipt:
    """The receipt of the return called `name` with `sha256`: at `path`, `written` by this run
    (or already there, for a return merged before)."""

    name: str
    sha256: str
    path: Path
    written: bool


def write_receipts(
    changes: ChangeSet, folder: Path, *, plan_title: str
) -> tuple[FiledReceipt, ...]:
    """A receipt per return, never over another return's (see `sync.receipts.place_receipts`):
    a receipt of the same return is rewritten - except for a file given twice in one batch, and a
    return merged before: its first receipt stands, and is remade from the Changes log only if it
    was never written (a merge stopped just before)."""
    filed = []
    jobs = []
    remove_orphans(folder)  # temp receipts of a merge that was killed while writing them
    for placed in place_receipts(changes.results, receipts_in(folder)):
        result, path = placed.result, folder / placed.name
        if not placed.keep:
            text = receipt_text(result, plan_title=plan_title, when=changes.when)
            jobs.append((path, _writer(text.encode("utf-8"))))
        filed.append(FiledReceipt(result.name, result.sha256, path, not placed.keep))
    if jobs:
        folder.mkdir(parents=True, exist_ok=True)
        write_new_files(jobs)  # each whole, the waits for the disk taken together
    return tuple(filed)


#: Enough of a receipt to read its head (who it is for).
_HEAD_BYTES = 64 * 1024


def receipts_in(folder: Path) -> Callable[[str], ReceiptOwner | None]:
    """What `folder` holds under a name, as `place_receipts` asks: None for nothing, else the
    return a receipt there was written for. Names are matched as Windows and macOS match them
    (whatever the case), so a folder copied there later never has two receipts in one name."""
    try:
        names = {same_name(e.name): e.name for e in os.scandir(folder)}
    except OSError:
        names = {}

    def owner(name: str) -> ReceiptOwner | None:
        actual = names.get(same_name(name))
        if actual is None:
            return None
        try:
            with (folder / actual).open("rb") as fh:
                head = fh.read(_HEAD_BYTES)
        except OSError:
            return ReceiptOwner("", "")  # a folder, or unreadable: taken, by nobody we know
        return receipt_owner(head.decode("utf-8", "replace"))

    return owner


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _writer(data: bytes) -> Callable[[BinaryIO], object]:
    """What the atomic writers (write_new_files) call to write `data`."""
    return lambda fh: fh.write(data)

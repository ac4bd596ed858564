"""Merging returned files into a master file: the shell around the pure `sync.merge.merge`.

Read the master once, read every return (a file that cannot be read is rejected with its reason,
and the rest of the batch still merges), compute the change set, apply it through a change-only
edit of the master (backup first, atomic replace), then write a receipt per return.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sync.ledger import (
    CONFLICTS_COLUMNS,
    LEDGER_SHEETS,
    MERGED_RETURNS_COLUMNS,
    PROPOSALS_COLUMNS,
    SHEET_CONFLICTS,
    SHEET_MERGED_RETURNS,
    SHEET_PROPOSALS,
)
from sync.merge.core import ChangeSet, RejectedFile, master_state, merge
from sync.receipts import receipt_file_name, receipt_text
from sync.returns import ReturnedCopy, ReturnError, read_return
from workbook import clock
from workbook.master.edit import MasterEdit
from workbook.master.read import read_snapshot
from workbook.master.settings import SETTING_TITLE, settings_from_sheets
from workbook.master.sheets import (
    CHANGES_COLUMNS,
    CHANGES_WIDTHS,
    SHEET_CHANGES,
    SHEET_UPDATES,
    UPDATES_COLUMNS,
    UPDATES_WIDTHS,
)
from workbook.xlsx.files import check_not_open, remove_orphans, write_atomically, writer_lock

RECEIPTS_FOLDER = "receipts"

_CONFLICTS_WIDTHS = (17, 9, 10, 8, 12, 12, 12, 50, 30, 22, 10)
_PROPOSALS_WIDTHS = (17, 9, 8, 14, 16, 11, 36, 22, 12)
_MERGED_WIDTHS = (17, 36, 20, 22, 8, 8, 8, 8, 8, 8)


@dataclass(frozen=True)
class MergeRun:
    """What `merge_returns` did (or, with dry_run, would do)."""

    master: Path
    changes: ChangeSet
    backup: Path | None
    receipts: tuple[Path, ...]
    dry_run: bool


def find_returns(folder: Path, *, master: Path | None = None) -> list[Path]:
    """The files in a returns folder, in name order: every visible file except Excel and
    LibreOffice lock files, receipts, and the master itself - so a lead's .ods or .xls is
    reported rather than passed over in silence."""
    folder = Path(folder)
    out = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name.casefold()):
        name = path.name
        if not path.is_file() or name.startswith((".", "~$")) or name.endswith(".txt"):
            continue
        if master is not None and _same_file(path, master):
            continue
        out.append(path)
    return out


def read_returns(paths: Sequence[Path]) -> list[ReturnedCopy | RejectedFile]:
    """Each return as read, or rejected with the one-line reason it cannot be read."""
    out: list[ReturnedCopy | RejectedFile] = []
    for path in paths:
        try:
            out.append(read_return(path))
        except ReturnError as e:
            out.append(RejectedFile(Path(path).name, _sha256(Path(path)), str(e)))
    return out


def merge_returns(
    master: Path,
    returns: Sequence[Path],
    *,
    dry_run: bool = False,
    when: dt.datetime | None = None,
    receipts_dir: Path | None = None,
) -> MergeRun:
    """Merge the returned files into the master at `master` (see sync.merge for the rules)."""
    master = Path(master)
    if dry_run:
        return _merge_returns(master, returns, dry_run=True, when=when, receipts_dir=receipts_dir)
    with writer_lock(master):
        return _merge_returns(master, returns, dry_run=False, when=when, receipts_dir=receipts_dir)


def _merge_returns(
    master: Path,
    returns: Sequence[Path],
    *,
    dry_run: bool,
    when: dt.datetime | None,
    receipts_dir: Path | None,
) -> MergeRun:
    when = (when or clock.now()).replace(microsecond=0)
    snapshot = read_snapshot(master, also=(SHEET_CHANGES, *LEDGER_SHEETS))
    state = master_state(snapshot.sheets)
    changes = merge(state, read_returns(returns), when=when)
    if dry_run:
        return MergeRun(master, changes, None, (), True)
    check_not_open(master)
    folder = receipts_dir or master.parent / RECEIPTS_FOLDER
    # made before the master is written: a receipts folder that cannot be made stops the merge
    # with nothing written, rather than after the master has changed
    folder.mkdir(parents=True, exist_ok=True)
    backup = None
    if changes.changes_master:
        edit = MasterEdit(snapshot)
        apply_change_set(edit, changes)
        backup = edit.commit(when=when)
    title = str(settings_from_sheets(snapshot.sheets).get(SETTING_TITLE) or master.stem)
    receipts = write_receipts(changes, folder, plan_title=title)
    return MergeRun(master, changes, backup, receipts, False)


def apply_change_set(edit: MasterEdit, changes: ChangeSet) -> None:
    """Put a change set into the master through `edit`: the plan cells (rows grown to fit their
    new text), then the rows for Updates, Changes, Conflicts, Proposals and the ledger."""
    for w in changes.writes:
        edit.set_plan_text(w.row, w.column, w.new, key=w.field)
    edit.append(
        SHEET_UPDATES, UPDATES_COLUMNS, changes.updates_rows, widths=UPDATES_WIDTHS, wrap="Update"
    )
    edit.append(
        SHEET_CHANGES, CHANGES_COLUMNS, changes.changes_rows, widths=CHANGES_WIDTHS, wrap="Note"
    )
    edit.append(
        SHEET_CONFLICTS,
        CONFLICTS_COLUMNS,
        changes.conflicts_rows,
        widths=_CONFLICTS_WIDTHS,
        wrap="Why",
    )
    edit.append(
        SHEET_PROPOSALS, PROPOSALS_COLUMNS, changes.proposals_rows, widths=_PROPOSALS_WIDTHS
    )
    edit.append(
        SHEET_MERGED_RETURNS,
        MERGED_RETURNS_COLUMNS,
        changes.merged_rows,
        state="veryHidden",
        widths=_MERGED_WIDTHS,
    )


def write_receipts(changes: ChangeSet, folder: Path, *, plan_title: str) -> tuple[Path, ...]:
    """A receipt per return, replacing an earlier receipt of the same name - except for a
    file given twice in one batch, and a return merged before: its first receipt stands, and is
    remade from the Changes log only if it was never written (a merge stopped just before)."""
    written = []
    remove_orphans(folder)  # temp receipts of a merge that was killed while writing them
    for result in changes.results:
        if result.outcome == "duplicate":
            continue
        path = folder / receipt_file_name(result)
        if result.outcome == "already merged" and path.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        text = receipt_text(result, plan_title=plan_title, when=changes.when)
        write_atomically(path, lambda fh, t=text: fh.write(t.encode("utf-8")))
        written.append(path)
    return tuple(written)


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == Path(b).resolve()
    except OSError:
        return False

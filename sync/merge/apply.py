"""Merging returned files into a master file: the shell around the pure `sync.merge.merge`.

Read the master once, read every return (a file that cannot be read is rejected with its reason,
and the rest of the batch still merges), compute the change set, apply it through a change-only
edit of the master (backup first, atomic replace), then write a receipt per return.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sync.ledger import LEDGER_SHEETS
from sync.merge.core import ChangeSet, RejectedFile, master_state, merge
from sync.merge.outcomes import ReturnOutcome
from sync.receipts import receipt_file_name, receipt_text
from sync.returns import ReturnedCopy, ReturnError, read_return
from workbook import clock
from workbook.master.edit import editing_master
from workbook.master.editor import Editor, append_rows
from workbook.master.read import read_snapshot
from workbook.master.settings import SETTING_TITLE, settings_from_sheets
from workbook.master.sheets import SHEET_CHANGES
from workbook.xlsx.files import remove_orphans, write_atomically

RECEIPTS_FOLDER = "receipts"
#: The sheets a merge reads besides the plan's: the audit log and the ledger.
MERGE_SHEETS = (SHEET_CHANGES, *LEDGER_SHEETS)


@dataclass(frozen=True)
class MergeRun:
    """What `merge_returns` did (or, with dry_run, would do)."""

    master: Path
    changes: ChangeSet
    backup: Path | None
    receipts: tuple[Path, ...]
    dry_run: bool


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
    """Merge the returned files into the master at `master` (see sync.merge.core for the rules):
    through the master's one write path, or, with `dry_run`, only working out what would change."""
    master = Path(master)
    when = (when or clock.now()).replace(microsecond=0)
    if dry_run:
        snapshot = read_snapshot(master, also=MERGE_SHEETS)
        changes = merge(master_state(snapshot.sheets), read_returns(returns), when=when)
        return MergeRun(master, changes, None, (), True)
    with editing_master(master, also=MERGE_SHEETS) as edit:
        sheets = edit.snapshot.sheets
        changes = merge(master_state(sheets), read_returns(returns), when=when)
        folder = receipts_dir or master.parent / RECEIPTS_FOLDER
        # made before the master is written: a receipts folder that cannot be made stops the
        # merge with nothing written, rather than after the master has changed
        folder.mkdir(parents=True, exist_ok=True)
        backup = None
        if changes.changes_master:
            apply_change_set(edit, changes)
            backup = edit.commit(when=when)
        title = str(settings_from_sheets(sheets).get(SETTING_TITLE) or master.stem)
        receipts = write_receipts(changes, folder, plan_title=title)
    return MergeRun(master, changes, backup, receipts, False)


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


def write_receipts(changes: ChangeSet, folder: Path, *, plan_title: str) -> tuple[Path, ...]:
    """A receipt per return, replacing an earlier receipt of the same name - except for a
    file given twice in one batch, and a return merged before: its first receipt stands, and is
    remade from the Changes log only if it was never written (a merge stopped just before)."""
    written = []
    remove_orphans(folder)  # temp receipts of a merge that was killed while writing them
    for result in changes.results:
        if result.outcome is ReturnOutcome.DUPLICATE:
            continue
        path = folder / receipt_file_name(result)
        if result.outcome is ReturnOutcome.ALREADY_MERGED and path.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        text = receipt_text(result, plan_title=plan_title, when=changes.when)
        write_atomically(path, _writer(text.encode("utf-8")))
        written.append(path)
    return tuple(written)


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _writer(data: bytes) -> Callable[[BinaryIO], object]:
    """What `write_atomically` calls to write `data`."""
    return lambda fh: fh.write(data)

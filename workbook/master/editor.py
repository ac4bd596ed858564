"""What changing the master takes, whichever way it is done: the file on disk (`MasterEdit`, a
change-only patch of the .xlsx) or the workbook open in Excel (`xl_addin.live.LiveEdit`, through
xlwings). The core decides the changes - a merge's change set, an issue's ledger rows, a board
pack's record - and applies them through this protocol only, so both paths give the same master.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from workbook.master.sheets import ListRow


class Editor(Protocol):
    """Edits to one master, written by `commit` (the file) or at once (Excel)."""

    def set_plan_text(self, row: int, column: int, text: str, *, key: str | None = None) -> None:
        """Write `text` into the `Action Plan` cell at Excel row `row`, 0-based `column`; with
        `key` (the plan column it is), the row is made tall enough for it."""

    def append(
        self,
        sheet: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        state: str = "visible",
        widths: Sequence[float] | None = None,
        wrap: str | None = None,
    ) -> None:
        """Add `rows` (values in `columns` order) under the list sheet `sheet`, matching its
        columns by title; the sheet is made (with `state` and `widths`) when missing."""

    def commit(self, *, when: dt.datetime | None = None) -> Path | None:
        """Make the edits last: back up and replace the file (returning the backup), or nothing
        for a workbook open in Excel, which the owner saves."""


def append_rows(editor: Editor, rows: Sequence[ListRow]) -> None:
    """Add list-sheet rows of one kind under their sheet, with the titles, look and visibility
    the row kind declares."""
    if not rows:
        return
    kind = type(rows[0])
    editor.append(
        kind.SHEET,
        kind.columns(),
        [r.values() for r in rows],
        state=kind.STATE,
        widths=kind.WIDTHS,
        wrap=kind.WRAP,
    )

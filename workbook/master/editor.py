"""What changing the master takes, whichever way it is done: the file on disk (`MasterEdit`, a
change-only patch of the .xlsx) or the workbook open in Excel (`xl_addin.live.LiveEdit`, through
xlwings). The core decides the changes - a merge's change set, an issue's ledger rows, a board
pack's record, the RAG formatting, a validation report - and applies them through this protocol
only, so both paths give the same master.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from workbook.master.sheets import ListRow
from workbook.xlsx.formats import FormatsApplied, Note, ReportSheet, SheetFormats, Value


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

    def set_dates(
        self, sheet: str, column: int, dates: Sequence[tuple[int, dt.date | None]]
    ) -> None:
        """Write each (Excel row, date) into 0-based `column` of `sheet` as a date (None leaves
        the cell blank), shown in the master's date format."""

    def set_cells(self, sheet: str, cells: Sequence[tuple[int, int, Value]]) -> None:
        """Write each (Excel row, 0-based column, value) into the list sheet `sheet`, which
        exists: text as text, a date or datetime in the master's date or timestamp format."""

    def add_plan_column(
        self,
        header_row: int,
        column: int,
        title: str,
        width: float,
        *,
        item_rows: Sequence[int],
        section_rows: Sequence[int],
    ) -> None:
        """Add a column titled `title` at 0-based `column` of `Action Plan`, right of the last
        one: its title and item cells styled like the ones to their left, its width, and each
        section row's heading (merged across the table) stretched over it."""

    def set_name(self, name: str, sheet: str, ref: str) -> None:
        """Make the workbook-level name `name` refer to `ref` ("$B$8") on `sheet`."""

    def apply_formats(self, sheet: str, formats: SheetFormats) -> FormatsApplied:
        """Put `formats` on `sheet`: our rules first, earlier ones of ours replaced, everyone
        else's kept; our dropdowns replaced, the owner's kept."""

    def replace_sheet(self, report: ReportSheet) -> None:
        """Write `report` as the sheet of its name, replacing what it held."""

    def replace_notes(self, author: str, notes: Sequence[Note]) -> None:
        """Remove the notes `author` wrote, everywhere, and add `notes`; other notes stay."""

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

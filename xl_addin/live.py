"""The master open in Excel, through the xlwings Book API: read its sheets as grids of values,
and make the same edits `workbook.master_edit.MasterEdit` makes to the file - so the core's change
sets apply to either, and the live path and the file path give the same master.

Only the Book API is used (values, number formats, row heights, sheets added and hidden), so the
same code runs on desktop Excel (Windows, macOS) and on xlwings' remote engine, which the tests
use on Linux. The owner saves the workbook; nothing here writes a file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from workbook.formatting import layout
from workbook.master.sheets import PLAN_COLUMNS, SHEET_PLAN
from workbook.xlsx.read import column_positions, place_in_columns, sheet_name


def read_sheets(book: Any, wanted: Iterable[str] | None = None) -> dict[str, list[list[object]]]:
    """The `wanted` sheets (all when None) as grids of values from A1, as the file readers give
    them: None for an empty cell, numbers as float, dates as datetime."""
    keep = {w.casefold() for w in wanted} if wanted is not None else None
    out: dict[str, list[list[object]]] = {}
    for sheet in book.sheets:
        if keep is not None and sheet.name.strip().casefold() not in keep:
            continue
        out[sheet.name] = grid(sheet)
    return out


def grid(sheet: Any) -> list[list[object]]:
    """A sheet's values from A1 to the end of its used range, always two-dimensional."""
    last = sheet.used_range.last_cell
    values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
    return [[None if v == "" else v for v in row] for row in values or []]


def as_text(value: object) -> object:
    """A value as written to a live cell. Excel converts a string it is given as if typed: "=..."
    becomes a formula, "Mar-24" a date, "1/2" a date or a fraction, "007" a number - each by the
    user's locale. A leading apostrophe keeps any string exactly as text (it is not part of the
    value), so every string gets one."""
    if isinstance(value, str) and value:
        return "'" + value
    return value


class LiveEdit:
    """Edits to the workbook open in Excel, made at once; `commit` is for the owner (save)."""

    def __init__(self, book: Any, sheets: Mapping[str, list[list[object]]]) -> None:
        self.book = book
        self.sheets = {name: [list(row) for row in g] for name, g in sheets.items()}
        self._touched = False

    @property
    def touched(self) -> bool:
        return self._touched

    def _sheet(self, name: str) -> Any:
        found = sheet_name([s.name for s in self.book.sheets], name)
        return self.book.sheets[found] if found is not None else None

    def set_plan_text(self, row: int, column: int, text: str, *, key: str | None = None) -> None:
        """Write `text` into the `Action Plan` cell at Excel row `row`, 0-based `column`; with
        `key`, refit the row to its texts (Excel cannot report a row's height to the remote
        engine, so the row is sized from everything in it rather than grown)."""
        sheet = self._sheet(SHEET_PLAN)
        sheet.range((row, column + 1)).value = as_text(text)
        grid = self.sheets.setdefault(sheet.name, [])
        while len(grid) < row:
            grid.append([])
        cells = grid[row - 1]
        cells.extend([None] * (column + 1 - len(cells)))
        cells[column] = text
        if key is not None:
            texts = {
                c.key: str(cells[i]) if i < len(cells) and cells[i] is not None else ""
                for i, c in enumerate(PLAN_COLUMNS)
            }
            sheet.range((row, 1)).row_height = layout.row_height(texts)
        self._touched = True

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
        """Add `rows` under the list sheet `sheet`, columns matched by title; the sheet is added
        (hidden when `state` is not "visible") when missing."""
        if not rows:
            return
        self._touched = True
        target = self._sheet(sheet)
        if target is None:
            target = self.book.sheets.add(sheet, after=self.book.sheets[len(self.book.sheets) - 1])
            target.range((1, 1)).value = [[as_text(c) for c in columns]]
            target.range((1, 1), (1, len(columns))).font.bold = True
            # no column widths: desktop Excel takes them in characters, the remote engine in
            # points, and a wrong guess makes the sheet unreadable; Excel's default is fine
            if state != "visible":
                target.visible = False
                if state == "veryHidden":
                    _very_hidden(target)
            self.sheets[target.name] = [list(columns)]
        grid = self.sheets.setdefault(target.name, [])
        header = [str(v) if v is not None else "" for v in (grid[0] if grid else [])]
        positions = column_positions(header, columns)
        for title, pos in zip(columns, positions, strict=True):
            if pos >= len(header):
                target.range((1, pos + 1)).value = as_text(title)
                header.append(title)
        first = _last_row(grid) + 1
        block = [place_in_columns([as_text(v) for v in row], positions) for row in rows]
        target.range((first, 1)).value = block
        last = first + len(block) - 1
        for i in range(len(columns)):
            fmt = layout.number_format_for(r[i] for r in rows)
            if fmt:
                col = positions[i] + 1
                target.range((first, col), (last, col)).number_format = fmt
        if wrap is not None:
            col = positions[list(columns).index(wrap)] + 1
            target.range((first, col), (last, col)).wrap_text = True
        grid.extend([list(r) for r in rows])

    def commit(self, *, when: dt.datetime | None = None) -> None:
        """Nothing to write: the owner saves the workbook in Excel."""
        return None


def _last_row(grid: list[list[object]]) -> int:
    for r in range(len(grid), 0, -1):
        if any(v not in (None, "") for v in grid[r - 1]):
            return r
    return 0


def write_list_sheet(
    book: Any,
    name: str,
    heading: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    widths: Sequence[float] = (),
) -> None:
    """A sheet the add-in owns (Validation): its old contents cleared, a heading line, column
    titles, then `rows`."""
    found = sheet_name([s.name for s in book.sheets], name)
    if found is None:
        target = book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
    else:
        target = book.sheets[found]
        target.clear_contents()
    target.range((1, 1)).value = as_text(heading)
    target.range((1, 1)).font.bold = True
    target.range((2, 1)).value = [[as_text(c) for c in columns]]
    target.range((2, 1), (2, len(columns))).font.bold = True
    if rows:
        target.range((3, 1)).value = [[as_text(v) for v in row] for row in rows]


def apply_rag_live(book: Any, sheets: Mapping[str, list[list[object]]]) -> int:
    """The RAG rules of `workbook.rag_format`, through the Book API: each Status colour, the
    overdue mark on Time-scale and Due, the key's colours, the Status dropdown; and the Due
    column recomputed from the time-scales. Returns the number of item rows."""
    from openpyxl.utils import get_column_letter

    from workbook.formatting.rag import overdue_test, status_test
    from workbook.master.read import find_header_row, plan_column_indexes, plan_rows
    from workbook.master.sheets import DUE_COLUMN
    from workbook.plan.status import RAG_CODES, RAG_KEY
    from workbook.plan.timescales import due_date

    name = sheet_name(list(sheets), SHEET_PLAN) or SHEET_PLAN
    grid = sheets[name]
    sheet = book.sheets[name]
    header = find_header_row(grid)
    if header is None:
        from workbook.errors import MasterError

        raise MasterError(
            f"no header row on the '{SHEET_PLAN}' sheet; the row above the first section needs "
            "'Ref' in column A and 'Action' in column C"
        )
    head = grid[header]
    cols = plan_column_indexes(head)
    titles = [" ".join(str(v or "").split()).casefold() for v in head]
    due_col = (
        titles.index(DUE_COLUMN.title.casefold()) if DUE_COLUMN.title.casefold() in titles else None
    )
    if due_col is None:
        due_col = cols["status"] + 1
        sheet.range((header + 1, due_col + 1)).value = as_text(DUE_COLUMN.title)
    rows = plan_rows(grid)
    first, last = header + 2, max((r.excel_row for r in rows), default=header + 1)
    if last < first:
        return 0
    # Due: a real date per item row, blank for an unreadable time-scale. Written a run of item
    # rows at a time: section rows are merged across the sheet, and Excel refuses a write into
    # part of a merged area.
    for start, run in _item_runs([r for r in rows if not r.is_section]):
        dues = [[_as_datetime(due_date(r.texts["timescale"]))] for r in run]
        target = sheet.range((start, due_col + 1), (start + len(run) - 1, due_col + 1))
        target.value = dues
        target.number_format = layout.DATE_FORMAT

    def letter(col0: int) -> str:
        return get_column_letter(col0 + 1)

    status_cell = f"${letter(cols['status'])}{first}"
    status_range = sheet.range((first, cols["status"] + 1), (last, cols["status"] + 1))
    status_range.conditional_formats.clear()
    for status in RAG_KEY:
        status_range.conditional_formats.add_custom(
            "=" + status_test(status_cell, status),
            fill_color="#" + status.fill,
            font_color="#" + status.font,
            font_bold=True,
            stop_if_true=True,
        )
    overdue = "=" + overdue_test(f"${letter(due_col)}{first}", status_cell)
    for col0 in (cols["timescale"], due_col):
        target = sheet.range((first, col0 + 1), (last, col0 + 1))
        target.conditional_formats.clear()
        target.conditional_formats.add_custom(
            overdue, fill_color="#FFC7CE", font_color="#9C0006", font_bold=True
        )
    # the RAG key's code cells above the header, a run of adjacent cells at a time (as the file
    # path writes them: clearing part of a rule's range would split it)
    key_rows: dict[int, list[int]] = {}
    for r, row in enumerate(grid[:header], 1):
        for c, value in enumerate(row, 1):
            if isinstance(value, str) and value.strip().upper() in RAG_CODES:
                key_rows.setdefault(c, []).append(r)
    for c, found in sorted(key_rows.items()):
        for top, run in _item_runs([_Row(r) for r in found]):
            area = sheet.range((top, c), (top + len(run) - 1, c))
            area.conditional_formats.clear()
            for status in RAG_KEY:
                area.conditional_formats.add_custom(
                    "=" + status_test(f"${letter(c - 1)}{top}", status),
                    fill_color="#" + status.fill,
                    font_color="#" + status.font,
                    font_bold=True,
                    stop_if_true=True,
                )
    status_range.data_validation.set_list(list(RAG_CODES))
    return sum(1 for r in rows if not r.is_section)


def _item_runs(rows: Sequence[Any]) -> list[tuple[int, list[Any]]]:
    """Item rows grouped into runs of consecutive Excel rows: (first row, rows)."""
    runs: list[tuple[int, list[Any]]] = []
    for row in rows:
        if runs and runs[-1][0] + len(runs[-1][1]) == row.excel_row:
            runs[-1][1].append(row)
        else:
            runs.append((row.excel_row, [row]))
    return runs


def _as_datetime(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time()) if day else None


class _Row:
    """Just an Excel row number, to group key cells with `_item_runs`."""

    def __init__(self, excel_row: int) -> None:
        self.excel_row = excel_row


def _very_hidden(sheet: Any) -> None:
    """Excel on Windows can hide a sheet from its Unhide list (xlSheetVeryHidden); xlwings' Book
    API has only hidden, and the remote engine cannot do more, so elsewhere it stays hidden."""
    with contextlib.suppress(Exception):
        sheet.api.Visible = 2  # xlSheetVeryHidden, through COM

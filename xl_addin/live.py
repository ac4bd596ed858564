"""The master open in Excel, through the xlwings Book API: read its sheets as grids of values,
and make the same edits `workbook.master.edit.MasterEdit` makes to the file - so the core's change
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

from workbook.formatting import sizes
from workbook.master.read import find_header_row, plan_column_indexes
from workbook.master.settings import document_columns
from workbook.master.sheets import SHEET_PLAN
from workbook.xlsx.formats import FormatsApplied, Note, ReportSheet, SheetFormats, Value
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
            header = find_header_row(grid)
            head = grid[header] if header is not None else []
            where = plan_column_indexes(head, document_columns(self.sheets))
            texts = {
                k: str(cells[i]) if i < len(cells) and cells[i] is not None else ""
                for k, i in where.items()
            }
            sheet.range((row, 1)).row_height = sizes.row_height(texts)
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
            fmt = sizes.number_format_for(r[i] for r in rows)
            if fmt:
                col = positions[i] + 1
                target.range((first, col), (last, col)).number_format = fmt
        if wrap is not None:
            col = positions[list(columns).index(wrap)] + 1
            target.range((first, col), (last, col)).wrap_text = True
        grid.extend([list(r) for r in rows])

    def set_dates(
        self, sheet: str, column: int, dates: Sequence[tuple[int, dt.date | None]]
    ) -> None:
        """Write each (Excel row, date) into 0-based `column` of `sheet` as a date, in the
        master's date format. Written a run of consecutive rows at a time: section rows are
        merged across the plan sheet, and Excel refuses a write into part of a merged area."""
        if not dates:
            return
        target = self._sheet(sheet)
        grid = self.sheets.setdefault(target.name, [])
        for start, run in _runs(sorted(dates, key=lambda d: d[0])):
            area = target.range((start, column + 1), (start + len(run) - 1, column + 1))
            area.value = [[_as_datetime(day)] for _, day in run]
            area.number_format = sizes.DATE_FORMAT
            for row, day in run:
                _put(grid, row, column, _as_datetime(day))
        self._touched = True

    def set_cells(self, sheet: str, cells: Sequence[tuple[int, int, Value]]) -> None:
        """Write each (Excel row, 0-based column, value) into the list sheet `sheet`: text kept
        as text, a date or datetime in the master's date or timestamp format."""
        if not cells:
            return
        target = self._sheet(sheet)
        grid = self.sheets.setdefault(target.name, [])
        for row, column, value in cells:
            area = target.range((row, column + 1))
            area.value = as_text(value)
            fmt = sizes.number_format_for([value]) if isinstance(value, dt.date) else None
            if fmt:
                area.number_format = fmt
            _put(grid, row, column, value)
        self._touched = True

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
        """Add a column titled `title` at 0-based `column` of `Action Plan`: the title in the
        master's title colours, and each section row's merged heading stretched over it. (No
        width: see `append`.)"""
        sheet = self._sheet(SHEET_PLAN)
        head = sheet.range((header_row, column + 1))
        head.value = as_text(title)
        head.color = "#" + sizes.HEADER_FILL_COLOUR
        head.font.bold = True
        head.font.color = "#FFFFFF"
        head.wrap_text = True
        for row in section_rows:
            sheet.range((row, 1), (row, column)).unmerge()
            sheet.range((row, 1), (row, column + 1)).merge()
        _put(self.sheets.setdefault(sheet.name, []), header_row, column, title)
        self._touched = True

    def set_name(self, name: str, sheet: str, ref: str) -> None:
        """Make the workbook-level name `name` refer to `ref` ("$B$8") on `sheet`."""
        found = sheet_name([s.name for s in self.book.sheets], sheet) or sheet
        target = "='" + found.replace("'", "''") + "'!" + ref
        existing = next((n for n in self.book.names if n.name == name), None)
        if existing is None:
            self.book.names.add(name, target)
        elif _reference(existing.refers_to) != _reference(target):
            existing.refers_to = target
        else:
            return
        self._touched = True

    def apply_formats(self, sheet: str, formats: SheetFormats) -> FormatsApplied:
        """Put `formats` on `sheet`: the rules on each of our ranges cleared, ours added (Excel
        puts each rule it is given first, so they are given last to first), our dropdowns set.
        Excel's API cannot list a range's rules, so what was there is not counted (0, 0), and an
        owner's rule on exactly our ranges goes with ours."""
        target = self._sheet(sheet)
        for area in dict.fromkeys(a for rule in formats.rules for a in rule.ranges):
            target.range(area).conditional_formats.clear()
        for rule in reversed(formats.rules):
            for area in rule.ranges:
                target.range(area).conditional_formats.add_custom(
                    "=" + rule.formula,
                    fill_color="#" + rule.fill,
                    font_color="#" + rule.font,
                    font_bold=rule.bold,
                    stop_if_true=rule.stop_if_true,
                )
        for dropdown in formats.dropdowns:
            target.range(dropdown.range).data_validation.set_list(list(dropdown.values))
        self._touched = True
        return FormatsApplied(replaced=0, kept=0)

    def replace_sheet(self, report: ReportSheet) -> None:
        """Write `report` as the sheet of its name (cleared first, or added after the others):
        heading, column titles, rows. No widths (see `append`) and no links: Excel's API has no
        link to a place in the workbook that the remote engine can send."""
        found = sheet_name([s.name for s in self.book.sheets], report.name)
        if found is None:
            target = self.book.sheets.add(
                report.name, after=self.book.sheets[len(self.book.sheets) - 1]
            )
        else:
            target = self.book.sheets[found]
            target.clear_contents()
        target.range((1, 1)).value = as_text(report.heading)
        target.range((1, 1)).font.bold = True
        target.range((2, 1)).value = [[as_text(c) for c in report.columns]]
        target.range((2, 1), (2, len(report.columns))).font.bold = True
        if report.rows:
            target.range((3, 1)).value = [[as_text(v) for v in row] for row in report.rows]
        grid: list[list[object]] = [[report.heading], list(report.columns)]
        grid.extend(list(r) for r in report.rows)
        self.sheets[target.name] = grid
        self._touched = True

    def replace_notes(self, author: str, notes: Sequence[Note]) -> None:
        """Nothing: a note added through Excel's API is signed by whoever runs it, so the next
        run could not tell its own marks from the owner's notes to replace them, and a mark
        that cannot be replaced goes stale. The Validation sheet lists every finding."""
        return None

    def commit(self, *, when: dt.datetime | None = None) -> None:
        """Nothing to write: the owner saves the workbook in Excel."""
        return None


def _last_row(grid: list[list[object]]) -> int:
    for r in range(len(grid), 0, -1):
        if any(v not in (None, "") for v in grid[r - 1]):
            return r
    return 0


def _put(grid: list[list[object]], row: int, column: int, value: object) -> None:
    """Keep the grid read at the start in step with a write (Excel row, 0-based column)."""
    while len(grid) < row:
        grid.append([])
    cells = grid[row - 1]
    cells.extend([None] * (column + 1 - len(cells)))
    cells[column] = value


def _reference(refers_to: object) -> str:
    """A name's reference, compared loosely: "='Settings'!$B$8" and "=Settings!B8" alike."""
    return str(refers_to or "").lstrip("=").replace("$", "").replace("'", "").casefold()


def _runs(dates: Sequence[tuple[int, Any]]) -> list[tuple[int, list[tuple[int, Any]]]]:
    """(row, value) pairs grouped into runs of consecutive rows: (first row, pairs)."""
    runs: list[tuple[int, list[tuple[int, Any]]]] = []
    for pair in dates:
        if runs and runs[-1][0] + len(runs[-1][1]) == pair[0]:
            runs[-1][1].append(pair)
        else:
            runs.append((pair[0], [pair]))
    return runs


def _as_datetime(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time()) if day else None


def _very_hidden(sheet: Any) -> None:
    """Excel on Windows can hide a sheet from its Unhide list (xlSheetVeryHidden); xlwings' Book
    API has only hidden, and the remote engine cannot do more, so elsewhere it stays hidden."""
    with contextlib.suppress(Exception):
        sheet.api.Visible = 2  # xlSheetVeryHidden, through COM

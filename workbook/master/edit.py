"""Change-only edits of a master workbook on disk: the one write path of the master.

The master is the owner's record of a statutory plan, and they work on it in Excel: loading and
re-saving it whole (openpyxl) is slow for a big plan and drops what openpyxl does not understand
(rules Excel keeps in extLst, images, slicers). `MasterEdit` rewrites only the parts it touches,
through `workbook.xlsx.patch`, and every other part of the file stays byte for byte as it was.

Every command that changes the master (merge, watch, issue, board, rag, validate --write) does it
the same way: `editing_master` refuses a master marked read-only, takes the writer lock (one
writer at a time), refuses a master open in Excel or LibreOffice, and reads one snapshot; the
command makes its edits; `commit` backs up the master as read, checks that the file has not
changed on disk since, and replaces it atomically.

A master kept behind a symbolic link is edited where it really is: the file the link points to is
locked, backed up beside itself and replaced, and the link stays a link.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from workbook import clock
from workbook.errors import MasterError
from workbook.formatting import sizes
from workbook.formatting.sizes import number_format_for
from workbook.master.read import MasterSnapshot, check_master_file, read_snapshot
from workbook.master.settings import SETTING_TITLE, settings_from_sheets
from workbook.master.sheets import HIDDEN_COLUMNS, SHEET_PLAN
from workbook.xlsx.cells import cell_range_bounds, column_letter
from workbook.xlsx.files import (
    check_not_open,
    check_writable,
    free_path,
    remove_orphans,
    through_links,
    write_atomically,
    writer_lock,
)
from workbook.xlsx.formats import FormatsApplied, Note, ReportSheet, SheetFormats, Value
from workbook.xlsx.patch import CellStyle, XlsxPatch, cell_value
from workbook.xlsx.read import column_positions, place_in_columns, sheet_name
from workbook.xlsx.read import sheet as sheet_grid

BACKUP_FOLDER = "backups"

_TEXT = CellStyle(vertical="top", horizontal="left")
_WRAPPED = CellStyle(wrap=True, vertical="top", horizontal="left")
_DATE = CellStyle(number_format=sizes.DATE_FORMAT, vertical="top", horizontal="left")
_TIMESTAMP = CellStyle(number_format=sizes.TIMESTAMP_FORMAT, vertical="top", horizontal="left")
#: Width of a list-sheet column added by an edit, by how long its title is.
_MIN_WIDTH, _MAX_WIDTH = 10.0, 60.0


class MasterEdit:
    """Edits to one snapshot of the master, applied to the file by `commit`."""

    def __init__(self, snapshot: MasterSnapshot) -> None:
        self.snapshot = snapshot
        self._patch = XlsxPatch(snapshot.data)
        self._touched = False
        self._plan_sheet = sheet_name(self._patch.sheet_names, SHEET_PLAN) or SHEET_PLAN

    @property
    def touched(self) -> bool:
        return self._touched

    def set_plan_text(self, row: int, column: int, text: str, *, key: str | None = None) -> None:
        """Write `text` into the `Action Plan` cell at Excel row `row`, 0-based `column`, keeping
        its look. With `key` (the plan column it is, e.g. "updates") the row grows when the new
        text needs more room; it never shrinks, since another cell of the row may need the room
        (and only the changed cell's text has to be measured)."""
        self._patch.set_cell(self._plan_sheet, row, column + 1, text)
        if key is not None:
            needed = sizes.row_height({key: text})
            current = self._patch.row_height(self._plan_sheet, row)
            if current is None or needed > current:
                self._patch.set_row_height(self._plan_sheet, row, needed)
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
        """Add `rows` (values in `columns` order) under the list sheet `sheet`, matching its
        columns by title so an owner's reordering does not matter; the sheet is created (with
        `state`, e.g. "veryHidden", and `widths`) when missing, and a missing column gets its
        title added. The `wrap` column's text wraps, and each row is made tall enough for it; on a
        visible sheet every text column wraps and sets the row's height, so the sheet prints with
        no text running into the next column or cut off (`HIDDEN_COLUMNS` excepted)."""
        if not rows:
            return
        self._touched = True
        existing = sheet_name(self._patch.sheet_names, sheet)
        widths = list(widths or [_width(c) for c in columns])
        hidden = HIDDEN_COLUMNS.get(sheet, ())
        if state == "visible":
            wrapped = [i for i, c in enumerate(columns) if c not in hidden]
        else:
            wrapped = [columns.index(wrap)] if wrap is not None else []
        styles = [_style_for([r[i] for r in rows]) for i in range(len(columns))]
        for i in wrapped:
            if styles[i] is _TEXT:
                styles[i] = _WRAPPED
        heights = _heights(rows, [(i, widths[i]) for i in wrapped]) if wrapped else None
        if existing is None:
            self._patch.add_sheet(
                sheet,
                [list(columns)],
                state=state,
                widths=widths,
                footer=self._title(),
                hidden_columns=[i + 1 for i, c in enumerate(columns) if c in hidden],
            )
            if state == "visible":
                height = sizes.row_height_for(zip(columns, widths, strict=True), bold=True)
                self._patch.set_row_height(sheet, 1, height)
            existing = sheet
            header = list(columns)
        else:
            grid = sheet_grid(self.snapshot.sheets, existing) or [[]]
            header = ["" if v is None else str(v) for v in grid[0]]
        positions = column_positions(header, columns)
        for title, pos in zip(columns, positions, strict=True):
            if pos >= len(header):
                self._patch.set_cell(existing, 1, pos + 1, title, style=CellStyle(bold=True))
        if positions == list(range(len(columns))):  # the usual case: the sheet as we wrote it
            placed = [[v if type(v) is str else cell_value(v) for v in row] for row in rows]
        else:
            placed = [place_in_columns([cell_value(v) for v in row], positions) for row in rows]
        placed_styles = place_in_columns(styles, positions)
        self._patch.append_rows(existing, placed, styles=placed_styles, heights=heights)

    def _title(self) -> str:
        """The plan's title, from Settings, for the foot of a sheet's printed pages."""
        title = settings_from_sheets(self.snapshot.sheets).get(SETTING_TITLE)
        return title if isinstance(title, str) else ""

    def set_dates(
        self, sheet: str, column: int, dates: Sequence[tuple[int, dt.date | None]]
    ) -> None:
        """Write each (Excel row, date) into 0-based `column` of `sheet` as a date (None: blank),
        keeping each cell's look but for the master's date format."""
        if not dates:
            return
        name = sheet_name(self._patch.sheet_names, sheet) or sheet
        for row, day in dates:
            self._patch.set_cell(name, row, column + 1, day)
            self._patch.restyle(name, row, column + 1, number_format=sizes.DATE_FORMAT)
        self._touched = True

    def set_cells(self, sheet: str, cells: Sequence[tuple[int, int, Value]]) -> None:
        """Write each (Excel row, 0-based column, value) into the list sheet `sheet`, keeping each
        cell's look but for a date's format (the master's date or timestamp format)."""
        if not cells:
            return
        name = sheet_name(self._patch.sheet_names, sheet) or sheet
        for row, column, value in cells:
            self._patch.set_cell(name, row, column + 1, value)
            fmt = number_format_for([value]) if isinstance(value, dt.date) else None
            if fmt:
                self._patch.restyle(name, row, column + 1, number_format=fmt)
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
        """Add a column titled `title` at 0-based `column` of `Action Plan`, right of the last
        one: title and item cells styled like their left neighbours, the width, and each
        section row's merged heading stretched over it (with the section's fill)."""
        sheet, col = self._plan_sheet, column + 1
        self._patch.set_cell(sheet, header_row, col, title)
        self._patch.restyle(sheet, header_row, col, like=(header_row, column))
        for row in item_rows:
            self._patch.restyle(sheet, row, col, like=(row, column))
        self._patch.set_column_width(sheet, col, width)
        sections = set(section_rows)
        for area in self._patch.merged_ranges(sheet):
            bounds = _bounds(area)
            if bounds is None:
                continue
            first_col, row, last_col, last_row = bounds
            if row == last_row and row in sections and last_col == column:
                wider = f"{column_letter(first_col)}{row}:{column_letter(col)}{row}"
                self._patch.replace_merge(sheet, area, wider)
                self._patch.restyle(sheet, row, col, like=(row, column))
        self._touched = True

    def set_name(self, name: str, sheet: str, ref: str) -> None:
        """Make the workbook-level name `name` refer to `ref` ("$B$8") on `sheet`."""
        title = sheet_name(self._patch.sheet_names, sheet) or sheet
        target = "'" + title.replace("'", "''") + "'!" + ref
        if self._patch.set_defined_name(name, target):
            self._touched = True

    def apply_formats(self, sheet: str, formats: SheetFormats) -> FormatsApplied:
        """Put `formats` on `sheet` (see XlsxPatch.replace_conditional_formats)."""
        name = sheet_name(self._patch.sheet_names, sheet) or sheet
        applied = self._patch.replace_conditional_formats(name, formats)
        self._touched = True
        return applied

    def replace_sheet(self, report: ReportSheet) -> None:
        """Write `report` as the sheet of its name, replacing what it held."""
        self._patch.replace_sheet(report)
        self._touched = True

    def replace_notes(self, author: str, notes: Sequence[Note]) -> None:
        """Remove the notes `author` wrote, on every sheet, and add `notes` (those on a sheet the
        master does not have are left out); other people's notes stay."""
        names = self._patch.sheet_names
        kept = [n for n in notes if sheet_name(names, n.sheet) is not None]
        self._patch.replace_notes(author, kept)
        self._touched = True

    def commit(self, *, when: dt.datetime | None = None) -> Path | None:
        """Back up the master as read, then replace it with the edited workbook in one step.

        Refuses, writing nothing, when Excel or LibreOffice has the master open, when it is marked
        read-only (checked again here: it may have been since the edit began, and `issue` makes
        its edit without `editing_master`), or when the file changed on disk since it was read.
        Returns the backup's path (None if nothing changed).
        """
        if not self._touched:
            return None
        path = self.snapshot.path
        check_not_open(path)
        check_writable(path)
        data = self._patch.to_bytes()  # everything that can fail is done before the file is touched
        self._check_unchanged()
        backup = backup_path(path, when or clock.now())
        try:
            backup.parent.mkdir(exist_ok=True)
            write_atomically(backup, lambda fh: fh.write(self.snapshot.data))
        except OSError as e:
            raise MasterError(
                f"cannot write the backup {backup} ({_reason(e)}); nothing was written - check "
                f"the '{backup.parent.name}' folder beside the master"
            ) from e
        try:
            # checked again at the last moment, once the new file is on disk: a save landing
            # while the backup and the new master were written must not be lost
            write_atomically(path, lambda fh: fh.write(data), before_replace=self._check_unchanged)
        except OSError as e:
            raise MasterError(
                f"cannot write {path} ({_reason(e)}); it is unchanged - close it in Excel, check "
                "you may change it and that the disk has room, then run again"
            ) from e
        return backup

    def _check_unchanged(self) -> None:
        path = self.snapshot.path
        try:
            current = path.read_bytes()
        except OSError as e:
            raise MasterError(f"cannot read {path} ({_reason(e)}); nothing was written") from e
        if hashlib.sha256(current).hexdigest() != self.snapshot.sha256:
            raise MasterError(
                f"{path} changed on disk while this ran (saved by someone else?); nothing was "
                "written - run again"
            )


def _bounds(area: str) -> tuple[int, int, int, int] | None:
    """(first column, first row, last column, last row) of a range like "A11:H11"."""
    try:
        return cell_range_bounds(area)
    except ValueError:
        return None


def _reason(e: OSError) -> str:
    """What went wrong, in the OS's words, without the temp file's name (gone already)."""
    return e.strerror or type(e).__name__


@contextlib.contextmanager
def editing_master(
    master: Path,
    *,
    also: Collection[str] = (),
    rich: bool = False,
    open_advice: str | None = None,
) -> Iterator[MasterEdit]:
    """Hold the master for one writer, refuse it while Excel or LibreOffice has it open, and
    give an edit of one snapshot of it (its plan sheets and the `also` sheets). The caller makes
    its changes and calls `commit`; nothing is written otherwise.

    A master that is missing or marked read-only is refused before anything is made, the writer
    lock's file included."""
    master = Path(master)
    check_master_file(master)
    check_writable(master)
    with writer_lock(master, on_locked=lambda: _remove_orphans(master)):
        if open_advice is None:
            check_not_open(master)
        else:
            check_not_open(master, advice=open_advice)
        yield MasterEdit(read_snapshot(master, also=also, rich=rich))


def _remove_orphans(master: Path) -> None:
    """Temp files a killed writer left (`.master.xlsx.1a2b3c4d.tmp`, and in backups/): with the
    lock held nobody else is writing them, so they are debris. They sit beside the file a link
    points to, where they were written."""
    real = through_links(master)
    remove_orphans(real.parent, prefix=f".{real.name}.")
    remove_orphans(real.parent / BACKUP_FOLDER)


def backup_path(master: Path, when: dt.datetime) -> Path:
    """Where the copy of the master taken before an edit goes: `backups/` beside it (beside the
    file a link points to, for a master behind one), named by time so backups sort in order; never
    overwrites an earlier one."""
    real = through_links(master)
    folder = real.parent / BACKUP_FOLDER
    return free_path(folder / f"{real.stem} {when:%Y-%m-%d %H%M%S}{real.suffix}")


def _style_for(values: Sequence[object]) -> CellStyle:
    fmt = number_format_for(values)
    return {sizes.TIMESTAMP_FORMAT: _TIMESTAMP, sizes.DATE_FORMAT: _DATE}.get(fmt or "", _TEXT)


def _heights(
    rows: Sequence[Sequence[object]], wrapped: Sequence[tuple[int, float]]
) -> list[float | None]:
    """Each list-sheet row's height for its wrapped cells (column, width); None (the default)
    for one line. A tight loop: a merge appends thousands of rows."""
    wrapped_lines = sizes.wrapped_lines
    out: list[float | None] = []
    for row in rows:
        lines = 1
        for i, width in wrapped:
            value = row[i]
            if value and isinstance(value, str):
                n = wrapped_lines(value, width)
                if n > lines:
                    lines = n
        out.append(sizes.height_for_lines(lines) if lines > 1 else None)
    return out


def _width(title: str) -> float:
    return min(_MAX_WIDTH, max(_MIN_WIDTH, len(title) + 4.0))

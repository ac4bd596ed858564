"""Change-only edits of a master workbook on disk: read it once, change the cells that changed, add
rows to its list sheets, and replace it atomically after a backup.

The master is the owner's record of a statutory plan, and they work on it in Excel: loading and
re-saving it whole (openpyxl) is slow for a big plan and drops what openpyxl does not understand
(rules Excel keeps in extLst, images, slicers). `MasterEdit` rewrites only the sheets it touches,
through `workbook.xlsx_patch`, and every other part of the file stays byte for byte as it was.

The snapshot is read from one set of bytes, and the edit refuses to replace the file if it changed
on disk since then, so a merge never overwrites work saved meanwhile.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbook import clock, layout
from workbook.errors import MasterError
from workbook.layout import number_format_for
from workbook.master_read import (
    PLAN_SHEETS,
    check_master_file,
    column_positions,
    openpyxl_sheets,
    place_in_columns,
    require_plan_sheet,
    sheet_name,
)
from workbook.master_read import sheet as sheet_grid
from workbook.master_write import free_path, open_lock, write_atomically
from workbook.model import SHEET_PLAN
from workbook.xlsx_patch import CellStyle, XlsxPatch

BACKUP_FOLDER = "backups"

_TEXT = CellStyle(vertical="top", horizontal="left")
_WRAPPED = CellStyle(wrap=True, vertical="top", horizontal="left")
_DATE = CellStyle(number_format=layout.DATE_FORMAT, vertical="top", horizontal="left")
_TIMESTAMP = CellStyle(number_format=layout.TIMESTAMP_FORMAT, vertical="top", horizontal="left")
#: Width of a list-sheet column added by an edit, by how long its title is.
_MIN_WIDTH, _MAX_WIDTH = 10.0, 60.0


@dataclass(frozen=True)
class MasterSnapshot:
    """The master as read at one moment: its bytes, their SHA-256, and its sheets as grids."""

    path: Path
    data: bytes
    sha256: str
    sheets: Mapping[str, list[list[object]]]
    sheet_names: tuple[str, ...] = field(default=())


def read_snapshot(path: Path, *, also: Sequence[str] = (), rich: bool = False) -> MasterSnapshot:
    """Read the master at `path` once: the plan's sheets and the `also` sheets (bookkeeping), with
    python-calamine, from the same bytes a later edit will patch. `rich` also reads the `Action
    Plan` sheet with openpyxl, keeping the findings' italics (slower)."""
    path = Path(path)
    check_master_file(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MasterError(f"cannot read {path}: {e.strerror}; check it is not locked") from e
    wanted = {n.casefold() for n in (*PLAN_SHEETS, *also)}
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = tuple(wb.sheet_names)
        require_plan_sheet(list(names))
        sheets = {
            name: [
                [None if v == "" else v for v in row]
                for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            ]
            for name in names
            if name.strip().casefold() in wanted
        }
        if rich:
            plan_name = sheet_name(names, SHEET_PLAN) or SHEET_PLAN
            sheets.update(openpyxl_sheets(io.BytesIO(data), (plan_name,)))
    except MasterError as e:
        raise MasterError(f"{path}: {e}") from e
    except Exception as e:  # any failure inside the reader means the file is not a usable xlsx
        raise MasterError(
            f"{path} could not be read as an Excel workbook ({type(e).__name__}: {e}); "
            "open it in Excel and save it again as .xlsx"
        ) from e
    return MasterSnapshot(path, data, hashlib.sha256(data).hexdigest(), sheets, names)


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
            needed = layout.row_height({key: text})
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
        title added. The `wrap` column's text wraps, and each row is made tall enough for it."""
        if not rows:
            return
        self._touched = True
        existing = sheet_name(self._patch.sheet_names, sheet)
        wrap_at = columns.index(wrap) if wrap is not None else None
        styles = [
            _WRAPPED if i == wrap_at else _style_for([r[i] for r in rows])
            for i in range(len(columns))
        ]
        heights = None
        if wrap_at is not None:
            width = widths[wrap_at] if widths else _width(columns[wrap_at])
            heights = [_height(r[wrap_at], width) for r in rows]
        if existing is None:
            self._patch.add_sheet(
                sheet,
                [list(columns)],
                state=state,
                widths=widths or [_width(c) for c in columns],
            )
            existing = sheet
            header = list(columns)
        else:
            grid = sheet_grid(self.snapshot.sheets, existing) or [[]]
            header = ["" if v is None else str(v) for v in grid[0]]
        positions = column_positions(header, columns)
        for title, pos in zip(columns, positions, strict=True):
            if pos >= len(header):
                self._patch.set_cell(existing, 1, pos + 1, title, style=CellStyle(bold=True))
        placed = [place_in_columns(row, positions) for row in rows]
        placed_styles = place_in_columns(styles, positions)
        self._patch.append_rows(existing, placed, styles=placed_styles, heights=heights)

    def commit(self, *, when: dt.datetime | None = None) -> Path | None:
        """Back up the master as read, then replace it with the edited workbook in one step.

        Refuses, writing nothing, when Excel or LibreOffice has the master open, or when the file
        changed on disk since it was read. Returns the backup's path (None if nothing changed).
        """
        if not self._touched:
            return None
        path = self.snapshot.path
        check_not_open(path)
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


def _reason(e: OSError) -> str:
    """What went wrong, in the OS's words, without the temp file's name (gone already)."""
    return e.strerror or type(e).__name__


#: How long a command waits for another actionplan command writing the same master.
WRITER_WAIT_SECONDS = 60.0


@contextlib.contextmanager
def writer_lock(master: Path, *, wait: float = WRITER_WAIT_SECONDS) -> Iterator[None]:
    """Hold the master for one writer from reading it to replacing it: a `watch` and a `merge`
    (or two owners on a shared drive) take turns instead of one refusing. The lock is an OS lock
    on a hidden file beside the master, released even if the process is killed; the file itself
    stays (deleting it would let two writers lock two different files)."""
    lock_path = Path(master).with_name(f".{Path(master).name}.writer-lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as e:
        raise MasterError(
            f"cannot create {lock_path} ({e.strerror}); check you may write to {lock_path.parent}"
        ) from e
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise MasterError(
                    f"another actionplan command has been writing {master} for over {wait:g} s "
                    "(a watch or merge); try again when it has finished"
                )
            time.sleep(0.05)
        _remove_orphans(Path(master))
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


_TEMP_FILE = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")


def _remove_orphans(master: Path) -> None:
    """Temp files a killed writer left (`.master.xlsx.1a2b3c4d.tmp`, and in backups/): with the
    lock held nobody else is writing them, so they are debris."""
    remove_orphans(master.parent, prefix=f".{master.name}.")
    remove_orphans(master.parent / BACKUP_FOLDER)


def remove_orphans(folder: Path, *, prefix: str = ".") -> None:
    """Remove `write_atomically`'s temp files (`.name.<8 hex>.tmp`) left in `folder` by a writer
    that was killed; call it only while holding the master's writer lock."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(prefix) and _TEMP_FILE.match(entry.name):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _try_lock(fd: int) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def check_not_open(
    path: Path, *, advice: str = "close it and run again - nothing was written"
) -> None:
    """Refuse to change a master that Excel or LibreOffice has open: their next save would
    overwrite the change (and Windows would not let us replace the file). `advice` is what the
    one-line error tells the owner to do."""
    if lock := open_lock(path):
        raise MasterError(f"{path} is open in Excel or LibreOffice ({lock.name} exists); {advice}")


def backup_path(master: Path, when: dt.datetime) -> Path:
    """Where the copy of the master taken before an edit goes: `backups/` beside it, named by
    time so backups sort in order; never overwrites an earlier one."""
    folder = master.parent / BACKUP_FOLDER
    return free_path(folder / f"{master.stem} {when:%Y-%m-%d %H%M%S}{master.suffix}")


def _style_for(values: Sequence[object]) -> CellStyle:
    fmt = number_format_for(values)
    return {layout.TIMESTAMP_FORMAT: _TIMESTAMP, layout.DATE_FORMAT: _DATE}.get(fmt or "", _TEXT)


def _height(value: object, width: float) -> float | None:
    """A list-sheet row's height for its wrapped text; None (the default) for one line."""
    if not isinstance(value, str) or not value:
        return None
    lines = layout.wrapped_lines(value, width)
    return layout.height_for_lines(lines) if lines > 1 else None


def _width(title: str) -> float:
    return min(_MAX_WIDTH, max(_MIN_WIDTH, len(title) + 4.0))

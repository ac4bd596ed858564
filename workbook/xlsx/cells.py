"""Cell values as every reader gives them (python-calamine, openpyxl, Excel's live client), turned
into what the product keeps: text, a trimmed id, a date or a timestamp. One set of conversions,
so the master, the returns, the ledger and the add-in read a cell the same way.

A grid is a sheet as rows of cell values from A1, None for an empty cell; a rich-text cell comes
as a tuple of `Run`s.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from workbook.plan.model import runs_text

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell

Grid = Sequence[Sequence[object]]

#: Day 0 of Excel's 1900 date system (it counts the 1900 leap day that never was).
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
#: 31 December 9999, the last day Excel can show.
MAX_SERIAL = 2_958_466


def column_letter(n: int) -> str:
    """The letters of the 1-based column `n` (1 -> A, 27 -> AA), as Excel names columns."""
    letters = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str | bytes) -> int:
    """The 1-based column of letters (A -> 1, AA -> 27, any case), the inverse of
    `column_letter`."""
    text = letters.decode("ascii") if isinstance(letters, bytes) else letters
    n = 0
    for ch in text.upper():
        n = n * 26 + ord(ch) - 64
    return n


_CELL_ADDRESS = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")


def cell_range_bounds(area: str) -> tuple[int, int, int, int]:
    """(first column, first row, last column, last row), 1-based, of a cell range like "A11:H11"
    or one cell "B3" ($ signs allowed); ValueError for anything else."""
    corners = []
    for part in area.strip().split(":"):
        match = _CELL_ADDRESS.fullmatch(part.strip())
        if match is None:
            raise ValueError(f"{area!r} is not a cell range")
        corners.append((column_number(match[1]), int(match[2])))
    if len(corners) == 1:
        corners *= 2
    if len(corners) != 2:
        raise ValueError(f"{area!r} is not a cell range")
    (c0, r0), (c1, r1) = corners
    return min(c0, c1), min(r0, r1), max(c0, c1), max(r0, r1)


def at(row: Sequence[object], i: int) -> object:
    """The value in column `i` (0-based) of a row, None past its end."""
    return row[i] if i < len(row) else None


def cell_text(value: object) -> str:
    """A cell as the text the plan keeps: strings exactly as stored, rich text as its words, a
    whole number without ".0", a date as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return runs_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def loose(value: object) -> str:
    """A title compared loosely: case and spacing as typed do not matter."""
    return " ".join(cell_text(value).split()).casefold()


def cell_str(value: object) -> str:
    """A bookkeeping cell (an id, a code, a ref) as trimmed text."""
    return cell_text(value).strip()


def filled(value: object) -> bool:
    """Whether a cell holds anything but spaces."""
    return value is not None and cell_text(value).strip() != ""


def cell_int(value: object) -> int | None:
    """A whole-number cell (a pack number), or None; True is not 1."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def serial_datetime(serial: float) -> dt.datetime | None:
    """An Excel date serial (days since EXCEL_EPOCH) as a datetime; None outside Excel's dates."""
    if not 0 < serial < MAX_SERIAL:
        return None
    return (EXCEL_EPOCH + dt.timedelta(days=float(serial))).replace(microsecond=0)


def cell_datetime(value: object) -> dt.datetime | None:
    """A timestamp cell as a datetime, however it comes: a datetime (openpyxl, calamine), a date,
    ISO text, or a bare Excel serial number (how Excel's Office.js client sends a cell with a
    custom date format such as the master's "yyyy-mm-dd hh:mm")."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return serial_datetime(value)
    if isinstance(value, str) and value.strip():
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def cell_date(value: object) -> dt.date | None:
    """A date cell as a date (see cell_datetime for the forms it takes), or None."""
    found = cell_datetime(value)
    return found.date() if found else None


# Excel reads "_x0041_" in a cell's text as an escaped "A" (so do python-calamine and openpyxl's
# rich-text reader); text that holds such a pattern literally is stored with its underscore
# escaped, "_x005F_x0041_". openpyxl's writer does not escape, so our writers do.
_ESCAPE_LIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def excel_escape(value: str) -> str:
    """`value` as stored in a cell, so that Excel shows it exactly."""
    return _ESCAPE_LIKE.sub(r"_x005F_\1", value) if "_x" in value else value


def set_text(cell: Cell, value: str) -> None:
    """Store user text in an openpyxl cell so it stays text: openpyxl would make "=SUM(A1)" a
    formula and "#N/A" an error value, which Excel would then evaluate; "_x0041_" is escaped so it
    is not read as "A"."""
    cell.value = excel_escape(value) if value else value
    if value:
        cell.data_type = "s"

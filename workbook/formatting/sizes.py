"""How big a plan's cells need to be: row heights for wrapped text, the date formats, what a
line of text holds. Plain arithmetic with no spreadsheet library, so the merge, which only patches
cells, sizes rows without importing openpyxl; `workbook.formatting.layout` (fonts, fills, borders,
pages) builds on it.

Excel does not grow a row to fit wrapped text that a program wrote, and never for merged cells, so
the writers estimate each row's height here and set it explicitly; an underestimate hides text, so
the estimate errs towards a little spare space.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from workbook.master.sheets import COLUMN_BY_KEY

FONT_NAME = "Arial"
FONT_SIZE = 10
HEADER_FILL_COLOUR = "1F3864"


DATE_FORMAT = "dd-mmm-yy"
TIMESTAMP_FORMAT = "yyyy-mm-dd hh:mm"


def number_format_for(values: Iterable[object]) -> str | None:
    """The format of a list-sheet column holding `values`: timestamps or dates as such, else
    General (None)."""
    kinds = {type(v) for v in values}  # a column holds a few kinds: look at each once
    if any(issubclass(k, dt.datetime) for k in kinds):
        return TIMESTAMP_FORMAT
    if any(issubclass(k, dt.date) for k in kinds):
        return DATE_FORMAT
    return None


# --- Row heights ----------------------------------------------------------------------------

#: Height of one line of 10pt text, as Excel spaces it.
LINE_HEIGHT = 12.75
#: Room above and below the text so the last line is not clipped by the cell border.
ROW_PADDING = 4.0
#: Excel refuses taller rows.
MAX_ROW_HEIGHT = 409.0
#: Column widths count '0' digits of the default font (Arial 10, see use_body_font_as_default).
#: Arial 10 prose runs about 1.2 characters per digit width in Excel and LibreOffice; 1.1 leaves
#: room for text heavy in capitals and for print rendering, which runs a little wider than screen.
CHARS_PER_WIDTH_UNIT = 1.1
CELL_MARGIN_CHARS = 1


def chars_per_line(width: float, *, bold: bool = False) -> int:
    """How many characters of 10pt text fit on one line of a column this wide."""
    chars = width * CHARS_PER_WIDTH_UNIT - CELL_MARGIN_CHARS
    if bold:
        chars /= 1.1
    return max(1, math.floor(chars))


def wrapped_lines(text: str, width: float, *, bold: bool = False) -> int:
    """Lines a wrapped cell needs: each explicit line wrapped word by word, as Excel does."""
    if not text:
        return 0
    limit = chars_per_line(width, bold=bold)
    return sum(_wrap_count(line, limit) for line in text.split("\n"))


def _wrap_count(line: str, limit: int) -> int:
    if len(line) <= limit:
        return 1
    lines, used = 1, 0
    for size in map(len, line.split(" ")):
        need = size if used == 0 else used + 1 + size
        if need <= limit:
            used = need
            continue
        if used:  # the word moves to a fresh line
            lines += 1
        # a word longer than a line is broken across as many lines as it takes
        extra, used = divmod(size, limit)
        if used == 0 and extra:
            extra, used = extra - 1, limit
        lines += extra
    return lines


def height_for_lines(lines: int) -> float:
    """Row height in points for this many lines of 10pt text, within Excel's limit."""
    return min(MAX_ROW_HEIGHT, max(1, lines) * LINE_HEIGHT + ROW_PADDING)


def row_height(texts_by_column: dict[str, str], *, bold: bool = False) -> float:
    """Height in points a plan row needs so every wrapped cell shows completely.

    Keys are `PLAN_COLUMNS` keys ("finding", "actions", ...); widths come from there.
    """
    return row_height_for(
        ((text, COLUMN_BY_KEY[key].width) for key, text in texts_by_column.items()), bold=bold
    )


def row_height_for(cells: Iterable[tuple[str, float]], *, bold: bool = False) -> float:
    """Height in points a row needs so each of its wrapped cells, (text, column width), shows
    completely."""
    lines = max((wrapped_lines(text, width, bold=bold) for text, width in cells), default=0)
    return height_for_lines(lines)

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

from workbook.formatting import font_widths
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
#
# A row's height is stored in the file, and both programs draw the row at that height: Excel does
# not grow a row to fit text a program wrote, and LibreOffice keeps a stored height on load. So the
# height is estimated here, for both: text is wrapped word by word with Arial's own character
# widths (`font_widths`, from Liberation Sans, its metric twin), once in Excel's column and once in
# LibreOffice's, and the row is as tall as the taller of the two. Each estimate may give more lines
# than the program draws, never fewer: breaks are taken only at spaces (both programs also break
# after a hyphen) and a word too long for a line starts a fresh one.

#: Height of one line of 10pt text, as Excel spaces it (17 pixels, the default row).
LINE_HEIGHT = 12.75
#: Room above and below the text so the last line is not clipped by the cell border.
ROW_PADDING = 4.0
#: Excel refuses taller rows.
MAX_ROW_HEIGHT = 409.0

#: Excel draws a column-width unit as 7 pixels at 96 dpi (5.25 points) and keeps 5 pixels of it
#: for the cell's padding and grid line; its text is Arial 10 at 13 pixels an em, a little
#: smaller than 10 points of 0.75-point pixels, so measuring it at 10 points errs wide.
EXCEL_POINTS_PER_UNIT = 5.25
EXCEL_CELL_MARGIN = 3.75
#: LibreOffice draws a column-width unit as the width of the digit 0 of Arial 10 (5.55 points,
#: read back from Calc over UNO) and spaces lines of Arial 10 11.18 points apart (Calc's optimal
#: heights step by that much a line); the margin is what its optimal heights of sample texts
#: show it keeps at the sides of a cell.
OFFICE_POINTS_PER_UNIT = 5.4
OFFICE_CELL_MARGIN = 4.0
OFFICE_LINE_HEIGHT = 11.18


def _widths(table: str) -> dict[str, float]:
    """Points each character of `table` (font_widths' form) takes in 10pt text."""
    scale = FONT_SIZE / font_widths.UNITS_PER_EM
    return {chr(int(c, 16)): int(w) * scale for c, w in (p.split(":") for p in table.split())}


_REGULAR = _widths(font_widths.REGULAR)
_BOLD = _widths(font_widths.BOLD)
#: A character the tables do not hold is taken as one em, as wide as any Latin letter runs.
_UNKNOWN = float(FONT_SIZE)
_WIDEST = max(_UNKNOWN, *_REGULAR.values(), *_BOLD.values())
#: Each word's width, by font: plans repeat their words, so most are measured once.
_WORDS: tuple[dict[str, float], dict[str, float]] = ({}, {})
_WORDS_KEPT = 200_000


def line_counts(text: str, width: float, *, bold: bool = False) -> tuple[int, int]:
    """Lines a wrapped cell of 10pt Arial in a column `width` units wide takes: (in Excel, in
    LibreOffice). Each explicit line is wrapped word by word."""
    excel_room, office_room = _rooms(width)
    return _count(text, excel_room, bold), _count(text, office_room, bold)


def wrapped_lines(text: str, width: float, *, bold: bool = False) -> int:
    """Lines of Excel's line height a wrapped cell needs to show completely in Excel and in
    LibreOffice (`line_counts`): Excel's count, whose column is the narrower and whose lines are
    the taller - a wider line never takes more lines to fill word by word, so LibreOffice's
    count is needed only for a column too narrow for that to hold."""
    if not text:
        return 0
    excel_room, office_room = _rooms(width)
    room = min(excel_room, office_room)
    if "\n" not in text:  # the common short cell, answered before any splitting
        if len(text) * _WIDEST <= room:
            return 1
        if " " not in text and _word_width(text, bold) <= room:
            return 1
    short = len(text) <= _SHORT
    if short and (found := _SHORT_CELLS.get((text, width, bold))) is not None:
        return found  # lists repeat their short values (leads, outcomes, file names) row on row
    lines = _count(text, excel_room, bold)
    if office_room < excel_room:
        office = _count(text, office_room, bold)
        lines = max(lines, math.ceil(office * OFFICE_LINE_HEIGHT / LINE_HEIGHT - 0.01))
    if short and len(_SHORT_CELLS) < _WORDS_KEPT:
        _SHORT_CELLS[(text, width, bold)] = lines
    return lines


def _count(text: str, room: float, bold: bool) -> int:
    """Lines `text` takes wrapped word by word in `room` points, each explicit line apart."""
    if not text:
        return 0
    table = _BOLD if bold else _REGULAR
    space = table[" "]
    known = _WORDS[bold]
    lines = 0
    for line in text.split("\n"):
        if len(line) * _WIDEST <= room:  # fits whatever its letters
            lines += 1
            continue
        words = line.rstrip(" ").split(" ")
        sizes = [known[w] if w in known else _measure(w, table, known) for w in words]
        if sum(sizes) + (len(sizes) - 1) * space <= room:
            lines += 1
        else:
            lines += _wrap(words, sizes, room, space, table)
    return lines


def _word_width(word: str, bold: bool) -> float:
    known = _WORDS[bold]
    return known[word] if word in known else _measure(word, _BOLD if bold else _REGULAR, known)


#: Cells this short are remembered with their line counts.
_SHORT = 120
_SHORT_CELLS: dict[tuple[str, float, bool], int] = {}


_ROOMS: dict[float, tuple[float, float]] = {}


def _rooms(width: float) -> tuple[float, float]:
    """Points of text a line of a column `width` units wide holds: (in Excel, in LibreOffice)."""
    rooms = _ROOMS.get(width)
    if rooms is None:
        rooms = _ROOMS[width] = (
            width * EXCEL_POINTS_PER_UNIT - EXCEL_CELL_MARGIN,
            width * OFFICE_POINTS_PER_UNIT - OFFICE_CELL_MARGIN,
        )
    return rooms


def _measure(word: str, table: dict[str, float], known: dict[str, float]) -> float:
    """A word's width in points, remembered (plans repeat their words)."""
    size = sum(table.get(c, _UNKNOWN) for c in word)
    if len(known) < _WORDS_KEPT:
        known[word] = size
    return size


def _wrap(
    words: list[str], sizes: list[float], room: float, space: float, table: dict[str, float]
) -> int:
    """Lines `words` (their widths `sizes`) take in `room` points: words fill a line while they
    fit; a word wider than a line starts a fresh one and is broken where each line fills."""
    lines, used, empty = 1, 0.0, True
    for word, size in zip(words, sizes, strict=True):
        need = size if empty else used + space + size
        if need <= room:
            used, empty = need, False
            continue
        if not empty:
            lines += 1
        used, empty = size, False
        if size > room:
            used = 0.0
            for char in word:
                step = table.get(char, _UNKNOWN)
                if used and used + step > room:
                    lines += 1
                    used = 0.0
                used += step
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

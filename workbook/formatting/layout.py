"""How the `Action Plan` sheet looks: fonts, fills, borders, alignment, pages. The sizes (row
heights for wrapped text, date formats) are in `workbook.formatting.sizes`, imported here so a
writer finds everything about the look in one place."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from workbook.formatting.sizes import (
    DATE_FORMAT,
    FONT_NAME,
    FONT_SIZE,
    HEADER_FILL_COLOUR,
    LINE_HEIGHT,
)
from workbook.master.sheets import DUE_COLUMN
from workbook.plan.status import RagStatus

SECTION_FILL_COLOUR = "D9E1F2"

BODY_FONT = Font(name=FONT_NAME, size=FONT_SIZE)
BOLD_FONT = Font(name=FONT_NAME, size=FONT_SIZE, bold=True)
TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
SUBTITLE_FONT = Font(name=FONT_NAME, size=12, bold=True)
HEADER_FONT = Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="FFFFFF")
SECTION_FONT = Font(name=FONT_NAME, size=11, bold=True)

HEADER_FILL = PatternFill(
    fill_type="solid", start_color=HEADER_FILL_COLOUR, end_color=HEADER_FILL_COLOUR
)
SECTION_FILL = PatternFill(
    fill_type="solid", start_color=SECTION_FILL_COLOUR, end_color=SECTION_FILL_COLOUR
)

_THIN = Side(style="thin", color="808080")
THIN_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

WRAP_TOP = Alignment(wrap_text=True, vertical="top")
WRAP_TOP_LEFT = Alignment(wrap_text=True, vertical="top", horizontal="left")
TOP_LEFT = Alignment(vertical="top", horizontal="left")
WRAP_TOP_CENTRE = Alignment(wrap_text=True, vertical="top", horizontal="center")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")
SECTION_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
CENTRE = Alignment(horizontal="center", vertical="center")


def rag_font(status: RagStatus) -> Font:
    """Bold text in the colour the RAG key draws on this status's fill."""
    return Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color=status.font)


def rag_fill(status: RagStatus) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=status.fill, end_color=status.fill)


def use_body_font_as_default(wb: Workbook) -> None:
    """Make Arial 10 the workbook's default font (the `Normal` style), before any cell is styled.

    Column widths are measured in digits of the default font. Left at Calibri, a machine without
    Calibri or a metric twin (LibreOffice on Linux falls back to DejaVu Sans) draws every column
    much wider than Excel does; Arial has metric twins everywhere. Cells an owner adds later also
    come out in the plan's font. openpyxl has no public call for this, hence its private lists.
    """
    wb._fonts = IndexedList([BODY_FONT])
    wb._named_styles["Normal"].font = BODY_FONT


# --- Plan sheet cells -----------------------------------------------------------------------


def write_due_header(cell: Cell) -> None:
    """The `Due` column's title, styled like the other column titles."""
    cell.value = DUE_COLUMN.title
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = HEADER_ALIGNMENT
    cell.border = THIN_BORDER


def write_due_cell(cell: Cell, due: dt.date | None) -> None:
    """An item's `Due` cell: the date its time-scale names, as a real date, or blank."""
    cell.value = due
    cell.number_format = DATE_FORMAT
    cell.font = BODY_FONT
    cell.alignment = WRAP_TOP_CENTRE
    cell.border = THIN_BORDER


def fit_to_page_width(ws: Worksheet) -> None:
    """Landscape A4, as many pages down as needed but never a column cut onto a page of its own."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    # Excel's "Narrow" margins, in inches
    ws.page_margins = PageMargins(
        left=0.25, right=0.25, top=0.75, bottom=0.75, header=0.3, footer=0.3
    )


#: The footer's codes (Excel's and LibreOffice's): the page number and count, the sheet's name.
PAGE_OF_PAGES = "Page &P of &N"
SHEET_NAME_CODE = "&A"


def set_footer(ws: Worksheet, title: str, *, sheet_name: bool = False) -> None:
    """The printed footer: `title` on the left, the sheet's name in the middle (`sheet_name`),
    "Page 2 of 5" on the right."""
    ws.oddFooter.left.text = title.replace("&", "&&")  # '&' starts a code: a literal is doubled
    if sheet_name:
        ws.oddFooter.center.text = SHEET_NAME_CODE
    ws.oddFooter.right.text = PAGE_OF_PAGES


# --- Pages ------------------------------------------------------------------------------------

#: Landscape A4 as fit_to_page_width sets it up, in points: the width between the side margins
#: and the height between the top and bottom margins.
_PRINT_WIDTH = 841.9 - (0.25 + 0.25) * 72
_PRINT_HEIGHT = 595.3 - (0.75 + 0.75) * 72
#: What a column width unit is on paper: Excel draws 7 pixels of 0.75 points (5.25 points);
#: LibreOffice draws it narrower (about 4.8 points, measured on its PDFs), so it shrinks a wide
#: sheet less to fit the page and a page holds fewer rows. Pages are laid out by LibreOffice's
#: measure: never too tall for either, and Excel's come out a little less full.
_POINTS_PER_WIDTH_UNIT = 4.75
#: Room kept on every page for the small differences in how Excel and LibreOffice space rows.
_PAGE_SPARE = 0.97


def page_height_at_fit(sheet_width: float) -> float:
    """How many points of rows a page holds when a sheet `sheet_width` units wide is printed by
    fit_to_page_width (shrunk to the page's width, to a whole percent, never enlarged)."""
    points = sheet_width * _POINTS_PER_WIDTH_UNIT
    scale = min(100, math.floor(100 * _PRINT_WIDTH / points)) / 100 if points else 1.0
    return _PRINT_HEIGHT / scale * _PAGE_SPARE


def page_breaks(
    heights: Sequence[float], keep_with_next: Sequence[bool], *, first: float, page: float
) -> list[int]:
    """Where pages break in a run of rows: the indexes of the rows that end a page.

    A row marked `keep_with_next` (a section's band) never ends a page: it starts the next one
    with its first item. `first` is the room on the first page, `page` on each one after. The
    pages are evened out: as few as the rows need, each filled to about the same depth, so the
    last page is not left nearly empty while the others are full. A row taller than a page gets
    a page of its own.
    """
    blocks: list[tuple[int, float]] = []  # (index of the block's last row, its height)
    height = 0.0
    for i, (h, keep) in enumerate(zip(heights, keep_with_next, strict=True)):
        height += h
        if not keep or i == len(heights) - 1:
            blocks.append((i, height))
            height = 0.0

    def pack(limit: float) -> list[int]:
        ends: list[int] = []
        used, room, previous = 0.0, min(first, limit), -1
        for last, h in blocks:
            if used and used + h > room:
                ends.append(previous)
                used, room = 0.0, limit
            used += h
            previous = last
        return ends

    fewest = len(pack(page))
    low, high = min(page, sum(h for _, h in blocks) / (fewest + 1)), page
    for _ in range(30):  # the smallest depth per page that needs no more pages than the fewest
        middle = (low + high) / 2
        if len(pack(middle)) <= fewest:
            high = middle
        else:
            low = middle
    return pack(high)


def break_pages(ws: Worksheet, *, header_row: int, bands: Iterable[int], width: float) -> None:
    """Set the page breaks of a list printed under a repeated header row (`header_row`, rows
    above it only on the first page), `width` units wide: each section's band (`bands`, row
    numbers) starts a page with its first item, and pages are evenly filled (`page_breaks`).
    Excel and LibreOffice both honour breaks set in the file, and add none of their own while
    every page fits."""
    band_rows = set(bands)
    rows = range(header_row + 1, ws.max_row + 1)
    page = page_height_at_fit(width) - _height(ws, header_row)
    first = page - sum(_height(ws, r) for r in range(1, header_row))
    ends = page_breaks(
        [_height(ws, r) for r in rows], [r in band_rows for r in rows], first=first, page=page
    )
    ws.row_breaks.brk = []
    for end in ends:
        ws.row_breaks.append(Break(id=rows[end]))


def _height(ws: Worksheet, row: int) -> float:
    height = ws.row_dimensions[row].height
    return float(height) if height is not None else LINE_HEIGHT

"""A council's scrutiny tracker kept in Excel, written with openpyxl for the tests: title rows, a
blank row, the header, the rows (dates as date cells shown dd/mm/yy), and a version whose statuses
are given only as fill colours (`FILL_ONLY`, `FILLS`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Color, PatternFill

TITLES = [
    "Overview and Scrutiny Committee",
    "Scrutiny recommendations tracker 2025/26",
]
HEADER = [
    "Reference", "Origin", "Date", "Area", "Recommendation", "Exec Date", "Lead Officer/EM",
    "Action taken", "Status",
]  # fmt: skip
ROWS: list[list[object]] = [
    ["SR (25/26) 01", "Task group", dt.date(2025, 5, 12), "Housing",
     "The council should publish average void times each month.", dt.date(2025, 9, 30),
     "DM/PL/KL", "Void times published from June.\nFirst quarterly report in September.",
     "Complete"],
    ["SR (25/26) 02", "Call-in", dt.date(2025, 6, 3), "Parks",
     "Review the grounds maintenance contract before renewal.", dt.date(2026, 3, 31),
     "Leadership Team", None, "Ongoing"],
    ["SR (25/26) 03", "Budget scrutiny", dt.date(2025, 6, 10), "Finance",
     "Report savings delivery to the committee quarterly.", dt.date(2025, 12, 31),
     "leadership team", "First report taken in July.", "Paused"],
]  # fmt: skip

DATE_FORMAT = "dd/mm/yy"


def solid(colour: str | Color) -> PatternFill:
    return PatternFill(fill_type="solid", fgColor=colour)


def write_tracker(
    path: Path,
    rows: Sequence[Sequence[object]] = ROWS,
    *,
    header: Sequence[str] = HEADER,
    titles: Sequence[str] = TITLES,
    fills: dict[int, PatternFill] | None = None,
    row_fills: dict[int, PatternFill] | None = None,
    sheets_before: Sequence[str] = (),
    sheet_title: str = "Tracker",
) -> Path:
    """A council tracker: title rows, a blank row, the header, the rows (dates as date cells
    shown dd/mm/yy); `fills` colours the Status cell of rows[i], `row_fills` the whole row."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    for k, name in enumerate(sheets_before):
        ws = first if k == 0 else wb.create_sheet()
        ws.title = name
        ws.append([f"{name}: see the next sheet"])
    ws = first if not sheets_before else wb.create_sheet()
    ws.title = sheet_title
    for line in titles:
        ws.append([line])
    ws.append([])
    ws.append(list(header))
    top = ws.max_row
    for i, row in enumerate(rows):
        ws.append(list(row))
        r = top + 1 + i
        for c, value in enumerate(row, 1):
            cell = ws.cell(r, c)
            if isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
            if value is not None and isinstance(value, str) and "\n" in value:
                cell.alignment = Alignment(wrap_text=True)
        if row_fills and i in row_fills:
            for c in range(1, len(header) + 1):
                ws.cell(r, c).fill = row_fills[i]
        if fills and i in fills:
            ws.cell(r, len(header)).fill = fills[i]
    wb.save(path)
    return path


FILL_ONLY = [
    [*row[:8], None] for row in ROWS
] + [
    ["SR (25/26) 04", "Task group", dt.date(2025, 7, 1), "Housing",
     "Survey tenants on the repairs service.", dt.date(2026, 1, 31), "DM", None, None],
    ["SR (25/26) 05", "Call-in", dt.date(2025, 7, 8), "Parks",
     "Publish the tree-planting map.", dt.date(2025, 11, 30), "PL", None, None],
    ["SR (25/26) 06", "Task group", dt.date(2025, 7, 15), "Finance",
     "Benchmark the council tax collection rate.", dt.date(2026, 2, 28), "KL", None, "green"],
    ["Housing", None, None, None, None, None, None, None, None],
    ["SR (25/26) 07", "Task group", dt.date(2025, 8, 1), "Housing",
     "Review the allocations policy.", dt.date(2026, 4, 30), "DM", None, None],
]  # fmt: skip
RAG_HEADER = [*HEADER[:8], "RAG"]
FILLS = {
    0: solid("FF0000"),  # red, as RGB
    1: solid(Color(indexed=5)),  # yellow from Excel's palette: amber
    2: solid(Color(theme=6)),  # the theme's accent 3 (9BBB59 in openpyxl's theme): green
    3: solid(Color(theme=4, tint=0.4)),  # accent 1 (4F81BD), lighter: blue
    4: solid("7030A0"),  # purple: not a colour of the key
    5: solid("FF0000"),  # red, but the cell says green: the words win
}
ROW_FILLS = {6: solid("0070C0")}  # a heading row shaded blue across: not a status

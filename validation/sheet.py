"""Put a validation report into the master: a `Validation` sheet linking to each cell, and a
comment on each offending cell, both replaced on the next run so marks never go stale."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workbook.master.sheets import SHEET_PLAN

if TYPE_CHECKING:
    from validation.report import Report

SHEET_VALIDATION = "Validation"
COMMENT_AUTHOR = "actionplan validate"
_COLUMNS = (("Severity", 10), ("Code", 22), ("Ref", 9), ("Cell", 14), ("Message", 110))


def write_validation(path: Path, report: Report) -> None:
    """Record the report in the master at `path`, one writer at a time (see _write_validation)."""
    from workbook.xlsx.files import writer_lock

    with writer_lock(Path(path)):
        _write_validation(path, report)


def _write_validation(path: Path, report: Report) -> None:
    """Record the report in the master at `path` (atomically; the rest of the master unchanged)."""
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    from workbook.errors import MasterError
    from workbook.formatting.layout import HEADER_FILL, HEADER_FONT
    from workbook.xlsx.cells import set_text
    from workbook.xlsx.files import open_lock, save_atomically

    if lock := open_lock(path):
        raise MasterError(
            f"{path} is open in Excel or LibreOffice ({lock.name} exists); close it and run "
            "again, or leave out --write"
        )
    wb = load_workbook(path, rich_text=True)
    if SHEET_VALIDATION in wb.sheetnames:
        del wb[SHEET_VALIDATION]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
                    cell.comment = None
    ws = wb.create_sheet(SHEET_VALIDATION)
    ws.append(
        [f"Validated as of {report.as_of:%d %b %Y}: {len(report.errors)} errors, "
         f"{len(report.warnings)} warnings. Marks on cells are replaced at the next run."]
    )  # fmt: skip
    ws["A1"].font = Font(bold=True)
    ws.append([title for title, _ in _COLUMNS])
    for i, (_, width) in enumerate(_COLUMNS, start=1):
        head = ws.cell(2, i)
        head.font, head.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[head.column_letter].width = width
    notes: dict[tuple[str, str], list[str]] = {}
    for n, f in enumerate(report.findings, start=3):
        for col, value in enumerate((f.severity, f.code, f.ref, f.cell, f.message), start=1):
            set_text(ws.cell(n, col), value)
        sheet, _, cell = f.cell.rpartition("!")
        sheet = sheet.strip("'") or SHEET_PLAN
        link = ws.cell(n, 4)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!{cell}")
        link.font = Font(color="0563C1", underline="single")
        notes.setdefault((sheet, cell), []).append(f"{f.severity}: {f.message}")
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:E{max(2, len(report.findings) + 2)}"
    for (sheet, cell), lines in notes.items():
        if sheet in wb.sheetnames:
            comment = Comment("\n".join(lines), COMMENT_AUTHOR)
            comment.width, comment.height = 320, 60 + 40 * len(lines)
            wb[sheet][cell].comment = comment
    save_atomically(wb, path)

"""Put a validation report into the master: a `Validation` sheet linking to each cell, and a
note on each offending cell, both replaced on the next run so marks never go stale.

What to write is decided here once (`validation_sheet`, `validation_notes`) and written through
either editor: the master on disk (`write_validation`, the command line's `validate --write`)
or the workbook open in Excel (the add-in's Validate button).
"""

from __future__ import annotations

from pathlib import Path

from validation.report import Report
from workbook.master.edit import editing_master
from workbook.master.editor import Editor
from workbook.master.sheets import SHEET_PLAN
from workbook.xlsx.formats import Link, Note, ReportSheet

SHEET_VALIDATION = "Validation"
COMMENT_AUTHOR = "actionplan validate"
#: The Validation sheet's columns: title and width.
COLUMNS: tuple[tuple[str, float], ...] = (
    ("Severity", 10),
    ("Code", 22),
    ("Ref", 9),
    ("Cell", 14),
    ("Message", 110),
)
_CELL_COLUMN = 3  # 0-based: the column linking to the cell
_MARKS = "Marks on cells are replaced at the next run."


def summary_line(report: Report) -> str:
    """The report in one line: when it was judged, how many errors and warnings."""
    return (
        f"Validated as of {report.as_of:%d %b %Y}: {len(report.errors)} errors, "
        f"{len(report.warnings)} warnings."
    )


def validation_sheet(report: Report, *, marks: bool = True) -> ReportSheet:
    """The `Validation` sheet for `report`: a heading, the columns, one row per finding with its
    cell linked. `marks` says the offending cells carry notes too (see validation_notes)."""
    heading = f"{summary_line(report)} {_MARKS}" if marks else summary_line(report)
    rows = tuple((f.severity, f.code, f.ref, f.cell, f.message) for f in report.findings)
    links = tuple(
        Link(row=n, column=_CELL_COLUMN, location=_location(f.cell))
        for n, f in enumerate(report.findings)
    )
    return ReportSheet(
        name=SHEET_VALIDATION,
        heading=heading,
        columns=tuple(title for title, _ in COLUMNS),
        widths=tuple(width for _, width in COLUMNS),
        rows=rows,
        links=links,
    )


def validation_notes(report: Report) -> list[Note]:
    """A note on each offending cell: every finding there, in people's words."""
    lines: dict[tuple[str, str], list[str]] = {}
    for f in report.findings:
        lines.setdefault(_split(f.cell), []).append(f"{f.severity}: {f.message}")
    return [Note(sheet, cell, "\n".join(text)) for (sheet, cell), text in lines.items()]


def record_validation(editor: Editor, report: Report, *, marks: bool = True) -> None:
    """Write `report` through `editor`: the Validation sheet, and (with `marks`) the notes."""
    editor.replace_sheet(validation_sheet(report, marks=marks))
    if marks:
        editor.replace_notes(COMMENT_AUTHOR, validation_notes(report))


def write_validation(path: Path, report: Report) -> Path | None:
    """Record the report in the master at `path` through its one write path (one writer at a
    time, refused while open in Excel, backed up, replaced atomically; the rest of the master
    byte for byte as it was). Returns the backup's path."""
    advice = "close it and run again, or leave out --write"
    with editing_master(Path(path), open_advice=advice) as edit:
        record_validation(edit, report)
        return edit.commit()


def _split(cell: str) -> tuple[str, str]:
    sheet, _, address = cell.rpartition("!")
    return sheet.strip("'").replace("''", "'") or SHEET_PLAN, address


def _location(cell: str) -> str:
    sheet, address = _split(cell)
    return "'" + sheet.replace("'", "''") + "'!" + address

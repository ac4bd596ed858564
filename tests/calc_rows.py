"""How tall LibreOffice Calc draws each row of a workbook, and how tall the row's text needs it.

Run with Debian's own Python, the only one where ``uno`` imports::

    /usr/bin/python3 tests/calc_rows.py BOOK.xlsx

Standalone on purpose (stdlib and ``uno`` only, no project imports; the office is started and
ended as tests/calc_edit.py does). It loads BOOK hidden and prints JSON: the height of one line of
the workbook's default font (points, as Calc spaces it), and for each visible sheet each row from
1 to the last used one as ``[row, height, needed, merged]``: the height Calc gives the row as
loaded, the height Calc's own optimal height gives the same row (points), and whether column A
of the row is part of merged cells (Calc's optimal height does not measure merged cells; it
does measure the text of hidden columns, so a lead copy's header row, over its hidden ref
checks, reads as needing more than it shows).
The file is not changed. On any failure it prints one line to stderr and exits non-zero.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))  # -I leaves the script's folder off the path

from calc_edit import EditError, Office, prop

_POINTS_PER_HMM = 72 / 2540  # Calc measures in hundredths of a millimetre


def line_height(doc: Any) -> float:
    """One more line of the default font, in points: the optimal height of two lines less one."""
    sheets = doc.getSheets()
    sheets.insertNewByName("_probe_", sheets.getCount())
    probe = sheets.getByName("_probe_")
    heights = []
    for row, text in enumerate(("x", "x\nx")):
        probe.getCellByPosition(0, row).setString(text)
        probe.getCellByPosition(0, row).IsTextWrapped = True
    rows = probe.getRows()
    for row in range(2):
        rows.getByIndex(row).OptimalHeight = True
        heights.append(rows.getByIndex(row).Height)
    sheets.removeByName("_probe_")
    return (heights[1] - heights[0]) * _POINTS_PER_HMM


def sheet_rows(sheet: Any) -> list[list[object]]:
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    last = cursor.getRangeAddress().EndRow
    rows = sheet.getRows()
    loaded = [rows.getByIndex(r).Height for r in range(last + 1)]
    merged = [sheet.getCellRangeByPosition(0, r, 0, r).getIsMerged() for r in range(last + 1)]
    for r in range(last + 1):
        rows.getByIndex(r).OptimalHeight = True
    needed = [rows.getByIndex(r).Height for r in range(last + 1)]
    return [
        [r + 1, round(h * _POINTS_PER_HMM, 2), round(n * _POINTS_PER_HMM, 2), bool(m)]
        for r, (h, n, m) in enumerate(zip(loaded, needed, merged, strict=True))
    ]


def measure(book: Path) -> dict[str, object]:
    office = Office()
    try:
        desktop = office.start()
        doc = desktop.loadComponentFromURL(book.as_uri(), "_blank", 0, (prop("Hidden", True),))
        if doc is None or not hasattr(doc, "getSheets"):
            raise EditError(f"Calc could not open {book} as a spreadsheet")
        try:
            sheets = doc.getSheets()
            out: dict[str, object] = {}
            for name in sheets.getElementNames():
                sheet = sheets.getByName(name)
                if sheet.IsVisible:
                    out[name] = sheet_rows(sheet)
            return {"line": round(line_height(doc), 2), "sheets": out}
        finally:
            doc.close(True)
    except Exception:
        if office.hung:
            raise EditError("soffice did not finish in time and was killed") from None
        raise
    finally:
        office.stop()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: calc_rows.py BOOK.xlsx", file=sys.stderr)
        return 2

    def on_term(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)  # unwind through the cleanup of soffice and profile

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        book = Path(argv[0]).resolve()
        if not book.is_file():
            raise EditError(f"no such workbook: {book}")
        print(json.dumps(measure(book)))
    except Exception as e:
        message = " ".join(str(e).split()) or type(e).__name__
        if not isinstance(e, EditError):
            message = f"{type(e).__name__}: {message}"
        print(f"calc_rows: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

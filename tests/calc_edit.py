"""Edit a workbook in LibreOffice Calc the way a person does, then save it as Calc saves .xlsx.

Run with Debian's own Python, the only one where ``uno`` imports::

    /usr/bin/python3 tests/calc_edit.py SRC.xlsx DST.xlsx EDITS.json

Standalone on purpose (stdlib and ``uno`` only, no project imports). It starts its own headless
soffice with a throwaway profile, loads SRC hidden, applies the edits in order, stores DST with
the "Calc MS Excel 2007 XML" filter, then closes the document, ends soffice and removes the
profile. On any failure it prints one line to stderr and exits non-zero.

EDITS.json is a list of operations (rows are 1-based Excel rows, columns Excel letters):

* ``{"op": "set", "sheet": "Action Plan", "cell": "H12", "value": "GREEN"}`` types into one
  cell as a person does: a string goes in with ``setString`` (kept as text even when it starts
  with "="), a number with ``setValue``, ``null`` empties the cell. The sheet stays protected,
  so only unlocked cells can be typed into: a locked cell is an error, as Calc tells a person
  (UNO itself would write it). ``"unprotect": true`` in the edit types as a lead who
  unprotects the sheet first and protects it again afterwards.
* ``{"op": "find_set", "sheet": ..., "find": "EHP-03", "column": "H", "value": ...}`` does the
  same in column ``column`` of the one row whose column-A text equals ``find``.
* ``{"op": "insert_rows", "sheet": ..., "before": 12, "count": 1}``
* ``{"op": "insert_columns", "sheet": ..., "before": "C", "count": 1}``
* ``{"op": "delete_rows", "sheet": ..., "row": 12, "count": 1}``
* ``{"op": "delete_columns", "sheet": ..., "column": "C", "count": 1}``
* ``{"op": "sort", "sheet": ..., "range": "A12:J20", "by": "A", "descending": true}`` sorts the
  rows of the range (no header row) by one of its columns.

The structural operations (insert, delete, sort) are what a lead who unprotects the sheet can
do: a protected sheet is unprotected with the empty password first and protected again with
the empty password afterwards, which keeps the sheet's protection options.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice") or "/usr/bin/soffice"
CONNECT_SECONDS = 60
EXIT_SECONDS = 20
# the whole run, after which a hung soffice is killed (a blocked UNO call never sees SIGTERM);
# edit_in_calc sets it below its own timeout
RUN_SECONDS = float(os.environ.get("CALC_EDIT_SECONDS", "150"))
XLSX_FILTER = "Calc MS Excel 2007 XML"

STRUCTURAL = {"insert_rows", "insert_columns", "delete_rows", "delete_columns", "sort"}
REQUIRED = {
    "set": ("sheet", "cell", "value"),
    "find_set": ("sheet", "find", "column", "value"),
    "insert_rows": ("sheet", "before"),
    "insert_columns": ("sheet", "before"),
    "delete_rows": ("sheet", "row"),
    "delete_columns": ("sheet", "column"),
    "sort": ("sheet", "range", "by"),
}


class EditError(Exception):
    """A failure to report on one line."""


def col_index(letters: str) -> int:
    """0-based column index of Excel column letters ("A" -> 0, "AA" -> 26)."""
    if not isinstance(letters, str) or not re.fullmatch(r"[A-Za-z]{1,3}", letters):
        raise EditError(f"not a column: {letters!r}")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - ord("A") + 1
    return n - 1


def row_index(row: object) -> int:
    """0-based row index of a 1-based Excel row number."""
    if isinstance(row, bool) or not isinstance(row, int) or row < 1:
        raise EditError(f"not a row number: {row!r}")
    return row - 1


def count_of(edit: dict[str, Any]) -> int:
    count = edit.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise EditError(f"not a count: {count!r}")
    return count


def check_edits(edits: object) -> list[dict[str, Any]]:
    """Reject a malformed edit list before paying for an office start."""
    if not isinstance(edits, list):
        raise EditError("EDITS.json must hold a list of operations")
    for i, edit in enumerate(edits):
        if not isinstance(edit, dict) or edit.get("op") not in REQUIRED:
            raise EditError(f"edit {i}: unknown operation {edit!r}")
        missing = [k for k in REQUIRED[edit["op"]] if k not in edit]
        if missing:
            raise EditError(f"edit {i} ({edit['op']}): missing {', '.join(missing)}")
        if "value" in edit:
            value = edit["value"]
            if isinstance(value, bool) or not isinstance(value, str | int | float | None):
                raise EditError(f"edit {i}: value must be text, a number or null: {value!r}")
    return edits


# -- the office process --------------------------------------------------------------------


class Office:
    """A private headless soffice, reachable over a named pipe."""

    def __init__(self) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="calc-edit-profile-"))
        self.pipe = f"calc_edit_{os.getpid()}_{uuid.uuid4().hex}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.desktop: Any = None
        self.done = threading.Event()
        self.hung = False

    def watch(self, proc: subprocess.Popen[bytes]) -> None:
        """Kill a hung office, which makes the blocked UNO call in the main thread fail."""
        if not self.done.wait(RUN_SECONDS):
            self.hung = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def start(self) -> Any:
        import uno

        self.proc = subprocess.Popen(
            [SOFFICE, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             f"-env:UserInstallation={self.profile.as_uri()}",
             f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: soffice.bin dies with it
        )  # fmt: skip
        threading.Thread(target=self.watch, args=(self.proc,), daemon=True).start()
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        no_connection = uno.getClass("com.sun.star.connection.NoConnectException")
        deadline = time.monotonic() + CONNECT_SECONDS
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                break
            except no_connection:
                if self.proc.poll() is not None:
                    raise EditError(f"soffice exited with {self.proc.returncode}") from None
                if time.monotonic() > deadline:
                    raise EditError(f"no connection to soffice in {CONNECT_SECONDS} s") from None
                time.sleep(0.25)
        self.desktop = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", ctx
        )
        return self.desktop

    def stop(self) -> None:
        self.done.set()
        if self.desktop is not None:
            with contextlib.suppress(Exception):  # the bridge goes away as soffice quits
                self.desktop.terminate()
            self.desktop = None
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=EXIT_SECONDS)
            # whatever is left of the group: soffice.bin after oosplash, or all of a hung office
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=EXIT_SECONDS)
            self.proc = None
        shutil.rmtree(self.profile, ignore_errors=True)


def prop(name: str, value: Any) -> Any:
    import uno

    pv = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
    pv.Name = name
    pv.Value = value
    return pv


# -- the edits -----------------------------------------------------------------------------


def get_sheet(doc: Any, name: str) -> Any:
    sheets = doc.getSheets()
    if not sheets.hasByName(name):
        raise EditError(f"no sheet {name!r} (sheets: {', '.join(sheets.getElementNames())})")
    return sheets.getByName(name)


def type_into(sheet: Any, ref: str, value: str | float | None) -> None:
    """Type a value into one cell, as a person does, and insist that Calc took it.

    UNO's setString and setValue write locked cells of a protected sheet without complaint
    (the API skips the check Calc's own input line makes), so the refusal a person gets is
    made here: typing into a locked cell of a protected sheet is an error.
    """
    if not re.fullmatch(r"[A-Za-z]{1,3}[1-9][0-9]*", ref):
        raise EditError(f"not a cell: {ref!r}")
    cell = sheet.getCellRangeByName(ref)
    if sheet.isProtected() and cell.CellProtection.IsLocked:
        raise EditError(
            f"{sheet.getName()}!{ref} is locked on a protected sheet; "
            'unprotect it first ("unprotect": true)'
        )
    if value is None:
        cell.setString("")
        took = cell.getString() == ""
    elif isinstance(value, str):
        cell.setString(value)
        took = cell.getString() == value
    else:
        cell.setValue(value)
        took = cell.getValue() == value and cell.getString() != ""
    if not took:
        raise EditError(f"Calc did not take {value!r} in {sheet.getName()}!{ref}")


def find_row(sheet: Any, text: str) -> int:
    """The 1-based row whose column-A text is ``text``; exactly one must match."""
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    last = cursor.getRangeAddress().EndRow
    column = sheet.getCellRangeByPosition(0, 0, 0, last).getDataArray()  # one UNO call
    rows = [r + 1 for r, (value,) in enumerate(column) if value == text]
    if len(rows) != 1:
        where = f"rows {rows}" if rows else "no row"
        raise EditError(f"{text!r} is in column A of {where} of {sheet.getName()!r}, want one")
    return rows[0]


def sort_range(sheet: Any, ref: str, by: str, descending: bool) -> None:
    import uno

    if not re.fullmatch(r"[A-Za-z]{1,3}[1-9][0-9]*:[A-Za-z]{1,3}[1-9][0-9]*", ref):
        raise EditError(f"not a range: {ref!r}")
    cells = sheet.getCellRangeByName(ref)
    area = cells.getRangeAddress()
    field = col_index(by) - area.StartColumn
    if not 0 <= field <= area.EndColumn - area.StartColumn:
        raise EditError(f"sort column {by} is outside {ref}")
    key = uno.createUnoStruct("com.sun.star.table.TableSortField")
    key.Field = field
    key.IsAscending = not descending
    key.IsCaseSensitive = False
    descriptor = (
        prop("SortFields", uno.Any("[]com.sun.star.table.TableSortField", (key,))),
        prop("ContainsHeader", False),
    )
    uno.invoke(cells, "sort", (descriptor,))


def apply(doc: Any, edit: dict[str, Any]) -> None:
    op = edit["op"]
    sheet = get_sheet(doc, edit["sheet"])
    protected = sheet.isProtected() and (op in STRUCTURAL or bool(edit.get("unprotect")))
    if protected:
        with contextlib.suppress(Exception):  # IllegalArgumentException: a wrong password
            sheet.unprotect("")
        if sheet.isProtected():
            raise EditError(f"sheet {edit['sheet']!r} does not unprotect with the empty password")
    if op == "set":
        type_into(sheet, edit["cell"], edit["value"])
    elif op == "find_set":
        row = find_row(sheet, edit["find"])
        col_index(edit["column"])
        type_into(sheet, f"{edit['column']}{row}", edit["value"])
    elif op == "insert_rows":
        sheet.getRows().insertByIndex(row_index(edit["before"]), count_of(edit))
    elif op == "insert_columns":
        sheet.getColumns().insertByIndex(col_index(edit["before"]), count_of(edit))
    elif op == "delete_rows":
        sheet.getRows().removeByIndex(row_index(edit["row"]), count_of(edit))
    elif op == "delete_columns":
        sheet.getColumns().removeByIndex(col_index(edit["column"]), count_of(edit))
    elif op == "sort":
        sort_range(sheet, edit["range"], edit["by"], bool(edit.get("descending", False)))
    if protected:
        sheet.protect("")


def edit_workbook(src: Path, dst: Path, edits: list[dict[str, Any]]) -> None:
    office = Office()
    try:
        desktop = office.start()
        doc = desktop.loadComponentFromURL(src.as_uri(), "_blank", 0, (prop("Hidden", True),))
        if doc is None:
            raise EditError(f"Calc could not open {src}")
        try:
            if not hasattr(doc, "getSheets"):
                raise EditError(f"Calc did not open {src} as a spreadsheet")
            for i, edit in enumerate(edits):
                try:
                    apply(doc, edit)
                except EditError as e:
                    raise EditError(f"edit {i} ({edit['op']}): {e}") from None
            doc.storeToURL(dst.as_uri(), (prop("FilterName", XLSX_FILTER), prop("Overwrite", True)))
        finally:
            doc.close(True)
    except Exception:
        if office.hung:
            raise EditError(f"soffice did not finish in {RUN_SECONDS:g} s and was killed") from None
        raise
    finally:
        office.stop()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: calc_edit.py SRC.xlsx DST.xlsx EDITS.json", file=sys.stderr)
        return 2

    def on_term(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)  # unwind through the cleanup of soffice and profile

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        src, dst = Path(argv[0]).resolve(), Path(argv[1]).resolve()
        if not src.is_file():
            raise EditError(f"no such workbook: {src}")
        edits = check_edits(json.loads(Path(argv[2]).read_text(encoding="utf-8")))
        edit_workbook(src, dst, edits)
        if not dst.is_file():
            raise EditError(f"Calc wrote no {dst}")
    except Exception as e:
        message = " ".join(str(e).split()) or type(e).__name__
        if not isinstance(e, EditError):
            message = f"{type(e).__name__}: {message}"
        print(f"calc_edit: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Edit a workbook in LibreOffice Calc the way a person does, then save it as Calc saves .xlsx.

Run with Debian's own Python, the only one where ``uno`` imports::

    /usr/bin/python3 tests/calc_edit.py SRC.xlsx DST.xlsx EDITS.json

Standalone on purpose (stdlib and ``uno`` only, no project imports). It starts its own headless
soffice with a throwaway profile, loads SRC hidden, applies the edits in order, stores DST with
the "Calc MS Excel 2007 XML" filter, then closes the document, ends soffice and removes the
profile. On any failure it prints one line to stderr and exits non-zero.

EDITS.json is a list of operations (rows are 1-based Excel rows, columns Excel letters):

* ``{"op": "locale", "tag": "en-GB"}``, only as the first edit: the office runs in that locale
  (LC_ALL for soffice), which decides how ``type`` reads numbers, dates and function separators.
  Without it the office takes the environment's locale (C or POSIX: en-US).
* ``{"op": "set", "sheet": "Action Plan", "cell": "H12", "value": "GREEN"}`` puts a value into
  one cell: a string goes in with ``setString`` (kept as text even when it starts with "=", as
  if the cell were formatted as text), a number with ``setValue``, ``null`` empties the cell.
  The sheet stays protected, so only unlocked cells can be typed into: a locked cell is an
  error, as Calc tells a person (UNO itself would write it). ``"unprotect": true`` in the edit
  types as a lead who unprotects the sheet first and protects it again afterwards. ``set``
  skips the cell's validity rule (the Status dropdown), which Calc's input line applies.
* ``{"op": "type", "sheet": ..., "cell": "H12", "value": "=> booked"}`` types text as a person
  does in Calc's input line, and Calc interprets it: the text goes in through the cell's
  ``FormulaLocal`` property, i.e. ``ScDocFunc::SetNormalString`` -> ``ScDocument::SetString``,
  the path of the input line, with the office's locale and local function names. Found with
  LibreOffice 7.4:

  - a leading "=" makes a formula, even of words: "=> meeting booked for May" is the formula
    ``> meeting booked for may`` (Err:510, lower-cased by the compiler), "== no change ==" is
    ``= no change ==`` (Err:509), "=SUM(1,2)" is SUM(1;2) = 3 in en-GB. Calc saves them as
    ``<c t="e"><f>...</f><v>#VALUE!</v></c>`` and ``<c t="n"><f>SUM(1,2)</f><v>3</v></c>``;
  - numbers, percentages, dates and booleans become numbers and the detected number format is
    applied as typing does: in en-GB "Jun-24" and "Jun 24" are 1 June 2024 (DD/MM/YY), "1/7/2024"
    is 1 July 2024, "50%" is 0.5 (0.00%), "TRUE" is 1 (BOOLEAN); in en-US "Jun-24" is 24 June of
    the current year and "1/7/2024" is 7 January. ``XCell.setFormula`` is not typing: it always
    reads en-US and the API grammar ("=SUM(1,2)" is #NAME?) and applies no number format;
  - Calc's own checks refuse, silently through UNO, a locked cell of a protected sheet and a
    cell covered by merged cells; both are reported here as errors, as Calc tells a person;
  - the cell's validity rule is applied as the input line applies it (``ScValidationData::
    IsDataValid``): where the rule shows a Stop error, a formula is always refused ("formulas
    do not pass the validity test") and a list refuses text not in its list (compared without
    case), so "=SUM(1,2)" or "R" cannot be typed into the copy's Status dropdown - only pasted;
  - not modelled: AutoCorrect and AutoInput while typing, the formula autocorrection query (the
    lead is taken to answer No), and a leading apostrophe (the input line drops it and keeps the
    rest as text; here it stays in the cell).
* ``{"op": "paste", "sheet": ..., "from": "H13", "cell": "G13"}`` copies one cell and pastes it
  into another, as Ctrl+C, Ctrl+V do: content and formats (validity included) replace the
  target's. Pasting skips the validity check; the target must be an unlocked cell.
* ``{"op": "comment", "sheet": ..., "cell": "H12", "text": "..."}`` inserts a comment
  (annotation) on the cell; Calc refuses one on a locked cell of a protected sheet.
* ``{"op": "copy_sheet", "sheet": ..., "as": "Action Plan (2)"}`` copies the sheet (Sheet > Move
  or Copy Sheet > Copy) and places the copy right after it, under the new name. The copy keeps
  the protection, its options and the locked and unlocked cells, so its open cells are typed
  into without unprotecting, as on the original.
* ``{"op": "find_set", "sheet": ..., "find": "EHP-03", "column": "H", "value": ...}`` does what
  ``set`` does in column ``column`` of the one row whose column-A text equals ``find``.
* ``{"op": "insert_rows", "sheet": ..., "before": 12, "count": 1}``
* ``{"op": "insert_columns", "sheet": ..., "before": "C", "count": 1}``
* ``{"op": "delete_rows", "sheet": ..., "row": 12, "count": 1}``
* ``{"op": "delete_columns", "sheet": ..., "column": "C", "count": 1}``
* ``{"op": "sort", "sheet": ..., "range": "A12:J20", "by": "A", "descending": true}`` sorts the
  rows of the range (no header row) by one of its columns.
* ``{"op": "sort_unlocked", ...}`` takes what ``sort`` takes but keeps the sheet protected: the
  sort a lead can do without unprotecting, of a range of unlocked cells only.

The structural operations (insert, delete, sort) are what a lead who unprotects the sheet can
do: a protected sheet is unprotected with the empty password first and protected again with
the empty password afterwards, which keeps the sheet's protection options. ``"unprotect":
false`` on one of them leaves the sheet protected and lets Calc decide, as it decides for a
person (LibreOffice 7.4, ``ScTable::IsEditActionAllowed`` and ``ScDBDocFunc::Sort``):

* inserting rows or columns is allowed on a protected sheet when its options allow it (in the
  .xlsx, ``insertRows="0"`` / ``insertColumns="0"``, as the lead copy has them) and refused
  otherwise; an inserted column takes the format, locked or not, of the column to its left;
* deleting rows or columns is refused unless the options allow it and none of their cells is
  locked;
* sorting needs every cell of the range unlocked, whatever the ``sort`` option says: Calc
  reads the option from the .xlsx and writes it back, but neither its Data menu nor the sort
  itself consults it. A range touching a locked cell is refused ("Protected cells can not be
  modified").
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
    "locale": ("tag",),
    "set": ("sheet", "cell", "value"),
    "type": ("sheet", "cell", "value"),
    "paste": ("sheet", "from", "cell"),
    "comment": ("sheet", "cell", "text"),
    "copy_sheet": ("sheet", "as"),
    "find_set": ("sheet", "find", "column", "value"),
    "insert_rows": ("sheet", "before"),
    "insert_columns": ("sheet", "before"),
    "delete_rows": ("sheet", "row"),
    "delete_columns": ("sheet", "column"),
    "sort": ("sheet", "range", "by"),
    "sort_unlocked": ("sheet", "range", "by"),
}
#: What a refused structural operation does, for its message.
DOING = {
    "insert_rows": "insert rows",
    "insert_columns": "insert columns",
    "delete_rows": "delete rows",
    "delete_columns": "delete columns",
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
            if edit["op"] == "type" and not isinstance(value, str):
                raise EditError(f"edit {i}: type takes the text as typed, not {value!r}")
        for key in ("text", "as", "tag"):
            if key in edit and not (isinstance(edit[key], str) and edit[key].strip()):
                raise EditError(f"edit {i} ({edit['op']}): {key} must be text: {edit[key]!r}")
        if edit["op"] == "locale":
            if i != 0:
                raise EditError(f"edit {i}: locale must come first (the office starts in it)")
            if not re.fullmatch(r"[a-z]{2,3}-[A-Z]{2}", edit["tag"]):
                raise EditError(f"edit {i}: not a locale tag like en-GB: {edit['tag']!r}")
    return edits


def locale_of(edits: list[dict[str, Any]]) -> str | None:
    """The locale the office must start in, from a first ``locale`` edit."""
    return edits[0]["tag"] if edits and edits[0]["op"] == "locale" else None


# -- the office process --------------------------------------------------------------------


class Office:
    """A private headless soffice, reachable over a named pipe."""

    def __init__(self, locale: str | None = None) -> None:
        self.locale = locale
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

        env = dict(os.environ)
        if self.locale:  # soffice takes its locale from LC_ALL, installed in glibc or not
            env["LC_ALL"] = env["LANG"] = self.locale.replace("-", "_") + ".UTF-8"
        self.proc = subprocess.Popen(
            [SOFFICE, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             f"-env:UserInstallation={self.profile.as_uri()}",
             f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True,  # its own process group: soffice.bin dies with it
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
    cell = open_cell(sheet, ref)
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


def open_cell(sheet: Any, ref: str) -> Any:
    """The cell at ``ref``, which a person may change: not locked on a protected sheet."""
    if not isinstance(ref, str) or not re.fullmatch(r"[A-Za-z]{1,3}[1-9][0-9]*", ref):
        raise EditError(f"not a cell: {ref!r}")
    cell = sheet.getCellRangeByName(ref)
    if sheet.isProtected() and cell.CellProtection.IsLocked:
        raise EditError(
            f"{sheet.getName()}!{ref} is locked on a protected sheet; "
            'unprotect it first ("unprotect": true)'
        )
    return cell


def covered_by_merge(sheet: Any, cell: Any) -> bool:
    """Whether ``cell`` is hidden under merged cells (part of a merge, not its first cell)."""
    cursor = sheet.createCursorByRange(cell)
    cursor.collapseToMergedArea()
    area, own = cursor.getRangeAddress(), cell.getCellAddress()
    return (area.StartColumn, area.StartRow) != (own.Column, own.Row)


def list_entries(formula: str) -> list[str] | None:
    """The entries of a validity list written as literals ('"A";"B"'), else None."""
    token = r'"((?:[^"]|"")*)"'
    if not re.fullmatch(rf"\s*{token}(\s*[;,]\s*{token})*\s*", formula):
        return None
    return [t.replace('""', '"') for t in re.findall(token, formula)]


def validity_refusal(cell: Any, text: str) -> str | None:
    """Why Calc's input line refuses ``text`` in ``cell`` by the cell's validity rule, if it
    does: only a rule that shows a Stop error refuses (a warning or an information lets the
    person go on)."""
    rule = cell.Validation
    if rule.Type.value == "ANY" or not rule.ShowErrorMessage:
        return None
    if rule.ErrorAlertStyle.value != "STOP":
        return None
    if text == "":
        return None if rule.IgnoreBlankCells else "a blank"
    if text.startswith("="):
        return "a formula"
    if rule.Type.value == "LIST":
        entries = list_entries(rule.getFormula1())
        if entries is not None and text.casefold() not in {e.casefold() for e in entries}:
            return f"a value not in its list ({', '.join(entries)})"
    return None


def type_text(sheet: Any, ref: str, text: str) -> None:
    """Type ``text`` into one cell as a person does in Calc's input line, and insist that Calc
    took it (see ``type`` in the module's docstring)."""
    cell = open_cell(sheet, ref)
    where = f"{sheet.getName()}!{ref}"
    if covered_by_merge(sheet, cell):
        raise EditError(f"{where} is hidden under merged cells; type into the merge's first cell")
    refused = validity_refusal(cell, text)
    if refused:
        raise EditError(
            f"Calc refuses {text!r} in {where}: {refused} breaks the cell's validity rule "
            "(Invalid value)"
        )
    if text == "":
        cell.setString("")  # the Delete key
        took = cell.getType().value == "EMPTY"
    else:
        cell.setPropertyValue("FormulaLocal", text)
        took = cell.getType().value != "EMPTY"
    if not took:
        raise EditError(f"Calc did not take {text!r} in {where}")


def paste_cell(sheet: Any, source: str, ref: str) -> None:
    """Copy the cell at ``source`` and paste it at ``ref`` (content and formats)."""
    cell = open_cell(sheet, ref)
    if not isinstance(source, str) or not re.fullmatch(r"[A-Za-z]{1,3}[1-9][0-9]*", source):
        raise EditError(f"not a cell: {source!r}")
    src = sheet.getCellRangeByName(source)
    sheet.copyRange(cell.getCellAddress(), src.getRangeAddress())
    if src.getType().value == "FORMULA":  # its relative references move with it
        took = cell.getType().value == "FORMULA"
    else:
        took = cell.getFormula() == src.getFormula()
    if not took:
        raise EditError(f"Calc did not paste {source} into {sheet.getName()}!{ref}")


def add_comment(sheet: Any, ref: str, text: str) -> None:
    cell = open_cell(sheet, ref)
    sheet.getAnnotations().insertNew(cell.getCellAddress(), text)
    if cell.getAnnotation().getString() != text:
        raise EditError(f"Calc did not take the comment on {sheet.getName()}!{ref}")


def copy_sheet(doc: Any, name: str, new: str) -> None:
    """Copy sheet ``name`` as ``new``, right after it."""
    get_sheet(doc, name)
    sheets = doc.getSheets()
    if sheets.hasByName(new):
        raise EditError(f"there is a sheet {new!r} already")
    names = list(sheets.getElementNames())
    try:
        sheets.copyByName(name, new, names.index(name) + 1)
    except Exception:
        raise EditError(f"Calc cannot copy {name!r} as {new!r} (not a sheet name?)") from None
    if not sheets.hasByName(new):
        raise EditError(f"Calc did not copy {name!r} as {new!r}")


def refuse_locked(sheet: Any, ref: str) -> None:
    """Calc sorts a protected sheet's range only when none of its cells is locked."""
    if not re.fullmatch(r"[A-Za-z]{1,3}[1-9][0-9]*:[A-Za-z]{1,3}[1-9][0-9]*", ref):
        raise EditError(f"not a range: {ref!r}")
    cells = sheet.getCellRangeByName(ref)
    area = cells.getRangeAddress()
    for col in range(area.EndColumn - area.StartColumn + 1):
        for row in range(area.EndRow - area.StartRow + 1):
            if cells.getCellByPosition(col, row).CellProtection.IsLocked:
                raise EditError(
                    f"Calc refuses to sort {ref} of protected sheet {sheet.getName()!r}: it holds "
                    "locked cells (Protected cells can not be modified); unprotect it first"
                )


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


def structural(sheet: Any, edit: dict[str, Any]) -> None:
    """Insert or delete rows or columns; on a sheet still protected, Calc may refuse."""
    op = edit["op"]
    try:
        if op == "insert_rows":
            sheet.getRows().insertByIndex(row_index(edit["before"]), count_of(edit))
        elif op == "insert_columns":
            sheet.getColumns().insertByIndex(col_index(edit["before"]), count_of(edit))
        elif op == "delete_rows":
            sheet.getRows().removeByIndex(row_index(edit["row"]), count_of(edit))
        elif op == "delete_columns":
            sheet.getColumns().removeByIndex(col_index(edit["column"]), count_of(edit))
    except EditError:
        raise
    except Exception:
        if not sheet.isProtected():
            raise
        raise EditError(
            f"Calc refuses to {DOING[op]} on protected sheet {sheet.getName()!r}: its protection "
            "does not allow it; unprotect it first"
        ) from None


def apply(doc: Any, edit: dict[str, Any]) -> None:
    op = edit["op"]
    if op == "locale":
        return  # taken when the office starts
    if op == "copy_sheet":
        copy_sheet(doc, edit["sheet"], edit["as"])
        return
    sheet = get_sheet(doc, edit["sheet"])
    protected = sheet.isProtected() and bool(edit.get("unprotect", op in STRUCTURAL))
    if protected:
        with contextlib.suppress(Exception):  # IllegalArgumentException: a wrong password
            sheet.unprotect("")
        if sheet.isProtected():
            raise EditError(f"sheet {edit['sheet']!r} does not unprotect with the empty password")
    if op == "set":
        type_into(sheet, edit["cell"], edit["value"])
    elif op == "type":
        type_text(sheet, edit["cell"], edit["value"])
    elif op == "paste":
        paste_cell(sheet, edit["from"], edit["cell"])
    elif op == "comment":
        add_comment(sheet, edit["cell"], edit["text"])
    elif op == "find_set":
        row = find_row(sheet, edit["find"])
        col_index(edit["column"])
        type_into(sheet, f"{edit['column']}{row}", edit["value"])
    elif op in DOING:
        structural(sheet, edit)
    elif op in ("sort", "sort_unlocked"):
        if sheet.isProtected():
            refuse_locked(sheet, edit["range"])
        sort_range(sheet, edit["range"], edit["by"], bool(edit.get("descending", False)))
    if protected:
        sheet.protect("")


def edit_workbook(src: Path, dst: Path, edits: list[dict[str, Any]]) -> None:
    office = Office(locale_of(edits))
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

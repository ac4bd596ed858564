"""Drive Book-API code through xlwings' remote engine, with a real .xlsx standing in for Excel.

On Linux there is no Excel. xlwings' remote engine (the one behind xlwings Server and Lite) works
on a JSON snapshot of the workbook that its Office.js client sends, and answers with a list of
actions for the client to apply. This module plays the client's two parts against a file:

* `payload_from_workbook` reads an .xlsx (openpyxl) and builds the snapshot as the Office.js
  client's `getBookData()` builds it: `xw.Book(json=payload)` then behaves as in the add-in;
* `apply_actions` applies what `book.json()` returns to a copy of the file (openpyxl) as the
  client's callbacks apply it in Excel, so a test can read the result back from the file.

The remote engine is xlwings PRO (PolyForm Noncommercial): it needs the environment variable
`XLWINGS_LICENSE_KEY=noncommercial`, which only tests set (`xlremote` fixture / `remote_env`).
Usage in a test module::

    from xlremote import apply_actions, remote_book, xlremote  # noqa: F401 - the fixture

    pytestmark = pytest.mark.usefixtures("xlremote")

    def test_handler(tmp_path):
        book = remote_book(master)            # xw.Book(json=payload_from_workbook(master))
        handler(book)
        alerts = apply_actions(master, book.json(), tmp_path / "after.xlsx")

Payload (one request; what the 0.37.x Office.js client, xlwings-server's `xlwingsjs/xlwings.js`
with `workbook-metadata.js`, sends)::

    {"client": "Office.js", "version": "<xlwings version>",
     "book": {"name": "Plan.xlsx", "active_sheet_index": 0,       # 0-based worksheet position
              "selection": "B2",                                 # no sheet, no "$"; None if
              "calculation": "Automatic"},                       #   not a single-area range
     "names": [{"name", "sheet_index", "address", "scope_sheet_name", "scope_sheet_index",
                "book_scope"}, ...],                              # named *ranges* only
     "sheets": [{"name": "Data",
                 "visibility": "Visible" | "Hidden" | "VeryHidden",   # every worksheet, in tab
                 "print_area": None | "A1:D9",                        #   order, hidden too
                 "notes": [{"address": "B2"}],
                 "used_range_address": "A1:D9" | None,    # values-only used range (formatting-
                 "used_range_row_count": 9, "used_range_column_count": 4,  # only cells don't
                 "values": [[...], ...],                  # count); values = A1:<its last cell>,
                 "pictures": [], "shapes": [], "charts": [],          # [[""]] for an empty sheet
                 "tables": [{"name", "range_address", "row_count", "column_count",
                             "header_row_range_address", "data_body_range_address",
                             "total_row_range_address", "show_headers", "show_totals",
                             "table_style", "show_autofilter", "show_table_style_*"}]}]}

Cell encoding in `values` (Office.js `range.values`, then the client's date pass, then JSON):
an empty cell is `""`; text is a string (text that looks like a formula or a number stays a
string); a number is a JSON number, so an integral one arrives in Python as `int`; booleans are
booleans; an error is its text ("#N/A"); a formula cell gives its cached result. A number whose
`numberFormatCategories` entry is "Date" or "Time" becomes an ISO string
"2024-01-15T00:00:00.000Z" (Excel's own serial -> JS `Date` -> `toISOString()`), which the
engine reads as a naive `datetime`; any other number, *including a date under a custom number
format*, which Excel files under the "Custom" category, arrives as its serial number. Which
formats Excel calls "Date" cannot be checked without Excel: `custom_dates="serial"` (default)
treats the built-in date/time formats (ids 14-22, 45-47) and formats picked from Excel's Date/Time
lists (a `[$-...]` locale prefix or a trailing `;@`) as "Date"/"Time" and every other date format
as "Custom"; `custom_dates="iso"` sends every date-formatted cell as a date. Handler code must
cope with both: a date cell may read as `datetime` or as a float serial.

Actions (`book.json()["actions"]`): each is
`{"func", "args": [...], "values", "sheet_position", "start_row", "start_column", "row_count",
"column_count"}`; positions and rows/columns are 0-based, counts are cell counts, a scalar
argument is wrapped in a one-element list, and `values` is only used by setValues/setFormula.
`apply_actions` knows the actions in `SUPPORTED_ACTIONS` and raises NotImplementedError for any
other, so a test cannot pass while an action it never applied is lost.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import openpyxl
import pytest
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

LICENSE_ENV = "XLWINGS_LICENSE_KEY"
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

CustomDates = Literal["serial", "iso"]


# --- The engine ---------------------------------------------------------------------------------


def remote_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let this test use xlwings' remote engine: set the noncommercial license key and register
    the engine if xlwings was imported without it (xlwings only adds the engine at import time,
    when the key is already set), all undone when the test ends."""
    monkeypatch.setenv(LICENSE_ENV, "noncommercial")
    import xlwings as xw

    if "remote" in xw.engines.engines_by_name:
        return
    from xlwings.main import Engine
    from xlwings.pro import _xlremote

    engine = Engine(impl=_xlremote.engine)
    monkeypatch.setattr(xw.engines, "engines", [*xw.engines.engines, engine])
    monkeypatch.setitem(xw.engines.engines_by_name, "remote", engine)


@pytest.fixture
def xlremote(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The remote engine for one test; the books it opened are dropped afterwards.

    All remote books share one App, and `App.alert` (also `app.calculation`, `app.calculate()`)
    queues its action on the *most recently opened* book, not on the book it was reached from:
    open the book a handler works on last."""
    remote_env(monkeypatch)
    import xlwings as xw

    books = xw.engines["remote"].impl.apps[0].books
    before = list(books.books)
    yield
    books.books[:] = before
    books._active = before[-1] if before else None


def remote_book(path: Path, **options: Any) -> Any:
    """`xw.Book(json=payload_from_workbook(path, **options))`; needs the `xlremote` fixture."""
    import xlwings as xw

    if "remote" not in xw.engines.engines_by_name:
        raise RuntimeError("xlwings' remote engine is not registered: use the xlremote fixture")
    return xw.Book(json=payload_from_workbook(path, **options))


# --- Payload ------------------------------------------------------------------------------------

_VISIBILITY = {"visible": "Visible", "hidden": "Hidden", "veryHidden": "VeryHidden"}
_VISIBILITY_BACK = {v: k for k, v in _VISIBILITY.items()}
_CALCULATION = {"auto": "Automatic", "manual": "Manual", "autoNoTable": "AutomaticExceptTables"}

_DATE_IDS = (14, 15, 16, 17, 22)
_TIME_IDS = (18, 19, 20, 21, 45, 46, 47)
_BUILTIN_DATE = {BUILTIN_FORMATS[i] for i in _DATE_IDS}
_BUILTIN_TIME = {BUILTIN_FORMATS[i] for i in _TIME_IDS}
_LOCALE_PREFIX = re.compile(r"^\[\$-[0-9A-Fa-f]+\]")
_DATE_TOKENS = re.compile(r"[dy]|m{3,}", re.IGNORECASE)


def number_format_category(number_format: str, custom_dates: CustomDates = "serial") -> str:
    """Excel's `numberFormatCategories` entry as far as the client cares: "Date", "Time" or
    "Other" (see the module docstring for what is a guess)."""
    if not is_date_format(number_format):
        return "Other"
    if number_format in _BUILTIN_DATE:
        return "Date"
    if number_format in _BUILTIN_TIME:
        return "Time"
    picked = bool(_LOCALE_PREFIX.match(number_format)) or number_format.endswith(";@")
    if custom_dates == "serial" and not picked:
        return "Other"  # Excel's "Custom" category
    body = _LOCALE_PREFIX.sub("", number_format).split(";")[0]
    body = re.sub(r'"[^"]*"|\[[^\]]*\]', "", body)
    return "Date" if _DATE_TOKENS.search(body) else "Time"


def js_iso(serial: float) -> str:
    """`new Date(Math.round((serial - 25569) * 86400 * 1000)).toISOString()`."""
    ms = math.floor((serial - 25569) * 86400 * 1000 + 0.5)
    when = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _js_number(value: float | int) -> float | int:
    """A number as it arrives after JSON.stringify in the client and json.loads on the server:
    JavaScript writes an integral number without ".0" (below 1e21)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def _cell_payload(cell: Cell, epoch: dt.datetime, custom_dates: CustomDates) -> Any:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        value = to_excel(value, epoch=epoch)  # back to Excel's serial number
    if not isinstance(value, int | float):
        raise TypeError(f"{cell.parent.title}!{cell.coordinate}: unexpected value {value!r}")
    if number_format_category(cell.number_format, custom_dates) == "Other":
        return _js_number(value)
    return js_iso(value)


def _values_extent(
    ws: Worksheet, formulas: Mapping[tuple[int, int], str]
) -> tuple[int, int, int, int] | None:
    """(min_row, min_col, max_row, max_col) of the cells holding a value or a formula."""
    rows: list[int] = []
    cols: list[int] = []
    for (r, c), cell in ws._cells.items():
        if cell.value not in (None, "") or (r, c) in formulas:
            rows.append(r)
            cols.append(c)
    if not rows:
        return None
    return min(rows), min(cols), max(rows), max(cols)


def _address(r1: int, c1: int, r2: int, c2: int) -> str:
    first = f"{get_column_letter(c1)}{r1}"
    return first if (r1, c1) == (r2, c2) else f"{first}:{get_column_letter(c2)}{r2}"


def _unqualified(ref: str) -> str:
    return ref.split("!")[-1].replace("$", "")


def _table_payload(table: Any) -> dict[str, Any]:
    from openpyxl.utils import range_boundaries

    c1, r1, c2, r2 = range_boundaries(table.ref)
    headers = (table.headerRowCount if table.headerRowCount is not None else 1) > 0
    totals = bool(table.totalsRowCount)
    body_r1 = r1 + (1 if headers else 0)
    body_r2 = r2 - (1 if totals else 0)
    style = table.tableStyleInfo
    return {
        "name": table.displayName or table.name,
        "range_address": _address(r1, c1, r2, c2),
        "row_count": r2 - r1 + 1,
        "column_count": c2 - c1 + 1,
        "header_row_range_address": _address(r1, c1, r1, c2) if headers else None,
        "data_body_range_address": _address(body_r1, c1, body_r2, c2),
        "total_row_range_address": _address(r2, c1, r2, c2) if totals else None,
        "show_headers": headers,
        "show_totals": totals,
        "table_style": style.name if style is not None and style.name else "",
        "show_autofilter": table.autoFilter is not None,
        "show_table_style_first_column": bool(style and style.showFirstColumn),
        "show_table_style_last_column": bool(style and style.showLastColumn),
        "show_table_style_row_stripes": bool(style and style.showRowStripes),
        "show_table_style_column_stripes": bool(style and style.showColumnStripes),
    }


def _name_payload(
    name: DefinedName, positions: Mapping[str, int], scope: Worksheet | None
) -> dict[str, Any] | None:
    if name.is_reserved or name.hidden or name.type != "RANGE":
        return None  # the client sends named ranges only
    destinations = list(name.destinations)
    single = len(destinations) == 1 and destinations[0][0] in positions
    return {
        "name": name.name,
        "sheet_index": positions[destinations[0][0]] if single else None,
        "address": _unqualified(destinations[0][1]) if single else None,
        "scope_sheet_name": scope.title if scope is not None else None,
        "scope_sheet_index": positions[scope.title] if scope is not None else None,
        "book_scope": scope is None,
    }


def _selection(ws: Worksheet) -> str | None:
    views = ws.sheet_view.selection
    sqref = str(views[0].sqref) if views and views[0].sqref else "A1"
    return None if " " in sqref.strip() else _unqualified(sqref)


def payload_from_workbook(
    path: Path,
    *,
    book_name: str | None = None,
    active_sheet: str | None = None,
    custom_dates: CustomDates = "serial",
) -> dict[str, Any]:
    """The Office.js client's payload for the workbook at `path` (see the module docstring).

    Values are the cached results openpyxl reads with data_only=True, as Excel would send them;
    a formula without a cached result (a file written by openpyxl and never calculated) raises
    ValueError, since its value in Excel is unknown here."""
    wb = openpyxl.load_workbook(path, data_only=True)
    formulas = _formula_cells(path)
    positions = {ws.title: ix for ix, ws in enumerate(wb.worksheets)}
    if active_sheet is not None:
        active = wb[active_sheet]
    else:
        active = wb.active if isinstance(wb.active, Worksheet) else wb.worksheets[0]

    names = [_name_payload(n, positions, None) for n in wb.defined_names.values()]
    sheets = []
    for ws in wb.worksheets:
        names += [_name_payload(n, positions, ws) for n in ws.defined_names.values()]
        sheet_formulas = formulas.get(ws.title, {})
        for (r, c), formula in sheet_formulas.items():
            cached = ws._cells.get((r, c))
            if cached is None or cached.value is None:
                raise ValueError(
                    f"{ws.title}!{get_column_letter(c)}{r} holds {formula!r} with no cached "
                    "value: Excel would send its result, which is unknown here"
                )
        extent = _values_extent(ws, sheet_formulas)
        last_row, last_col = (extent[2], extent[3]) if extent else (1, 1)
        values = [
            [
                _cell_payload(ws._cells[(r, c)], wb.epoch, custom_dates)
                if (r, c) in ws._cells
                else ""
                for c in range(1, last_col + 1)
            ]
            for r in range(1, last_row + 1)
        ]
        sheets.append(
            {
                "name": ws.title,
                "visibility": _VISIBILITY[ws.sheet_state],
                "print_area": (
                    ",".join(_unqualified(a) for a in ws.print_area.split(","))
                    if ws.print_area
                    else None
                ),
                "notes": [
                    {"address": cell.coordinate}
                    for cell in ws._cells.values()
                    if cell.comment is not None
                ],
                "used_range_address": _address(*extent) if extent else None,
                "used_range_row_count": extent[2] - extent[0] + 1 if extent else 0,
                "used_range_column_count": extent[3] - extent[1] + 1 if extent else 0,
                "values": values,
                "pictures": [],
                "shapes": [],
                "charts": [],
                "tables": [_table_payload(t) for t in ws.tables.values()],
            }
        )
    payload = {
        "client": "Office.js",
        "version": _xlwings_version(),
        "book": {
            "name": book_name if book_name is not None else Path(path).name,
            "active_sheet_index": positions[active.title],
            "selection": _selection(active),
            "calculation": _CALCULATION.get(wb.calculation.calcMode or "auto", "Automatic"),
        },
        "names": [n for n in names if n is not None],
        "sheets": sheets,
    }
    # What the server receives is JSON: this fails on anything JSON cannot carry.
    return json.loads(json.dumps(payload, allow_nan=False))


def _formula_cells(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        out: dict[str, dict[tuple[int, int], str]] = {}
        for ws in wb.worksheets:
            found = out.setdefault(ws.title, {})
            for row in ws.iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        found[(cell.row, cell.column)] = str(cell.value)
        return out
    finally:
        wb.close()


def _xlwings_version() -> str:
    import xlwings as xw

    return xw.__version__


# --- Actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """An `alert` action: shown by the client, collected here."""

    prompt: str
    title: str
    buttons: str
    mode: str
    callback: str


class LocaleDependentValue(ValueError):
    """Text that Excel would turn into a number or a date by rules of the user's locale (slashed
    or named-month dates, currency, thousands separators): what the cell would hold is unknown.
    Write it with a leading apostrophe, or format the cells as text ("@") first."""


#: Column width: Office.js takes points; the file stores Normal-font digit widths (with padding),
#: i.e. pixels / max digit width. 7 px is the max digit width of Calibri 11 and Arial 10.
MAX_DIGIT_WIDTH_PX = 7

_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_PERCENT = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))%")
_PARENTHESISED = re.compile(r"\((\d+\.?\d*|\.\d+)\)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_ISO_DATETIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])[Mm])?")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_LOCALE_DEPENDENT = [
    re.compile(r"\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{1,4})?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(rf"\d{{1,2}}[ -]?{_MONTH}\.?(?:[ -,]+\d{{2,4}})?", re.IGNORECASE),
    re.compile(rf"{_MONTH}\.?[ -]\d{{1,4}}(?:,?\s*\d{{4}})?", re.IGNORECASE),
    re.compile(r"[$£€¥]\s?[+-]?[\d,]*\.?\d+|[+-]?[\d,]*\.?\d+\s?[$£€]"),
    re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?"),
    re.compile(r"\d+ \d+/\d+"),
]
_DATE_FORMAT = BUILTIN_FORMATS[14]  # Excel's short date, shown in the user's locale
_DATETIME_FORMAT = BUILTIN_FORMATS[22]


def _camel(name: str) -> str:
    """Office.js' "LessThan" and xlwings' "less_than" as the file writes them, "lessThan"."""
    head, *rest = re.split(r"_|(?<=[a-z])(?=[A-Z])", name)
    return head.lower() + "".join(part.capitalize() for part in rest)


_HORIZONTAL = {
    **{n: _camel(n) for n in ("General", "Left", "Center", "Right", "Fill", "Justify")},
    "CenterAcrossSelection": "centerContinuous",
    "Distributed": "distributed",
}
_VERTICAL = {n: _camel(n) for n in ("Top", "Center", "Bottom", "Justify", "Distributed")}
_COMPARISONS = ("GreaterThan", "LessThan", "GreaterThanOrEqual", "LessThanOrEqual")
_CF_OPERATORS = {
    **{n: _camel(n) for n in ("Between", "NotBetween", *_COMPARISONS)},
    "EqualTo": "equal",
    "NotEqualTo": "notEqual",
}
_DV_OPERATORS = {
    **{n: _camel(n) for n in ("between", "not_between", "greater_than", "less_than")},
    **{n: _camel(n) for n in ("greater_than_or_equal", "less_than_or_equal")},
    "equal_to": "equal",
    "not_equal_to": "notEqual",
}
_DV_TYPES = {
    **{n: n for n in ("decimal", "date", "time", "custom")},
    "whole_number": "whole",
    "text_length": "textLength",
}


class Typed(NamedTuple):
    """What Excel makes of a string assigned to a cell (see `excel_input`)."""

    value: Any
    kind: Literal["empty", "text", "formula", "number", "boolean", "error", "date"]
    #: The number format Excel gives the cell along with the value, if any.
    number_format: str | None = None
    quote_prefix: bool = False


def excel_input(text: str, number_format: str = "General") -> Typed:
    """What Excel stores when `text` is assigned to a cell's `values`: Office.js parses it like
    typed input, in a cell whose number format is `number_format`.

    A leading apostrophe makes the rest text (and sets the cell's quote prefix); a cell formatted
    as text ("@") keeps any other text as it is. Otherwise "=" starts a formula, numbers,
    percentages, "(5)", TRUE/FALSE, error codes, ISO dates and times and h:mm times are
    converted, and "+" or "-" before anything else starts a formula (Excel prefixes the "=").
    An English locale is assumed for the decimal point; text other locales would read otherwise
    (slashed or dotted dates, month names, currency, thousands separators) raises
    LocaleDependentValue."""
    if text == "":
        return Typed(None, "empty")
    if text.startswith("'"):
        return Typed(text[1:], "text", quote_prefix=True)
    if number_format == "@":
        return Typed(text, "text")
    if text.startswith("=") and len(text) > 1:
        return Typed(text, "formula")
    s = text.strip()
    if _NUMBER.fullmatch(s):
        number = float(s)
        if "e" in s.lower():
            return Typed(_js_number(number), "number", "0.00E+00")
        return Typed(number if "." in s else _js_number(number), "number")
    if m := _PERCENT.fullmatch(s):
        return Typed(float(m.group(1)) / 100, "number", "0.00%" if "." in s else "0%")
    if m := _PARENTHESISED.fullmatch(s):
        return Typed(-_js_number(float(m.group(1))), "number")
    if s.upper() in ("TRUE", "FALSE"):
        return Typed(s.upper() == "TRUE", "boolean")
    if s.upper() in _ERRORS:
        return Typed(s.upper(), "error")
    try:
        if m := _ISO_DATETIME.fullmatch(s):
            y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
            return Typed(dt.datetime(y, mo, d, h, mi, sec), "date", _DATETIME_FORMAT)
        if m := _ISO_DATE.fullmatch(s):
            y, mo, d = (int(g) for g in m.groups())
            return Typed(dt.datetime(y, mo, d), "date", _DATE_FORMAT)
    except ValueError:  # no such day: Excel keeps the text
        return Typed(text, "text")
    if m := _TIME.fullmatch(s):
        h, mi, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if m.group(4):
            h = h % 12 + (12 if m.group(4).lower() == "p" else 0)
        if h > 23 or mi > 59 or sec > 59:
            return Typed((h * 3600 + mi * 60 + sec) / 86400, "date", BUILTIN_FORMATS[46])
        return Typed(dt.time(h, mi, sec), "date", BUILTIN_FORMATS[21 if m.group(3) else 20])
    if any(p.fullmatch(s) for p in _LOCALE_DEPENDENT):
        raise LocaleDependentValue(
            f"Excel would convert {text!r} by the rules of the user's locale: write it with a "
            "leading apostrophe, or format the cells as text first"
        )
    if text.startswith(("+", "-")) and len(text) > 1:
        return Typed("=" + text, "formula")
    return Typed(text, "text")


def apply_actions(
    src: Path, actions: Sequence[Mapping[str, Any]] | Mapping[str, Any], dst: Path
) -> list[Alert]:
    """Apply `actions` (or `book.json()`) to a copy of `src` saved as `dst`, as the Office.js
    client applies them in Excel, in order; return the alerts it would have shown."""
    given = actions["actions"] if isinstance(actions, Mapping) else actions
    # The client gets the actions as JSON (NaN and non-JSON values fail on the way).
    sent: list[dict[str, Any]] = json.loads(json.dumps(list(given), allow_nan=False))
    wb = openpyxl.load_workbook(src)
    if wb.chartsheets:
        raise NotImplementedError("apply_actions does not model chart sheets")
    client = _Client(wb)
    for ix, action in enumerate(sent):
        func = action.get("func")
        if func not in SUPPORTED_ACTIONS:
            raise NotImplementedError(f"action {ix} {func!r} is not modelled by apply_actions")
        try:
            getattr(client, func)(action)
        except (NotImplementedError, LocaleDependentValue):
            raise
        except Exception as error:  # Excel would reject the batch at this action
            raise ValueError(f"action {ix} {func}: {error}") from error
    wb.save(dst)
    return client.alerts


@dataclass
class _Target:
    ws: Worksheet
    row: int  # 1-based
    column: int
    rows: int
    columns: int

    @property
    def huge(self) -> bool:
        return self.rows * self.columns > 1_000_000

    def cells(self) -> Iterator[Cell]:
        """Every cell of the range; for a huge one (whole rows/columns), the existing ones."""
        r2, c2 = self.row + self.rows - 1, self.column + self.columns - 1
        if self.huge:
            for (r, c), cell in list(self.ws._cells.items()):
                if self.row <= r <= r2 and self.column <= c <= c2:
                    yield cell
            return
        for r in range(self.row, r2 + 1):
            for c in range(self.column, c2 + 1):
                yield self.ws.cell(r, c)


class _Client:
    """The Office.js client's callbacks, on an openpyxl workbook."""

    def __init__(self, wb: openpyxl.Workbook) -> None:
        self.wb = wb
        self.alerts: list[Alert] = []

    # -- addressing

    def _sheet(self, action: Mapping[str, Any]) -> Worksheet:
        position = action["sheet_position"]
        if position is None or not 0 <= position < len(self.wb.worksheets):
            raise IndexError(f"no worksheet at position {position!r}")
        return self.wb.worksheets[position]

    def _target(self, action: Mapping[str, Any]) -> _Target:
        return _Target(
            self._sheet(action),
            action["start_row"] + 1,
            action["start_column"] + 1,
            action["row_count"],
            action["column_count"],
        )

    def _keep_active(self, change: Any) -> None:
        """Run `change` on the sheet list keeping the same sheet active, as Excel does."""
        active = self.wb.active
        change()
        if active in self.wb.worksheets:
            self._activate(active)

    def _activate(self, ws: Worksheet) -> None:
        self.wb.active = self.wb.worksheets.index(ws)
        for other in self.wb.worksheets:
            other.sheet_view.tabSelected = other is ws

    # -- values

    def _write(self, cell: Cell, value: Any) -> None:
        if isinstance(cell, MergedCell):
            raise ValueError(f"{cell.coordinate} is inside a merged area")
        if value is None:
            return  # Office.js leaves a cell given null as it is
        if isinstance(value, bool | int | float):
            cell.value = value
            cell.quotePrefix = False
            return
        if not isinstance(value, str):
            raise TypeError(f"{cell.coordinate}: cannot write {value!r}")
        before = cell.number_format
        typed = excel_input(value, before)
        if typed.kind == "text" and len(typed.value) > 32767:
            raise ValueError(f"{cell.coordinate}: text longer than Excel's 32,767 characters")
        cell.value = typed.value  # openpyxl may give a date its own format: set it below
        if typed.kind == "text":
            cell.data_type = "s"  # openpyxl would take "=..." for a formula, "#N/A" for an error
        cell.quotePrefix = typed.quote_prefix
        # Excel gives a date a date format unless the cell has one already; the other formats
        # that come with typed input (0%, 0.00E+00) only replace General.
        fmt = typed.number_format
        if fmt is not None and (
            before == "General" or (typed.kind == "date" and not is_date_format(before))
        ):
            before = fmt
        cell.number_format = before

    def _write_grid(self, action: Mapping[str, Any]) -> None:
        target = self._target(action)
        values = action["values"]
        if not isinstance(values, list):  # a scalar formula fills the range
            values = [[values] * target.columns for _ in range(target.rows)]
        if len(values) != target.rows or any(len(row) != target.columns for row in values):
            raise ValueError(
                f"a {len(values)}-row array does not fit the {target.rows}x{target.columns} range"
            )
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                self._write(target.ws.cell(target.row + r, target.column + c), value)

    def setValues(self, action: Mapping[str, Any]) -> None:
        self._write_grid(action)

    def setFormula(self, action: Mapping[str, Any]) -> None:
        self._write_grid(action)

    @staticmethod
    def _clear(cells: Iterable[Cell], *, contents: bool, formats: bool) -> None:
        for cell in cells:
            if isinstance(cell, MergedCell):
                continue
            if contents:
                cell.value = None
            if formats:
                cell._style = StyleArray()

    def rangeClearContents(self, action: Mapping[str, Any]) -> None:
        self._clear(self._target(action).cells(), contents=True, formats=False)

    def rangeClearFormats(self, action: Mapping[str, Any]) -> None:
        self._clear(self._target(action).cells(), contents=False, formats=True)

    def rangeClear(self, action: Mapping[str, Any]) -> None:
        self._clear(self._target(action).cells(), contents=True, formats=True)

    def sheetClearContents(self, action: Mapping[str, Any]) -> None:
        self._clear(list(self._sheet(action)._cells.values()), contents=True, formats=False)

    def sheetClearFormats(self, action: Mapping[str, Any]) -> None:
        self._clear(list(self._sheet(action)._cells.values()), contents=False, formats=True)

    def sheetClear(self, action: Mapping[str, Any]) -> None:
        self._clear(list(self._sheet(action)._cells.values()), contents=True, formats=True)

    # -- sheets

    def _check_name(self, name: str, *, exclude: Worksheet | None = None) -> None:
        if not name or len(name) > 31 or re.search(r"[\[\]:*?/\\]", name):
            raise ValueError(f"{name!r} is not a valid sheet name")
        if name.startswith("'") or name.endswith("'"):
            raise ValueError(f"{name!r} is not a valid sheet name")
        for ws in self.wb.worksheets:
            if ws is not exclude and ws.title.casefold() == name.casefold():
                raise ValueError(f"a sheet named {ws.title!r} already exists")

    def addSheet(self, action: Mapping[str, Any]) -> None:
        position, name = action["args"][0], action["args"][1]
        if name is None:
            n = 1
            while any(ws.title.casefold() == f"sheet{n}" for ws in self.wb.worksheets):
                n += 1
            name = f"Sheet{n}"
        self._check_name(str(name))

        def add() -> None:
            ws = self.wb.create_sheet(str(name))
            self.wb._sheets.remove(ws)
            self.wb._sheets.insert(int(position), ws)

        self._keep_active(add)

    def setSheetName(self, action: Mapping[str, Any]) -> None:
        ws = self._sheet(action)
        self._check_name(str(action["args"][0]), exclude=ws)
        ws.title = str(action["args"][0])

    def setSheetVisibility(self, action: Mapping[str, Any]) -> None:
        ws = self._sheet(action)
        state = _VISIBILITY_BACK[str(action["args"][0])]
        if state != "visible" and not any(
            other.sheet_state == "visible" for other in self.wb.worksheets if other is not ws
        ):
            raise ValueError("a workbook must keep at least one visible sheet")
        ws.sheet_state = state
        if state != "visible" and self.wb.active is ws:
            sheets = self.wb.worksheets
            here = sheets.index(ws)
            for other in [*sheets[here + 1 :], *reversed(sheets[:here])]:
                if other.sheet_state == "visible":
                    self._activate(other)
                    break
        if state != "visible":
            ws.sheet_view.tabSelected = False

    def setSheetPosition(self, action: Mapping[str, Any]) -> None:
        ws = self._sheet(action)

        def move() -> None:
            self.wb._sheets.remove(ws)
            self.wb._sheets.insert(int(action["args"][0]), ws)

        self._keep_active(move)

    def sheetDelete(self, action: Mapping[str, Any]) -> None:
        ws = self._sheet(action)
        if ws.sheet_state == "visible" and not any(
            o.sheet_state == "visible" for o in self.wb.worksheets if o is not ws
        ):
            raise ValueError("cannot delete the only visible sheet")
        if self.wb.active is ws:
            self.setSheetVisibility({**action, "args": ["Hidden"]})
        self._keep_active(lambda: self.wb.remove(ws))

    def activateSheet(self, action: Mapping[str, Any]) -> None:
        ws = self.wb.worksheets[int(action["args"][0])]
        if ws.sheet_state != "visible":
            raise ValueError(f"cannot activate the hidden sheet {ws.title!r}")
        self._activate(ws)

    # -- formats

    def setNumberFormat(self, action: Mapping[str, Any]) -> None:
        target = self._target(action)
        fmt = str(action["args"][0])
        if target.huge and target.rows != MAX_ROWS:
            raise NotImplementedError("number formats of whole rows are not modelled")
        for cell in target.cells():
            if not isinstance(cell, MergedCell):
                cell.number_format = fmt
        if target.rows == MAX_ROWS:
            for c in range(target.column, target.column + target.columns):
                target.ws.column_dimensions[get_column_letter(c)].number_format = fmt

    def setRowHeight(self, action: Mapping[str, Any]) -> None:
        target = self._target(action)
        points = float(action["args"][0])
        if not 0 <= points <= 409:
            raise ValueError(f"row height {points} is outside 0-409 points")
        if target.rows == MAX_ROWS:
            raise NotImplementedError("row heights of whole columns are not modelled")
        for r in range(target.row, target.row + target.rows):
            target.ws.row_dimensions[r].height = points

    def setColumnWidth(self, action: Mapping[str, Any]) -> None:
        target = self._target(action)
        points = float(action["args"][0])
        if points < 0:
            raise ValueError("column_width must be a non-negative number")
        if target.columns == MAX_COLUMNS:
            raise NotImplementedError("column widths of whole rows are not modelled")
        width = points * 96 / 72 / MAX_DIGIT_WIDTH_PX
        for c in range(target.column, target.column + target.columns):
            target.ws.column_dimensions[get_column_letter(c)].width = width

    def setRowHidden(self, action: Mapping[str, Any]) -> None:
        target = self._target(action)
        for r in range(target.row, target.row + target.rows):
            target.ws.row_dimensions[r].hidden = bool(action["args"][0])

    def setColumnHidden(self, action: Mapping[str, Any]) -> None:
        target = self._target(action)
        for c in range(target.column, target.column + target.columns):
            target.ws.column_dimensions[get_column_letter(c)].hidden = bool(action["args"][0])

    def _restyle(self, action: Mapping[str, Any], attribute: str, **changes: Any) -> None:
        target = self._target(action)
        if target.huge:
            raise NotImplementedError(f"{action['func']} on whole rows/columns is not modelled")
        for cell in target.cells():
            if isinstance(cell, MergedCell):
                continue
            style = copy.copy(getattr(cell, attribute))
            for key, value in changes.items():
                setattr(style, key, value)
            setattr(cell, attribute, style)

    def setWrapText(self, action: Mapping[str, Any]) -> None:
        self._restyle(action, "alignment", wrap_text=bool(action["args"][0]))

    def setHorizontalAlignment(self, action: Mapping[str, Any]) -> None:
        self._restyle(action, "alignment", horizontal=_HORIZONTAL[action["args"][0]])

    def setVerticalAlignment(self, action: Mapping[str, Any]) -> None:
        self._restyle(action, "alignment", vertical=_VERTICAL[action["args"][0]])

    def setFontProperty(self, action: Mapping[str, Any]) -> None:
        attribute, value = action["args"][0], action["args"][1]
        if attribute == "color":
            value = _argb(value)
        elif attribute in ("bold", "italic"):
            value = bool(value)
        elif attribute not in ("size", "name"):
            raise NotImplementedError(f"font property {attribute!r} is not modelled")
        self._restyle(action, "font", **{"sz" if attribute == "size" else attribute: value})

    def setRangeColor(self, action: Mapping[str, Any]) -> None:
        target = self._target(action)
        color = action["args"][0]
        fill = PatternFill() if color is None else PatternFill("solid", fgColor=_argb(color))
        for cell in target.cells():
            if not isinstance(cell, MergedCell):
                cell.fill = fill

    def rangeMerge(self, action: Mapping[str, Any]) -> None:
        t = self._target(action)
        rows = [(t.row + r, 1) for r in range(t.rows)] if action["args"][0] else [(t.row, t.rows)]
        for first, count in rows:
            t.ws.merge_cells(
                start_row=first,
                start_column=t.column,
                end_row=first + count - 1,
                end_column=t.column + t.columns - 1,
            )

    def rangeUnmerge(self, action: Mapping[str, Any]) -> None:
        t = self._target(action)
        for merged in list(t.ws.merged_cells.ranges):
            if (
                merged.min_row >= t.row
                and merged.max_row < t.row + t.rows
                and merged.min_col >= t.column
                and merged.max_col < t.column + t.columns
            ):
                t.ws.unmerge_cells(str(merged))

    # -- rules

    def addConditionalFormat(self, action: Mapping[str, Any]) -> None:
        t = self._target(action)
        spec = action["args"][0]
        font = None
        if any(spec.get(k) is not None for k in ("font_color", "font_bold", "font_italic")):
            font = Font(
                color=_argb(spec["font_color"]) if spec.get("font_color") else None,
                bold=spec.get("font_bold"),
                italic=spec.get("font_italic"),
            )
        fill = None
        if spec.get("fill_color") is not None:
            fill = PatternFill(bgColor=_argb(spec["fill_color"]))
        if spec["type"] == "CellValue":
            formulas = [spec["formula1"]] + ([spec["formula2"]] if spec.get("formula2") else [])
            rule = CellIsRule(
                operator=_CF_OPERATORS[spec["operator"]],
                formula=[f.removeprefix("=") for f in formulas],
                font=font,
                fill=fill,
                stopIfTrue=bool(spec.get("stop_if_true")) or None,
            )
        elif spec["type"] == "Custom":
            rule = FormulaRule(
                formula=[spec["formula"].removeprefix("=")],
                font=font,
                fill=fill,
                stopIfTrue=bool(spec.get("stop_if_true")) or None,
            )
        else:  # the 0.37 client itself rejects the other types
            raise NotImplementedError(f"conditional format type {spec['type']!r}")
        if rule.dxf is None:
            rule.dxf = DifferentialStyle()
        # conditionalFormats.add puts the new rule first (highest priority).
        for existing in t.ws.conditional_formatting:
            for other in existing.rules:
                other.priority += 1
        rule.priority = 1
        t.ws.conditional_formatting.add(_address(*_corners(t)), rule)

    def clearConditionalFormats(self, action: Mapping[str, Any]) -> None:
        t = self._target(action)
        r2, c2 = t.row + t.rows - 1, t.column + t.columns - 1
        kept = type(t.ws.conditional_formatting)()
        for entry in t.ws.conditional_formatting:
            inside = [
                rng
                for rng in entry.sqref.ranges
                if t.row <= rng.min_row
                and rng.max_row <= r2
                and t.column <= rng.min_col
                and rng.max_col <= c2
            ]
            outside = [
                rng
                for rng in entry.sqref.ranges
                if rng.max_row < t.row
                or rng.min_row > r2
                or rng.max_col < t.column
                or rng.min_col > c2
            ]
            if len(inside) + len(outside) != len(entry.sqref.ranges):
                raise NotImplementedError("clearing part of a conditional format's range")
            if outside:
                for rule in entry.rules:
                    kept.add(" ".join(str(rng) for rng in outside), rule)
        t.ws.conditional_formatting = kept

    def _validation_for(self, t: _Target) -> DataValidation | None:
        """The validation that covers exactly this range, if any; other overlaps refuse."""
        cells = set(_cell_keys(t))
        found = None
        for dv in t.ws.data_validations.dataValidation:
            covered = {
                (r, c)
                for rng in dv.sqref.ranges
                for r in range(rng.min_row, rng.max_row + 1)
                for c in range(rng.min_col, rng.max_col + 1)
            }
            if covered == cells:
                found = dv
            elif covered & cells:
                raise NotImplementedError("data validation overlapping the range partly")
        return found

    def _set_validation(self, t: _Target, **rule: Any) -> None:
        dv = self._validation_for(t)
        if dv is None:
            dv = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True)
            dv.add(_address(*_corners(t)))
            t.ws.add_data_validation(dv)
        for key in ("type", "operator", "formula1", "formula2", "showDropDown"):
            setattr(dv, key, rule.get(key))

    def setDataValidationList(self, action: Mapping[str, Any]) -> None:
        t = self._target(action)
        source, in_cell_dropdown = action["args"][0], action["args"][1]
        if source["type"] == "literal":
            values = [str(v) for v in source["values"]]
            formula = '"' + ",".join(values) + '"'
        elif source["type"] == "range":
            ws = self.wb.worksheets[source["sheet_position"]]
            r1, c1 = source["start_row"] + 1, source["start_column"] + 1
            r2, c2 = r1 + source["row_count"] - 1, c1 + source["column_count"] - 1
            formula = f"{quote_sheetname(ws.title)}!${get_column_letter(c1)}${r1}"
            if (r1, c1) != (r2, c2):
                formula += f":${get_column_letter(c2)}${r2}"
        else:
            formula = str(source["name"])
        # openpyxl's showDropDown is the file's flag, which *hides* the in-cell dropdown.
        self._set_validation(t, type="list", formula1=formula, showDropDown=not in_cell_dropdown)

    def setDataValidationRule(self, action: Mapping[str, Any]) -> None:
        spec = action["args"][0]
        self._set_validation(
            self._target(action),
            type=_DV_TYPES[spec["type"]],
            operator=_DV_OPERATORS.get(spec.get("operator") or ""),
            formula1=str(spec["formula1"]).removeprefix("="),
            formula2=str(spec["formula2"]).removeprefix("=") if spec.get("formula2") else None,
        )

    def deleteDataValidation(self, action: Mapping[str, Any]) -> None:
        t = self._target(action)
        dv = self._validation_for(t)
        if dv is not None:
            t.ws.data_validations.dataValidation.remove(dv)

    # -- names, book, app

    def setPrintArea(self, action: Mapping[str, Any]) -> None:
        ws = self._sheet(action)
        area = action["args"][0]
        if area is None:
            ws._print_area = None
        else:
            ws.print_area = str(area)

    def setRangeName(self, action: Mapping[str, Any]) -> None:
        t = self._target(action)
        r1, c1, r2, c2 = _corners(t)
        ref = f"{quote_sheetname(t.ws.title)}!${get_column_letter(c1)}${r1}"
        if (r1, c1) != (r2, c2):
            ref += f":${get_column_letter(c2)}${r2}"
        name = str(action["args"][0])
        self.wb.defined_names[name] = DefinedName(name, attr_text=ref)

    def namesAdd(self, action: Mapping[str, Any]) -> None:
        name, refers_to = str(action["args"][0]), str(action["args"][1]).removeprefix("=")
        if action["sheet_position"] is None:
            self.wb.defined_names[name] = DefinedName(name, attr_text=refers_to)
        else:
            self._sheet(action).defined_names[name] = DefinedName(name, attr_text=refers_to)

    def alert(self, action: Mapping[str, Any]) -> None:
        self.alerts.append(Alert(*(str(a) for a in action["args"][:5])))

    def save(self, action: Mapping[str, Any]) -> None:
        """The owner's save: the file is written when all actions are applied."""

    def calculate(self, action: Mapping[str, Any]) -> None:
        """Nothing to calculate: openpyxl keeps formulas, not results."""

    def setCalculation(self, action: Mapping[str, Any]) -> None:
        back = {v: k for k, v in _CALCULATION.items()}
        self.wb.calculation.calcMode = back[str(action["args"][0])]

    def setScreenUpdating(self, action: Mapping[str, Any]) -> None:
        """Display only."""


#: The actions `apply_actions` applies: the client's callbacks above.
SUPPORTED_ACTIONS = frozenset(name for name in vars(_Client) if not name.startswith("_"))


def _corners(t: _Target) -> tuple[int, int, int, int]:
    return t.row, t.column, t.row + t.rows - 1, t.column + t.columns - 1


def _cell_keys(t: _Target) -> Iterator[tuple[int, int]]:
    for r in range(t.row, t.row + t.rows):
        for c in range(t.column, t.column + t.columns):
            yield r, c


def _argb(color: str) -> str:
    if not re.fullmatch(r"#?[0-9A-Fa-f]{6}", str(color)):
        raise ValueError(f"color {color!r} is not #RRGGBB")
    return "FF" + str(color).lstrip("#").upper()

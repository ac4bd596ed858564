"""Read a master workbook back into a Plan.

`plan_from_sheets` is the pure core: it takes each sheet as a grid of cell values, so the file
readers (openpyxl with rich text, python-calamine for speed) and the add-in's live workbook all
share one reading of the layout. The header row is found, never assumed: owners insert rows above.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from workbook.actions import split_numbered
from workbook.errors import MasterError
from workbook.master_write import (
    SETTING_AS_OF,
    SETTING_IMPORT_NOTE,
    SETTING_ORGANISATION,
    SETTING_PLAN_DATE,
    SETTING_PLAN_ID,
    SETTING_SOURCE,
    SETTING_TITLE,
)
from workbook.model import (
    LEADS_COLUMNS,
    PLAN_COLUMNS,
    SHEET_LEADS,
    SHEET_PLAN,
    SHEET_SETTINGS,
    SHEET_UPDATES,
    UPDATE_SEPARATOR,
    UPDATES_COLUMNS,
    Item,
    Lead,
    Plan,
    Run,
    UpdateEntry,
    normalise_runs,
    runs_text,
)
from workbook.timescales import due_date
from workbook.updates import parse_updates

Grid = Sequence[Sequence[object]]

#: The sheets a Plan is read from; others (Changes, bookkeeping) are not needed for it.
PLAN_SHEETS: tuple[str, ...] = (SHEET_PLAN, SHEET_LEADS, SHEET_UPDATES, SHEET_SETTINGS)

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_MAX_SERIAL = 2_958_466  # 31 December 9999


# --- Pure core --------------------------------------------------------------------------------


def plan_from_sheets(sheets: Mapping[str, Grid]) -> Plan:
    """The plan held in a master's sheets (grids of cell values, rich findings as tuples of Run).

    Raises MasterError when there is no `Action Plan` sheet or no header row on it.
    """
    require_plan_sheet(list(sheets))
    grid = sheet(sheets, SHEET_PLAN) or ()
    log = updates_log(sheet(sheets, SHEET_UPDATES) or ())
    sections, items = _sections_and_items(grid, log)
    settings = settings_from_sheets(sheets)
    title_block = _title_block(grid, find_header_row(grid) or 0)
    return Plan(
        title=_text(settings.get(SETTING_TITLE, title_block[0])),
        organisation=_text(settings.get(SETTING_ORGANISATION, title_block[2])),
        date_label=_text(settings.get(SETTING_PLAN_DATE, title_block[1])),
        sections=sections,
        items=items,
        leads=_leads(sheet(sheets, SHEET_LEADS) or ()),
        plan_id=_text(settings.get(SETTING_PLAN_ID)),
        source=_text(settings.get(SETTING_SOURCE)),
        notes=tuple(_text(n) for n in import_notes(sheets)),
    )


def require_plan_sheet(sheet_names: list[str]) -> None:
    if not any(_is_sheet(n, SHEET_PLAN) for n in sheet_names):
        names = ", ".join(repr(n) for n in sheet_names) or "none"
        raise MasterError(
            f"no '{SHEET_PLAN}' sheet (sheets: {names}); is this an actionplan master? "
            f"If the plan sheet was renamed, rename it back to '{SHEET_PLAN}'"
        )


def find_header_row(grid: Grid) -> int | None:
    """0-based index of the `Action Plan` header row: 'Ref' in column A, 'Action' in column C."""
    for r, row in enumerate(grid):
        if _key(_at(row, 0)) == "ref" and _key(_at(row, 2)) == "action":
            return r
    return None


def plan_column_indexes(header_row: Sequence[object]) -> dict[str, int]:
    """Where each plan column is, by its title in the header row; a column whose title was
    edited is taken to be where the master puts it."""
    found = {_key(v): i for i, v in enumerate(header_row) if _key(v)}
    return {c.key: found.get(_key(c.title), i) for i, c in enumerate(PLAN_COLUMNS)}


def settings_from_sheets(sheets: Mapping[str, Grid]) -> dict[str, object]:
    """The `Settings` sheet as setting -> value (first value wins; import notes are separate)."""
    out: dict[str, object] = {}
    for key, value in _settings_rows(sheets):
        if key != SETTING_IMPORT_NOTE:
            out.setdefault(key, value)
    return out


def import_notes(sheets: Mapping[str, Grid]) -> list[object]:
    """The values of the `Import note` settings, in order."""
    return [value for key, value in _settings_rows(sheets) if key == SETTING_IMPORT_NOTE]


def _settings_rows(sheets: Mapping[str, Grid]) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for r, row in enumerate(sheet(sheets, SHEET_SETTINGS) or ()):
        key = _text(_at(row, 0)).strip()
        if not key or (r == 0 and key.casefold() == "setting"):
            continue
        rows.append((key, _at(row, 1)))
    return rows


def _title_block(grid: Grid, header: int) -> tuple[str, str, str]:
    """Title, date and organisation from the top rows, for a master that has lost its Settings."""
    texts = [_text(_at(grid[r], 0)) if r < header else "" for r in range(3)]
    return texts[0], texts[1], texts[2]


@dataclass(frozen=True)
class PlanRow:
    """One non-empty row under the header of the `Action Plan` sheet, where it is in Excel."""

    excel_row: int  # 1-based, as Excel numbers rows
    section: str  # the section it is in (for a section row, its own name)
    is_section: bool
    values: dict[str, object]  # by PLAN_COLUMNS key, as read
    texts: dict[str, str]  # the same values as the text the plan keeps
    columns: dict[str, int]  # 0-based column of each key, for cell addresses


def plan_rows(grid: Grid) -> list[PlanRow]:
    """The section and item rows of an `Action Plan` grid, in order (header found, not assumed).

    A section row has text in column A only; an item row is any other non-empty row - including
    one whose ref is missing, which validation then reports.
    """
    header = find_header_row(grid)
    if header is None:
        raise MasterError(
            f"no header row on the '{SHEET_PLAN}' sheet; the row above the first section needs "
            "'Ref' in column A and 'Action' in column C"
        )
    columns = plan_column_indexes(grid[header])
    rows: list[PlanRow] = []
    section = ""
    for r in range(header + 1, len(grid)):
        row = grid[r]
        values = {key: _at(row, i) for key, i in columns.items()}
        texts = {key: _text(v) for key, v in values.items()}
        if not any(texts.values()):
            continue
        is_section = bool(texts["ref"]) and not any(t for k, t in texts.items() if k != "ref")
        if is_section:
            section = texts["ref"]
        rows.append(PlanRow(r + 1, section, is_section, values, texts, columns))
    return rows


def _sections_and_items(grid: Grid, log: UpdatesLog) -> tuple[tuple[str, ...], tuple[Item, ...]]:
    sections: list[str] = []
    items: list[Item] = []
    for row in plan_rows(grid):
        if row.is_section:
            if row.section not in sections:
                sections.append(row.section)
        else:
            items.append(_item(row.values, row.texts, row.section, log))
    return tuple(sections), tuple(items)


def _item(values: dict[str, object], texts: dict[str, str], section: str, log: UpdatesLog) -> Item:
    finding = values["finding"]
    runs = finding if isinstance(finding, tuple) else (Run(texts["finding"]),)
    return Item(
        ref=texts["ref"],
        section=section,
        finding=normalise_runs(runs),
        actions=actions_from_cell(texts["actions"]),
        lead=texts["lead"],
        timescale=texts["timescale"],
        updates=log.entries(texts["ref"], texts["updates"]),
        status=texts["status"],
    )


def actions_from_cell(text: str) -> tuple[str, ...]:
    """The numbered actions of an Action cell.

    The master writes "1. a\\n2. b"; splitting only at a line starting with the next number gives
    back exactly what was written, whatever the actions contain. A cell an owner retyped as one
    line ("1. a 2. b") or without numbers is split the way the importer splits the document.
    """
    if not text.strip():
        return ()
    if not text.startswith("1. "):
        return split_numbered(text)
    exact = _split_numbered_lines(text)
    if len(exact) == 1:
        loose = split_numbered(text)
        if len(loose) > 1:
            return loose
    return exact


def _split_numbered_lines(text: str) -> tuple[str, ...]:
    out: list[str] = []
    start, n = len("1. "), 2
    while (i := text.find(f"\n{n}. ", start)) >= 0:
        out.append(text[start:i])
        start, n = i + len(f"\n{n}. "), n + 1
    out.append(text[start:])
    return tuple(out)


class UpdatesLog:
    """The `Updates` sheet: each entry's date, lead, status and source, which the Update cell's
    text cannot carry, looked up by item ref and the entry as displayed."""

    def __init__(self, rows: list[tuple[str, UpdateEntry]]) -> None:
        self._by_ref: dict[str, list[UpdateEntry]] = defaultdict(list)
        for ref, entry in rows:
            self._by_ref[ref].append(entry)

    def entries(self, ref: str, cell_text: str) -> tuple[UpdateEntry, ...]:
        logged = self._by_ref.get(ref, [])
        # The usual case: the log lists this item's entries as the cell shows them, so take them
        # whole (an unlabelled entry after a labelled one cannot be told apart in the cell alone).
        if logged and UPDATE_SEPARATOR.join(e.display for e in logged) == cell_text:
            return tuple(logged)
        # The cell was edited or the log re-sorted: the cell decides which entries there are.
        pool: dict[str, deque[UpdateEntry]] = defaultdict(deque)
        for e in logged:
            pool[e.display].append(e)
        out = []
        for parsed in parse_updates(cell_text):
            match = pool[parsed.display]
            if match:
                m = match.popleft()
                parsed = UpdateEntry(parsed.label, parsed.text, m.date, m.lead, m.status, m.source)
            out.append(parsed)
        return tuple(out)


def updates_log(grid: Grid) -> UpdatesLog:
    rows = []
    for rec in records(grid, UPDATES_COLUMNS):
        display = _text(rec["update"])
        ref = _text(rec["ref"])
        if not ref and not display:
            continue
        label, text = _split_display(display)
        entry = UpdateEntry(
            label=label,
            text=text,
            date=_date(rec["date"]),
            lead=_text(rec["lead"]),
            status=_text(rec["status"]),
            source=_text(rec["source"]),
        )
        rows.append((ref, entry))
    return UpdatesLog(rows)


def _split_display(display: str) -> tuple[str, str]:
    """Label and text of one displayed entry; unrecognised headings stay part of the text."""
    parsed = parse_updates(display)
    if len(parsed) == 1 and parsed[0].display == display:
        return parsed[0].label, parsed[0].text
    return "", display


def _leads(grid: Grid) -> tuple[Lead, ...]:
    leads = []
    for rec in records(grid, LEADS_COLUMNS):
        code, name, email = (_text(rec[k]) for k in ("code", "name", "email"))
        if code or name or email:
            leads.append(Lead(code, name, email))
    return tuple(leads)


def column_positions(header: Sequence[object], columns: Sequence[str]) -> list[int]:
    """0-based position of each of `columns` in a list sheet's `header` row, by title (case and
    spacing loose); a title the header lacks gets the next free column after it."""
    found = {_key(v): i for i, v in enumerate(header) if _key(v)}
    next_free = len(header)
    out = []
    for title in columns:
        pos = found.get(_key(title))
        if pos is None:
            pos, next_free = next_free, next_free + 1
        out.append(pos)
    return out


def place_in_columns(values: Sequence[object], positions: Sequence[int]) -> list[object]:
    """`values` (in the order `column_positions` was asked for) spread over a row at their
    positions, None between."""
    out: list[object] = [None] * (max(positions) + 1)
    for value, pos in zip(values, positions, strict=True):
        out[pos] = value
    return out


def records(grid: Grid, columns: tuple[str, ...]) -> list[dict[str, object]]:
    """Rows of a list sheet under its header row, keyed by lower-case column title; columns found
    by title so that an owner's reordering does not matter."""
    if not grid:
        return []
    found = {_key(v): i for i, v in enumerate(grid[0]) if _key(v)}
    index = {c.casefold(): found.get(c.casefold(), i) for i, c in enumerate(columns)}
    return [{k: _at(row, i) for k, i in index.items()} for row in grid[1:]]


# --- Cell values ------------------------------------------------------------------------------


def sheet(sheets: Mapping[str, Grid], name: str) -> Grid | None:
    """A sheet by name; Excel treats sheet names case-insensitively, so this does too."""
    if name in sheets:
        return sheets[name]
    return next((grid for n, grid in sheets.items() if _is_sheet(n, name)), None)


def sheet_name(names: Sequence[str], wanted: str) -> str | None:
    """The name in `names` that is sheet `wanted`, as Excel matches names (any case), or None."""
    return next((n for n in names if _is_sheet(n, wanted)), None)


def _is_sheet(sheet_name: str, wanted: str) -> bool:
    return sheet_name.strip().casefold() == wanted.casefold()


def _at(row: Sequence[object], i: int) -> object:
    return row[i] if i < len(row) else None


def _key(value: object) -> str:
    """A title compared loosely: case and spacing as typed do not matter."""
    return " ".join(_text(value).split()).casefold()


def _text(value: object) -> str:
    """A cell as the text the plan keeps; strings exactly as stored."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return runs_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def cell_datetime(value: object) -> dt.datetime | None:
    """A timestamp cell as a datetime, however it comes: a datetime (openpyxl, calamine), a date,
    ISO text, or a bare Excel serial number (how Excel's Office.js client sends a cell with a
    custom date format such as the master's "yyyy-mm-dd hh:mm")."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 0 < value < _MAX_SERIAL:
            return None
        return (_EXCEL_EPOCH + dt.timedelta(days=float(value))).replace(microsecond=0)
    if isinstance(value, str) and value.strip():
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def cell_str(value: object) -> str:
    """A bookkeeping cell (an id, a code, a ref) as trimmed text; a whole number without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: object) -> dt.date | None:
    """A date cell as a date; also a date an owner typed as text, or a bare Excel serial."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (_EXCEL_EPOCH + dt.timedelta(days=float(value))).date()
    return due_date(str(value))


# --- File shells ------------------------------------------------------------------------------


def read_master(path: Path, *, rich: bool = True) -> Plan:
    """Read the master workbook at `path`.

    rich=True reads with openpyxl and keeps the findings' italics; rich=False reads with
    python-calamine, much faster, with each finding as one plain run.
    """
    return read_master_sheets(path, rich=rich)[0]


def read_master_sheets(
    path: Path, *, rich: bool = True, also: tuple[str, ...] = ()
) -> tuple[Plan, dict[str, list[list[object]]]]:
    """The plan and the sheets it was read from (plus the `also` sheets, e.g. bookkeeping), from
    one read of the file, for callers that need more than the plan."""
    path = Path(path)
    try:
        sheets = read_sheets(path, rich=rich, also=also)
        return plan_from_sheets(sheets), sheets
    except MasterError as e:
        if str(e).startswith(str(path)):
            raise
        raise MasterError(f"{path}: {e}") from e


def read_settings(path: Path) -> dict[str, object]:
    """The master's `Settings` sheet as setting -> value (returns folder, as-of date, ...)."""
    return settings_from_sheets(read_sheets(Path(path), rich=False))


def settings_as_of(sheets: Mapping[str, Grid]) -> dt.date | None:
    """The Settings sheet's "As-of date", or None when it is blank.

    Raises MasterError when it holds something that is not a date, rather than judge the plan at
    a date nobody chose.
    """
    value = settings_from_sheets(sheets).get(SETTING_AS_OF)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found = _date(value)
    if found is None:
        raise MasterError(
            f"the Settings sheet's '{SETTING_AS_OF}' is {value!r}, not a date; "
            "type a date there (e.g. 2023-08-01) or give --as-of YYYY-MM-DD"
        )
    return found


def read_sheets(
    path: Path, *, rich: bool = True, also: tuple[str, ...] = ()
) -> dict[str, list[list[object]]]:
    """The sheets a Plan is read from, and the `also` sheets if present, as grids of cell values
    (None for an empty cell)."""
    path = Path(path)
    check_master_file(path)
    wanted = (*PLAN_SHEETS, *also)
    try:
        return openpyxl_sheets(path, wanted) if rich else _calamine_sheets(path, wanted)
    except MasterError:
        raise
    except Exception as e:  # any failure inside the readers means the file is not a usable xlsx
        raise MasterError(
            f"{path} could not be read as an Excel workbook ({type(e).__name__}: {e}); "
            "open it in Excel and save it again as .xlsx"
        ) from e


def check_master_file(path: Path) -> None:
    if not path.exists():
        raise MasterError(
            f"master workbook not found: {path}; check the path, or create one with "
            "`actionplan import`"
        )
    if not path.is_file():
        raise MasterError(f"{path} is a folder, not a master workbook; give the .xlsx file's path")
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as e:
        raise MasterError(f"cannot read {path}: {e.strerror}; check it is not locked") from e
    if not is_zip:
        raise MasterError(
            f"{path} is not an .xlsx workbook; open it in Excel and save it as "
            "'Excel Workbook (*.xlsx)'"
        )


def openpyxl_sheets(
    source: Path | BinaryIO, wanted: tuple[str, ...]
) -> dict[str, list[list[object]]]:
    """The `wanted` sheets of a workbook (a path or an open binary file) as grids, read with
    openpyxl so that rich text comes back as tuples of Run."""
    from openpyxl import load_workbook
    from openpyxl.cell.rich_text import CellRichText

    # with rich_text=True openpyxl decodes Excel's _xHHHH_ escapes itself (plain and rich)
    def value(v: object) -> object:
        return _runs_from_rich(v) if isinstance(v, CellRichText) else v

    wb = load_workbook(source, rich_text=True, read_only=False)
    try:
        require_plan_sheet(wb.sheetnames)
        return {
            ws.title: [[value(v) for v in row] for row in ws.iter_rows(values_only=True)]
            for ws in wb.worksheets
            if _wanted(ws.title, wanted)
        }
    finally:
        wb.close()


def _runs_from_rich(rich: object) -> tuple[Run, ...]:
    from openpyxl.cell.rich_text import TextBlock

    runs = []
    for part in rich:  # type: ignore[attr-defined]
        if isinstance(part, TextBlock):
            runs.append(Run(part.text, bool(part.font is not None and part.font.i)))
        else:
            runs.append(Run(str(part)))
    return normalise_runs(runs)


def _calamine_sheets(path: Path, wanted: tuple[str, ...]) -> dict[str, list[list[object]]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        require_plan_sheet(wb.sheet_names)
        return {
            name: [
                [None if v == "" else v for v in row]
                for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            ]
            for name in wb.sheet_names
            if _wanted(name, wanted)
        }
    finally:
        wb.close()


def _wanted(sheet_name: str, wanted: tuple[str, ...]) -> bool:
    return any(_is_sheet(sheet_name, s) for s in wanted)

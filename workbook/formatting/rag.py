"""RAG formatting of a plan sheet: Status cells coloured by the RAG key, overdue time-scales marked,
and a Status dropdown, all as spreadsheet rules rather than static fills.

Rules, because a status someone types later (a lead in their copy, the owner in the master, a board
member trying "what if") must take its colour at once in Excel or LibreOffice with no add-in, and
because the key and the statuses then cannot disagree: both are coloured by the same rules.

Our rules are recognised by what they say - the exact formula we would write for their range (Excel
and LibreOffice shift range and formula together when rows are inserted) - so applying again
replaces them and leaves an owner's own rules and validations alone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.formatting.formatting import ConditionalFormatting, ConditionalFormattingList
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Color, Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from workbook.errors import MasterError
from workbook.formatting import layout
from workbook.formatting.layout import write_due_cell, write_due_header
from workbook.master.read import find_header_row, plan_column_indexes
from workbook.master.settings import SETTING_AS_OF, SETTINGS_COLUMNS
from workbook.master.sheets import (
    DUE_COLUMN,
    HEADER_ROW_NAME,
    PLAN_COLUMNS,
    SHEET_PLAN,
    SHEET_SETTINGS,
)
from workbook.plan.status import COMPLETE, RAG_CODES, RAG_KEY, RagStatus, status_spellings
from workbook.plan.timescales import due_date
from workbook.xlsx.files import save_atomically

#: Workbook-level name of the `Settings` cell holding the as-of date the overdue rule compares with.
#: A name, because Excel does not let a conditional format refer to another sheet directly.
AS_OF_NAME = "AsOfDate"

#: Overdue time-scales: Excel's own "light red fill with dark red text", so it reads as a warning
#: and cannot be mistaken for a RED status (solid FF0000).
OVERDUE_FILL = "FFC7CE"
OVERDUE_FONT = "9C0006"

#: Our Status dropdown is told from an owner's validations by this title and its list.
DROPDOWN_ERROR_TITLE = "RAG status"
DROPDOWN_LIST = '"' + ",".join(RAG_CODES) + '"'
DROPDOWN_ERROR = (
    "Status must be one of "
    + ", ".join(f"{r.code} ({r.meaning})" for r in RAG_KEY[:-1])
    + f" or {RAG_KEY[-1].code} ({RAG_KEY[-1].meaning}), or left blank."
)

_OVERDUE_SHAPE = re.compile(
    r"^AND\(ISNUMBER\(\$[A-Z]{1,3}\d+\),\$[A-Z]{1,3}\d+<IF\(ISNUMBER\("
    + AS_OF_NAME
    + r"\),"
    + AS_OF_NAME
    + r",TODAY\(\)\),NOT\("
)


# --- Formulas ---------------------------------------------------------------------------------

_COMPLETE = next(r for r in RAG_KEY if r.code == COMPLETE)


def status_aliases(status: RagStatus) -> tuple[str, ...]:
    """What the rules colour as `status` once case and spacing are set aside: exactly the
    spellings model.normalise_status reads as that status."""
    return status_spellings(status.code)


def status_test(cell: str, status: RagStatus) -> str:
    """Formula true when `cell` (e.g. "$G12") holds `status`, ignoring case and spacing as
    TRIM does (ends trimmed, inner runs of spaces made one)."""
    value = f"UPPER(TRIM({cell}))"
    quoted = (alias.replace('"', '""') for alias in status_aliases(status))
    tests = [f'{value}="{alias}"' for alias in quoted]
    return tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"


def overdue_test(due_cell: str, status_cell: str) -> str:
    """Formula true when the item's due date is before the as-of date (today when Settings has
    none) and its status is not complete."""
    as_of = f"IF(ISNUMBER({AS_OF_NAME}),{AS_OF_NAME},TODAY())"
    done = status_test(status_cell, _COMPLETE)
    return f"AND(ISNUMBER({due_cell}),{due_cell}<{as_of},NOT({done}))"


def _style(fill: str, font: str) -> DifferentialStyle:
    # Excel writes a conditional fill's colour as bgColor, yet a solid pattern is drawn in
    # fgColor; both set to the key's colour leaves no reader a choice to get wrong.
    colour = Color(rgb="FF" + fill)
    return DifferentialStyle(
        font=Font(bold=True, color=Color(rgb="FF" + font)),
        fill=PatternFill(fill_type="solid", start_color=colour, end_color=colour),
    )


def _status_rules(anchor: str) -> list[Rule]:
    return [
        Rule(
            type="expression",
            formula=[status_test(anchor, status)],
            dxf=_style(status.fill, status.font),
            stopIfTrue=True,
        )
        for status in RAG_KEY
    ]


def _overdue_rule(due_cell: str, status_cell: str) -> Rule:
    return Rule(
        type="expression",
        formula=[overdue_test(due_cell, status_cell)],
        dxf=_style(OVERDUE_FILL, OVERDUE_FONT),
        stopIfTrue=False,
    )


# --- Applying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSheetColumns:
    """1-based columns of a plan sheet the formatting uses, found by their titles."""

    timescale: int
    status: int
    due: int


@dataclass(frozen=True)
class _Applied:
    rules: int  # rules of ours on the sheet now
    replaced: int  # rules of ours that were there before and were replaced
    owner_rules: int  # other rules, kept
    key_cells: int
    item_rows: int  # rows covered (header_row+1 .. last_row)
    dropdown: bool


def plan_sheet_columns(ws: Worksheet, header_row: int) -> PlanSheetColumns:
    """Where Time-scale, Status and Due are on a plan sheet, by title; the master's places for a
    title that was edited, and Due right after Status when it has none."""
    header = [c.value for c in ws[header_row]]
    idx = plan_column_indexes(header)
    due = next((i for i, v in enumerate(header) if _loose(v) == _loose(DUE_COLUMN.title)), None)
    return PlanSheetColumns(
        timescale=idx["timescale"] + 1,
        status=idx["status"] + 1,
        due=(due if due is not None else idx["status"] + 1) + 1,
    )


def apply_rag_formatting(ws: Worksheet, *, header_row: int, last_row: int) -> None:
    """Give a plan sheet (PLAN_COLUMNS then DUE_COLUMN, header at `header_row`, section and item
    rows down to `last_row`) its RAG rules: each Status colour, the overdue mark on Time-scale and
    Due, the same colours on the RAG key's code cells above the header, and the Status dropdown.

    Idempotent: earlier rules and dropdown of ours are replaced, anyone else's are kept. Also makes
    sure the workbook has the `AsOfDate` name the overdue rule reads (see ensure_as_of_name).
    """
    _apply(ws, header_row=header_row, last_row=last_row)


def _apply(ws: Worksheet, *, header_row: int, last_row: int) -> _Applied:
    if ws.parent is not None and AS_OF_NAME not in ws.parent.defined_names:
        ensure_as_of_name(ws.parent)
    cols = plan_sheet_columns(ws, header_row)
    ours: list[tuple[str, Rule]] = []
    key_cells = 0
    for area in _key_areas(ws, header_row):
        key_cells += area.size["rows"]
        ours.extend((area.coord, rule) for rule in _status_rules(_anchor(area)))
    first = header_row + 1
    if last_row >= first:
        status = CellRange(
            min_col=cols.status, min_row=first, max_col=cols.status, max_row=last_row
        )
        ours.extend((status.coord, rule) for rule in _status_rules(_anchor(status)))
        marked = " ".join(
            CellRange(min_col=c, min_row=first, max_col=c, max_row=last_row).coord
            for c in (cols.timescale, cols.due)
        )
        status_cell = f"${get_column_letter(cols.status)}{first}"
        due_cell = f"${get_column_letter(cols.due)}{first}"
        ours.append((marked, _overdue_rule(due_cell, status_cell)))
    replaced, kept = _replace_rules(ws, ours)
    dropdown = _replace_dropdown(ws, cols.status, first, last_row)
    return _Applied(
        rules=len(ours),
        replaced=replaced,
        owner_rules=kept,
        key_cells=key_cells,
        item_rows=max(0, last_row - header_row),
        dropdown=dropdown,
    )


def apply_status_formatting(
    ws: Worksheet, *, header_row: int, status_col: int, last_row: int
) -> None:
    """Only the Status colours and dropdown (rows below `header_row` to `last_row` of column
    `status_col`) and the key's colours above the header: for sheets with no due dates and no
    as-of date, such as a lead's copy."""
    ours: list[tuple[str, Rule]] = []
    for area in _key_areas(ws, header_row):
        ours.extend((area.coord, rule) for rule in _status_rules(_anchor(area)))
    first = header_row + 1
    if last_row >= first:
        status = CellRange(min_col=status_col, min_row=first, max_col=status_col, max_row=last_row)
        ours.extend((status.coord, rule) for rule in _status_rules(_anchor(status)))
    _replace_rules(ws, ours)
    _replace_dropdown(ws, status_col, first, last_row)


def _anchor(area: CellRange) -> str:
    """The cell a rule's formula is written for: the range's top-left, column fixed."""
    return f"${get_column_letter(area.min_col)}{area.min_row}"


def _key_areas(ws: Worksheet, header_row: int) -> Iterator[CellRange]:
    """The RAG key's code cells above the header, as runs of adjacent cells down a column."""
    found: dict[int, list[int]] = {}
    for row in ws.iter_rows(min_row=1, max_row=header_row - 1):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip().upper() in RAG_CODES:
                found.setdefault(cell.column, []).append(cell.row)
    for col, rows in sorted(found.items()):
        start = prev = rows[0]
        for r in [*rows[1:], None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            yield CellRange(min_col=col, min_row=start, max_col=col, max_row=prev)
            if r is not None:
                start = prev = r


def _is_ours(sqref: object, rule: Rule) -> bool:
    if rule.type != "expression" or not rule.formula:
        return False
    formula = rule.formula[0]
    if _OVERDUE_SHAPE.match(formula):
        return True
    ranges = list(getattr(sqref, "ranges", ()))
    if len(ranges) != 1:
        return False
    anchor = _anchor(ranges[0])
    return any(formula == status_test(anchor, status) for status in RAG_KEY)


def _replace_rules(ws: Worksheet, ours: list[tuple[str, Rule]]) -> tuple[int, int]:
    """Put our rules first (so no owner rule with stop-if-true can hide a RAG colour), then
    everyone else's in their old order; return (rules of ours dropped, other rules kept)."""
    old: list[tuple[ConditionalFormatting, Rule]] = [
        (cf, rule) for cf in ws.conditional_formatting for rule in cf.rules
    ]
    dropped = [pair for pair in old if _is_ours(pair[0].sqref, pair[1])]
    others = sorted(
        (pair for pair in old if not _is_ours(pair[0].sqref, pair[1])),
        key=lambda pair: pair[1].priority or 0,
    )
    fresh = ConditionalFormattingList()
    priority = 0
    for sqref, rule in ours:
        priority += 1
        rule.priority = priority
        fresh.add(sqref, rule)
    for cf, rule in others:
        priority += 1
        rule.priority = priority
        fresh.add(ConditionalFormatting(sqref=str(cf.sqref), pivot=cf.pivot), rule)
    ws.conditional_formatting = fresh
    return len(dropped), len(others)


def _is_our_dropdown(dv: DataValidation) -> bool:
    return (
        dv.type == "list" and dv.formula1 == DROPDOWN_LIST and dv.errorTitle == DROPDOWN_ERROR_TITLE
    )


def _replace_dropdown(ws: Worksheet, status_col: int, first: int, last: int) -> bool:
    keep = [dv for dv in ws.data_validations.dataValidation if not _is_our_dropdown(dv)]
    ws.data_validations.dataValidation = keep
    if last < first:
        return False
    dv = DataValidation(
        type="list",
        formula1=DROPDOWN_LIST,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=DROPDOWN_ERROR_TITLE,
        error=DROPDOWN_ERROR,
    )
    dv.add(CellRange(min_col=status_col, min_row=first, max_col=status_col, max_row=last).coord)
    ws.add_data_validation(dv)
    return True


# --- The as-of date ---------------------------------------------------------------------------


def ensure_as_of_name(wb: Workbook, *, as_of: dt.date | None = None) -> None:
    """Point the workbook name `AsOfDate` at the value cell of the `Settings` sheet's "As-of date"
    row, adding the sheet or the row when missing and repairing a name that points elsewhere.

    `as_of`, when given, is written into that cell (a board pack's --as-of); otherwise the cell is
    left as the owner set it - blank means the overdue rule compares with today.
    """
    settings = _settings_sheet(wb)
    row = _as_of_row(settings)
    value = settings.cell(row, 2)
    if as_of is not None:
        value.value = as_of
    value.number_format = layout.DATE_FORMAT
    title = settings.title.replace("'", "''")
    target = f"'{title}'!$B${row}"
    # a sheet-level AsOfDate would hide the workbook's on that sheet
    for ws in wb.worksheets:
        if AS_OF_NAME in ws.defined_names:
            del ws.defined_names[AS_OF_NAME]
    if AS_OF_NAME in wb.defined_names:
        if wb.defined_names[AS_OF_NAME].attr_text == target:
            return
        del wb.defined_names[AS_OF_NAME]
    wb.defined_names[AS_OF_NAME] = DefinedName(AS_OF_NAME, attr_text=target)


def _settings_sheet(wb: Workbook) -> Worksheet:
    for ws in wb.worksheets:
        if _loose(ws.title) == _loose(SHEET_SETTINGS):
            return ws
    ws = wb.create_sheet(SHEET_SETTINGS)
    for i, title in enumerate(SETTINGS_COLUMNS, 1):
        ws.cell(1, i, title).font = layout.BOLD_FONT
    return ws


def _as_of_row(ws: Worksheet) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if _loose(row[0].value) == _loose(SETTING_AS_OF):
            return row[0].row
    row_n = ws.max_row + 1
    key = ws.cell(row_n, 1, SETTING_AS_OF)
    key.font = layout.BODY_FONT
    key.alignment = layout.TOP_LEFT
    ws.cell(row_n, 2).alignment = layout.TOP_LEFT
    return row_n


def as_of_value(wb: Workbook) -> dt.date | None:
    """The date the `AsOfDate` cell holds, or None (blank or not a date: the rules use today)."""
    if AS_OF_NAME not in wb.defined_names:
        return None
    for title, coord in wb.defined_names[AS_OF_NAME].destinations:
        if title in wb.sheetnames:
            value = wb[title][coord.replace("$", "")].value
            if isinstance(value, dt.datetime):
                return value.date()
            if isinstance(value, dt.date):
                return value
    return None


# --- The master file --------------------------------------------------------------------------


@dataclass(frozen=True)
class RagReport:
    """What `rag_master` did to a master."""

    path: Path
    first_row: int  # first and last Excel rows the Status rules cover
    last_row: int
    items: int  # item rows among them
    rules: int  # conditional-format rules of ours now on the sheet
    replaced_rules: int  # earlier rules of ours replaced by these
    owner_rules: int  # other rules, left as they were
    key_cells: int  # RAG key code cells coloured by the same rules
    dropdown: bool
    due_dates: int  # items whose time-scale names a due date
    due_refreshed: int  # Due cells whose value changed
    due_column_added: bool
    as_of: dt.date | None  # None: the overdue rule compares with today

    def summary(self) -> str:
        """One line for a person."""
        against = f"{self.as_of:%d %b %Y}" if self.as_of else "today (Settings has no As-of date)"
        added = "; added the Due column" if self.due_column_added else ""
        return (
            f"RAG formatting applied to {self.path.name}: {self.items} items "
            f"(rows {self.first_row}-{self.last_row}), {self.rules} rules "
            f"({self.replaced_rules} replaced, {self.owner_rules} of the owner's kept), "
            f"Status dropdown; {self.due_refreshed} Due dates changed "
            f"({self.due_dates} items have one)"
            f"{added}; overdue against {against}"
        )


def rag_master(path: Path) -> RagReport:
    """(Re)apply the RAG formatting to the master at `path`; see `_rag_master`. One writer at a
    time: a merge or watch writing the same master is waited for."""
    from workbook.xlsx.files import writer_lock

    _check_master_file(Path(path))
    with writer_lock(Path(path)):
        return _rag_master(path)


def _rag_master(path: Path) -> RagReport:
    """Apply or repair the RAG formatting of the master at `path`: refresh each item's Due date from
    its Time-scale, (re)apply the rules and the dropdown, and save the file atomically.

    Raises MasterError (one line: what is wrong and how to fix it) when the file cannot be used.
    """
    path = Path(path)
    _check_master_file(path)
    wb = _load(path)
    ws = _plan_sheet(wb, path)
    header_row = _header_row(ws, path)
    cols = plan_sheet_columns(ws, header_row)
    added = _ensure_due_column(ws, header_row, cols, path)
    last_row = _last_plan_row(ws, header_row)
    due_dates, refreshed = refresh_due_dates(ws, header_row=header_row, last_row=last_row)
    ensure_as_of_name(wb)
    applied = _apply(ws, header_row=header_row, last_row=last_row)
    try:
        save_atomically(wb, path)
    except PermissionError as e:
        raise MasterError(
            f"cannot write {path} ({e.strerror}); close it in Excel or check you may change it, "
            "then run again"
        ) from e
    return RagReport(
        path=path,
        first_row=header_row + 1,
        last_row=last_row,
        items=sum(1 for _ in _item_rows(ws, header_row, last_row)),
        rules=applied.rules,
        replaced_rules=applied.replaced,
        owner_rules=applied.owner_rules,
        key_cells=applied.key_cells,
        dropdown=applied.dropdown,
        due_dates=due_dates,
        due_refreshed=refreshed,
        due_column_added=added,
        as_of=as_of_value(wb),
    )


def refresh_due_dates(ws: Worksheet, *, header_row: int, last_row: int) -> tuple[int, int]:
    """Set each item's Due cell to the date its Time-scale names now; return (items with a due
    date, Due cells changed). Section rows are left alone."""
    cols = plan_sheet_columns(ws, header_row)
    with_due = changed = 0
    for row in _item_rows(ws, header_row, last_row):
        due = due_date(ws.cell(row, cols.timescale).value)
        cell = ws.cell(row, cols.due)
        if due is not None:
            with_due += 1
        if _as_date(cell.value) != due:
            changed += 1
        write_due_cell(cell, due)
    return with_due, changed


def _item_rows(ws: Worksheet, header_row: int, last_row: int) -> Iterator[int]:
    """Rows holding an item: anything beyond column A filled (a section row has only its name)."""
    width = len(PLAN_COLUMNS)
    for row in ws.iter_rows(min_row=header_row + 1, max_row=last_row, max_col=width):
        if any(_filled(c.value) for c in row[1:]):
            yield row[0].row


def _last_plan_row(ws: Worksheet, header_row: int) -> int:
    last = header_row
    for row in ws.iter_rows(min_row=header_row + 1, max_col=len(PLAN_COLUMNS)):
        if any(_filled(c.value) for c in row):
            last = row[0].row
    return last


def _ensure_due_column(ws: Worksheet, header_row: int, cols: PlanSheetColumns, path: Path) -> bool:
    """Add the Due column to a master written before it existed; True when added."""
    title = ws.cell(header_row, cols.due).value
    if _loose(title) == _loose(DUE_COLUMN.title):
        return False
    letter = get_column_letter(cols.due)
    if any(_filled(c.value) for c in ws[letter][header_row - 1 :]):
        raise MasterError(
            f"{path}: the '{SHEET_PLAN}' sheet has no '{DUE_COLUMN.title}' column and column "
            f"{letter}, right of Status, is in use; move what is in column {letter} elsewhere and "
            "run `actionplan rag` again"
        )
    write_due_header(ws.cell(header_row, cols.due))
    ws.column_dimensions[letter].width = DUE_COLUMN.width
    _widen_section_rows(ws, header_row, cols.status, cols.due)
    name = ws.parent.defined_names.get(HEADER_ROW_NAME)
    if name is not None:
        title_q = ws.title.replace("'", "''")
        name.attr_text = f"'{title_q}'!$A${header_row}:${letter}${header_row}"
    return True


def _widen_section_rows(ws: Worksheet, header_row: int, old_last: int, new_last: int) -> None:
    """Section rows span the whole table, so stretch their merge over the new column."""
    for merged in list(ws.merged_cells.ranges):
        bounds = merged.bounds  # (min_col, min_row, max_col, max_row)
        if bounds[1] > header_row and bounds[1] == bounds[3] and bounds[2] == old_last:
            ws.merged_cells.remove(merged)
            cell = ws.cell(bounds[1], new_last)
            cell.fill = layout.SECTION_FILL
            cell.border = layout.THIN_BORDER
            ws.merge_cells(
                start_row=bounds[1], start_column=bounds[0], end_row=bounds[3], end_column=new_last
            )


def _check_master_file(path: Path) -> None:
    from workbook.master.read import check_master_file
    from workbook.xlsx.files import open_lock

    if path.suffix.lower() != ".xlsx":
        raise MasterError(
            f"{path} is not an .xlsx workbook; the master is saved as 'Excel Workbook (*.xlsx)'"
        )
    if lock := open_lock(path):
        raise MasterError(
            f"{path} is open in Excel or LibreOffice ({lock.name} exists); close it there and "
            "run again"
        )
    check_master_file(path)


def _load(path: Path) -> Workbook:
    try:
        # rich_text keeps the findings' italics through the save
        return load_workbook(path, rich_text=True)
    except Exception as e:  # any failure inside openpyxl means the file is not a usable xlsx
        raise MasterError(
            f"{path} could not be read as an Excel workbook ({type(e).__name__}: {e}); "
            "open it in Excel and save it again as .xlsx"
        ) from e


def _plan_sheet(wb: Workbook, path: Path) -> Worksheet:
    for ws in wb.worksheets:
        if _loose(ws.title) == _loose(SHEET_PLAN):
            return ws
    names = ", ".join(repr(n) for n in wb.sheetnames)
    raise MasterError(
        f"{path}: no '{SHEET_PLAN}' sheet (sheets: {names}); if the plan sheet was renamed, "
        f"rename it back to '{SHEET_PLAN}'"
    )


def _header_row(ws: Worksheet, path: Path) -> int:
    header = find_header_row([list(r) for r in ws.iter_rows(values_only=True)])
    if header is None:
        raise MasterError(
            f"{path}: no header row on the '{SHEET_PLAN}' sheet; the row above the first section "
            "needs 'Ref' in column A and 'Action' in column C"
        )
    return header + 1


def _loose(value: object) -> str:
    return " ".join(str(value or "").split()).casefold()


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None

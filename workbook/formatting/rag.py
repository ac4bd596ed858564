"""RAG formatting of a plan sheet: Status cells coloured by the RAG key, overdue time-scales marked,
and a Status dropdown, all as spreadsheet rules rather than static fills.

Rules, because a status someone types later (a lead in their copy, the owner in the master, a board
member trying "what if") must take its colour at once in Excel or LibreOffice with no add-in, and
because the key and the statuses then cannot disagree: both are coloured by the same rules.

The colours, the spellings each rule tests and the dropdown's list come from the plan's own key
(the master's `RAG key` sheet, `Plan.rag_key`), so a cell is coloured as the key reads it.

Our rules are recognised by their shape - a status test of the cell at the top left of their range
(Excel and LibreOffice shift range and formula together when rows are inserted), or the overdue
test - whatever key wrote them, so applying again after the owner changed the key replaces them and
leaves an owner's own rules and validations alone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.formatting import ConditionalFormatting, ConditionalFormattingList
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Color, Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from workbook.errors import MasterError
from workbook.formatting import layout, sizes
from workbook.master.edit import editing_master
from workbook.master.editor import Editor
from workbook.master.rag_key import key_from_sheets
from workbook.master.read import (
    find_header_row,
    no_header_row,
    plan_column_indexes,
    plan_rows,
    year_of_plan,
)
from workbook.master.settings import SETTING_AS_OF, SETTINGS_COLUMNS, document_columns
from workbook.master.sheets import (
    DUE_COLUMN,
    HEADER_ROW_NAME,
    SHEET_PLAN,
    SHEET_SETTINGS,
)
from workbook.plan.status import RagKey
from workbook.plan.timescales import due_date
from workbook.xlsx.cells import Grid, at, cell_date, loose
from workbook.xlsx.formats import FormatRule, FormatsApplied, ListValidation, SheetFormats
from workbook.xlsx.read import sheet, sheet_name

#: Workbook-level name of the `Settings` cell holding the as-of date the overdue rule compares with.
#: A name, because Excel does not let a conditional format refer to another sheet directly.
AS_OF_NAME = "AsOfDate"

#: Overdue time-scales: Excel's own "light red fill with dark red text", so it reads as a warning
#: and cannot be mistaken for a RED status (solid FF0000).
OVERDUE_FILL = "FFC7CE"
OVERDUE_FONT = "9C0006"

#: Our Status dropdown is told from an owner's validations by this title on a list.
DROPDOWN_ERROR_TITLE = "RAG status"
#: The most characters Excel shows of a validation's error message.
DROPDOWN_ERROR_LIMIT = 255


def dropdown_error(key: RagKey) -> str:
    """What the Status dropdown says to a value not in `key`: each code with its meaning, or the
    codes alone when that is longer than Excel shows."""
    text = f"Status must be one of {key.described()}, or left blank."
    if len(text) > DROPDOWN_ERROR_LIMIT:
        text = f"Status must be one of {key.choices}, or left blank."
    return text[:DROPDOWN_ERROR_LIMIT]


_OVERDUE_SHAPE = re.compile(
    r"^AND\(ISNUMBER\(\$[A-Z]{1,3}\d+\),\$[A-Z]{1,3}\d+<IF\(ISNUMBER\("
    + AS_OF_NAME
    + r"\),"
    + AS_OF_NAME
    + r",TODAY\(\)\),NOT\("
)
_TOP_LEFT = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
#: A status rule of ours, whatever key wrote it: UPPER(TRIM(cell))="SPELLING" tests of one cell,
#: one alone or several in OR(...).
_TEST = r'UPPER\(TRIM\((\$[A-Z]{1,3}\d+)\)\)="(?:[^"]|"")*"'
_MORE = r',UPPER\(TRIM\(\1\)\)="(?:[^"]|"")*"'
_STATUS_SHAPES = (re.compile(rf"^{_TEST}$"), re.compile(rf"^OR\({_TEST}(?:{_MORE})*\)$"))


# --- Formulas ---------------------------------------------------------------------------------


def status_aliases(key: RagKey, code: str) -> tuple[str, ...]:
    """What the rules colour as `code` once case and spacing are set aside: exactly the
    spellings the key reads as that status (RagKey.normalise)."""
    return key.spellings(code)


def status_test(cell: str, key: RagKey, *codes: str) -> str:
    """Formula true when `cell` (e.g. "$G12") holds one of `codes` as `key` reads it, ignoring
    case and spacing as TRIM does (ends trimmed, inner runs of spaces made one); FALSE for no
    codes."""
    value = f"UPPER(TRIM({cell}))"
    quoted = (alias.replace('"', '""') for code in codes for alias in status_aliases(key, code))
    tests = [f'{value}="{alias}"' for alias in quoted]
    if not tests:
        return "FALSE"
    return tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"


def overdue_test(due_cell: str, status_cell: str, key: RagKey) -> str:
    """Formula true when the item's due date is before the as-of date (today when Settings has
    none) and its status is not one the key says is complete."""
    as_of = f"IF(ISNUMBER({AS_OF_NAME}),{AS_OF_NAME},TODAY())"
    done = status_test(status_cell, key, *key.complete)
    return f"AND(ISNUMBER({due_cell}),{due_cell}<{as_of},NOT({done}))"


# --- The rules, as data -----------------------------------------------------------------------


@dataclass(frozen=True)
class SheetLayout:
    """Where a plan sheet's RAG rules go: 1-based columns, Excel rows."""

    header_row: int
    last_row: int  # the last section or item row (header_row when there are none)
    status: int
    key_areas: tuple[str, ...] = ()  # the RAG key's code cells above the header ("A5:A8")
    timescale: int | None = None  # with `due`, the overdue mark; None on a lead's copy
    due: int | None = None

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    def column(self, col: int) -> str:
        """The rows below the header in column `col` ("G11:G42")."""
        return _area(col, self.first_row, self.last_row)


def rag_formats(sheet_layout: SheetLayout, key: RagKey) -> SheetFormats:
    """Every RAG rule and dropdown of a plan sheet, by the plan's `key`: each Status colour (on
    the Status cells and on the key's code cells), the overdue mark on Time-scale and Due, the
    Status dropdown offering the key's codes. The same data for every writer: openpyxl, the
    master's patch, Excel through the add-in."""
    lay = sheet_layout
    rules: list[FormatRule] = []
    for area in lay.key_areas:
        rules.extend(_status_rules((area,), key))
    dropdowns: tuple[ListValidation, ...] = ()
    if lay.last_row >= lay.first_row:
        status = lay.column(lay.status)
        rules.extend(_status_rules((status,), key))
        if lay.timescale is not None and lay.due is not None:
            status_cell = f"${get_column_letter(lay.status)}{lay.first_row}"
            due_cell = f"${get_column_letter(lay.due)}{lay.first_row}"
            rules.append(
                FormatRule(
                    ranges=(lay.column(lay.timescale), lay.column(lay.due)),
                    formula=overdue_test(due_cell, status_cell, key),
                    fill=OVERDUE_FILL,
                    font=OVERDUE_FONT,
                    stop_if_true=False,
                )
            )
        dropdowns = (
            ListValidation(
                range=status,
                values=key.codes,
                error_title=DROPDOWN_ERROR_TITLE,
                error=dropdown_error(key),
            ),
        )
    return SheetFormats(tuple(rules), dropdowns, is_our_rule, is_our_dropdown)


def _status_rules(ranges: tuple[str, ...], key: RagKey) -> list[FormatRule]:
    anchor = _anchor(ranges[0])
    return [
        FormatRule(
            ranges=ranges,
            formula=status_test(anchor, key, status.code),
            fill=status.fill,
            font=status.font,
            stop_if_true=True,
        )
        for status in key
    ]


def is_our_rule(sqref: str, formula: str) -> bool:
    """Whether an expression rule over `sqref` with `formula` is one of ours: a status test of
    its range's top-left cell (Excel moves a rule's range and formula together, so a rule shifted
    by rows inserted above is still recognised), whichever key wrote it, or the overdue test."""
    if _OVERDUE_SHAPE.match(formula):
        return True
    ranges = sqref.split()
    if len(ranges) != 1 or _TOP_LEFT.match(ranges[0]) is None:
        return False
    anchor = _anchor(ranges[0])
    return any((m := shape.match(formula)) and m[1] == anchor for shape in _STATUS_SHAPES)


def is_our_dropdown(kind: str | None, formula: str | None, error_title: str | None) -> bool:
    """Whether a validation is our Status dropdown: a list of values with our title (whichever
    key's codes it lists)."""
    return (
        kind == "list"
        and formula is not None
        and formula.startswith('"')
        and error_title == DROPDOWN_ERROR_TITLE
    )


def _anchor(area: str) -> str:
    """The cell a rule's formula is written for: the range's top-left, column fixed."""
    match = _TOP_LEFT.match(area)
    assert match is not None, area
    return f"${match.group(1).upper()}{match.group(2)}"


def _area(col: int, first: int, last: int) -> str:
    letter = get_column_letter(col)
    return f"{letter}{first}" if first == last else f"{letter}{first}:{letter}{last}"


def key_areas(grid: Grid, header_row: int, key: RagKey) -> tuple[str, ...]:
    """The RAG key's code cells above the header (Excel row `header_row`): cells holding one of
    `key`'s codes, as runs of adjacent cells down a column."""
    found: dict[int, list[int]] = {}
    for r, row in enumerate(grid[: header_row - 1], 1):
        for c, value in enumerate(row, 1):
            if isinstance(value, str) and " ".join(value.split()).upper() in key.codes:
                found.setdefault(c, []).append(r)
    areas = []
    for col, rows in sorted(found.items()):
        start = prev = rows[0]
        for n in rows[1:]:
            if n != prev + 1:
                areas.append(_area(col, start, prev))
                start = n
            prev = n
        areas.append(_area(col, start, prev))
    return tuple(areas)


# --- Applying with openpyxl (workbooks written new) --------------------------------------------


@dataclass(frozen=True)
class PlanSheetColumns:
    """1-based columns of a plan sheet the formatting uses, found by their titles."""

    timescale: int
    status: int
    due: int


def plan_sheet_columns(
    header: Sequence[object], document: Sequence[tuple[str, str]] = ()
) -> PlanSheetColumns:
    """Where Time-scale, Status and Due are in a plan sheet's header row, by title; the master's
    places for a title that was edited, and Due right after Status when it has none."""
    idx = plan_column_indexes(header, document)
    due = next((i for i, v in enumerate(header) if loose(v) == loose(DUE_COLUMN.title)), None)
    return PlanSheetColumns(
        timescale=idx["timescale"] + 1,
        status=idx["status"] + 1,
        due=(due if due is not None else idx["status"] + 1) + 1,
    )


def apply_rag_formatting(
    ws: Worksheet,
    *,
    header_row: int,
    last_row: int,
    key: RagKey,
    document: Sequence[tuple[str, str]] = (),
) -> None:
    """Give a plan sheet written with openpyxl (PLAN_COLUMNS then DUE_COLUMN, header at
    `header_row`, section and item rows down to `last_row`) its RAG rules by the plan's `key`
    (see rag_formats).

    Idempotent: earlier rules and dropdown of ours are replaced, anyone else's are kept. Also makes
    sure the workbook has the `AsOfDate` name the overdue rule reads (see ensure_as_of_name).
    """
    if ws.parent is not None and AS_OF_NAME not in ws.parent.defined_names:
        ensure_as_of_name(ws.parent)
    grid = _values(ws, header_row)
    cols = plan_sheet_columns(grid[header_row - 1], document)
    lay = SheetLayout(
        header_row=header_row,
        last_row=last_row,
        status=cols.status,
        key_areas=key_areas(grid, header_row, key),
        timescale=cols.timescale,
        due=cols.due,
    )
    apply_formats(ws, rag_formats(lay, key))


def apply_status_formatting(
    ws: Worksheet, *, header_row: int, status_col: int, last_row: int, key: RagKey
) -> None:
    """Only the Status colours and dropdown by the plan's `key` (rows below `header_row` to
    `last_row` of column `status_col`) and the key's colours above the header: for sheets with
    no due dates and no as-of date, such as a lead's copy."""
    lay = SheetLayout(
        header_row=header_row,
        last_row=last_row,
        status=status_col,
        key_areas=key_areas(_values(ws, header_row), header_row, key),
    )
    apply_formats(ws, rag_formats(lay, key))


def _values(ws: Worksheet, header_row: int) -> list[list[object]]:
    return [list(r) for r in ws.iter_rows(max_row=header_row, values_only=True)]


def apply_formats(ws: Worksheet, formats: SheetFormats) -> FormatsApplied:
    """Put `formats` on an openpyxl sheet: ours first (so no owner rule with stop-if-true can hide
    a RAG colour), then everyone else's in their old order; dropdowns of ours replaced."""
    old: list[tuple[ConditionalFormatting, Rule]] = [
        (cf, rule) for cf in ws.conditional_formatting for rule in cf.rules
    ]

    def ours(cf: ConditionalFormatting, rule: Rule) -> bool:
        formula = rule.formula[0] if rule.formula else None
        return (
            rule.type == "expression"
            and formula is not None
            and formats.is_ours(str(cf.sqref), formula)
        )

    dropped = [pair for pair in old if ours(*pair)]
    others = sorted(
        (pair for pair in old if not ours(*pair)), key=lambda pair: pair[1].priority or 0
    )
    fresh = ConditionalFormattingList()
    priority = 0
    for rule in formats.rules:
        priority += 1
        fresh.add(rule.sqref, _openpyxl_rule(rule, priority))
    for cf, kept in others:
        priority += 1
        kept.priority = priority
        fresh.add(ConditionalFormatting(sqref=str(cf.sqref), pivot=cf.pivot), kept)
    ws.conditional_formatting = fresh

    ws.data_validations.dataValidation = [
        dv
        for dv in ws.data_validations.dataValidation
        if not formats.is_our_dropdown(dv.type, dv.formula1, dv.errorTitle)
    ]
    for dropdown in formats.dropdowns:
        dv = DataValidation(
            type="list",
            formula1=dropdown.formula,
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle=dropdown.error_title,
            error=dropdown.error,
        )
        dv.add(dropdown.range)
        ws.add_data_validation(dv)
    return FormatsApplied(replaced=len(dropped), kept=len(others))


def _openpyxl_rule(rule: FormatRule, priority: int) -> Rule:
    # Excel writes a conditional fill's colour as bgColor, yet a solid pattern is drawn in
    # fgColor; both set to the key's colour leaves no reader a choice to get wrong.
    colour = Color(rgb="FF" + rule.fill)
    style = DifferentialStyle(
        font=Font(bold=rule.bold, color=Color(rgb="FF" + rule.font)),
        fill=PatternFill(fill_type="solid", start_color=colour, end_color=colour),
    )
    out = Rule(type="expression", formula=[rule.formula], dxf=style, stopIfTrue=rule.stop_if_true)
    out.priority = priority
    return out


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
    value.number_format = sizes.DATE_FORMAT
    target = _as_of_target(settings.title, row)
    # a sheet-level AsOfDate would hide the workbook's on that sheet
    for ws in wb.worksheets:
        if AS_OF_NAME in ws.defined_names:
            del ws.defined_names[AS_OF_NAME]
    if AS_OF_NAME in wb.defined_names:
        if wb.defined_names[AS_OF_NAME].attr_text == target:
            return
        del wb.defined_names[AS_OF_NAME]
    wb.defined_names[AS_OF_NAME] = DefinedName(AS_OF_NAME, attr_text=target)


def _as_of_target(settings_title: str, row: int) -> str:
    return f"{_quoted(settings_title)}!$B${row}"


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _settings_sheet(wb: Workbook) -> Worksheet:
    for ws in wb.worksheets:
        if loose(ws.title) == loose(SHEET_SETTINGS):
            return ws
    ws = wb.create_sheet(SHEET_SETTINGS)
    for i, title in enumerate(SETTINGS_COLUMNS, 1):
        ws.cell(1, i, title).font = layout.BOLD_FONT
    return ws


def _as_of_row(ws: Worksheet) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if loose(row[0].value) == loose(SETTING_AS_OF):
            return row[0].row
    row_n = ws.max_row + 1
    key = ws.cell(row_n, 1, SETTING_AS_OF)
    key.font = layout.BODY_FONT
    key.alignment = layout.TOP_LEFT
    ws.cell(row_n, 2).alignment = layout.TOP_LEFT
    return row_n


# --- An existing master: what changes, applied through an Editor -----------------------------


@dataclass(frozen=True)
class RagChanges:
    """What (re)applying the RAG formatting changes in a master, decided from its sheets' values
    alone; `apply_rag_changes` writes it through either editor (the file, or Excel)."""

    plan_sheet: str
    header_row: int
    last_row: int
    columns: PlanSheetColumns
    add_due_column: bool
    item_rows: tuple[int, ...]
    section_rows: tuple[int, ...]
    due_dates: tuple[tuple[int, dt.date | None], ...]  # Due cells to write: (Excel row, date)
    with_due: int  # items whose time-scale names a due date
    refreshed: int  # Due cells whose value changes
    formats: SheetFormats
    settings_sheet: str
    as_of_row: int  # the Settings row holding the as-of date
    add_as_of_row: bool
    as_of: dt.date | None  # None: the overdue rule compares with today

    key_areas: tuple[str, ...]

    @property
    def items(self) -> int:
        return len(self.item_rows)

    @property
    def key_cells(self) -> int:
        """The RAG key's code cells coloured by the same rules as the statuses."""
        return sum(_rows_in(area) for area in self.key_areas)


def _rows_in(area: str) -> int:
    first, _, last = area.partition(":")
    top, bottom = _TOP_LEFT.match(first), _TOP_LEFT.match(last or first)
    assert top is not None and bottom is not None
    return int(bottom.group(2)) - int(top.group(2)) + 1


def rag_changes(sheets: Mapping[str, Grid]) -> RagChanges:
    """What the RAG formatting of the master held in `sheets` (grids of values) needs: each
    item's Due date from its Time-scale, the Due column on a master written before it existed,
    the Settings row and name of the as-of date, and the rules by the key on its `RAG key` sheet
    (the default key when it has none; see rag_formats).

    Raises MasterError (one line: what is wrong and how to fix it) when the sheets cannot take it.
    """
    plan_sheet = sheet_name(list(sheets), SHEET_PLAN) or SHEET_PLAN
    grid = sheets.get(plan_sheet) or ()
    header = find_header_row(grid)
    if header is None:
        raise no_header_row()
    header_row = header + 1
    head = grid[header]
    document = document_columns(sheets)
    cols = plan_sheet_columns(head, document)
    add_due = loose(at(head, cols.due - 1)) != loose(DUE_COLUMN.title)
    if add_due and any(_filled(at(row, cols.due - 1)) for row in grid[header:]):
        letter = get_column_letter(cols.due)
        raise MasterError(
            f"the '{SHEET_PLAN}' sheet has no '{DUE_COLUMN.title}' column and column "
            f"{letter}, right of Status, is in use; move what is in column {letter} elsewhere and "
            "run `actionplan rag` again"
        )
    rows = plan_rows(grid, document)
    year = year_of_plan(sheets)
    items = [r for r in rows if not r.is_section]
    last_row = max((r.excel_row for r in rows), default=header_row)
    due_dates: list[tuple[int, dt.date | None]] = []
    with_due = refreshed = 0
    for item in items:
        due = due_date(item.values["timescale"], year=year)
        old = _as_date(at(grid[item.excel_row - 1], cols.due - 1))
        with_due += due is not None
        refreshed += old != due
        if add_due or old != due:
            due_dates.append((item.excel_row, due))
    settings_name = sheet_name(list(sheets), SHEET_SETTINGS) or SHEET_SETTINGS
    settings = sheet(sheets, SHEET_SETTINGS) or ()
    as_of_row = next(
        (r for r, row in enumerate(settings, 1) if loose(at(row, 0)) == loose(SETTING_AS_OF)),
        None,
    )
    as_of_value = at(settings[as_of_row - 1], 1) if as_of_row else None
    key = key_from_sheets(sheets)
    areas = key_areas(grid, header_row, key)
    lay = SheetLayout(
        header_row=header_row,
        last_row=last_row,
        status=cols.status,
        key_areas=areas,
        timescale=cols.timescale,
        due=cols.due,
    )
    return RagChanges(
        plan_sheet=plan_sheet,
        header_row=header_row,
        last_row=last_row,
        columns=cols,
        add_due_column=add_due,
        item_rows=tuple(r.excel_row for r in items),
        section_rows=tuple(r.excel_row for r in rows if r.is_section),
        due_dates=tuple(due_dates),
        with_due=with_due,
        refreshed=refreshed,
        formats=rag_formats(lay, key),
        settings_sheet=settings_name,
        as_of_row=as_of_row or max(_last_filled(settings), 1) + 1,
        add_as_of_row=as_of_row is None,
        as_of=_as_date(as_of_value),
        key_areas=areas,
    )


def apply_rag_changes(editor: Editor, changes: RagChanges) -> FormatsApplied:
    """Write `changes` through `editor`: the master's patch (`MasterEdit`) or Excel
    (`xl_addin.live.LiveEdit`). Returns what was found of earlier rules."""
    cols = changes.columns
    if changes.add_due_column:
        editor.add_plan_column(
            changes.header_row,
            cols.due - 1,
            DUE_COLUMN.title,
            DUE_COLUMN.width,
            item_rows=changes.item_rows,
            section_rows=changes.section_rows,
        )
        last = get_column_letter(cols.due)
        h = changes.header_row
        editor.set_name(HEADER_ROW_NAME, changes.plan_sheet, f"$A${h}:${last}${h}")
    editor.set_dates(changes.plan_sheet, cols.due - 1, changes.due_dates)
    if changes.add_as_of_row:
        editor.append(SHEET_SETTINGS, SETTINGS_COLUMNS, [(SETTING_AS_OF, None)])
        editor.set_dates(changes.settings_sheet, 1, [(changes.as_of_row, None)])
    editor.set_name(AS_OF_NAME, changes.settings_sheet, f"$B${changes.as_of_row}")
    return editor.apply_formats(changes.plan_sheet, changes.formats)


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
    backup: Path | None = None  # the master as it was, in backups/

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
    """Apply or repair the RAG formatting of the master at `path`: refresh each item's Due date
    from its Time-scale, (re)apply the rules and the dropdown, through the master's one write path
    (one writer at a time, refused while open in Excel, backed up, replaced atomically).

    Raises MasterError (one line: what is wrong and how to fix it) when the file cannot be used.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise MasterError(
            f"{path} is not an .xlsx workbook; the master is saved as 'Excel Workbook (*.xlsx)'"
        )
    with editing_master(path) as edit:
        try:
            changes = rag_changes(edit.snapshot.sheets)
        except MasterError as e:
            raise MasterError(f"{path}: {e}") from e
        applied = apply_rag_changes(edit, changes)
        backup = edit.commit()
    return RagReport(
        path=path,
        first_row=changes.header_row + 1,
        last_row=changes.last_row,
        items=changes.items,
        rules=len(changes.formats.rules),
        replaced_rules=applied.replaced,
        owner_rules=applied.kept,
        key_cells=changes.key_cells,
        dropdown=bool(changes.formats.dropdowns),
        due_dates=changes.with_due,
        due_refreshed=changes.refreshed,
        due_column_added=changes.add_due_column,
        as_of=changes.as_of,
        backup=backup,
    )


def _last_filled(grid: Grid) -> int:
    for r in range(len(grid), 0, -1):
        if any(_filled(v) for v in grid[r - 1]):
            return r
    return 0


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def _as_date(value: object) -> dt.date | None:
    """A date cell's date, however the reader gives it (a date, or Excel's serial number from the
    add-in); text is not a date here, whatever it says."""
    return None if isinstance(value, str) else cell_date(value)

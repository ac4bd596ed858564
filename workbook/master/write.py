"""Write a plan as the master workbook: the `Action Plan` sheet laid out like the document, plus the
`Leads`, `Updates`, `Changes`, `RAG key` and `Settings` sheets. The file is replaced atomically."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from workbook.formatting import layout, sizes
from workbook.formatting.layout import fit_to_page_width, write_due_cell, write_due_header
from workbook.formatting.rag import apply_rag_formatting, ensure_as_of_name
from workbook.master.rag_key import RAG_KEY_COLUMNS, rag_key_rows
from workbook.master.settings import PLAN_SETTINGS, SETTINGS_COLUMNS, document_order, settings_rows
from workbook.master.sheets import (
    CHANGES_COLUMNS,
    CHANGES_WIDTHS,
    DUE_COLUMN,
    HEADER_ROW_NAME,
    HIDDEN_COLUMNS,
    LEADS_COLUMNS,
    LEADS_WIDTHS,
    RAG_KEY_LABEL,
    RAG_KEY_WIDTHS,
    SETTINGS_WIDTHS,
    SHEET_CHANGES,
    SHEET_LEADS,
    SHEET_PLAN,
    SHEET_RAG_KEY,
    SHEET_SETTINGS,
    SHEET_UPDATES,
    UPDATES_COLUMNS,
    UPDATES_WIDTHS,
    PlanLayout,
    layout_of,
)
from workbook.plan.model import OTHER_ROLE, Item, Plan, Run
from workbook.plan.status import RagKey
from workbook.xlsx.cells import excel_escape, set_text
from workbook.xlsx.files import save_atomically


def write_master(plan: Plan, path: Path, *, settings: dict[str, object] | None = None) -> None:
    """Write `plan` as a master workbook at `path`, replacing any file there in one step.

    `settings` adds rows to the `Settings` sheet or sets the value of "Returns folder", "As-of date"
    or "Created"; the rows that hold the plan's own fields cannot be overridden.
    """
    settings = dict(settings or {})
    clash = [key for key in settings if key in PLAN_SETTINGS]
    if clash:
        raise ValueError(f"settings {clash} are taken from the plan itself; set them on the Plan")
    wb = build_master(plan, settings=settings)
    save_atomically(wb, Path(path))


def build_master(plan: Plan, *, settings: Mapping[str, object] | None = None) -> Workbook:
    """The master workbook for `plan`, in memory."""
    wb = Workbook()
    layout.use_body_font_as_default(wb)
    plan_ws = wb.active
    plan_ws.title = SHEET_PLAN
    header_row = write_plan_sheet(plan_ws, plan)
    last = get_column_letter(len(layout_of(plan).columns))
    wb.defined_names[HEADER_ROW_NAME] = DefinedName(
        HEADER_ROW_NAME, attr_text=f"'{SHEET_PLAN}'!$A${header_row}:${last}${header_row}"
    )
    _write_leads_sheet(wb.create_sheet(SHEET_LEADS), plan)
    _write_updates_sheet(wb.create_sheet(SHEET_UPDATES), plan)
    _write_list_sheet(
        wb.create_sheet(SHEET_CHANGES), CHANGES_COLUMNS, [], widths=CHANGES_WIDTHS, plan=plan
    )
    write_rag_key_sheet(wb.create_sheet(SHEET_RAG_KEY), plan.rag_key, plan=plan)
    _write_settings_sheet(wb.create_sheet(SHEET_SETTINGS), plan, settings or {})
    wb.active = 0  # printing the master prints the plan
    ensure_as_of_name(wb)
    apply_rag_formatting(
        plan_ws,
        header_row=header_row,
        last_row=plan_ws.max_row,
        key=plan.rag_key,
        document=document_order(plan),
    )
    return wb


# --- Action Plan sheet ------------------------------------------------------------------------


#: The Update column's title when it shows only each item's newest entry (the board pack), so a
#: reader does not take one entry for the whole history.
LATEST_UPDATE_TITLE = "Latest update"


def write_plan_sheet(ws: Worksheet, plan: Plan, *, latest_update_only: bool = False) -> int:
    """Lay out the title block, RAG key, header, sections and items; return the header row.

    The columns follow the document's order (`layout_of`). `latest_update_only` puts only each
    item's newest update in the Update column (titled "Latest update"), as the board pack shows
    it; the master keeps the whole history.
    """
    columns = layout_of(plan)
    for i, column in enumerate(columns.columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    _write_title_block(ws, plan)
    row = write_rag_key(ws, plan.rag_key, start=4)
    header_row = row + 2  # one blank row between key and header, as in the document
    _write_header(ws, header_row, columns, latest_update_only=latest_update_only)
    row = header_row + 1
    bands = []
    for section, items in sections_with_items(plan):
        if section:
            write_section_row(
                ws, row, section, columns=len(columns.columns), total_width=columns.width
            )
            bands.append(row)
            row += 1
        for item in items:
            _write_item_row(ws, row, item, columns, latest_update_only=latest_update_only)
            row += 1
    _set_print_layout(ws, plan, header_row)
    layout.break_pages(ws, header_row=header_row, bands=bands, width=columns.width)
    return header_row


def _write_title_block(ws: Worksheet, plan: Plan) -> None:
    lines = ((plan.title, layout.TITLE_FONT, 24), (plan.date_label, layout.SUBTITLE_FONT, 18))
    for row, (text, font, height) in enumerate(lines, 1):
        cell = ws.cell(row, 1)
        set_text(cell, text)
        cell.font = font
        ws.row_dimensions[row].height = height
    cell = ws.cell(3, 1)
    set_text(cell, plan.organisation)
    cell.font = layout.BOLD_FONT


def write_rag_key(ws: Worksheet, key: RagKey, *, start: int) -> int:
    """Write the plan's key from `start`, as the document shows it; return the last row used."""
    label = ws.cell(start, 1, RAG_KEY_LABEL)
    label.font = layout.BOLD_FONT
    row = start
    for status in key:
        row += 1
        code = ws.cell(row, 1)
        set_text(code, status.code)
        code.font = layout.rag_font(status)
        code.fill = layout.rag_fill(status)
        code.alignment = layout.CENTRE
        code.border = layout.THIN_BORDER
        meaning = ws.cell(row, 2)
        set_text(meaning, status.meaning)
        meaning.font = layout.BODY_FONT
        meaning.border = layout.THIN_BORDER
    return row


def _write_header(
    ws: Worksheet, row: int, columns: PlanLayout, *, latest_update_only: bool = False
) -> None:
    titles = [c.title for c in columns.columns]
    if latest_update_only:
        titles[columns.index("updates")] = LATEST_UPDATE_TITLE
    for i, (column, title) in enumerate(zip(columns.columns, titles, strict=True), 1):
        cell = ws.cell(row, i)
        if column.key == DUE_COLUMN.key:
            write_due_header(cell)
            continue
        set_text(cell, title)
        cell.font = layout.HEADER_FONT
        cell.fill = layout.HEADER_FILL
        cell.alignment = layout.HEADER_ALIGNMENT
        cell.border = layout.THIN_BORDER
    widths = [c.width for c in columns.columns]
    height = sizes.row_height_for(zip(titles, widths, strict=True), bold=True)
    ws.row_dimensions[row].height = height


def sections_with_items(plan: Plan) -> list[tuple[str, tuple[Item, ...]]]:
    """Sections in plan order with their items. Items outside the listed sections are still
    written (an unlisted section gets its own row at the end) so that no item is dropped."""
    order = list(dict.fromkeys(plan.sections))
    for item in plan.items:
        if item.section not in order:
            order.append(item.section)
    # Items with no section have no section row to sit under, so they go first.
    order.sort(key=lambda s: s != "")
    return [(s, plan.items_in(s)) for s in order]


def write_section_row(
    ws: Worksheet,
    row: int,
    section: str,
    *,
    columns: int,
    total_width: float,
) -> None:
    """A section heading across the first `columns` columns (merged), tall enough to show it."""
    for i in range(1, columns + 1):
        cell = ws.cell(row, i)
        cell.fill = layout.SECTION_FILL
        cell.border = layout.THIN_BORDER
    cell = ws.cell(row, 1)
    set_text(cell, section)
    cell.font = layout.SECTION_FONT
    cell.alignment = layout.SECTION_ALIGNMENT
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    lines = sizes.wrapped_lines(section, total_width, bold=True)
    ws.row_dimensions[row].height = max(18.0, sizes.height_for_lines(lines))


def _write_item_row(
    ws: Worksheet, row: int, item: Item, columns: PlanLayout, *, latest_update_only: bool = False
) -> None:
    texts = item_texts(item)
    if latest_update_only:
        texts["updates"] = item.updates[0].display if item.updates else ""
    others = dict(item.extra)
    shown: list[tuple[str, float]] = []
    for i, column in enumerate(columns.columns, 1):
        cell = ws.cell(row, i)
        if column.key == DUE_COLUMN.key:
            write_due_cell(cell, item.due)  # one short line, so it never sets the height
            continue
        if column.key == OTHER_ROLE:
            value: str | CellRichText = others.get(column.other, "")
        elif column.key == "finding":
            value = finding_value(item.finding)
        else:
            value = texts[column.key]
        if isinstance(value, CellRichText):
            cell.value = value
        else:
            set_text(cell, value)
        cell.font = layout.BODY_FONT
        centred = column.key in ("ref", "status", "lead", "timescale")
        cell.alignment = layout.WRAP_TOP_CENTRE if centred else layout.WRAP_TOP
        cell.border = layout.THIN_BORDER
        text = others.get(column.other, "") if column.key == OTHER_ROLE else texts[column.key]
        shown.append((text, column.width))
    ws.row_dimensions[row].height = sizes.row_height_for(shown)


def item_texts(item: Item) -> dict[str, str]:
    """The text of each plan column for `item`, keyed by column key."""
    return {
        "ref": item.ref,
        "finding": item.finding_text,
        "actions": item.actions_text,
        "lead": item.lead,
        "timescale": item.timescale,
        "updates": item.updates_text,
        "status": item.status,
    }


def finding_value(runs: tuple[Run, ...]) -> str | CellRichText:
    """A finding as a cell value: rich text when any run is italic, plain text otherwise.

    Every run carries the full font: a run with no font of its own shows in Excel's default
    (Calibri 11), not the cell's font.
    """
    if not any(r.italic for r in runs):
        return "".join(r.text for r in runs)
    return CellRichText(
        [
            TextBlock(
                InlineFont(rFont=sizes.FONT_NAME, sz=sizes.FONT_SIZE, i=r.italic),
                excel_escape(r.text),
            )
            for r in runs
            if r.text
        ]
    )


#: Excel's last row: a print area down to it takes in rows the owner adds below the plan.
_LAST_ROW = 1_048_576


def _set_print_layout(ws: Worksheet, plan: Plan, header_row: int) -> None:
    # Rows only: a merged section row cut by a frozen column shows clipped in Excel.
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    # whole columns: rows the owner adds later print too, the helper columns to the right do not
    ws.print_area = f"A1:{get_column_letter(len(layout_of(plan).columns))}{_LAST_ROW}"
    fit_to_page_width(ws)
    layout.set_footer(ws, plan.title)


# --- List sheets ------------------------------------------------------------------------------


def _write_leads_sheet(ws: Worksheet, plan: Plan) -> None:
    rows = [(lead.code, lead.name, lead.email) for lead in plan.leads]
    _write_list_sheet(ws, LEADS_COLUMNS, rows, widths=LEADS_WIDTHS, plan=plan)


def _write_updates_sheet(ws: Worksheet, plan: Plan) -> None:
    rows = [
        (item.ref, entry.date, entry.lead, entry.status, entry.display, entry.source)
        for item in plan.items
        for entry in item.updates
    ]
    _write_list_sheet(ws, UPDATES_COLUMNS, rows, widths=UPDATES_WIDTHS, plan=plan)


def _write_list_sheet(
    ws: Worksheet,
    columns: tuple[str, ...],
    rows: Iterable[tuple[object, ...]],
    *,
    widths: tuple[float, ...],
    plan: Plan,
) -> None:
    """A plain table: bold frozen header, autofilter, and one row per tuple. Every cell wraps
    and each row is as tall as its longest text, so no text runs into the next column or is cut
    off; it prints one page wide with its header on every page (`HIDDEN_COLUMNS` neither show
    nor print)."""
    hidden = HIDDEN_COLUMNS.get(ws.title, ())
    shown = [title not in hidden for title in columns]
    for i, (title, width) in enumerate(zip(columns, widths, strict=True), 1):
        cell = ws.cell(1, i, title)
        cell.font = layout.BOLD_FONT
        cell.alignment = layout.WRAP_TOP_LEFT
        dimension = ws.column_dimensions[get_column_letter(i)]
        dimension.width = width
        dimension.hidden = title in hidden
    ws.row_dimensions[1].height = _list_row_height(columns, widths, shown, bold=True)
    n = 1
    for n, values in enumerate(rows, 2):
        for i, value in enumerate(values, 1):
            cell = ws.cell(n, i)
            _set_value(cell, value)
            cell.font = layout.BODY_FONT
            # left-aligned throughout: a right-aligned date or timestamp drifts far from its label
            cell.alignment = layout.WRAP_TOP_LEFT if isinstance(value, str) else layout.TOP_LEFT
        ws.row_dimensions[n].height = _list_row_height(values, widths, shown)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n}"
    ws.print_title_rows = "1:1"
    fit_to_page_width(ws)
    layout.set_footer(ws, plan.title, sheet_name=True)


def _list_row_height(
    values: Iterable[object], widths: Iterable[float], shown: Iterable[bool], *, bold: bool = False
) -> float:
    cells = [
        (v, w) for v, w, s in zip(values, widths, shown, strict=True) if s and isinstance(v, str)
    ]
    return sizes.row_height_for(cells, bold=bold)


def write_rag_key_sheet(ws: Worksheet, key: RagKey, *, plan: Plan) -> None:
    """The `RAG key` sheet: one status a row (Code | Meaning | Fill | Font | Words), each code
    shown in its colours, for the owner to edit (workbook.master.rag_key reads it back)."""
    _write_list_sheet(ws, RAG_KEY_COLUMNS, rag_key_rows(key), widths=RAG_KEY_WIDTHS, plan=plan)
    for row, status in enumerate(key, 2):
        code = ws.cell(row, 1)
        code.font = layout.rag_font(status)
        code.fill = layout.rag_fill(status)


def _write_settings_sheet(ws: Worksheet, plan: Plan, settings: Mapping[str, object]) -> None:
    rows = settings_rows(plan, settings)
    _write_list_sheet(ws, SETTINGS_COLUMNS, rows, widths=SETTINGS_WIDTHS, plan=plan)


def _set_value(cell: Cell, value: object) -> None:
    """Store a list-sheet value: text stays text, dates show as dates."""
    if value is None:
        return
    if isinstance(value, str):
        set_text(cell, value)
    elif isinstance(value, Path):
        set_text(cell, str(value))
    elif isinstance(value, dt.datetime):
        cell.value = value
        cell.number_format = sizes.TIMESTAMP_FORMAT
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = sizes.DATE_FORMAT
    elif isinstance(value, (bool, int, float)):
        cell.value = value
    else:
        set_text(cell, str(value))

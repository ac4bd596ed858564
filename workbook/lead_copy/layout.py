"""How a lead's copy looks: their items laid out like the master, the document's columns locked,
and three columns for them to fill in - Status (a dropdown of the plan's own RAG key), New update
and Proposed time-scale. A plain .xlsx: no macros, nothing a lead must enable.

This module knows the look only; what goes in a copy and the identity it carries are decided by
`sync.copies`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.styles import PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workbook.formatting import layout, sizes
from workbook.formatting.layout import fit_to_page_width
from workbook.formatting.rag import apply_status_formatting
from workbook.formatting.styles import stamp
from workbook.lead_copy.columns import (
    CHECK_KEYS,
    COLUMN_TITLE_FIELD,
    CONTEXT_COLUMN_FIELD,
    EDITABLE_KEYS,
    copy_layout,
    own_titles,
)
from workbook.master.sheets import SHEET_PLAN, SheetColumn, extra_column_title
from workbook.master.write import (
    finding_value,
    item_texts,
    sections_with_items,
    write_rag_key,
    write_section_row,
)
from workbook.plan.model import OTHER_ROLE, Plan
from workbook.xlsx.cells import set_text

#: A pale yellow: where to type, as forms mark fields to fill in. The Status colours draw over it.
INPUT_FILL = PatternFill(fill_type="solid", start_color="FFF2CC", end_color="FFF2CC")
_UNLOCKED = Protection(locked=False)
#: Excel's Text format: what a lead types in an answer cell stays as typed ("Jun 24", "50%",
#: "=> booked"), not made a date, a number or a formula.
TEXT_FORMAT = "@"


@dataclass(frozen=True)
class CopyText:
    """The words at the top of a copy."""

    heading: str  # e.g. "Copy for GT - issued 26 November 2026"
    instructions: tuple[str, ...]  # shown one per line, under the heading
    footer: str  # e.g. "GT - issued 26 Nov 2026"


def build_lead_copy(
    plan: Plan,
    text: CopyText,
    *,
    identity_sheet: str,
    identity_rows: Sequence[tuple[str, str]],
) -> Workbook:
    """A lead's copy of `plan` (already only the lead's items), in memory, with `identity_rows`
    in a veryHidden sheet named `identity_sheet`; `sync.copies` writes the copies of an issue
    together (workbook.xlsx.files.write_new_files)."""
    wb = Workbook()
    layout.use_body_font_as_default(wb)
    ws = wb.active
    ws.title = SHEET_PLAN
    _write_copy_sheet(ws, plan, text)
    hidden = wb.create_sheet(identity_sheet)
    context = [
        (CONTEXT_COLUMN_FIELD, extra_column_title(k, title))
        for k, title in enumerate(plan.extra_titles)
    ]
    context += [(COLUMN_TITLE_FIELD, f"{key} = {title}") for key, title in own_titles(plan).items()]
    for r, (name, value) in enumerate([*identity_rows, *context], 1):
        set_text(hidden.cell(r, 1), name)
        set_text(hidden.cell(r, 2), value)
    hidden.protection.sheet = True
    hidden.sheet_state = "veryHidden"
    return wb


def _write_copy_sheet(ws: Worksheet, plan: Plan, text: CopyText) -> None:
    columns = copy_layout(plan)
    for i, column in enumerate(columns, 1):
        dimension = ws.column_dimensions[get_column_letter(i)]
        dimension.width = column.width
        dimension.hidden = column.key in CHECK_KEYS
    total_width = sum(c.width for c in columns if c.key not in CHECK_KEYS)
    row = _write_heading(ws, plan, text, total_width, len(columns))
    row = write_rag_key(ws, plan.rag_key, start=row + 1)
    header_row = row + 2
    _write_header(ws, header_row, columns)
    row = header_row
    for section, items in sections_with_items(plan):
        if section:
            row += 1
            write_section_row(ws, row, section, columns=len(columns), total_width=total_width)
        for item in items:
            row += 1
            texts = item_texts(item)
            values: dict[str, object] = {**texts, "finding": finding_value(item.finding)}
            values.update(dict.fromkeys(CHECK_KEYS, item.ref))
            _write_item_row(ws, row, columns, values, texts, dict(item.extra))
    _protect(ws)
    status_col = next(i for i, c in enumerate(columns, 1) if c.key == "status")
    apply_status_formatting(
        ws, header_row=header_row, status_col=status_col, last_row=row, key=plan.rag_key
    )
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    fit_to_page_width(ws)
    ws.oddFooter.left.text = text.footer.replace("&", "&&")
    ws.oddFooter.right.text = "Page &P of &N"


def _write_heading(ws: Worksheet, plan: Plan, text: CopyText, total_width: float, last: int) -> int:
    """Title, heading and instructions, each across the whole width; return the last row."""
    lines = [
        (plan.title, layout.TITLE_FONT),
        (text.heading, layout.SUBTITLE_FONT),
        *((line, layout.BODY_FONT) for line in text.instructions),
    ]
    for row, (line, font) in enumerate(lines, 1):
        cell = ws.cell(row, 1)
        set_text(cell, line)
        cell.font = font
        cell.alignment = layout.WRAP_TOP_LEFT
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
        wrapped = sizes.wrapped_lines(line, total_width * 10 / max(font.size or 10, 10))
        scale = (font.size or 10) / sizes.FONT_SIZE
        ws.row_dimensions[row].height = sizes.height_for_lines(wrapped) * scale
    return len(lines)


def _write_header(ws: Worksheet, row: int, columns: Sequence[SheetColumn]) -> None:
    for i, column in enumerate(columns, 1):
        cell = ws.cell(row, i, column.title)
        cell.font = layout.HEADER_FONT
        cell.fill = layout.HEADER_FILL
        cell.alignment = layout.HEADER_ALIGNMENT
        cell.border = layout.THIN_BORDER
    titles = [(c.title, c.width) for c in columns if c.key not in CHECK_KEYS]
    ws.row_dimensions[row].height = sizes.row_height_for(titles, bold=True)


def _write_item_row(
    ws: Worksheet,
    row: int,
    columns: Sequence[SheetColumn],
    values: dict[str, object],
    texts: dict[str, str],
    others: dict[int, str],
) -> None:
    shown: list[tuple[str, float]] = []
    for i, column in enumerate(columns, 1):
        cell = ws.cell(row, i)
        if column.key == OTHER_ROLE:  # the document's own columns, locked, for context
            _context_cell(cell, others.get(column.other, ""), False)
            shown.append((others.get(column.other, ""), column.width))
            continue
        value = values.get(column.key, "")
        if isinstance(value, CellRichText):
            cell.value = value
        else:
            set_text(cell, str(value or ""))
        centred = column.key in ("ref", "status", "lead", "timescale", "proposed_timescale")
        answer = column.key in EDITABLE_KEYS or column.key in CHECK_KEYS
        # every cell Text: what a lead types stays as typed, in the cells they fill in and in a
        # locked cell typed in with the protection removed (quoted back to them as typed)
        stamp(
            cell,
            font=layout.BODY_FONT,
            alignment=layout.WRAP_TOP_CENTRE if centred else layout.WRAP_TOP,
            border=layout.THIN_BORDER,
            fill=INPUT_FILL if answer else None,
            protection=_UNLOCKED if answer else None,
            number_format=TEXT_FORMAT,
        )
        if not answer and column.key in texts:
            shown.append((texts[column.key], column.width))
    # room for a few lines of new update as well as what is there already
    height = max(sizes.row_height_for(shown), sizes.height_for_lines(4))
    ws.row_dimensions[row].height = height


def _context_cell(cell: Cell, text: str, header: bool) -> None:
    set_text(cell, text)
    stamp(
        cell,
        font=layout.HEADER_FONT if header else layout.BODY_FONT,
        fill=layout.HEADER_FILL if header else None,
        alignment=layout.HEADER_ALIGNMENT if header else layout.WRAP_TOP,
        border=layout.THIN_BORDER,
        number_format=None if header else TEXT_FORMAT,
    )


def _protect(ws: Worksheet) -> None:
    """Lock the document's columns. No password: protection here prevents accidents, and the
    merge reads only the three editable columns whatever a lead does. Resizing, filtering and
    inserting rows or columns stay allowed; the merge finds rows by ref and columns by title.
    Sorting does not: the only sort a protected sheet can do is of unlocked cells, which moves
    answers off their items (Excel honours this; Calc does not, which the ref checks catch)."""
    p = ws.protection
    p.sheet = True
    p.formatColumns = False
    p.formatRows = False
    p.insertRows = False
    p.insertColumns = False
    p.sort = True
    p.autoFilter = False

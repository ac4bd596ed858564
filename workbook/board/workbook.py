"""The board pack workbook: a `Summary` sheet (RAG counts by section, complete, overdue, what moved
since the last pack, a chart) and the `Action Plan` with each item's latest update, RAG-formatted
so it reads the same in Excel or LibreOffice with no add-in, on screen and on paper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.units import pixels_to_EMU
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from workbook.board.summary import (
    NEW_ITEM_MARK,
    NOT_RECOGNISED,
    SHEET_SUMMARY,
    BoardSummary,
    Category,
    RagCounts,
)
from workbook.formatting import layout, sizes
from workbook.formatting.layout import fit_to_page_width
from workbook.formatting.rag import AS_OF_NAME, apply_rag_formatting
from workbook.master.settings import document_order
from workbook.master.sheets import SHEET_PLAN
from workbook.master.write import write_plan_sheet
from workbook.plan.model import Plan
from workbook.plan.status import RagKey, RagStatus
from workbook.wording import long_date, percent
from workbook.xlsx.cells import set_text
from workbook.xlsx.files import save_atomically

# --- Board workbook ---------------------------------------------------------------------------


def write_board(plan: Plan, summary: BoardSummary, path: Path, *, as_of: dt.date) -> None:
    """Write the board pack workbook at `path`, replacing any file there in one step."""
    save_atomically(build_board(plan, summary, as_of=as_of), Path(path))


def build_board(plan: Plan, summary: BoardSummary, *, as_of: dt.date) -> Workbook:
    """The board pack workbook in memory: `Summary`, then `Action Plan`; no other sheets."""
    wb = Workbook()
    layout.use_body_font_as_default(wb)
    summary_ws = wb.active
    summary_ws.title = SHEET_SUMMARY
    as_of_cell = _SummaryWriter(summary_ws, plan, summary, as_of).write()

    plan_ws = wb.create_sheet(SHEET_PLAN)
    # Statuses as the Summary counted them by the plan's key ("green " and "Complete" print as
    # GREEN and BLUE in the default key); text the key does not know stays as typed, so the board
    # sees what the Summary reports.
    key = plan.rag_key
    shown = replace(
        plan, items=tuple(replace(it, status=key.shown(it.status)) for it in plan.items)
    )
    header_row = write_plan_sheet(plan_ws, shown, latest_update_only=True)
    # The overdue rule reads AsOfDate. The master points it at Settings, which a board pack has
    # not got: the date printed on the Summary is this pack's as-of date, so the name points there
    # (set before the rules, which would otherwise add a Settings sheet to hold it).
    wb.defined_names[AS_OF_NAME] = DefinedName(
        AS_OF_NAME, attr_text=f"'{SHEET_SUMMARY}'!{_absolute(as_of_cell)}"
    )
    apply_rag_formatting(
        plan_ws,
        header_row=header_row,
        last_row=plan_ws.max_row,
        key=key,
        document=document_order(plan),
    )
    for ws in (summary_ws, plan_ws):
        _set_footer(ws, plan, as_of)
    wb.active = 0
    return wb


def _absolute(cell: Cell) -> str:
    return f"${cell.column_letter}${cell.row}"


def _set_footer(ws: Worksheet, plan: Plan, as_of: dt.date) -> None:
    # '&' starts a header/footer code, so a literal one is doubled
    ws.oddFooter.left.text = plan.title.replace("&", "&&")
    ws.oddFooter.center.text = f"As at {long_date(as_of)}"
    ws.oddFooter.right.text = "Page &P of &N"


# --- Summary sheet ----------------------------------------------------------------------------

_LONG_DATE_FORMAT = "d mmmm yyyy"
_SHORT_DATE_FORMAT = "d mmm yyyy"

#: Column widths. A holds refs; section names and findings span from A or B rightwards, so that
#: all three tables share one grid and end at the same right edge. A key with more statuses gives
#: the RAG table more columns, each as wide as the last here (`_widths`).
_WIDTHS = (10.0, 40.0, 11.0, 11.0, 11.0, 11.0, 11.0, 11.0, 11.0, 11.0)


def _widths(n: int) -> tuple[float, ...]:
    """The widths of the Summary's first `n` columns."""
    return (_WIDTHS + (_WIDTHS[-1],) * max(0, n - len(_WIDTHS)))[:n]


#: The list tables' columns as (first, last) spans of the grid.
_OVERDUE_SPANS = ((1, 1), (2, 5), (6, 7), (8, 8), (9, 9))
_MOVED_SPANS = ((1, 1), (2, 7), (8, 8), (9, 9))
_ATTENTION_SPANS = ((1, 1), (2, 2), (3, 3), (4, 4), (5, 8), (9, 9))

#: Margins of the Summary, in inches: the narrow ones, less at the top, which has no page header,
#: so that the RAG table and its chart share the first page.
_TOP_MARGIN, _BOTTOM_MARGIN = 0.5, 0.75
#: Landscape A4 less those margins, in points. The Summary is narrower than the page, so it prints
#: at 100% and rows can be laid out against this; the factor leaves room for the small differences
#: in how Excel and LibreOffice space rows.
_PAGE_HEIGHT = (595.0 - (_TOP_MARGIN + _BOTTOM_MARGIN) * 72) * 0.97
_TITLE_HEIGHTS = (26.0, 18.0, 18.0)  # repeated at the top of every page
_MIN_ROW = 17.0

#: Chart height: 7 cm carries the five sections of the 2023 plan with their names legible; a plan
#: with more sections gets about 9 mm more per section, up to what a page holds.
_CHART_CM = 7.0
_CHART_CM_PER_SECTION = 0.9
_CHART_CM_MAX = 13.0
_CHART_ROW_CM = 0.5  # the chart sits on rows this tall

_SUBTITLE_FONT = Font(name=sizes.FONT_NAME, size=12, bold=True)
_NOTE_FONT = Font(name=sizes.FONT_NAME, size=sizes.FONT_SIZE, italic=True)
_GREY = Side(style="thin", color="808080")
_TOTAL_BORDER = Border(left=_GREY, right=_GREY, bottom=_GREY, top=Side(style="double"))
_TOTAL_FILL = PatternFill(fill_type="solid", start_color="F2F2F2", end_color="F2F2F2")
_CENTRE_WRAP = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT_WRAP = Alignment(horizontal="left", vertical="center", wrap_text=True)


@dataclass(frozen=True)
class _Status:
    """A cell value to show as a status, coloured as the RAG key colours it."""

    text: str


_Value = str | dt.date | _Status


class _SummaryWriter:
    """Lays out the Summary top to bottom. It tracks how much of the page each row uses, so a
    table starts on a fresh page when it would not fit, and one longer than a page repeats its
    header after the break: a board member never reads a table without its column titles."""

    def __init__(self, ws: Worksheet, plan: Plan, summary: BoardSummary, as_of: dt.date) -> None:
        self.ws, self.plan, self.s, self.as_of = ws, plan, summary, as_of
        self.row = 1
        self.used = 0.0  # points used on the current page below the repeated title rows
        self.page_height = _PAGE_HEIGHT - sum(_TITLE_HEIGHTS)
        # an unrecognised column only when something is unrecognised: a column of noughts is noise
        self.categories = [
            c
            for c in summary.categories
            if c.key != NOT_RECOGNISED or summary.overall.not_recognised
        ]
        self.rag_columns = 2 + len(self.categories) + 2  # section (A:B), categories, total, %
        self.last_column = max(self.rag_columns, _OVERDUE_SPANS[-1][1])

    def write(self) -> Cell:
        """Write the sheet; return the cell holding the as-of date."""
        ws = self.ws
        for i, width in enumerate(_widths(self.last_column), 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        as_of_cell = self._title_block()
        self._headline()
        self._rag_table()
        self._chart()
        self._attention_table()
        self._overdue_table()
        self._moved_table()
        ws.print_title_rows = f"1:{len(_TITLE_HEIGHTS)}"
        ws.print_area = f"A1:{get_column_letter(self.last_column)}{self.row - 1}"
        fit_to_page_width(ws)
        ws.page_margins.top = _TOP_MARGIN
        ws.page_margins.bottom = _BOTTOM_MARGIN
        ws.sheet_view.showGridLines = False
        return as_of_cell

    # -- rows and pages

    def _take(self, height: float) -> int:
        """The next row, given this height; its height counts against the page."""
        r = self.row
        self.ws.row_dimensions[r].height = height
        self.row += 1
        self.used += height
        return r

    def _gap(self, height: float) -> None:
        if self.used > 0:  # a gap at the top of a page only pushes the content down
            self._take(height)

    def _new_page_unless_room(self, height: float) -> bool:
        """Break the page here unless `height` more points fit on it; True if it broke."""
        if self.used == 0 or self.used + height <= self.page_height:
            return False
        self.ws.row_breaks.append(Break(id=self.row - 1))
        self.used = 0.0
        return True

    def _merge(self, row: int, first: int, last: int) -> None:
        if last > first:
            self.ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)

    # -- blocks

    def _title_block(self) -> Cell:
        ws, plan = self.ws, self.plan
        r = self._take(_TITLE_HEIGHTS[0])
        title = f"{plan.title} — board summary" if plan.title else "Action plan — board summary"
        set_text(ws.cell(r, 1), title)
        ws.cell(r, 1).font = layout.TITLE_FONT
        r = self._take(_TITLE_HEIGHTS[1])
        plan_of = f"plan of {plan.date_label}" if plan.date_label else ""
        set_text(ws.cell(r, 1), " · ".join(p for p in (plan.organisation, plan_of) if p))
        ws.cell(r, 1).font = layout.SUBTITLE_FONT
        r = self._take(_TITLE_HEIGHTS[2])
        ws.cell(r, 1, "As at").font = layout.SUBTITLE_FONT
        cell = ws.cell(r, 2, self.as_of)
        cell.number_format = _LONG_DATE_FORMAT
        cell.font = layout.SUBTITLE_FONT
        cell.alignment = Alignment(horizontal="left")
        self.used = 0.0  # the title rows repeat on every page, outside self.page_height
        return cell

    def _headline(self) -> None:
        s = self.s
        n = s.overall.total
        parts = [
            f"{n} item{'' if n == 1 else 's'}",
            f"{s.overall.complete} complete ({percent(s.complete_fraction)})",
            f"{len(s.overdue)} overdue",
        ]
        if s.has_previous:
            parts.append(f"{len(s.moved)} moved since the last board pack")
        self._take(8)
        r = self._take(18)
        set_text(self.ws.cell(r, 1), " · ".join(parts))
        self.ws.cell(r, 1).font = layout.BOLD_FONT

    def _rag_table(self) -> None:
        self._gap(10)
        self._subtitle("RAG status by section")
        titles = ["Section", *(c.label for c in self.categories), "Total", "% complete"]
        widths = [_WIDTHS[0] + _WIDTHS[1], *_widths(self.rag_columns)[2:]]
        lines = max(
            sizes.wrapped_lines(t, w, bold=True) for t, w in zip(titles, widths, strict=True)
        )
        r = self._take(sizes.height_for_lines(lines) + 4)
        self.rag_header_row = self.rag_last_row = r
        self._merge(r, 1, 2)
        for column in range(1, self.rag_columns + 1):
            _header_cell(self.ws.cell(r, column))
        set_text(self.ws.cell(r, 1), titles[0])
        for column, title in enumerate(titles[1:], 3):
            set_text(self.ws.cell(r, column), title)
        # the category titles wear their colours: the table is its own key
        for column, category in enumerate(self.categories, 3):
            cell = self.ws.cell(r, column)
            cell.fill = layout.rag_fill(_rag_status(category))
            cell.font = layout.rag_font(_rag_status(category))
        for counts in self.s.sections:
            self._rag_row(counts, total=False)
        self._rag_row(self.s.overall, total=True)
        if self.s.unrecognised:
            listed = ", ".join(f'{ref} "{text}"' for ref, text in self.s.unrecognised)
            self._note(
                f"Status not recognised: {listed}. The RAG key has no such status, so these are "
                "counted as not recognised; the plan owner will correct them in the master."
            )

    def _rag_row(self, counts: RagCounts, *, total: bool) -> None:
        ws = self.ws
        lines = sizes.wrapped_lines(counts.section, _WIDTHS[0] + _WIDTHS[1], bold=total)
        r = self._take(max(_MIN_ROW, sizes.height_for_lines(lines)))
        self._merge(r, 1, 2)
        values: list[object] = [
            *(counts.count(c.key) for c in self.categories),
            counts.total,
            counts.complete_fraction,
        ]
        for column in range(1, self.rag_columns + 1):
            cell = ws.cell(r, column)
            cell.font = layout.BOLD_FONT if total else layout.BODY_FONT
            cell.border = _TOTAL_BORDER if total else layout.THIN_BORDER
            cell.alignment = layout.CENTRE
            if total:
                cell.fill = _TOTAL_FILL
        set_text(ws.cell(r, 1), counts.section)
        ws.cell(r, 1).alignment = _LEFT_WRAP
        for column, value in enumerate(values, 3):
            ws.cell(r, column).value = value
        ws.cell(r, self.rag_columns).number_format = "0%"
        if not total:
            self.rag_last_row = r

    def _chart(self) -> None:
        if self.rag_last_row == self.rag_header_row:
            return  # no sections: nothing to draw
        sections = len(self.s.sections)
        cm = min(_CHART_CM_MAX, max(_CHART_CM, 2.5 + _CHART_CM_PER_SECTION * sections))
        rows = round(cm / _CHART_ROW_CM)
        height = rows * _CHART_ROW_CM / 2.54 * 72
        self._new_page_unless_room(10 + height)
        self._gap(10)
        anchor = self.row
        for _ in range(rows):
            self._take(height / rows)
        chart = rag_chart(
            self.ws,
            categories=self.categories,
            header_row=self.rag_header_row,
            last_row=self.rag_last_row,
            largest=max((c.total for c in self.s.sections), default=0),
        )
        # Anchored to the cells it covers, not given a size: Excel and LibreOffice lay rows out
        # slightly differently, and a chart of fixed size can then run past its rows (and across a
        # page break) in one of them.
        # Its top edge sits a little below the row boundary: drawn exactly on it, LibreOffice also
        # draws that edge at the foot of the previous page when a page break falls there.
        chart.anchor = TwoCellAnchor(
            _from=AnchorMarker(col=0, row=anchor - 1, rowOff=pixels_to_EMU(3)),
            to=AnchorMarker(col=self.last_column, row=self.row - 1),
        )
        self.ws.add_chart(chart)

    def _attention_table(self) -> None:
        codes = self.plan.rag_key.not_on_track
        if not codes:
            return  # a key whose every status is done or on track has nothing to list here
        named = codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " and " + codes[-1]
        rows: list[list[_Value]] = [
            [a.ref, a.headline, a.lead, a.timescale, a.update, _Status(a.status)]
            for a in self.s.attention
        ]
        self._list_table(
            f"{named} items at {long_date(self.s.as_of)}: not on track",
            ["Ref", "Finding", "Lead", "Time-scale", "Latest update", "Status"],
            _ATTENTION_SPANS,
            rows,
            empty=f"No item is {named}.",
        )

    def _overdue_table(self) -> None:
        rows: list[list[_Value]] = [
            [o.ref, o.headline, o.lead, o.due, _Status(o.status)] for o in self.s.overdue
        ]
        self._list_table(
            f"Overdue at {long_date(self.s.as_of)}: past the due date and not complete",
            ["Ref", "Finding", "Lead", "Due", "Status"],
            _OVERDUE_SPANS,
            rows,
            empty="No item is overdue.",
        )

    def _moved_table(self) -> None:
        s = self.s
        since = f" (as at {long_date(s.previous_as_of)})" if s.previous_as_of else ""
        rows: list[list[_Value]] = []
        for m in s.moved:
            was = NEW_ITEM_MARK if m.before is None else m.before
            rows.append([m.ref, m.headline, _Status(was), _Status(m.after)])
        if not s.has_previous:
            empty = "No earlier board pack is recorded, so there is nothing to compare with yet."
        else:
            empty = "No status has moved since the last board pack."
        self._list_table(
            f"Status moved since the last board pack{since}",
            ["Ref", "Finding", "Was", "Now"],
            _MOVED_SPANS,
            rows,
            empty=empty,
        )

    # -- pieces

    def _list_table(
        self,
        title: str,
        header: list[str],
        spans: Sequence[tuple[int, int]],
        rows: list[list[_Value]],
        *,
        empty: str,
    ) -> None:
        widths = [_span_width(a, b) for a, b in spans]
        header_height = max(
            sizes.height_for_lines(sizes.wrapped_lines(t, w, bold=True))
            for t, w in zip(header, widths, strict=True)
        )
        heights = [_row_height(values, widths) for values in rows]
        title_height, gap = 22.0, 16.0
        whole = gap + title_height + header_height + sum(heights)
        start = gap + title_height + header_height + sum(heights[:3])
        # The whole table on the next page when it fits on one and this page is over half full
        # already (breaking leaves no more than half of it blank); else it starts here.
        keep_whole = whole <= self.page_height and self.used > self.page_height / 2
        if not self._new_page_unless_room(whole if keep_whole else start):
            self._gap(gap)
        self._subtitle(title, title_height)
        if not rows:
            self._note(empty)
            return
        self._list_header(header, spans, header_height)
        for values, height in zip(rows, heights, strict=True):
            if self._new_page_unless_room(height):
                self._subtitle(f"{title} (continued)", title_height)
                self._list_header(header, spans, header_height)
            self._list_row(values, spans, height)

    def _list_header(
        self, header: list[str], spans: Sequence[tuple[int, int]], height: float
    ) -> None:
        r = self._take(height)
        for title, (a, b) in zip(header, spans, strict=True):
            self._merge(r, a, b)
            for column in range(a, b + 1):
                _header_cell(self.ws.cell(r, column))
            set_text(self.ws.cell(r, a), title)

    def _list_row(
        self, values: list[_Value], spans: Sequence[tuple[int, int]], height: float
    ) -> None:
        r = self._take(height)
        for value, (a, b) in zip(values, spans, strict=True):
            self._merge(r, a, b)
            for column in range(a, b + 1):
                self.ws.cell(r, column).border = layout.THIN_BORDER
            cell = self.ws.cell(r, a)
            cell.font = layout.BODY_FONT
            # text longer than its column reads best from the left; short codes sit centred
            wide = _span_width(a, b) >= 20
            cell.alignment = layout.WRAP_TOP if wide else layout.WRAP_TOP_CENTRE
            if isinstance(value, _Status):
                _status_cell(cell, value.text, self.plan.rag_key)
            elif isinstance(value, dt.date):
                cell.value = value
                cell.number_format = _SHORT_DATE_FORMAT
            else:
                set_text(cell, value)

    def _subtitle(self, text: str, height: float = 22.0) -> None:
        r = self._take(height)
        set_text(self.ws.cell(r, 1), text)
        self.ws.cell(r, 1).font = _SUBTITLE_FONT
        self.ws.cell(r, 1).alignment = Alignment(vertical="center")

    def _note(self, text: str) -> None:
        lines = sizes.wrapped_lines(text, _span_width(1, self.last_column))
        r = self._take(sizes.height_for_lines(lines))
        self._merge(r, 1, self.last_column)
        cell = self.ws.cell(r, 1)
        set_text(cell, text)
        cell.font = _NOTE_FONT
        cell.alignment = layout.WRAP_TOP_LEFT


def _span_width(first: int, last: int) -> float:
    return sum(_WIDTHS[first - 1 : last])


def _row_height(values: list[_Value], widths: list[float]) -> float:
    lines = max(
        (
            sizes.wrapped_lines(v, w)
            for v, w in zip(values, widths, strict=True)
            if isinstance(v, str)
        ),
        default=1,
    )
    return max(_MIN_ROW, sizes.height_for_lines(lines))


def _rag_status(category: Category) -> RagStatus:
    """A category as a RAG key entry, for the key's fill and font helpers."""
    return RagStatus(category.key, category.label, category.fill, category.font)


def _header_cell(cell: Cell) -> None:
    cell.font = layout.HEADER_FONT
    cell.fill = layout.HEADER_FILL
    cell.alignment = _CENTRE_WRAP
    cell.border = layout.THIN_BORDER


def _status_cell(cell: Cell, status: str, key: RagKey) -> None:
    """A status coloured as the plan's `key` colours it; no status and unknown text say so in
    words."""
    rag: RagStatus | None = key.by_code.get(status)
    if rag is not None:
        set_text(cell, rag.code)
        cell.fill = layout.rag_fill(rag)
        cell.font = layout.rag_font(rag)
    elif status == NEW_ITEM_MARK:
        cell.value = "new item"
        cell.font = _NOTE_FONT
    elif not status:
        cell.value = "no status"
        cell.font = _NOTE_FONT
    else:
        set_text(cell, f'"{status}" (not recognised)')
        cell.font = _NOTE_FONT


def rag_chart(
    ws: Worksheet,
    *,
    categories: Sequence[Category],
    header_row: int,
    last_row: int,
    largest: int,
) -> BarChart:
    """A stacked bar per section with one series per category in the key's colours, drawn from
    the RAG table's own cells (titles in `header_row`, sections below it in column A, counts from
    column C) so the chart and the table cannot disagree. `largest` is the biggest section."""
    chart = BarChart()
    chart.type = "bar"  # horizontal: long section names read best down the side
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 50
    chart.title = "RAG status by section"
    for i, category in enumerate(categories):
        column = 3 + i
        data = Reference(ws, min_col=column, min_row=header_row, max_row=last_row)
        chart.add_data(data, titles_from_data=True)
        series = chart.series[-1]
        series.graphicalProperties = GraphicalProperties(solidFill=category.fill)
        series.graphicalProperties.line = LineProperties(solidFill="FFFFFF")
    chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=last_row))
    # openpyxl marks axes deleted unless told otherwise, and Excel then draws no labels at all
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # first section at the top, as in the table
    chart.y_axis.crosses = "max"  # with the sections reversed, this puts the scale below them
    chart.y_axis.numFmt = "0"
    if largest <= 12:  # whole items: no 0.5 gridlines on a small plan
        chart.y_axis.majorUnit = 1
    chart.y_axis.scaling.min = 0
    chart.legend.position = "r"  # beside the bars, where the page has room to spare
    return chart

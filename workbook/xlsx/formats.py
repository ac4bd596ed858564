"""What an edit writes besides cell values, as plain data: conditional formats, list validations,
a sheet of findings, notes on cells.

The core decides these once (the RAG rules in `workbook.formatting.rag`, the Validation sheet in
`validation.sheet`) and each writing technology applies the same data: openpyxl for a workbook
written new, the change-only patch (`workbook.xlsx.patch`) for the master on disk, xlwings for
the master open in Excel. Nothing here knows a file format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

Value = str | int | float | bool | dt.date | dt.datetime | None


@dataclass(frozen=True)
class FormatRule:
    """One conditional format: an expression rule over `ranges` ("G12:G40"), its `formula`
    (no leading "=") written for the first range's top-left cell, and the look it gives."""

    ranges: tuple[str, ...]
    formula: str
    fill: str  # RRGGBB, a solid fill
    font: str  # RRGGBB
    bold: bool = True
    stop_if_true: bool = False

    @property
    def sqref(self) -> str:
        """The ranges as a spreadsheet writes them: separated by spaces."""
        return " ".join(self.ranges)


@dataclass(frozen=True)
class ListValidation:
    """A dropdown over `range`: only `values` (or blank) accepted, `error` shown otherwise."""

    range: str
    values: tuple[str, ...]
    error_title: str
    error: str

    @property
    def formula(self) -> str:
        """The list as a validation's formula1 holds it: '"A,B,C"'."""
        return '"' + ",".join(self.values) + '"'


#: Whether an existing expression rule, given its ranges (sqref) and formula, is one of ours.
IsOurRule = Callable[[str, str], bool]
#: Whether an existing validation, given its type, formula1 and error title, is one of ours.
IsOurDropdown = Callable[[str | None, str | None, str | None], bool]


@dataclass(frozen=True)
class SheetFormats:
    """Every rule and dropdown of ours for one sheet, and how to recognise earlier ones of ours.

    Applying replaces the earlier ones and keeps everyone else's, ours first so that no owner
    rule with stop-if-true can hide one of ours."""

    rules: tuple[FormatRule, ...]
    dropdowns: tuple[ListValidation, ...]
    is_ours: IsOurRule
    is_our_dropdown: IsOurDropdown


@dataclass(frozen=True)
class FormatsApplied:
    """What applying SheetFormats found on the sheet."""

    replaced: int  # earlier rules of ours, replaced
    kept: int  # other rules, kept in their order


@dataclass(frozen=True)
class Link:
    """A link from a cell of a report sheet (0-based row of `rows`, 0-based column) to a place
    in the workbook ("'Action Plan'!G12")."""

    row: int
    column: int
    location: str


@dataclass(frozen=True)
class ReportSheet:
    """A sheet the tool owns and rewrites whole at each run: a bold heading line, column titles
    (row 2, frozen, filtered), then one row per entry."""

    name: str
    heading: str
    columns: tuple[str, ...]
    widths: tuple[float, ...]
    rows: tuple[tuple[Value, ...], ...]
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Note:
    """A note (comment) on one cell."""

    sheet: str
    cell: str  # "E17"
    text: str

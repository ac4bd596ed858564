"""The one reader of workbooks: a workbook's bytes to grids of cell values, with python-calamine
(values only, never evaluated, fast), and with openpyxl for the sheets whose rich text matters
(a finding's italic narrative). The master, the returns and the tools all read through here; each
turns `UnreadableWorkbook` into its own one-line advice.

Also the ways a grid is looked into: a sheet by name as Excel matches names, a list sheet's rows
by column title, a row laid out under a header.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping, Sequence
from typing import TypeVar

from workbook.plan.model import Run, normalise_runs
from workbook.xlsx.cells import Grid, at, loose

Grids = dict[str, list[list[object]]]
T = TypeVar("T")


class UnreadableWorkbook(Exception):
    """The bytes are not a workbook a reader can use; the message names the reader's complaint."""


def is_sheet(name: str, wanted: str) -> bool:
    """Whether sheet `name` is sheet `wanted`, as Excel matches names (any case, ends trimmed)."""
    return name.strip().casefold() == wanted.strip().casefold()


def sheet_name(names: Sequence[str], wanted: str) -> str | None:
    """The name in `names` that is sheet `wanted`, or None."""
    return next((n for n in names if is_sheet(n, wanted)), None)


def sheet(sheets: Mapping[str, Grid], name: str) -> Grid | None:
    """A sheet by name, as Excel matches names."""
    if name in sheets:
        return sheets[name]
    return next((grid for n, grid in sheets.items() if is_sheet(n, name)), None)


def read_grids(data: bytes, wanted: Collection[str] | None = None) -> tuple[tuple[str, ...], Grids]:
    """Every sheet name of the workbook in `data`, and the `wanted` sheets (all when None) as
    grids from A1 (None for an empty cell), read with python-calamine."""
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            names = tuple(wb.sheet_names)
            grids: Grids = {
                name: [
                    [None if v == "" else v for v in row]
                    for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                ]
                for name in names
                if wanted is None or any(is_sheet(name, w) for w in wanted)
            }
        finally:
            wb.close()
    except Exception as e:  # whatever the reader cannot parse is not a usable workbook
        raise UnreadableWorkbook(f"{type(e).__name__}: {e}") from e
    return names, grids


def read_rich_grids(data: bytes, wanted: Collection[str]) -> Grids:
    """The `wanted` sheets as grids read with openpyxl, so that rich text comes back as tuples of
    Run (with rich_text=True openpyxl decodes Excel's _xHHHH_ escapes itself)."""
    try:
        from openpyxl import load_workbook
        from openpyxl.cell.rich_text import CellRichText, TextBlock

        def value(v: object) -> object:
            if not isinstance(v, CellRichText):
                return v
            runs = [
                Run(p.text, bool(p.font is not None and p.font.i))
                if isinstance(p, TextBlock)
                else Run(str(p))
                for p in v
            ]
            return normalise_runs(runs)

        wb = load_workbook(io.BytesIO(data), rich_text=True, read_only=False)
        try:
            return {
                ws.title: [[value(v) for v in row] for row in ws.iter_rows(values_only=True)]
                for ws in wb.worksheets
                if any(is_sheet(ws.title, w) for w in wanted)
            }
        finally:
            wb.close()
    except Exception as e:  # whatever the reader cannot parse is not a usable workbook
        raise UnreadableWorkbook(f"{type(e).__name__}: {e}") from e


def header_positions(header: Sequence[object]) -> dict[str, int]:
    """Each title of a header row, compared loosely, to its 0-based column (the first wins)."""
    found: dict[str, int] = {}
    for i, v in enumerate(header):
        key = loose(v)
        if key and key not in found:
            found[key] = i
    return found


def column_positions(header: Sequence[object], columns: Sequence[str]) -> list[int]:
    """0-based position of each of `columns` in a list sheet's `header` row, by title (case and
    spacing loose); a title the header lacks gets the next free column after it."""
    found = header_positions(header)
    next_free = len(header)
    out = []
    for title in columns:
        pos = found.get(loose(title))
        if pos is None:
            pos, next_free = next_free, next_free + 1
        out.append(pos)
    return out


def place_in_columns(values: Sequence[T], positions: Sequence[int]) -> list[T | None]:
    """`values` (in the order `column_positions` was asked for) spread over a row at their
    positions, None between."""
    out: list[T | None] = [None] * (max(positions) + 1)
    for value, pos in zip(values, positions, strict=True):
        out[pos] = value
    return out


def records(grid: Grid, columns: Sequence[str]) -> list[dict[str, object]]:
    """Rows of a list sheet under its header row, keyed by lower-case column title; columns found
    by title so that an owner's reordering does not matter (a title the header lacks is read where
    the sheet was written with it)."""
    if not grid:
        return []
    found = header_positions(grid[0])
    index = {c.casefold(): found.get(loose(c), i) for i, c in enumerate(columns)}
    return [{k: at(row, i) for k, i in index.items()} for row in grid[1:]]

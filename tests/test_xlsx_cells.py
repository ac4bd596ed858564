"""The small spreadsheet facts the merge keeps for itself so it need not load openpyxl: cell
ranges, column letters and Excel's built-in number format ids - checked against openpyxl's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import range_boundaries

from workbook.xlsx.cells import cell_range_bounds, column_letter, column_number
from workbook.xlsx.numbers import BUILTIN_FORMAT_IDS


def test_built_in_format_ids_are_excels() -> None:
    assert BUILTIN_FORMAT_IDS == BUILTIN_FORMATS_REVERSE


@given(st.integers(1, 16_384))
def test_column_letters_are_excels(n: int) -> None:
    assert column_letter(n) == get_column_letter(n)
    assert column_number(column_letter(n)) == column_index_from_string(get_column_letter(n)) == n


COLUMNS, ROWS = st.integers(1, 16_384), st.integers(1, 1_048_576)


@given(COLUMNS, ROWS, COLUMNS, ROWS)
def test_cell_ranges_read_as_openpyxl_reads_them(c0: int, r0: int, c1: int, r1: int) -> None:
    (c0, c1), (r0, r1) = sorted((c0, c1)), sorted((r0, r1))
    lo, hi = f"{column_letter(c0)}{r0}", f"${column_letter(c1)}${r1}"
    area = f"{lo}:{hi}"
    assert cell_range_bounds(area) == range_boundaries(area.replace("$", ""))
    assert cell_range_bounds(lo) == range_boundaries(lo)
    # corners given the other way round make the same range (openpyxl keeps them as given)
    assert cell_range_bounds(f"{hi}:{lo}") == cell_range_bounds(area)


@pytest.mark.parametrize("area", ["", "A", "1:3", "A:B", "A1:B2:C3", "A1B2", "XFDZ1"])
def test_what_is_not_a_cell_range_is_refused(area: str) -> None:
    with pytest.raises(ValueError):
        cell_range_bounds(area)

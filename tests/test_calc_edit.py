"""The harness that edits a lead's copy in LibreOffice Calc (tests/calc_edit.py), checked on a
small workbook shaped like one: a protected "Action Plan" whose column H is open for typing and
carries a RAG list, and a veryHidden "Identity" sheet.

Each edit_in_calc call starts an office (about 2 s), so the edits are grouped into few runs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from office import edit_in_calc, needs_calc_uno
from openpyxl.styles import Protection
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

pytestmark = needs_calc_uno

PLAN = "Action Plan"
REFS = ["EHP-01", "EHP-02", "EHP-03", "EHP-04"]  # column A, rows 12..15


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = PLAN
    ws["A1"] = "OFSTED ACTION PLAN"
    ws["A11"], ws["B11"], ws["H11"] = "Ref", "Action", "RAG"
    for row, ref in enumerate(REFS, start=12):
        ws[f"A{row}"] = ref
        ws[f"B{row}"] = f"action {ref}"
        ws[f"C{row}"] = row * 10
        ws[f"H{row}"] = "AMBER"
    for row in range(12, 41):
        ws[f"H{row}"].protection = Protection(locked=False)
    rag = DataValidation(type="list", formula1='"RED,AMBER,GREEN"', allow_blank=True)
    ws.add_data_validation(rag)
    rag.add("H12:H40")
    ws.protection.sheet = True
    ident = wb.create_sheet("Identity")
    ident["A1"], ident["B1"] = "lead", "Jo Bloggs"
    ident["A2"], ident["B2"] = "issue", 3
    ident.sheet_state = "veryHidden"
    path = tmp_path_factory.mktemp("calc-src") / "lead.xlsx"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def typed(src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a lead can do without unprotecting: type into the open cells of column H."""
    dst = tmp_path_factory.mktemp("calc-typed") / "returned.xlsx"
    edit_in_calc(
        src,
        dst,
        [
            {"op": "set", "sheet": PLAN, "cell": "H12", "value": "GREEN"},
            {"op": "find_set", "sheet": PLAN, "find": "EHP-03", "column": "H", "value": "RED"},
            {"op": "set", "sheet": PLAN, "cell": "H13", "value": "=SUM(C12:C13)"},
            {"op": "set", "sheet": PLAN, "cell": "H15", "value": 42},
            {"op": "set", "sheet": PLAN, "cell": "H16", "value": "new note"},
        ],
    )
    return dst


@pytest.fixture(scope="module")
def restructured(src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a lead who unprotects the sheet can do: sort, insert and delete rows and columns."""
    dst = tmp_path_factory.mktemp("calc-restructured") / "returned.xlsx"
    edit_in_calc(
        src,
        dst,
        [
            {"op": "sort", "sheet": PLAN, "range": "A12:J15", "by": "A", "descending": True},
            {"op": "insert_rows", "sheet": PLAN, "before": 13, "count": 2},
            {"op": "insert_columns", "sheet": PLAN, "before": "C", "count": 1},
            {"op": "set", "sheet": PLAN, "cell": "B12", "value": "retitled", "unprotect": True},
            {"op": "delete_rows", "sheet": PLAN, "row": 2, "count": 1},
        ],
    )
    return dst


@pytest.fixture(scope="module")
def protected_edits(src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a lead does on the protected sheet whose protection allows nothing (openpyxl's
    default, sort and insert prohibited): type as Calc's input line reads it (en-GB), paste,
    sort the open column H alone, comment, and copy the sheet and type on the copy."""
    dst = tmp_path_factory.mktemp("calc-protected") / "returned.xlsx"
    edit_in_calc(
        src,
        dst,
        [
            {"op": "locale", "tag": "en-GB"},
            {"op": "type", "sheet": PLAN, "cell": "H12", "value": "Jun-24"},
            {"op": "type", "sheet": PLAN, "cell": "H13", "value": "=C12+C13"},
            {"op": "type", "sheet": PLAN, "cell": "H14", "value": "50%"},
            {"op": "paste", "sheet": PLAN, "from": "H13", "cell": "H16"},
            {"op": "sort_unlocked", "sheet": PLAN, "range": "H12:H15", "by": "H"},
            {"op": "comment", "sheet": PLAN, "cell": "H20", "text": "a note"},
            {"op": "copy_sheet", "sheet": PLAN, "as": "Action Plan (2)"},
            {"op": "type", "sheet": "Action Plan (2)", "cell": "H30", "value": "on the copy"},
        ],
    )
    return dst


def grid(path: Path, sheet: str) -> list[list[Any]]:
    """A sheet's values indexed from A1: grid[row - 1][col]. calamine's to_python starts at the
    first non-empty cell, so it is padded back out to A1 here."""
    sh = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
    top, left = sh.start or (0, 0)
    rows = [[""] * left + list(r) for r in sh.to_python()]
    return [[] for _ in range(top)] + rows


def cell(g: list[list[Any]], ref: str) -> Any:
    col, row = ord(ref[0]) - ord("A"), int(ref[1:])
    line = g[row - 1] if row <= len(g) else []
    return line[col] if col < len(line) else ""


def rag_ranges(ws) -> list[tuple[str, str]]:
    return [(dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation]


def test_typed_values_arrive(typed: Path) -> None:
    g = grid(typed, PLAN)
    assert [cell(g, f"H{r}") for r in range(12, 17)] == [
        "GREEN",
        "=SUM(C12:C13)",
        "RED",
        42,
        "new note",
    ]
    assert [cell(g, f"A{r}") for r in range(12, 16)] == REFS  # nothing else moved
    assert cell(g, "B12") == "action EHP-01"


def test_text_starting_with_equals_stays_text(typed: Path) -> None:
    # setString is typing with the cell formatted as text: Calc keeps "=..." as a string and
    # writes it as a shared string, not as a formula
    ws = openpyxl.load_workbook(typed)[PLAN]
    assert ws["H13"].value == "=SUM(C12:C13)"
    assert ws["H13"].data_type == "s"
    values = openpyxl.load_workbook(typed, data_only=True)[PLAN]
    assert values["H13"].value == "=SUM(C12:C13)"


def test_numbers_stay_numbers(typed: Path) -> None:
    ws = openpyxl.load_workbook(typed)[PLAN]
    assert ws["H15"].value == 42
    assert ws["H15"].data_type == "n"


def test_protection_and_open_cells_survive(typed: Path) -> None:
    ws = openpyxl.load_workbook(typed)[PLAN]
    assert ws.protection.sheet
    assert ws["A12"].protection.locked
    assert not ws["H12"].protection.locked
    assert not ws["H40"].protection.locked


def test_rag_list_survives(typed: Path) -> None:
    ws = openpyxl.load_workbook(typed)[PLAN]
    assert rag_ranges(ws) == [('"RED,AMBER,GREEN"', "H12:H40")]


def test_identity_sheet_keeps_its_values_but_calc_makes_it_merely_hidden(typed: Path) -> None:
    assert grid(typed, "Identity")[:2] == [["lead", "Jo Bloggs"], ["issue", 3]]
    wb = openpyxl.load_workbook(typed)
    assert wb.sheetnames == [PLAN, "Identity"]
    # LibreOffice (7.4) has no "very hidden": it reads veryHidden as hidden and saves "hidden",
    # so a returned copy may show the Identity sheet under Format > Sheets > Show
    assert wb["Identity"].sheet_state == "hidden"


def test_locked_cell_of_protected_sheet_is_refused(src: Path, tmp_path: Path) -> None:
    # UNO's setString would write it; the harness refuses it as Calc refuses a person
    dst = tmp_path / "returned.xlsx"
    with pytest.raises(AssertionError, match=r"B12 is locked on a protected sheet"):
        edit_in_calc(src, dst, [{"op": "set", "sheet": PLAN, "cell": "B12", "value": "x"}])
    assert not dst.exists()


def test_bad_edits_fail_with_a_message(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "returned.xlsx"
    with pytest.raises(AssertionError, match=r"edit 0: unknown operation"):
        edit_in_calc(src, dst, [{"op": "paint", "sheet": PLAN}])
    with pytest.raises(AssertionError, match=r"missing value"):
        edit_in_calc(src, dst, [{"op": "set", "sheet": PLAN, "cell": "H12"}])
    with pytest.raises(AssertionError, match=r"type takes the text as typed"):
        edit_in_calc(src, dst, [{"op": "type", "sheet": PLAN, "cell": "H12", "value": 3}])
    with pytest.raises(AssertionError, match=r"locale must come first"):
        edit_in_calc(src, dst, [{"op": "set", "sheet": PLAN, "cell": "H12", "value": "x"},
                                {"op": "locale", "tag": "en-GB"}])  # fmt: skip
    assert not dst.exists()


def test_typing_is_read_as_calc_reads_it(protected_edits: Path) -> None:
    # H12:H15 sorted ascending although the sheet's sort option is off: 0.5, 250 (C12+C13),
    # 45444 ("Jun-24": 1 June 2024 in en-GB, a date), text last
    ws = openpyxl.load_workbook(protected_edits)[PLAN]
    assert [ws[f"H{r}"].value for r in range(12, 16)] == [
        0.5, "=C12+C13", dt.datetime(2024, 6, 1), "AMBER",
    ]  # fmt: skip
    assert ws["H12"].number_format == "0.00%"
    values = grid(protected_edits, PLAN)
    assert [cell(values, f"H{r}") for r in range(12, 16)] == [
        0.5, 250, dt.date(2024, 6, 1), "AMBER",
    ]  # fmt: skip
    assert ws["H16"].value == "=C15+C16"  # pasted, its references moved with it
    assert openpyxl.load_workbook(protected_edits)["Action Plan (2)"]["H30"].value == (
        "on the copy"
    )
    assert ws["H20"].comment is not None and ws["H20"].comment.text == "a note"
    assert ws.protection.sheet


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ({"op": "insert_columns", "before": "I", "unprotect": False},
         "refuses to insert columns on protected sheet"),
        ({"op": "sort_unlocked", "range": "A12:H15", "by": "A"}, "holds locked cells"),
        ({"op": "type", "cell": "A1:B2", "value": "x"}, "not a cell"),
        ({"op": "comment", "cell": "B12", "text": "x"}, "B12 is locked on a protected sheet"),
        ({"op": "copy_sheet", "as": "Identity"}, "there is a sheet 'Identity' already"),
    ],
)  # fmt: skip
def test_what_calc_refuses_on_a_protected_sheet(
    src: Path, tmp_path: Path, edit: dict[str, Any], says: str
) -> None:
    dst = tmp_path / "returned.xlsx"
    with pytest.raises(AssertionError, match=says):
        edit_in_calc(src, dst, [{"sheet": PLAN, **edit}])
    assert not dst.exists()


def test_restructured_rows_columns_and_sort(restructured: Path) -> None:
    # sort A12:J15 descending -> rows 12..15 EHP-04..01; two blank rows at 13..14; column C
    # pushed to D; row 2 deleted, so everything from row 3 moves up by one
    g = grid(restructured, PLAN)
    assert cell(g, "A1") == "OFSTED ACTION PLAN"
    assert [cell(g, f"A{r}") for r in range(10, 17)] == [
        "Ref", "EHP-04", "", "", "EHP-03", "EHP-02", "EHP-01",
    ]  # fmt: skip
    assert cell(g, "B11") == "retitled"
    assert [cell(g, f"D{r}") for r in (11, 14, 15, 16)] == [150, 140, 130, 120]
    assert [cell(g, f"C{r}") for r in (11, 14, 15, 16)] == ["", "", "", ""]
    assert cell(g, "I10") == "RAG"
    assert [cell(g, f"I{r}") for r in (11, 14, 15, 16)] == ["AMBER"] * 4


def test_restructuring_keeps_protection_and_moves_the_rag_list(restructured: Path) -> None:
    ws = openpyxl.load_workbook(restructured)[PLAN]
    assert ws.protection.sheet  # protected again after each structural edit
    # H12:H40, +2 rows inserted inside it, +1 column before it, -1 row above it
    assert rag_ranges(ws) == [('"RED,AMBER,GREEN"', "I11:I41")]
    assert not ws["I12"].protection.locked  # inserted rows take the open cells' format
    assert ws["B11"].protection.locked

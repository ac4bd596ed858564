"""The change-only .xlsx patcher, checked on real masters read back by openpyxl, python-calamine
and (when installed) LibreOffice."""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree
from office import needs_office, pdf_text, to_pdf
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from workbook.importers.seed import seed_plan
from workbook.master.sheets import (
    CHANGES_COLUMNS,
    SHEET_CHANGES,
    SHEET_LEADS,
    SHEET_PLAN,
    SHEET_UPDATES,
)
from workbook.master.write import write_master
from workbook.xlsx.files import write_atomically
from workbook.xlsx.patch import CellStyle, PatchError, Value, XlsxPatch

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PLAN_PART = "xl/worksheets/sheet1.xml"
UPDATES_PART = "xl/worksheets/sheet3.xml"
CHANGES_PART = "xl/worksheets/sheet4.xml"
FIRST_ITEM_ROW = 12  # header in row 10, a section row in 11
UPDATE_COL, STATUS_COL, DUE_COL = 6, 7, 8
LAST_CHANGES_COL = get_column_letter(len(CHANGES_COLUMNS))


@functools.cache
def master_bytes() -> bytes:
    """The seed plan's master, written once: tests patch copies of its bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "master.xlsx"
        write_master(seed_plan(), path)
        return path.read_bytes()


def save(patch: XlsxPatch, folder: Path, name: str = "patched.xlsx") -> Path:
    path = folder / name
    patch.save(path)
    return path


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def with_members(data: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    """A copy of the workbook `data` with its members edited by `change`."""
    parts = members(data)
    change(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def calamine(source: Path | bytes, sheet: str) -> list[list[Any]]:
    wb = (
        CalamineWorkbook.from_path(str(source))
        if isinstance(source, Path)
        else CalamineWorkbook.from_filelike(io.BytesIO(source))
    )
    try:
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        wb.close()


def cell_xml(data: bytes, part: str, ref: str) -> bytes:
    root = etree.fromstring(members(data)[part])
    (cell,) = root.iterfind(f".//{{{MAIN}}}c[@r='{ref}']")
    return etree.tostring(cell, method="c14n")


def assert_in_order(data: bytes, part: str) -> None:
    """Rows ascend, and cells ascend within each row, as Excel requires."""
    root = etree.fromstring(members(data)[part])
    numbers = [int(r.get("r")) for r in root.iter(f"{{{MAIN}}}row")]
    assert numbers == sorted(set(numbers))
    for row in root.iter(f"{{{MAIN}}}row"):
        cols = [_col(c.get("r")) for c in row.iter(f"{{{MAIN}}}c")]
        assert cols == sorted(set(cols)), row.get("r")
        assert all(c.get("r").endswith(row.get("r")) for c in row.iter(f"{{{MAIN}}}c"))


def _col(ref: str) -> int:
    m = re.match(r"[A-Z]+", ref)
    assert m is not None, ref
    letters = m.group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


# --- set_cell -----------------------------------------------------------------------------------

TEXTS = {
    (FIRST_ITEM_ROW, UPDATE_COL): "Update June 24: met the PCC.\nNext: funding bid\n  indented",
    (FIRST_ITEM_ROW + 1, UPDATE_COL): "=SUM(A1)",
    (FIRST_ITEM_ROW + 2, UPDATE_COL): "+44 7700 900123",
    (FIRST_ITEM_ROW + 3, UPDATE_COL): "@x",
    (FIRST_ITEM_ROW + 5, UPDATE_COL): "-5 days",
    (FIRST_ITEM_ROW, STATUS_COL): "GREEN",
}


def test_set_cell_values_read_back_in_both_readers(tmp_path: Path) -> None:
    patch = XlsxPatch(master_bytes())
    for (row, col), text in TEXTS.items():
        patch.set_cell(SHEET_PLAN, row, col, text)
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW + 1, STATUS_COL, 42)
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW + 2, STATUS_COL, 3.25)
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW + 3, STATUS_COL, True)
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW + 1, DUE_COL, dt.date(2025, 3, 31))
    path = save(patch, tmp_path)

    ws = load_workbook(path)[SHEET_PLAN]
    grid = calamine(path, SHEET_PLAN)
    for (row, col), text in TEXTS.items():
        assert ws.cell(row, col).value == text
        assert ws.cell(row, col).data_type == "s"  # text, never a formula
        assert grid[row - 1][col - 1] == text
    assert ws.cell(FIRST_ITEM_ROW + 1, STATUS_COL).value == 42
    assert ws.cell(FIRST_ITEM_ROW + 2, STATUS_COL).value == 3.25
    assert ws.cell(FIRST_ITEM_ROW + 3, STATUS_COL).value is True
    assert ws.cell(FIRST_ITEM_ROW + 1, DUE_COL).value == dt.datetime(2025, 3, 31)
    assert grid[FIRST_ITEM_ROW][STATUS_COL - 1] == 42
    assert grid[FIRST_ITEM_ROW + 1][STATUS_COL - 1] == 3.25
    assert grid[FIRST_ITEM_ROW + 2][STATUS_COL - 1] is True
    assert grid[FIRST_ITEM_ROW][DUE_COL - 1] == dt.date(2025, 3, 31)
    assert_in_order(path.read_bytes(), PLAN_PART)


def test_set_cell_keeps_the_cell_style_and_the_rest_of_the_row(tmp_path: Path) -> None:
    original = master_bytes()
    patch = XlsxPatch(original)
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW, UPDATE_COL, "Replaced")
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW, STATUS_COL, "AMBER")
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW, DUE_COL, dt.date(2025, 1, 1))  # a date-styled cell
    path = save(patch, tmp_path)

    before = load_workbook(io.BytesIO(original), rich_text=True)[SHEET_PLAN]
    after = load_workbook(path, rich_text=True)[SHEET_PLAN]
    for col in (UPDATE_COL, STATUS_COL, DUE_COL):
        old, new = before.cell(FIRST_ITEM_ROW, col), after.cell(FIRST_ITEM_ROW, col)
        # repr: openpyxl hands out style proxies, which do not compare equal to each other
        looks = [repr(x) for x in (new.font, new.fill, new.border, new.alignment)]
        assert looks == [repr(x) for x in (old.font, old.fill, old.border, old.alignment)]
        assert new.number_format == old.number_format
    assert after.cell(FIRST_ITEM_ROW, DUE_COL).value == dt.datetime(2025, 1, 1)
    # the finding (rich text) and the actions in the same row are untouched, XML and all
    for ref in (f"B{FIRST_ITEM_ROW}", f"C{FIRST_ITEM_ROW}"):
        assert cell_xml(path.read_bytes(), PLAN_PART, ref) == cell_xml(original, PLAN_PART, ref)
    assert str(after[f"B{FIRST_ITEM_ROW}"].value) == str(before[f"B{FIRST_ITEM_ROW}"].value)
    assert (
        after.row_dimensions[FIRST_ITEM_ROW].height == before.row_dimensions[FIRST_ITEM_ROW].height
    )


def test_set_cell_with_style_none_and_new_cells(tmp_path: Path) -> None:
    patch = XlsxPatch(master_bytes())
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW, UPDATE_COL, None)  # clears, keeps the style
    patch.set_cell(SHEET_PLAN, 5000, 1, "far below")  # a new row
    patch.set_cell(SHEET_PLAN, 3, 12, "right of the title")  # a new cell after the row's cells
    patch.set_cell(SHEET_PLAN, 4000, 2, dt.datetime(2024, 6, 1, 9, 15))  # new cell, no style
    patch.set_cell(SHEET_PLAN, 4000, 3, "bold", style=CellStyle(bold=True, wrap=True))
    patch.set_cell(SHEET_PLAN, 4000, 4, None)  # nothing there and nothing to write: no cell
    patch.set_row_height(SHEET_PLAN, 4000, 33.5)
    path = save(patch, tmp_path)

    ws = load_workbook(path)[SHEET_PLAN]
    cleared = ws.cell(FIRST_ITEM_ROW, UPDATE_COL)
    assert cleared.value is None and cleared.alignment.wrap_text and cleared.border.left.style
    assert ws["A5000"].value == "far below"
    assert ws["L3"].value == "right of the title"
    assert ws["B4000"].value == dt.datetime(2024, 6, 1, 9, 15)
    assert ws["B4000"].number_format == "yyyy-mm-dd hh:mm"  # a date never shows as a serial
    assert ws["C4000"].font.b and ws["C4000"].alignment.wrap_text
    assert ws["C4000"].alignment.vertical == "top"
    assert ws.row_dimensions[4000].height == 33.5
    assert "D4000" not in members(path.read_bytes())[PLAN_PART].decode()
    assert_in_order(path.read_bytes(), PLAN_PART)
    dim = etree.fromstring(members(path.read_bytes())[PLAN_PART]).find(f"{{{MAIN}}}dimension")
    assert dim.get("ref") == "A1:L5000"


def test_set_cell_removes_formulas_and_keeps_shared_ones_working(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Calc"
    for row in range(1, 5):
        ws.cell(row, 1, row * 10)
        ws.cell(row, 2, f"=A{row}*2")
    source = tmp_path / "formulas.xlsx"
    wb.save(source)

    def shared_formulas_and_calc_chain(parts: dict[str, bytes]) -> None:
        # Excel writes one formula for B1:B4 and "same as B1" in the others; it also keeps a
        # calculation chain that lists every formula cell
        xml = parts["xl/worksheets/sheet1.xml"].decode()
        xml = xml.replace("<f>A1*2</f>", '<f t="shared" ref="B1:B4" si="0">A1*2</f>')
        for row in range(2, 5):
            xml = xml.replace(f"<f>A{row}*2</f>", '<f t="shared" si="0"/>')
        parts["xl/worksheets/sheet1.xml"] = xml.encode()
        parts["xl/calcChain.xml"] = (
            f'<calcChain xmlns="{MAIN}"><c r="B1" i="1"/><c r="B2"/><c r="B3"/><c r="B4"/>'
            "</calcChain>"
        ).encode()
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>",
            b'<Relationship Id="rId99" Target="calcChain.xml" Type="http://schemas.openxml'
            b'formats.org/officeDocument/2006/relationships/calcChain"/></Relationships>',
        )
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>",
            b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxml'
            b'formats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
        )

    data = with_members(source.read_bytes(), shared_formulas_and_calc_chain)
    assert load_workbook(io.BytesIO(data))["Calc"]["B3"].value == "=A3*2"  # the fixture is sound
    patch = XlsxPatch(data)
    patch.set_cell("Calc", 1, 2, "was a formula")
    out = patch.to_bytes()

    ws = load_workbook(io.BytesIO(out))["Calc"]
    assert ws["B1"].value == "was a formula"
    assert [ws[f"B{row}"].value for row in range(2, 5)] == ["=A2*2", "=A3*2", "=A4*2"]
    parts = members(out)
    assert "xl/calcChain.xml" not in parts
    assert b"calcChain" not in parts["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in parts["[Content_Types].xml"]


def test_text_is_cleaned_and_limited(tmp_path: Path) -> None:
    patch = XlsxPatch(master_bytes())
    patch.set_cell(SHEET_LEADS, 2, 2, "bell\x07 and\x00 tab\there")
    patch.set_cell(SHEET_LEADS, 3, 2, "literal _x0041_ stays")
    with pytest.raises(PatchError, match="32,767"):
        patch.set_cell(SHEET_LEADS, 4, 2, "x" * 32_768)
    path = save(patch, tmp_path)
    grid = calamine(path, SHEET_LEADS)
    assert grid[1][1] == "bell and tab\there"
    assert grid[2][1] == "literal _x0041_ stays"  # as Excel reads it, not "literal A stays"


def test_unknown_sheet_and_bad_addresses() -> None:
    patch = XlsxPatch(master_bytes())
    with pytest.raises(PatchError, match="no sheet 'Nope' in the workbook"):
        patch.set_cell("Nope", 1, 1, "x")
    with pytest.raises(ValueError):
        patch.set_cell(SHEET_PLAN, 0, 1, "x")
    with pytest.raises(ValueError):
        patch.set_cell(SHEET_PLAN, 1, 16_385, "x")


# --- sheets and rows ----------------------------------------------------------------------------


def test_sheet_names_states_and_last_rows() -> None:
    patch = XlsxPatch(master_bytes())
    assert patch.sheet_names[:4] == [SHEET_PLAN, SHEET_LEADS, SHEET_UPDATES, SHEET_CHANGES]
    assert patch.sheet_state("changes") == "visible"
    assert patch.last_row(SHEET_CHANGES) == 1
    plan_rows = calamine(master_bytes(), SHEET_PLAN)
    last = max(i for i, row in enumerate(plan_rows, 1) if any(v != "" for v in row))
    assert patch.last_row(SHEET_PLAN) == last
    updates = calamine(master_bytes(), SHEET_UPDATES)
    assert patch.last_row(SHEET_UPDATES) == len(updates)
    assert members(patch.to_bytes()) == members(master_bytes())  # reading changes nothing


def test_append_rows_to_empty_and_filled_list_sheets(tmp_path: Path) -> None:
    original = master_bytes()
    updates_before = calamine(original, SHEET_UPDATES)
    patch = XlsxPatch(original)
    when = dt.datetime(2024, 6, 3, 14, 5)
    changes: list[list[Value]] = [
        [when, "GT return.xlsx", "ab12", "GT", "WNI-01", "Update", "old", "new", "applied"],
        [when, "LH return.xlsx", "cd34", "LH", "WNI-02", "Status", "", "=RED", "applied"],
    ]
    stamp = CellStyle(number_format="yyyy-mm-dd hh:mm", horizontal="left")
    first_change = patch.append_rows(SHEET_CHANGES, changes, styles=[stamp])
    updates: list[list[Value]] = [
        ["WNI-01", dt.date(2024, 6, 3), "GT", "GREEN", "Update June 24: done", "x.xlsx"]
    ]
    day = CellStyle(number_format="d mmmm yyyy", horizontal="left")
    wrap = CellStyle(wrap=True, horizontal="left")
    first_update = patch.append_rows(
        SHEET_UPDATES, updates, styles=[None, day, None, None, wrap], heights=[40]
    )
    path = save(patch, tmp_path)

    assert first_change == 2
    assert first_update == len(updates_before) + 1
    wb = load_workbook(path)
    ch, up = wb[SHEET_CHANGES], wb[SHEET_UPDATES]
    assert [[c.value for c in row][:9] for row in ch.iter_rows(min_row=2)] == changes
    assert ch["A2"].number_format == "yyyy-mm-dd hh:mm" and ch["A3"].alignment.horizontal == "left"
    assert ch.auto_filter.ref == f"A1:{LAST_CHANGES_COL}3"
    assert up.auto_filter.ref == f"A1:F{first_update}"
    assert ch["A1"].font.b and ch["A1"].value == "When"  # the header is as it was
    assert up[f"B{first_update}"].value == dt.datetime(2024, 6, 3)
    assert up[f"B{first_update}"].number_format == "d mmmm yyyy"
    assert up[f"E{first_update}"].alignment.wrap_text
    assert up.row_dimensions[first_update].height == 40

    grid = calamine(path, SHEET_CHANGES)
    assert grid[1][:9] == changes[0] and grid[2][:9] == changes[1]
    grid = calamine(path, SHEET_UPDATES)
    assert grid[: len(updates_before)] == updates_before
    assert grid[first_update - 1][:5] == updates[0][:5]
    # Excel keeps the filter range twice: in the sheet and as a hidden name
    workbook_xml = members(path.read_bytes())["xl/workbook.xml"].decode()
    assert f"'Changes'!$A$1:${LAST_CHANGES_COL}$3<" in workbook_xml
    assert f"'Updates'!$A$1:$F${first_update}<" in workbook_xml
    for part in (CHANGES_PART, UPDATES_PART):
        assert_in_order(path.read_bytes(), part)


def test_styles_are_found_before_they_are_added() -> None:
    patch = XlsxPatch(master_bytes())
    # the master already has bold Arial 10 wrapped top left (its list sheets' headers) and a
    # dd-mmm-yy left/top date style
    patch.append_rows(SHEET_CHANGES, [["x", dt.date(2024, 1, 1)]], styles=[
        CellStyle(bold=True, wrap=True, vertical="top", horizontal="left"),
        CellStyle(number_format="dd-mmm-yy", horizontal="left"),
    ])  # fmt: skip
    assert members(patch.to_bytes())["xl/styles.xml"] == members(master_bytes())["xl/styles.xml"]

    patch.append_rows(SHEET_CHANGES, [["y"]], styles=[CellStyle(number_format="0.000%")])
    styles = etree.fromstring(members(patch.to_bytes())["xl/styles.xml"])
    fmts = styles.find(f"{{{MAIN}}}numFmts")
    assert fmts.get("count") == str(len(fmts))
    assert fmts[-1].get("formatCode") == "0.000%"
    assert int(fmts[-1].get("numFmtId")) > max(int(f.get("numFmtId")) for f in fmts[:-1])
    xfs = styles.find(f"{{{MAIN}}}cellXfs")
    assert xfs.get("count") == str(len(xfs))


def test_add_sheet_very_hidden_and_visible(tmp_path: Path) -> None:
    patch = XlsxPatch(master_bytes())
    rows: list[list[Value]] = [
        ["Key", "Value", "When"],
        ["a", 1, dt.date(2024, 2, 29)],
        ["b", "=not a formula", None],
    ]
    patch.add_sheet("Ledger", rows, state="veryHidden", widths=[12, 30, 14])
    patch.add_sheet("Notes", [["Note"], ["first"]])
    assert patch.sheet_names[-2:] == ["Ledger", "Notes"]
    assert patch.sheet_state("ledger") == "veryHidden"
    for taken in ("Ledger", "LEDGER", "action plan", "notes"):
        with pytest.raises(PatchError, match="already"):
            patch.add_sheet(taken, [["x"]])
    for bad in ("", "a/b", "x" * 32, "'quoted'", "why?", "History"):
        with pytest.raises(PatchError, match="not a valid Excel sheet name"):
            patch.add_sheet(bad, [["x"]])
    path = save(patch, tmp_path)

    wb = load_workbook(path)
    assert wb["Ledger"].sheet_state == "veryHidden"
    assert wb["Notes"].sheet_state == "visible" and wb["Notes"].freeze_panes == "A2"
    assert wb["Ledger"]["A1"].font.b and wb["Ledger"].column_dimensions["B"].width == 30
    assert wb["Ledger"]["C2"].value == dt.datetime(2024, 2, 29)
    assert calamine(path, "Ledger") == [
        ["Key", "Value", "When"],
        ["a", 1, dt.date(2024, 2, 29)],
        ["b", "=not a formula", ""],
    ]
    assert calamine(path, "Notes") == [["Note"], ["first"]]
    # the original members keep their order; the new sheets come last
    names = list(members(path.read_bytes()))
    assert names[: len(members(master_bytes()))] == list(members(master_bytes()))
    sheets = sum(1 for m in members(master_bytes()) if m.startswith("xl/worksheets/sheet"))
    assert names[-2:] == [f"xl/worksheets/sheet{sheets + n}.xml" for n in (1, 2)]


# --- everything else is left alone --------------------------------------------------------------


def test_untouched_members_are_byte_identical(tmp_path: Path) -> None:
    patch = XlsxPatch(master_bytes())
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW, STATUS_COL, "RED")
    patch.append_rows(SHEET_CHANGES, [["a", "b"]])
    after = members(save(patch, tmp_path).read_bytes())
    before = members(master_bytes())
    assert list(after) == list(before)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {PLAN_PART, CHANGES_PART, "xl/workbook.xml"}  # workbook: the filter's name


@pytest.mark.filterwarnings("ignore:Conditional Formatting extension:UserWarning")
def test_parts_openpyxl_does_not_know_survive(tmp_path: Path) -> None:
    ext = (
        '<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        "<x14:conditionalFormattings/></ext></extLst>"
    )
    root_ns = (
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
        'mc:Ignorable="x14ac"'
    )

    def as_excel_writes_it(parts: dict[str, bytes]) -> None:
        xml = parts[PLAN_PART].decode()
        xml = xml.replace(f'<worksheet xmlns="{MAIN}"', f'<worksheet xmlns="{MAIN}" {root_ns}', 1)
        xml = xml.replace("</worksheet>", ext + "</worksheet>")
        xml = xml.replace('<row r="12" ', '<row r="12" x14ac:dyDescent="0.25" ', 1)
        parts[PLAN_PART] = xml.encode()
        parts["xl/media/image1.png"] = b"\x89PNG not really"

    fixture = with_members(master_bytes(), as_excel_writes_it)
    patch = XlsxPatch(fixture)
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW, UPDATE_COL, "patched")
    out = save(patch, tmp_path).read_bytes()

    sheet = members(out)[PLAN_PART]
    root = etree.fromstring(sheet)
    assert etree.tostring(root[-1], method="c14n") == etree.tostring(
        etree.fromstring(members(fixture)[PLAN_PART])[-1], method="c14n"
    )
    head = sheet[: sheet.index(b"<sheetPr")]
    assert b'mc:Ignorable="x14ac"' in head and b"xmlns:x14ac=" in head  # prefixes kept as written
    assert b'<row r="12" x14ac:dyDescent="0.25"' in sheet
    assert b"<x14:conditionalFormattings/>" in sheet
    assert members(out)["xl/media/image1.png"] == b"\x89PNG not really"
    assert load_workbook(io.BytesIO(out))[SHEET_PLAN]["F12"].value == "patched"


@given(
    writes=st.lists(
        st.tuples(
            st.integers(1, 40),
            st.integers(1, 6),
            st.one_of(
                st.text(max_size=40),
                st.integers(-(10**15), 10**15),
                st.floats(-1e15, 1e15, allow_nan=False),
            ),
        ),
        max_size=25,
    )
)
@example(writes=[(2, 2, "_x0041_ \r\n lead"), (15, 1, " padded "), (3, 5, "=1+1")])
def test_random_writes_read_back_with_calamine(writes: list[tuple[int, int, Value]]) -> None:
    before = calamine(master_bytes(), SHEET_LEADS)
    patch = XlsxPatch(master_bytes())
    for row, col, value in writes:
        patch.set_cell(SHEET_LEADS, row, col, value)
    out = patch.to_bytes()
    grid = calamine(out, SHEET_LEADS)

    expected = {(r, c): re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", v)
                if isinstance(v, str) else v for r, c, v in writes}  # fmt: skip
    for (row, col), value in expected.items():
        assert grid[row - 1][col - 1] == value
    for r, line in enumerate(before, 1):
        for c, value in enumerate(line, 1):
            if (r, c) not in expected:
                assert grid[r - 1][c - 1] == value
    assert_in_order(out, "xl/worksheets/sheet2.xml")


@needs_office
def test_libreoffice_opens_the_patched_master(tmp_path: Path) -> None:
    patch = XlsxPatch(master_bytes())
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW, UPDATE_COL, "Patchedupdate seventeen")
    patch.append_rows(SHEET_CHANGES, [["Appendedchange", "row"]])
    patch.add_sheet("Extra", [["Heading"], ["Addedsheettext"]])
    pdf = to_pdf(save(patch, tmp_path), tmp_path)
    text = pdf_text(pdf)
    for marker in ("Patchedupdate seventeen", "Appendedchange", "Addedsheettext"):
        assert marker in text


# --- bad input ----------------------------------------------------------------------------------


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PatchError, match=r"not an \.xlsx workbook; open it in Excel and save it"):
        XlsxPatch(b"Ref,Finding\nWNI-01,x\n")
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(PatchError, match=r"plan\.xlsx is not an \.xlsx workbook \(it is an Excel"):
        XlsxPatch.open(path)
    with pytest.raises(PatchError, match="cannot read"):
        XlsxPatch.open(tmp_path / "missing.xlsx")


def test_a_zip_without_a_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<document/>")
    with pytest.raises(PatchError, match=r"no xl/workbook\.xml") as err:
        XlsxPatch(out.getvalue())
    assert "\n" not in str(err.value)


# --- write_atomically ---------------------------------------------------------------------------


def test_write_atomically_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "master.xlsx"
    target.write_bytes(b"old contents that are longer than the new ones")
    os.chmod(target, 0o640)
    write_atomically(target, lambda fh: fh.write(b"new"))
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx"]


def test_write_atomically_leaves_the_target_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "master.xlsx"
    target.write_bytes(b"old")

    def fail_halfway(fh: BinaryIO) -> None:
        fh.write(b"half a workbook")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, fail_halfway)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx"]


# --- the text path for appended rows ------------------------------------------------------------

ROWS: list[list[Value]] = [
    ["plain", 3, 2.5, True, dt.date(2023, 5, 31), dt.datetime(2023, 5, 31, 17, 0), None],
    ["a < b & c > d\r\nline two", -1, 0.0, False, None, None, "=SUM(A1)"],
    ["\x01bell removed", None, None, None, None, None, "_x0041_ stays literal"],
]
STYLES = [
    CellStyle(wrap=True),
    None,
    CellStyle(number_format="0.00"),
    None,
    CellStyle(horizontal="left"),
    None,
    None,
]


def _padded(data: bytes, sheet: str) -> list[list[object]]:
    return [row + [""] * (7 - len(row)) for row in calamine(data, sheet)]


def test_rows_appended_as_text_read_back_like_rows_built_as_elements() -> None:
    """Below the data the rows are written as XML text; over formatted empty rows, as elements.
    Both give the same cells in both readers."""
    fast = XlsxPatch(master_bytes())
    first = fast.append_rows(SHEET_CHANGES, ROWS, styles=STYLES, heights=[None, 40.0, None])
    fast_bytes = fast.to_bytes()

    def formatted_empty_rows(parts: dict[str, bytes]) -> None:
        # an owner formatted rows below the data: <row> elements with no values
        empty = "".join(f'<row r="{first + i}" ht="20" customHeight="1"/>' for i in range(5))
        parts[CHANGES_PART] = parts[CHANGES_PART].replace(
            b"</sheetData>", empty.encode() + b"</sheetData>"
        )

    slow = XlsxPatch(with_members(master_bytes(), formatted_empty_rows))
    assert slow.append_rows(SHEET_CHANGES, ROWS, styles=STYLES, heights=[None, 40.0, None]) == first
    slow_bytes = slow.to_bytes()
    assert _padded(fast_bytes, SHEET_CHANGES) == _padded(slow_bytes, SHEET_CHANGES)
    got = _padded(fast_bytes, SHEET_CHANGES)[first - 1 :]
    assert got[0][:6] == ["plain", 3, 2.5, True, dt.date(2023, 5, 31), dt.datetime(2023, 5, 31, 17)]
    assert got[1][0] == "a < b & c > d\r\nline two" and got[1][6] == "=SUM(A1)"
    assert got[2][0] == "bell removed" and got[2][6] == "_x0041_ stays literal"
    assert_in_order(fast_bytes, CHANGES_PART)
    for data in (fast_bytes, slow_bytes):
        ws = load_workbook(io.BytesIO(data))[SHEET_CHANGES]
        assert ws.cell(first, 3).number_format == "0.00"
        assert ws.cell(first, 5).number_format == "dd-mmm-yy"
        assert ws.cell(first, 1).alignment.wrap_text
        assert ws.row_dimensions[first + 1].height == 40
        assert ws.cell(first + 1, 7).data_type == "s"
        assert ws.auto_filter.ref == f"A1:{LAST_CHANGES_COL}{first + 2}"


def test_appending_twice_and_then_editing_an_appended_row() -> None:
    patch = XlsxPatch(master_bytes())
    a = patch.append_rows(SHEET_UPDATES, [["X-1", None, "GT", "", "one", "s"]])
    b = patch.append_rows(SHEET_UPDATES, [["X-2", None, "LH", "", "two", "s"]])
    assert b == a + 1 and patch.last_row(SHEET_UPDATES) == b
    patch.set_cell(SHEET_UPDATES, a, 5, "one, corrected")  # the pending rows become elements
    c = patch.append_rows(SHEET_UPDATES, [["X-3", None, "JoR", "", "three", "s"]])
    assert c == b + 1
    data = patch.to_bytes()
    grid = calamine(data, SHEET_UPDATES)
    assert [row[4] for row in grid[a - 1 :]] == ["one, corrected", "two", "three"]
    assert_in_order(data, UPDATES_PART)


def test_a_sheet_written_with_a_namespace_prefix_gets_prefixed_rows() -> None:
    """Some generators write <x:worksheet xmlns:x=...>: new rows must be in the same namespace."""

    def prefixed(parts: dict[str, bytes]) -> None:
        root = etree.fromstring(parts[CHANGES_PART])
        xml = etree.tostring(root).decode()
        xml = re.sub(r"<(/?)(?!\?)([A-Za-z]+)", r"<\1x:\2", xml)
        xml = xml.replace(f'xmlns="{MAIN}"', f'xmlns:x="{MAIN}"', 1)
        xml = xml.replace("<x:x:", "<x:").replace("</x:x:", "</x:")
        parts[CHANGES_PART] = xml.encode()

    patch = XlsxPatch(with_members(master_bytes(), prefixed))
    first = patch.append_rows(SHEET_CHANGES, [["prefixed", 1]])
    data = patch.to_bytes()
    assert b'<x:row r="2"' in members(data)[CHANGES_PART]
    assert calamine(data, SHEET_CHANGES)[first - 1][:2] == ["prefixed", 1]


def test_untouched_members_are_copied_compressed_as_they_were() -> None:
    """Unchanged parts are not recompressed: their compressed bytes and CRC carry over, and the
    new file passes zipfile's own integrity check."""
    patch = XlsxPatch(master_bytes())
    patch.set_cell(SHEET_PLAN, FIRST_ITEM_ROW, STATUS_COL, "AMBER")
    data = patch.to_bytes()
    with (
        zipfile.ZipFile(io.BytesIO(master_bytes())) as old,
        zipfile.ZipFile(io.BytesIO(data)) as new,
    ):
        assert new.testzip() is None
        assert [i.filename for i in new.infolist()] == [i.filename for i in old.infolist()]
        for info in old.infolist():
            if info.filename == PLAN_PART:
                continue
            copied = new.getinfo(info.filename)
            assert (copied.CRC, copied.compress_size, copied.compress_type) == (
                info.CRC, info.compress_size, info.compress_type
            )  # fmt: skip


# --- what rag and validate --write need ------------------------------------------------------


def test_a_column_width_inside_a_span_splits_the_span(tmp_path: Path) -> None:
    def one_span(parts: dict[str, bytes]) -> None:
        xml = re.sub(rb"<cols>.*?</cols>", b"", parts[PLAN_PART], flags=re.DOTALL)
        span = b'<cols><col min="1" max="5" width="20" customWidth="1"/></cols>'
        parts[PLAN_PART] = xml.replace(b"<sheetData", span + b"<sheetData", 1)

    patch = XlsxPatch(with_members(master_bytes(), one_span))
    patch.set_column_width(SHEET_PLAN, 3, 7.5)
    ws = load_workbook(save(patch, tmp_path))[SHEET_PLAN]
    assert ws.column_dimensions["C"].width == 7.5
    cols = etree.fromstring(members(patch.to_bytes())[PLAN_PART]).find(f"{{{MAIN}}}cols")
    assert [(c.get("min"), c.get("max"), c.get("width")) for c in cols] == [
        ("1", "2", "20"),
        ("3", "3", "7.5"),
        ("4", "5", "20"),
    ]


def test_a_workbook_name_replaces_a_sheet_level_one() -> None:
    def local_name(parts: dict[str, bytes]) -> None:
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            b"</definedNames>",
            b'<definedName name="AsOfDate" localSheetId="0">\'Action Plan\'!$Z$1</definedName>'
            b"</definedNames>",
        )

    patch = XlsxPatch(with_members(master_bytes(), local_name))
    assert patch.set_defined_name("AsOfDate", "'Settings'!$B$9")
    assert not patch.set_defined_name("AsOfDate", "'Settings'!$B$9")
    wb = load_workbook(io.BytesIO(patch.to_bytes()))
    assert wb.defined_names["AsOfDate"].attr_text == "'Settings'!$B$9"
    assert "AsOfDate" not in wb[SHEET_PLAN].defined_names
    assert patch.defined_name("asofdate") == "'Settings'!$B$9"


def test_a_report_sheet_is_replaced_in_place(tmp_path: Path) -> None:
    from workbook.xlsx.formats import Link, ReportSheet

    def report(rows: int) -> ReportSheet:
        return ReportSheet(
            name="Report",
            heading=f"{rows} rows",
            columns=("What", "Where"),
            widths=(30, 12),
            rows=tuple((f"row {n}", f"G{12 + n}") for n in range(rows)),
            links=tuple(Link(n, 1, f"'{SHEET_PLAN}'!G{12 + n}") for n in range(rows)),
        )

    patch = XlsxPatch(master_bytes())
    patch.replace_sheet(report(3))
    first = save(patch, tmp_path, "first.xlsx")
    patch = XlsxPatch(first.read_bytes())
    patch.replace_sheet(report(1))
    second = save(patch, tmp_path, "second.xlsx")
    assert patch.sheet_names.count("Report") == 1
    assert patch.sheet_names[-1] == "Report"
    wb = load_workbook(second)
    ws = wb["Report"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["1 rows", None],
        ["What", "Where"],
        ["row 0", "G12"],
    ]
    assert ws["B3"].hyperlink.location == f"'{SHEET_PLAN}'!G12"
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:B3"
    assert calamine(second, "Report")[2] == ["row 0", "G12"]

"""The returns built by tests/lead_returns.py hold what each builder says the lead made: read
back with python-calamine and from the zip's XML. What the merge makes of them is tested
elsewhere.

Every Calc-made return is built once for the module (a LibreOffice start is about 2 s).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import unescape

import pytest
from lxml import etree
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.cell_range import MultiCellRange

from sync.identity import SHEET_IDENTITY
from tests import lead_returns as lr
from tests.cycle import Cycle, start_cycle
from tests.office import edit_in_calc, needs_calc_uno
from workbook.lead_copy.columns import COPY_COLUMNS, EDITABLE_KEYS
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.model import Plan

needs_ssconvert = pytest.mark.skipif(
    lr.SSCONVERT is None, reason="Gnumeric's ssconvert is needed (apt-get install gnumeric)"
)
TITLE = {c.key: c.title for c in COPY_COLUMNS}
#: Excel's built-in number formats the builders use.
BUILTIN = {9: "0%", 17: "mmm-yy"}


# --- reading a return back ---------------------------------------------------------------------


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def sheet_xml(path: Path, sheet: str = SHEET_PLAN) -> str:
    parts = members(path)
    return parts[lr.sheet_part(parts, sheet)].decode()


def xml_cell(path: Path, ref: str, sheet: str = SHEET_PLAN) -> str:
    found = lr.cell_xml(sheet_xml(path, sheet), ref)
    assert found is not None, f"no cell {ref} in {path.name}"
    return found


def parts_of(cell: str) -> tuple[str, str | None, str | None]:
    """A `<c>` element's type (t, "n" when absent), formula and value, unescaped."""
    t = re.search(r'\bt="([^"]+)"', cell.split(">", 1)[0])
    f = re.search(r"<f\b[^>]*>(.*?)</f>", cell, re.S)
    v = re.search(r"<v>(.*?)</v>", cell, re.S)
    return (
        t[1] if t else "n",
        unescape(f[1]) if f else None,
        unescape(v[1]) if v else None,
    )


def value(path: Path, cell: str, sheet: str = SHEET_PLAN) -> Any:
    """What python-calamine reads in `cell` ("" when empty)."""
    m = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    assert m is not None
    row = lr.grid(path, sheet)[int(m[2]) - 1]
    col = column_index_from_string(m[1]) - 1
    return row[col] if col < len(row) else ""


def number_format(path: Path, cell: str) -> str:
    """The number format code of `cell` (an Excel built-in by its usual code)."""
    parts = members(path)
    s = re.search(r'\bs="(\d+)"', xml_cell(path, cell).split(">", 1)[0])
    root = etree.fromstring(parts["xl/styles.xml"])
    ns = {"m": lr.MAIN}
    xf = root.findall("m:cellXfs/m:xf", ns)[int(s[1]) if s else 0]
    fmt_id = int(xf.get("numFmtId", "0"))
    codes = {int(f.get("numFmtId")): f.get("formatCode") for f in root.findall(".//m:numFmt", ns)}
    return codes.get(fmt_id) or BUILTIN.get(fmt_id, f"built-in {fmt_id}")


def protected(path: Path, sheet: str = SHEET_PLAN) -> bool:
    m = re.search(r"<sheetProtection\b[^>]*>", sheet_xml(path, sheet))
    return bool(m and re.search(r'\bsheet="(1|true)"', m[0]))


def validity_ranges(path: Path) -> MultiCellRange:
    found = re.findall(r'<dataValidation\b[^>]*\bsqref="([^"]+)"', sheet_xml(path))
    return MultiCellRange(" ".join(found))


def sheet_tags(path: Path) -> list[str]:
    return re.findall(r"<sheet\b[^>]*>", members(path)["xl/workbook.xml"].decode())


def sheet_names(path: Path) -> list[str]:
    return [unescape(re.findall(r'\bname="([^"]+)"', tag)[0]) for tag in sheet_tags(path)]


def unlocked(path: Path, cell: str) -> bool:
    """Whether `cell`'s format unlocks it."""
    s = re.search(r'\bs="(\d+)"', xml_cell(path, cell).split(">", 1)[0])
    root = etree.fromstring(members(path)["xl/styles.xml"])
    xf = root.findall("m:cellXfs/m:xf", {"m": lr.MAIN})[int(s[1]) if s else 0]
    lock = xf.find("m:protection", {"m": lr.MAIN})
    return lock is not None and lock.get("locked") in ("0", "false")


def core(path: Path, name: str) -> str:
    body = members(path)["docProps/core.xml"].decode()
    m = re.search(rf"<dcterms:{name}\b[^>]*>([^<]+)<", body)
    assert m is not None
    return m[1]


# --- the cycle and the returns, once per module ------------------------------------------------


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory, seed: Plan) -> Cycle:
    return start_cycle(tmp_path_factory.mktemp("lead-returns"), seed)


@pytest.fixture(scope="module")
def busiest(cycle: Cycle) -> lr.CopyLayout:
    return lr.read_copy(cycle, lr.busiest_lead(cycle))


def _built(name: str) -> Any:
    """A module-scoped fixture that runs builder `name` on the cycle once."""

    @pytest.fixture(scope="module", name=name)
    def fixture(cycle: Cycle) -> Any:
        return getattr(lr, name)(cycle)

    return fixture


calc_formulas = _built("calc_formulas")
calc_numbers = _built("calc_numbers")
excel_formulas = _built("excel_formulas")
excel_numbers = _built("excel_numbers")
calc_duplicated_sheet = _built("calc_duplicated_sheet")
calc_inserted_column = _built("calc_inserted_column")
calc_notes_column = _built("calc_notes_column")
calc_comment = _built("calc_comment")
calc_cleared_ref = _built("calc_cleared_ref")
calc_sorted = _built("calc_sorted")
gnumeric_fresh = _built("gnumeric_fresh")
gnumeric_filled = _built("gnumeric_filled")
calc_first_and_corrected = _built("calc_first_and_corrected")
calc_renamed_title = _built("calc_renamed_title")
calc_untitled_status = _built("calc_untitled_status")


def test_a_copy_is_read_from_its_header_and_refs(cycle: Cycle, busiest: lr.CopyLayout) -> None:
    rows = lr.grid(busiest.path)
    for key, title in TITLE.items():
        assert value(busiest.path, busiest.header(key)) == title
    assert busiest.refs == [r for r in cycle.copies[busiest.lead].refs if r in busiest.rows]
    assert set(busiest.refs) == set(cycle.copies[busiest.lead].refs)
    for ref, row in busiest.rows.items():
        assert rows[row - 1][column_index_from_string(busiest.columns["ref"]) - 1] == ref
    assert [len(r) for r in busiest.runs()] and sum(map(len, busiest.runs())) == len(busiest.refs)


# --- a. Calc: typed text that became formulas --------------------------------------------------


@needs_calc_uno
def test_calc_makes_formulas_of_text_typed_with_an_equals_sign(
    cycle: Cycle, busiest: lr.CopyLayout, calc_formulas: Path
) -> None:
    typed = lr.formula_cells(cycle)
    assert sorted(k for _, k in typed) == sorted(k for k, _ in lr.CALC_FORMULAS)
    cells = {key: busiest.cell(ref, key) for ref, key in typed}
    t, f, v = parts_of(xml_cell(calc_formulas, cells["new_update"]))
    # Err:510, saved as #VALUE!; Calc's compiler lower-cases the words it cannot resolve
    assert (t, f, v) == ("e", "> meeting booked for may", "#VALUE!")
    assert parts_of(xml_cell(calc_formulas, cells["proposed_timescale"])) == (
        "e",
        "= no change ==",
        "#VALUE!",
    )  # Err:509
    assert parts_of(xml_cell(calc_formulas, cells["status"])) == ("n", "SUM(1,2)", "3")
    # python-calamine reads the cached values: the error cells as empty, the sum as 3
    assert value(calc_formulas, cells["new_update"]) == ""
    assert value(calc_formulas, cells["proposed_timescale"]) == ""
    assert value(calc_formulas, cells["status"]) == 3


@needs_calc_uno
def test_the_status_formula_was_pasted_from_new_update_and_took_its_format(
    cycle: Cycle, busiest: lr.CopyLayout, calc_formulas: Path
) -> None:
    [ref] = [ref for ref, key in lr.formula_cells(cycle) if key == "status"]
    scratch = busiest.cell(ref, "new_update")
    assert parts_of(xml_cell(calc_formulas, scratch))[1:] == (None, None)  # deleted again
    issued = validity_ranges(busiest.path)
    returned = validity_ranges(calc_formulas)
    assert busiest.cell(ref, "status") in issued
    assert busiest.cell(ref, "status") not in returned  # the dropdown went with the paste
    others = [r for r in busiest.refs if r != ref]
    assert all(busiest.cell(r, "status") in returned for r in others)


@needs_calc_uno
def test_calc_reads_typed_dates_and_percentages_as_numbers(
    cycle: Cycle, busiest: lr.CopyLayout, calc_numbers: Path
) -> None:
    typed = lr.number_cells(cycle)
    for ((ref, key), text), (k, t, stored, fmt) in zip(typed.items(), lr.CALC_NUMBERS, strict=True):
        assert (key, text) == (k, t)
        cell = busiest.cell(ref, key)
        kind, formula, v = parts_of(xml_cell(calc_numbers, cell))
        assert (kind, formula) == ("n", None)
        assert number_format(calc_numbers, cell).upper() == fmt
        if isinstance(stored, dt.date):
            assert v == str((stored - lr.EXCEL_EPOCH).days)
            assert value(calc_numbers, cell) == stored  # calamine: a date, not "Jun-24"
        else:
            assert float(v or "nan") == stored
            assert value(calc_numbers, cell) == stored


@needs_calc_uno
@pytest.mark.parametrize(
    ("typed", "says"), [("=SUM(1,2)", "a formula breaks"), ("R", "a value not in its list")]
)
def test_the_status_dropdown_refuses_what_it_does_not_offer(
    busiest: lr.CopyLayout, tmp_path: Path, typed: str, says: str
) -> None:
    """Why `calc_formulas` pastes its Status formula: Calc's input line refuses it there."""
    edit = {"op": "type", "sheet": SHEET_PLAN, "cell": busiest.cell(busiest.refs[0], "status")}
    with pytest.raises(AssertionError, match=f"Calc refuses '{re.escape(typed)}'.*{says}"):
        edit_in_calc(busiest.path, tmp_path / "x.xlsx", [{**edit, "value": typed}])


# --- b. and c. Excel's XML ---------------------------------------------------------------------


def test_excel_formula_cells_are_written_as_excel_writes_them(
    cycle: Cycle, busiest: lr.CopyLayout, excel_formulas: Path
) -> None:
    written = lr.excel_formula_cells(cycle)
    assert list(written.values()) == list(lr.EXCEL_FORMULAS)
    for ref, formula in written.items():
        cell = busiest.cell(ref, "new_update")
        xml = xml_cell(excel_formulas, cell)
        assert parts_of(xml) == (formula.t, formula.formula, formula.value)
        assert unlocked(excel_formulas, cell)  # the cell keeps its own format
    by_kind = {f.value: busiest.cell(ref, "new_update") for ref, f in written.items()}
    assert '<f>"Audit booked for "&amp;TEXT(' in xml_cell(excel_formulas, by_kind[
        "Audit booked for 12 June"
    ])  # fmt: skip
    # python-calamine reads cached values: the text, and nothing for the errors
    assert value(excel_formulas, by_kind["Audit booked for 12 June"]) == "Audit booked for 12 June"
    assert value(excel_formulas, by_kind["#NAME?"]) == ""
    assert value(excel_formulas, by_kind["#DIV/0!"]) == ""


def test_excel_numbers_are_stored_with_their_number_formats(
    cycle: Cycle, busiest: lr.CopyLayout, excel_numbers: Path
) -> None:
    written = lr.excel_number_cells(cycle)
    assert list(written.values()) == list(lr.EXCEL_NUMBERS)
    styles = members(excel_numbers)["xl/styles.xml"].decode()
    assert '<numFmt numFmtId="164" formatCode="d\\-mmm"/>' in styles  # the custom one, added
    assert '<numFmts count="1">' in styles
    want = {"1-Jun": "d\\-mmm", "Sep-24": "mmm-yy", "50%": "0%"}
    for ref, number in written.items():
        cell = busiest.cell(ref, number.key)
        xml = xml_cell(excel_numbers, cell)
        assert re.fullmatch(rf'<c r="{cell}" s="\d+"><v>{number.value:g}</v></c>', xml)
        assert number_format(excel_numbers, cell) == want[number.shown]
        assert unlocked(excel_numbers, cell)
        read = value(excel_numbers, cell)
        if number.shown == "50%":
            assert read == 0.5
        else:
            assert read == lr.EXCEL_EPOCH + dt.timedelta(days=number.value)


# --- d. Calc: words outside the three columns --------------------------------------------------


@needs_calc_uno
def test_an_update_typed_on_a_copied_sheet_only(
    busiest: lr.CopyLayout, calc_duplicated_sheet: Path
) -> None:
    names = sheet_names(calc_duplicated_sheet)
    assert names == [SHEET_PLAN, lr.DUPLICATE_SHEET, SHEET_IDENTITY]
    cell = busiest.cell(busiest.refs[0], "new_update")
    assert value(calc_duplicated_sheet, cell, lr.DUPLICATE_SHEET) == lr.DUPLICATE_WORDS
    assert value(calc_duplicated_sheet, cell) == ""
    assert lr.grid(calc_duplicated_sheet) == lr.grid(busiest.path)  # the original as issued
    assert protected(calc_duplicated_sheet, lr.DUPLICATE_SHEET)


@needs_calc_uno
def test_words_in_a_column_inserted_beside_new_update(
    busiest: lr.CopyLayout, calc_inserted_column: Path
) -> None:
    header = busiest.header_row
    h = busiest.columns["new_update"]
    inserted, shifted = (
        busiest.column_after("new_update"),
        busiest.column_after("proposed_timescale"),
    )
    assert value(calc_inserted_column, f"{h}{header}") == TITLE["new_update"]
    assert value(calc_inserted_column, f"{inserted}{header}") == ""  # untitled
    assert value(calc_inserted_column, f"{shifted}{header}") == TITLE["proposed_timescale"]
    first, second = busiest.refs[:2]
    assert value(calc_inserted_column, f"{inserted}{busiest.rows[first]}") == lr.INSERTED_WORDS
    words = dict(lr.BESIDE_INSERTED)
    assert value(calc_inserted_column, f"{h}{busiest.rows[second]}") == words["new_update"]
    assert (
        value(calc_inserted_column, f"{shifted}{busiest.rows[second]}")
        == (words["proposed_timescale"])
    )
    assert protected(calc_inserted_column)


@needs_calc_uno
def test_words_under_a_notes_column_of_the_leads_own(
    busiest: lr.CopyLayout, calc_notes_column: Path
) -> None:
    notes = busiest.column_after("proposed_timescale")
    assert value(calc_notes_column, f"{notes}{busiest.header_row}") == lr.NOTES_TITLE
    assert value(calc_notes_column, f"{notes}{busiest.rows[busiest.refs[0]]}") == lr.NOTES_WORDS
    assert protected(calc_notes_column)  # protected again after typing


@needs_calc_uno
def test_an_update_written_as_a_comment(busiest: lr.CopyLayout, calc_comment: Path) -> None:
    cell = busiest.cell(busiest.refs[0], "new_update")
    parts = members(calc_comment)
    comments = [n for n in parts if re.fullmatch(r"xl/comments\d*\.xml", n)]
    assert len(comments) == 1
    body = parts[comments[0]].decode()
    assert re.search(rf'<comment ref="{cell}"[^>]*>.*{re.escape(lr.COMMENT_WORDS)}', body, re.S)
    # the comments part belongs to the Action Plan sheet
    sheet = lr.sheet_part(parts, SHEET_PLAN)
    rels = parts[sheet.replace("worksheets/", "worksheets/_rels/") + ".rels"].decode()
    assert f"../{comments[0].removeprefix('xl/')}" in rels
    assert value(calc_comment, cell) == ""  # the cell itself is empty


@needs_calc_uno
def test_an_update_on_a_row_whose_ref_was_cleared(
    busiest: lr.CopyLayout, calc_cleared_ref: Path
) -> None:
    first = busiest.refs[0]
    assert value(calc_cleared_ref, busiest.cell(first, "ref")) == ""
    assert value(calc_cleared_ref, busiest.cell(first, "new_update")) == lr.CLEARED_REF_WORDS
    refs = [row[column_index_from_string(busiest.columns["ref"]) - 1] for row in lr.grid(
        calc_cleared_ref
    )]  # fmt: skip
    assert first not in refs
    assert all(value(calc_cleared_ref, busiest.cell(r, "ref")) == r for r in busiest.refs[1:])
    assert protected(calc_cleared_ref)


# --- e. Calc: answers sorted onto other items --------------------------------------------------


@needs_calc_uno
def test_sorted_answers_sit_on_other_items_rows(cycle: Cycle, calc_sorted: Path) -> None:
    lead = re.match(r"(\S+) calc sorted\.xlsx", calc_sorted.name)
    assert lead is not None
    layout = lr.read_copy(cycle, lead[1])
    typed = lr.sorted_answers(cycle, lead[1])
    assert len(typed) >= 3
    found = {
        ref: (
            value(calc_sorted, layout.cell(ref, "status")),
            value(calc_sorted, layout.cell(ref, "new_update")),
        )
        for ref in typed
    }
    # every answer moved, none was lost, and the block is in status order
    assert sorted(found.values()) == sorted((a.status, a.update) for a in typed.values())
    for ref, (_, update) in found.items():
        written_for = re.match(r"Written for (\S+):", update)
        assert written_for and written_for[1] != ref and written_for[1] in typed
    statuses = [found[ref][0] for ref in typed]
    assert statuses == sorted(statuses)
    # the refs and the locked columns did not move; the sheet was never unprotected
    for ref in typed:
        for key in ("ref", "finding", "updates"):
            assert value(calc_sorted, layout.cell(ref, key)) == value(
                layout.path, layout.cell(ref, key)
            )
    assert protected(calc_sorted)


# --- f. Gnumeric ----------------------------------------------------------------------------


def _squashed(text: Any) -> str:
    return re.sub(r"\s+", "", str(text))


@needs_ssconvert
def test_gnumeric_loses_the_break_between_headline_and_narrative(
    cycle: Cycle, gnumeric_fresh: dict[str, Path]
) -> None:
    assert set(gnumeric_fresh) == set(cycle.copies)
    finding = {lead: lr.read_copy(cycle, lead).columns["finding"] for lead in cycle.copies}
    lost_break = 0
    for lead, path in gnumeric_fresh.items():
        before, after = lr.grid(cycle.copies[lead].path), lr.grid(path)
        assert len(before) == len(after)
        col = column_index_from_string(finding[lead]) - 1
        for old, new in zip(before, after, strict=True):
            for j, (a, b) in enumerate(zip(old, new, strict=True)):
                if j != col:
                    assert a == b, (lead, old[0])
                elif a != b:  # only whitespace lost, and only in findings
                    assert _squashed(a) == _squashed(b) and len(b) < len(a), (lead, old[0])
                    lost_break += "\n" in a and "\n" not in b
    assert lost_break, "no finding lost its line break"
    for lead, path in gnumeric_fresh.items():
        # Gnumeric writes every sheet visible: the veryHidden identity sheet shows
        [identity] = [s for s in sheet_tags(path) if f'name="{SHEET_IDENTITY}"' in s]
        assert "state=" not in identity
        # and it does not stamp its save: the copy's modified time stays
        assert lr.saved_at(path) == lr.saved_at(cycle.copies[lead].path)


@needs_ssconvert
def test_gnumeric_keeps_the_answers_but_not_the_findings_line_break(
    cycle: Cycle, gnumeric_filled: Path
) -> None:
    lead = re.match(r"(\S+) gnumeric filled\.xlsx", gnumeric_filled.name)
    assert lead is not None
    layout = lr.read_copy(cycle, lead[1])
    answer = lr.GNUMERIC_ANSWER
    for ref in layout.refs:
        got = [value(gnumeric_filled, layout.cell(ref, k)) for k in EDITABLE_KEYS]
        assert got == [answer.status, answer.update, answer.proposed_timescale], ref
    findings = [
        (value(layout.path, layout.cell(ref, "finding")), value(gnumeric_filled, layout.cell(
            ref, "finding"
        ))) for ref in layout.refs
    ]  # fmt: skip
    assert any("\n" in old and "\n" not in new for old, new in findings)


# --- g. Save times -----------------------------------------------------------------------------


@needs_calc_uno
def test_calc_stamps_each_save(
    cycle: Cycle, busiest: lr.CopyLayout, calc_first_and_corrected: tuple[Path, Path]
) -> None:
    first, corrected = calc_first_and_corrected
    issued = busiest.path
    assert lr.saved_at(first) < lr.saved_at(corrected)
    # LibreOffice 7.4 writes the machine's local time marked "Z" (openpyxl, the issued copy,
    # writes UTC): as real times, the issued copy comes first in any zone
    offset = dt.datetime.now().astimezone().utcoffset() or dt.timedelta()
    assert lr.saved_at(issued) <= lr.saved_at(first) - offset
    assert lr.saved_at(first).tzinfo is not None
    assert core(first, "created") == core(corrected, "created") == core(issued, "created")
    ref = busiest.refs[0]
    assert value(first, busiest.cell(ref, "new_update")) == lr.FIRST_ANSWER.update
    assert value(corrected, busiest.cell(ref, "new_update")) == lr.CORRECTED_UPDATE
    assert value(corrected, busiest.cell(ref, "status")) == lr.FIRST_ANSWER.status


def test_saved_at_reads_the_modified_time(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "docProps/core.xml",
            '<cp:coreProperties xmlns:cp="c" xmlns:dcterms="d"><dcterms:modified x="y">'
            "2024-06-03T17:30:05Z</dcterms:modified></cp:coreProperties>",
        )
    assert lr.saved_at(path) == dt.datetime(2024, 6, 3, 17, 30, 5, tzinfo=dt.UTC)


# --- h. Calc: titles changed -------------------------------------------------------------------


@needs_calc_uno
def test_new_update_retitled(busiest: lr.CopyLayout, calc_renamed_title: Path) -> None:
    assert value(calc_renamed_title, busiest.header("new_update")) == lr.RENAMED_TITLE
    header = lr.grid(calc_renamed_title)[busiest.header_row - 1]
    assert TITLE["new_update"] not in header
    cell = busiest.cell(busiest.refs[0], "new_update")
    assert value(calc_renamed_title, cell) == lr.RENAMED_WORDS
    assert protected(calc_renamed_title)


@needs_calc_uno
def test_status_title_cleared(busiest: lr.CopyLayout, calc_untitled_status: Path) -> None:
    assert value(calc_untitled_status, busiest.header("status")) == ""
    header = lr.grid(calc_untitled_status)[busiest.header_row - 1]
    assert TITLE["status"] not in header
    cell = busiest.cell(busiest.refs[0], "status")
    assert value(calc_untitled_status, cell) == lr.UNTITLED_STATUS
    assert protected(calc_untitled_status)

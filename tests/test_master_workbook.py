"""The master workbook: written from a Plan, read back exactly, and what other programs see."""

from __future__ import annotations

import datetime as dt
import os
import stat
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from workbook.errors import MasterError
from workbook.formatting import layout, sizes
from workbook.master.read import (
    actions_from_cell,
    find_header_row,
    plan_from_sheets,
    read_master,
    read_sheets,
)
from workbook.master.settings import settings_from_sheets
from workbook.master.sheets import (
    CHANGES_COLUMNS,
    DOCUMENT_COLUMN_TITLES,
    DUE_COLUMN,
    FINDING_TITLE,
    HEADER_ROW_NAME,
    LEADS_COLUMNS,
    PLAN_COLUMNS,
    SHEET_CHANGES,
    SHEET_LEADS,
    SHEET_PLAN,
    SHEET_SETTINGS,
    SHEET_UPDATES,
    UPDATES_COLUMNS,
)
from workbook.master.write import write_master
from workbook.plan.model import Item, Lead, Plan, Run, UpdateEntry
from workbook.plan.status import RAG_KEY

WNI = "What needs to improve"
EHP = "Early Help and Protection"


def make_plan() -> Plan:
    items = (
        Item(
            ref="WNI-01",
            section=WNI,
            finding=(
                Run("The effectiveness of the response to domestic abuse.\n"),
                Run("The local authority and the trust have sought to develop ...", italic=True),
            ),
            actions=(
                "Review and update the Partnership DA Strategy",
                "Pursue funding streams via the OPCC/VRP/BCC/partners\nincluding perpetrator work",
                "Explore options to pilot the 'case management' bid",
            ),
            lead="LH / JoR / GT / LJ",
            timescale="Mar-24",
            updates=(
                UpdateEntry(
                    "Update 26 Nov 26 (GT)",
                    "Strategy agreed at board.",
                    dt.date(2026, 11, 26),
                    lead="GT",
                    status="GREEN",
                    source="GT-return.xlsx",
                ),
                UpdateEntry(
                    "Up-date mid May 23",
                    "Meeting arranged with Deputy PCC.",
                    dt.date(2023, 5, 15),
                    source="ofsted_action_plan_2023-03.txt",
                ),
            ),
            status="GREEN",
        ),
        Item(
            ref="WNI-02",
            section=WNI,
            finding=(Run("Headline. "), Run("Italic middle", True), Run(" and plain end.")),
            actions=("=SUM(A1)",),
            lead="1. DM 2. DM/AxB",
            timescale="First audit April 2023",
        ),
        Item(
            ref="EHP-01",
            section=EHP,
            finding=(Run("=SUM(A1)"),),
            actions=("Review the local offer", "Report to the board"),
            lead="Chair Corporate Parenting Board",
            timescale="",
            updates=(UpdateEntry("", "Text written before any dated heading."),),
            status="AMBER",
        ),
        Item(
            ref="EHP-02", section=EHP, finding=(Run("  spaced  text  "),), actions=(), lead="MW RB"
        ),
    )
    return Plan(
        title="OFSTED ACTION PLAN",
        organisation="Birmingham Children's Trust",
        date_label="March 2023",
        sections=(WNI, EHP),
        items=items,
        leads=(
            Lead("GT", "Gill Taylor", "gt@example.org"),
            Lead("CCPB", "Chair Corporate Parenting Board"),
            Lead("MW"),
        ),
        plan_id="ofsted-2023-03",
        source="ofsted_action_plan_2023-03.txt",
        notes=("Finding 12 was split across a page break; joined.", "=not a formula"),
    )


def flattened(plan: Plan) -> Plan:
    """What a reader without rich text gives: each finding as one plain run."""
    items = tuple(
        replace(it, finding=(Run(it.finding_text),) if it.finding_text else ()) for it in plan.items
    )
    return replace(plan, items=items)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("master") / "master.xlsx"
    write_master(
        make_plan(),
        path,
        settings={"Returns folder": "returns", "As-of date": dt.date(2023, 6, 30), "Extra": 3},
    )
    return path


def calamine_sheet(path: Path, name: str) -> list[list[Any]]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        wb.close()


def header_index(rows: list[list[Any]]) -> int:
    return next(i for i, r in enumerate(rows) if r[0] == "Ref" and r[2] == "Action")


# --- Round trip -------------------------------------------------------------------------------


def test_round_trip_with_rich_text_is_exact(master: Path) -> None:
    assert read_master(master) == make_plan()


def test_round_trip_with_calamine_flattens_only_findings(master: Path) -> None:
    assert read_master(master, rich=False) == flattened(make_plan())


def test_plan_with_nothing_but_a_title_round_trips(tmp_path: Path) -> None:
    plan = Plan(title="Empty plan")
    write_master(plan, tmp_path / "m.xlsx")
    assert read_master(tmp_path / "m.xlsx") == plan
    assert read_master(tmp_path / "m.xlsx", rich=False) == plan


def test_settings_sheet_holds_returns_folder_and_as_of_date(master: Path) -> None:
    settings = settings_from_sheets(read_sheets(master))
    assert settings["Returns folder"] == "returns"
    assert settings["As-of date"] == dt.date(2023, 6, 30)
    assert settings["Extra"] == 3
    assert isinstance(settings["Created"], dt.datetime)


def test_settings_cannot_override_the_plans_own_fields(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Plan id"):
        write_master(make_plan(), tmp_path / "m.xlsx", settings={"Plan id": "other"})


# --- What another program sees ---------------------------------------------------------------


def test_calamine_sees_title_block_key_and_header(master: Path) -> None:
    rows = calamine_sheet(master, SHEET_PLAN)
    h = header_index(rows)
    assert rows[0][0] == "OFSTED ACTION PLAN"
    assert rows[h] == ["Ref", *DOCUMENT_COLUMN_TITLES, DUE_COLUMN.title]
    assert rows[h][1] == FINDING_TITLE
    key = {r[0]: r[1] for r in rows[:h]}
    assert all(key[s.code] == s.meaning for s in RAG_KEY)
    assert rows[h - 1] == [""] * 8  # a blank row between key and header


def test_calamine_sees_section_rows_and_items(master: Path) -> None:
    rows = calamine_sheet(master, SHEET_PLAN)
    body = [r for r in rows[header_index(rows) + 1 :] if any(r)]
    assert [r[0] for r in body] == [WNI, "WNI-01", "WNI-02", EHP, "EHP-01", "EHP-02"]
    assert body[0][1:] == [""] * 7
    wni01 = body[1]
    assert wni01[2] == (
        "1. Review and update the Partnership DA Strategy\n"
        "2. Pursue funding streams via the OPCC/VRP/BCC/partners\nincluding perpetrator work\n"
        "3. Explore options to pilot the 'case management' bid"
    )
    assert wni01[5] == (
        "Update 26 Nov 26 (GT): Strategy agreed at board.\n\n"
        "Up-date mid May 23: Meeting arranged with Deputy PCC."
    )
    # the Due column: the time-scale's date as a real date, blank when it names none
    assert [r[7] for r in body] == ["", dt.date(2024, 3, 31), dt.date(2023, 4, 30), "", "", ""]


def test_formula_looking_text_stays_text(master: Path) -> None:
    rows = calamine_sheet(master, SHEET_PLAN)
    cells = [c for r in rows for c in r]
    assert "=SUM(A1)" in cells and "1. =SUM(A1)" in cells
    ws = load_workbook(master)[SHEET_PLAN]
    finding = next(r[1] for r in ws.iter_rows() if r[0].value == "EHP-01")
    assert (finding.value, finding.data_type) == ("=SUM(A1)", "s")
    with zipfile.ZipFile(master) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    notes = [r[1] for r in calamine_sheet(master, SHEET_SETTINGS) if r[0] == "Import note"]
    assert notes[1] == "=not a formula"


def test_findings_keep_italic_runs_in_the_cell(master: Path) -> None:
    ws = load_workbook(master, rich_text=True)[SHEET_PLAN]
    finding = next(r[1] for r in ws.iter_rows() if r[0].value == "WNI-02").value
    assert [(b.text, bool(b.font.i)) for b in finding] == [
        ("Headline. ", False),
        ("Italic middle", True),
        (" and plain end.", False),
    ]
    assert {b.font.rFont for b in finding} == {sizes.FONT_NAME}


def test_list_sheets(master: Path) -> None:
    leads = calamine_sheet(master, SHEET_LEADS)
    assert leads[0] == list(LEADS_COLUMNS)
    assert leads[2] == ["CCPB", "Chair Corporate Parenting Board", ""]
    updates = calamine_sheet(master, SHEET_UPDATES)
    assert updates[0] == list(UPDATES_COLUMNS)
    assert updates[1] == [
        "WNI-01",
        dt.date(2026, 11, 26),
        "GT",
        "GREEN",
        "Update 26 Nov 26 (GT): Strategy agreed at board.",
        "GT-return.xlsx",
    ]
    assert [r[0] for r in updates[1:]] == ["WNI-01", "WNI-01", "EHP-01"]
    assert calamine_sheet(master, SHEET_CHANGES) == [list(CHANGES_COLUMNS)]
    wb = load_workbook(master)
    assert wb[SHEET_UPDATES]["B2"].number_format == "dd-mmm-yy"
    for name in (SHEET_LEADS, SHEET_UPDATES, SHEET_CHANGES, SHEET_SETTINGS):
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert ws["A1"].font.b
        assert ws.auto_filter.ref.startswith("A1:")


# --- Look and print --------------------------------------------------------------------------


def test_widths_frozen_header_and_print_settings(master: Path) -> None:
    wb = load_workbook(master)
    ws = wb[SHEET_PLAN]
    h = next(r[0].row for r in ws.iter_rows() if r[0].value == "Ref")
    for letter, column in zip("ABCDEFGH", (*PLAN_COLUMNS, DUE_COLUMN), strict=True):
        assert ws.column_dimensions[letter].width == pytest.approx(column.width)
    assert ws.freeze_panes == f"A{h + 1}"
    assert ws.print_title_rows.replace("$", "") == f"{h}:{h}"
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_margins.left == 0.25
    assert ws.oddFooter.right.text == "Page &P of &N"
    assert ws.oddFooter.left.text == "OFSTED ACTION PLAN"
    assert wb.defined_names[HEADER_ROW_NAME].attr_text == f"'{SHEET_PLAN}'!$A${h}:$H${h}"
    header = ws.cell(h, 1)
    assert header.fill.fgColor.rgb.endswith(sizes.HEADER_FILL_COLOUR) and header.font.b
    assert ws.cell(h + 1, 1).fill.fgColor.rgb.endswith(layout.SECTION_FILL_COLOUR)
    assert f"A{h + 1}:H{h + 1}" in {str(r) for r in ws.merged_cells.ranges}
    item = ws.cell(h + 2, 3)
    assert item.alignment.wrap_text and item.alignment.vertical == "top"
    assert ws.row_dimensions[h + 2].height == sizes.row_height(
        {"actions": item.value, "finding": "x"}
    )
    green = next(c for c in ws["A"] if c.value == "GREEN")
    assert green.fill.fgColor.rgb.endswith("00B050")


def test_row_height_grows_with_wrapped_and_explicit_lines() -> None:
    one = sizes.row_height({"ref": "WNI-01"})
    assert one == sizes.height_for_lines(1)
    assert sizes.row_height({"status": "A\nB\nC"}) == sizes.height_for_lines(3)
    long_finding = "word " * 200
    assert sizes.row_height({"finding": long_finding}) > sizes.row_height({"updates": "x"})
    # the same text needs fewer lines in the wider column
    assert sizes.row_height({"actions": long_finding}) < sizes.row_height({"finding": long_finding})
    assert sizes.row_height({"lead": "x" * 100_000}) == sizes.MAX_ROW_HEIGHT
    assert sizes.row_height({}) == sizes.height_for_lines(1)


def test_wrapped_lines_breaks_long_words() -> None:
    width = 10
    per_line = max(n for n in range(1, 40) if sizes.wrapped_lines("x" * n, width) == 1)
    assert sizes.wrapped_lines("x" * (per_line + 1), width) == 2
    assert sizes.wrapped_lines("x" * (3 * per_line + 1), width) == 4
    assert sizes.wrapped_lines("ab " + "x" * per_line, width) == 2
    assert sizes.wrapped_lines("", width) == 0


def test_wrapped_lines_measure_each_letter() -> None:
    """Arial's own widths: narrow letters fit more to a line than wide ones, bold fewer than
    regular; a character the tables do not hold is taken as wide as any letter."""
    width = 20
    assert sizes.wrapped_lines("i" * 40, width) == 1
    assert sizes.wrapped_lines("W" * 40, width) >= 3
    words = "Management oversight of practice " * 6
    assert sizes.wrapped_lines("x" * 80, width, bold=True) > sizes.wrapped_lines("x" * 80, width)
    assert sizes.wrapped_lines("\u4e00" * 30, width) >= sizes.wrapped_lines("W" * 30, width)
    # LibreOffice's column is wider and its lines shorter than Excel's: Excel's count rules
    excel, office = sizes.line_counts(words, width)
    assert excel >= office >= 1
    assert sizes.wrapped_lines(words, width) == excel


# --- Reading what owners did to the workbook -------------------------------------------------


def test_header_row_is_found_after_rows_inserted_above(master: Path) -> None:
    sheets = read_sheets(master, rich=False)
    grid = sheets[SHEET_PLAN]
    moved: dict[str, Any] = {**sheets, SHEET_PLAN: [["Note from the owner"], [None], *grid]}
    header = find_header_row(grid)
    assert header is not None and find_header_row(moved[SHEET_PLAN]) == header + 2
    assert plan_from_sheets(moved) == plan_from_sheets(sheets)


def test_edited_update_cell_keeps_log_details_for_entries_it_still_shows(master: Path) -> None:
    sheets = read_sheets(master, rich=True)
    grid = [list(r) for r in sheets[SHEET_PLAN]]
    row = next(r for r in grid if r[0] == "WNI-01")
    row[5] = "Update June 23: Typed straight into the cell.\n\n" + str(row[5])
    item = plan_from_sheets({**sheets, SHEET_PLAN: grid}).item("WNI-01")
    new, *old = item.updates
    assert new == UpdateEntry(
        "Update June 23", "Typed straight into the cell.", dt.date(2023, 6, 1)
    )
    assert tuple(old) == make_plan().item("WNI-01").updates


def test_missing_settings_sheet_falls_back_to_title_block(master: Path) -> None:
    sheets = read_sheets(master, rich=False)
    del sheets[SHEET_SETTINGS]
    plan = plan_from_sheets(sheets)
    assert (plan.title, plan.date_label, plan.organisation) == (
        "OFSTED ACTION PLAN",
        "March 2023",
        "Birmingham Children's Trust",
    )
    assert plan.plan_id == "" and plan.notes == ()


def test_actions_cell_retyped_by_hand() -> None:
    assert actions_from_cell("1. a\n2. b 3. c") == ("a", "b 3. c")
    assert actions_from_cell("1. Review 2. Pursue") == ("Review", "Pursue")
    assert actions_from_cell("Just one action") == ("Just one action",)
    assert actions_from_cell("  ") == ()


def test_numbers_typed_into_text_cells_come_back_as_text() -> None:
    grid: list[list[object]] = [
        ["Ref", "Finding", "Action", "Lead", "Time-scale", "Update", "Status"]
    ]
    grid.append([101.0, "F", "1. a", None, dt.datetime(2024, 3, 31), "", "GREEN"])
    item = plan_from_sheets({SHEET_PLAN: grid}).items[0]
    assert (item.ref, item.timescale, item.due) == ("101", "2024-03-31", dt.date(2024, 3, 31))


# --- Atomic write ----------------------------------------------------------------------------


def test_write_leaves_no_temporary_files_and_keeps_permissions(tmp_path: Path) -> None:
    path = tmp_path / "master.xlsx"
    write_master(make_plan(), path)
    os.chmod(path, 0o640)
    write_master(make_plan(), path)
    assert os.listdir(tmp_path) == ["master.xlsx"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_failed_write_leaves_the_old_master(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "master.xlsx"
    write_master(make_plan(), path)
    before = path.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_master(Plan(title="other"), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["master.xlsx"]


# --- Errors ----------------------------------------------------------------------------------


def assert_one_line(err: pytest.ExceptionInfo[MasterError], *words: str) -> None:
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("rich", [True, False])
def test_missing_file(tmp_path: Path, rich: bool) -> None:
    with pytest.raises(MasterError) as err:
        read_master(tmp_path / "nope.xlsx", rich=rich)
    assert_one_line(err, "not found", "nope.xlsx")


@pytest.mark.parametrize("rich", [True, False])
def test_not_an_xlsx(tmp_path: Path, rich: bool) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_text("Ref,Action\n")
    with pytest.raises(MasterError) as err:
        read_master(path, rich=rich)
    assert_one_line(err, "not an .xlsx", "save it as")


@pytest.mark.parametrize("rich", [True, False])
def test_zip_that_is_not_a_workbook(tmp_path: Path, rich: bool) -> None:
    path = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(MasterError) as err:
        read_master(path, rich=rich)
    assert_one_line(err, "could not be read", "plan.xlsx")


@pytest.mark.parametrize("rich", [True, False])
def test_no_action_plan_sheet(tmp_path: Path, rich: bool) -> None:
    path = tmp_path / "other.xlsx"
    wb = Workbook()
    wb.active.title = "Budget"
    wb.save(path)
    with pytest.raises(MasterError) as err:
        read_master(path, rich=rich)
    assert_one_line(err, "no 'Action Plan' sheet", "'Budget'", "other.xlsx")


@pytest.mark.parametrize("rich", [True, False])
def test_no_header_row(tmp_path: Path, rich: bool) -> None:
    path = tmp_path / "headless.xlsx"
    wb = Workbook()
    wb.active.title = SHEET_PLAN
    wb.active.append(["Reference", "Finding", "Action"])
    wb.save(path)
    with pytest.raises(MasterError) as err:
        read_master(path, rich=rich)
    assert_one_line(err, "no header row", "'Ref' in column A", "headless.xlsx")


def test_real_seed_plan_round_trips(seed: Plan, tmp_path: Path) -> None:
    path = tmp_path / "seed.xlsx"
    write_master(seed, path)
    assert read_master(path) == seed
    assert read_master(path, rich=False) == flattened(seed)


def test_text_that_looks_like_an_excel_escape_reads_back_literally(tmp_path: Path, seed) -> None:
    """Excel and calamine read "_x0041_" in a cell as "A": the writers escape it, the openpyxl
    reader decodes it, so every reader gets the text that was written."""
    from workbook.plan.model import Run

    first = seed.items[0]
    item = replace(
        first,
        finding=(Run("Plain _x0041_ "), Run("italic _x0042_", italic=True)),
        actions=("Rename file_x0041_.docx",),
    )
    plan = replace(seed, items=(item, *seed.items[1:]))
    path = tmp_path / "m.xlsx"
    write_master(plan, path)
    for rich in (True, False):
        got = read_master(path, rich=rich).item(first.ref)
        assert got.actions == item.actions
        assert got.finding_text == "Plain _x0041_ italic _x0042_"
    assert read_master(path, rich=True).item(first.ref).finding == item.finding

"""The board pack: the summary's counts, what moved between packs, the workbook a board receives
(read back as Excel and LibreOffice would) and its PDF."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from office import needs_office, pdf_pages, pdf_text
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from actionplan.cli import cli
from workbook.board.packs import (
    BOARD_PACKS_COLUMNS,
    SHEET_BOARD_PACKS,
    latest_pack,
    packs_from_grid,
    read_board_packs,
)
from workbook.board.summary import (
    NO_STATUS,
    NOT_RECOGNISED,
    SHEET_SUMMARY,
    board_summary,
    headline,
)
from workbook.board.workbook import write_board
from workbook.formatting import sizes
from workbook.formatting.rag import AS_OF_NAME
from workbook.master.read import read_master
from workbook.master.sheets import PLAN_COLUMNS, SHEET_PLAN
from workbook.master.write import LATEST_UPDATE_TITLE, write_master
from workbook.plan.model import Item, Plan, Run, UpdateEntry
from workbook.plan.status import DEFAULT_KEY, RAG_BY_CODE, parse_key

AS_OF = dt.date(2023, 8, 1)

#: A realistic mix for the seed plan at the August 2023 board, typed as people type them.
STATUSES = {
    "WNI-01": "GREEN", "WNI-02": "AMBER", "WNI-03": "RED", "WNI-04": "green ",
    "EHP-01": "BLUE", "EHP-02": "GREEN", "EHP-03": "Blue", "EHP-04": "AMBER", "EHP-05": "RED",
    "EHP-06": "GREEN", "EHP-07": "", "EHP-08": "AMBER", "EHP-09": "GREEN", "EHP-10": "AMBER",
    "CEY-01": "GREEN", "CEY-02": "",
    "IL-01": "GREEN", "IL-02": "Complete", "IL-03": "AMBER",
    "AIA-01": "BLUE", "AIA-02": "GREEN", "AIA-03": "AMBER", "AIA-04": "BLUE", "AIA-05": "GREEN",
    "AIA-06": "RED", "AIA-07": "", "AIA-08": "GREEN",
}  # fmt: skip

#: (green, amber, red, blue, no status) per section of the seed with STATUSES, counted by hand.
SEED_COUNTS = {
    "What needs to improve": (2, 1, 1, 0, 0),
    "Early Help and Protection": (3, 3, 1, 2, 1),
    "Care experienced young people": (1, 0, 0, 0, 1),
    "Impact of leaders": (1, 1, 0, 1, 0),
    "Additional improvement areas identified through the process of inspection": (3, 1, 1, 2, 1),
}
#: Past due at AS_OF and not BLUE, oldest due date first (plan order within a date).
SEED_OVERDUE = [
    "EHP-10", "AIA-06",  # April 2023
    "WNI-03", "EHP-05", "CEY-02", "AIA-02", "AIA-03",  # June
    "WNI-02", "EHP-06", "EHP-09", "AIA-08",  # July
]  # fmt: skip


def with_statuses(plan: Plan, statuses: dict[str, str]) -> Plan:
    items = tuple(replace(it, status=statuses.get(it.ref, it.status)) for it in plan.items)
    return replace(plan, items=items)


def item(ref: str, section: str, status: str = "", timescale: str = "", **kw: object) -> Item:
    return Item(
        ref=ref,
        section=section,
        finding=(Run(f"Finding {ref}. "), Run("Narrative.", italic=True)),
        actions=("Do it",),
        lead="GT",
        timescale=timescale,
        status=status,
        **kw,  # type: ignore[arg-type]
    )


def small_plan() -> Plan:
    return Plan(
        title="PLAN",
        sections=("One", "Two"),
        items=(
            item("A-1", "One", "GREEN", "Jun-23"),
            item("A-2", "One", "green ", "Jul-23"),
            item("A-3", "One", "b", "Jan-23"),  # complete: never overdue
            item("A-4", "One", "", "2023-08-01"),  # due on the as-of date: not yet overdue
            item("B-1", "Two", "Purple", "Mar-23"),
            item("B-2", "Two", "Complete"),
            item("C-1", "Unlisted", "RED", "Ongoing"),
        ),
    )


# --- Pure core --------------------------------------------------------------------------------


def test_counts_per_section_and_overall() -> None:
    s = board_summary(small_plan(), as_of=AS_OF, previous=None)
    assert [c.section for c in s.sections] == ["One", "Two", "Unlisted"]
    one, two, unlisted = s.sections
    assert (one.green, one.amber, one.red, one.blue, one.no_status) == (2, 0, 0, 1, 1)
    assert (two.blue, two.not_recognised, two.total) == (1, 1, 2)
    assert (unlisted.red, unlisted.total) == (1, 1)
    assert s.overall.total == 7
    assert s.overall.count(NO_STATUS) == 1 and s.overall.count(NOT_RECOGNISED) == 1
    assert s.complete_fraction == pytest.approx(2 / 7)
    assert one.complete_fraction == pytest.approx(1 / 4)
    # unrecognised text is reported as typed, never guessed into a colour
    assert s.unrecognised == (("B-1", "Purple"),)


def test_an_empty_plan_has_no_percentage() -> None:
    s = board_summary(Plan(title="Empty", sections=("One",)), as_of=AS_OF, previous=None)
    assert s.overall.total == 0 and s.complete_fraction is None
    assert s.sections[0].complete_fraction is None


def test_overdue_is_past_due_and_not_complete() -> None:
    s = board_summary(small_plan(), as_of=AS_OF, previous=None)
    assert [(o.ref, o.due, o.status) for o in s.overdue] == [
        ("B-1", dt.date(2023, 3, 31), "Purple"),
        ("A-1", dt.date(2023, 6, 30), "GREEN"),
        ("A-2", dt.date(2023, 7, 31), "GREEN"),
    ]
    assert s.overdue[0].headline == "Finding B-1"
    assert s.overdue[0].lead == "GT"


def test_moved_since_the_previous_pack() -> None:
    previous = {
        "A-1": "AMBER",  # moved to GREEN
        "A-2": "GREEN",  # "green " now: the same status
        "A-3": "GREEN",  # moved to BLUE (typed "b")
        "A-4": "",  # still none
        "B-1": "purple",  # still the same unrecognised text
        "B-2": "BLUE",
        "GONE-1": "RED",  # no longer in the plan: nothing to show
    }
    s = board_summary(
        small_plan(), as_of=AS_OF, previous=previous, previous_as_of=dt.date(2023, 6, 30)
    )
    assert [(m.ref, m.before, m.after) for m in s.moved] == [
        ("A-1", "AMBER", "GREEN"),
        ("A-3", "GREEN", "BLUE"),
        ("C-1", None, "RED"),  # new since the last pack
    ]
    assert s.has_previous and s.previous_as_of == dt.date(2023, 6, 30)
    first = board_summary(small_plan(), as_of=AS_OF, previous=None)
    assert first.moved == () and not first.has_previous


def test_headline_is_the_plain_lead_or_first_sentence() -> None:
    plain_lead = item("X", "S")
    assert headline(plain_lead) == "Finding X"
    sentences = replace(plain_lead, finding=(Run("First point. Then more.\nSecond line"),))
    assert headline(sentences) == "First point"
    long = replace(plain_lead, finding=(Run("word " * 80),))
    cut = headline(long, limit=40)
    assert len(cut) <= 40 and cut.endswith("…")


def test_board_pack_records_pick_the_latest() -> None:
    grid: list[list[object]] = [
        list(BOARD_PACKS_COLUMNS),
        [2, dt.datetime(2023, 8, 2, 9), dt.datetime(2023, 8, 1), "A-1", "GREEN"],
        [1, dt.datetime(2023, 7, 1, 9), dt.datetime(2023, 6, 30), "A-1", "AMBER"],
        [2, dt.datetime(2023, 8, 2, 9), dt.datetime(2023, 8, 1), "A-2", ""],
        [None, None, None, "junk", "RED"],
    ]
    packs = packs_from_grid(grid)
    assert [p.number for p in packs] == [1, 2]
    last = latest_pack(packs)
    assert last is not None and last.as_of == dt.date(2023, 8, 1)
    assert dict(last.statuses) == {"A-1": "GREEN", "A-2": ""}
    assert latest_pack([]) is None


def test_summary_counts_on_the_seed(seed: Plan) -> None:
    s = board_summary(with_statuses(seed, STATUSES), as_of=AS_OF, previous=None)
    got = {c.section: (c.green, c.amber, c.red, c.blue, c.no_status) for c in s.sections}
    assert got == SEED_COUNTS
    o = s.overall
    assert (o.green, o.amber, o.red, o.blue, o.no_status, o.total) == (10, 6, 3, 5, 3, 27)
    assert f"{s.complete_fraction:.0%}" == "19%"
    assert [x.ref for x in s.overdue] == SEED_OVERDUE
    assert s.unrecognised == ()
    wni03 = next(x for x in s.overdue if x.ref == "WNI-03")
    assert wni03.headline == "Earlier engagement of personal advisers for children leaving care"
    assert (wni03.lead, wni03.due, wni03.status) == ("DM / GT / AxB", dt.date(2023, 6, 30), "RED")


# --- Through the command ----------------------------------------------------------------------

NEWEST = UpdateEntry("Update July 23", "Agreed with the PCC.", dt.date(2023, 7, 20))


def make_master(seed: Plan, path: Path) -> Path:
    plan = with_statuses(seed, STATUSES)
    first = plan.items[0]
    # two dated updates on WNI-01: the board sees only the newest
    items = (replace(first, updates=(NEWEST, *first.updates)), *plan.items[1:])
    write_master(replace(plan, items=items, plan_id="plan-test"), path)
    return path


def set_status(master: Path, ref: str, status: str) -> None:
    """Change a status the way an owner would, in the spreadsheet itself."""
    wb = load_workbook(master, rich_text=True)
    ws = wb[SHEET_PLAN]
    status_column = [c.key for c in PLAN_COLUMNS].index("status") + 1
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == ref)
    ws.cell(row, status_column).value = status
    wb.save(master)


def calamine(path: Path) -> CalamineWorkbook:
    return CalamineWorkbook.from_path(str(path))


def grid(path: Path, sheet: str) -> list[list[Any]]:
    wb = calamine(path)
    try:
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        wb.close()


def table_below(rows: list[list[Any]], title_start: str) -> list[list[Any]]:
    """The body rows of the Summary table whose title starts so (title, header, then rows)."""
    start = next(i for i, r in enumerate(rows) if str(r[0]).startswith(title_start))
    body = []
    for r in rows[start + 2 :]:
        if not r[0]:
            break
        body.append(r)
    return body


def cf_rule_count(path: Path) -> int:
    ws = load_workbook(path)[SHEET_PLAN]
    return sum(len(cf.rules) for cf in ws.conditional_formatting)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def two_packs(seed: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """June's board pack, a status changed in the master, then August's."""
    d = tmp_path_factory.mktemp("board")
    master = make_master(seed, d / "master.xlsx")
    runner = CliRunner()
    before_plan = read_master(master)
    before_rules = cf_rule_count(master)
    before_sheets = load_workbook(master).sheetnames
    june = runner.invoke(
        cli, ["board", str(master), "--out", str(d / "june.xlsx"), "--as-of", "2023-06-30"]
    )
    after_plan = read_master(master)
    set_status(master, "EHP-04", "green")
    aug = runner.invoke(
        cli, ["board", str(master), "--out", str(d / "august.xlsx"), "--as-of", "2023-08-01"]
    )
    return {
        "dir": d,
        "master": master,
        "june": june,
        "aug": aug,
        "before_plan": before_plan,
        "after_plan": after_plan,
        "before_rules": before_rules,
        "before_sheets": before_sheets,
    }


def test_first_pack_has_nothing_to_compare_with(two_packs: dict) -> None:
    june = two_packs["june"]
    assert june.exit_code == 0, june.output
    assert "no earlier board pack recorded" in june.output
    assert "Recorded as board pack 1" in june.output
    rows = grid(two_packs["dir"] / "june.xlsx", SHEET_SUMMARY)
    text = " ".join(str(v) for r in rows for v in r if v)
    assert "No earlier board pack is recorded" in text


def test_recording_leaves_the_rest_of_the_master_exactly(two_packs: dict) -> None:
    master: Path = two_packs["master"]
    assert two_packs["after_plan"] == two_packs["before_plan"]
    assert cf_rule_count(master) == two_packs["before_rules"] > 0
    wb = load_workbook(master)
    assert wb.sheetnames == [*two_packs["before_sheets"], SHEET_BOARD_PACKS]
    assert wb[SHEET_BOARD_PACKS].sheet_state == "veryHidden"
    assert AS_OF_NAME in wb.defined_names


def test_second_pack_shows_what_moved(two_packs: dict) -> None:
    aug = two_packs["aug"]
    assert aug.exit_code == 0, aug.output
    assert "1 moved since board pack 1 (as at 30 June 2023)" in aug.output
    assert "Recorded as board pack 2" in aug.output
    packs = read_board_packs(two_packs["master"])
    assert [(p.number, p.as_of) for p in packs] == [
        (1, dt.date(2023, 6, 30)),
        (2, dt.date(2023, 8, 1)),
    ]
    assert packs[0].statuses["EHP-04"] == "AMBER" and packs[1].statuses["EHP-04"] == "GREEN"
    assert packs[1].statuses["WNI-04"] == "GREEN"  # recorded as the board saw it
    rows = grid(two_packs["dir"] / "august.xlsx", SHEET_SUMMARY)
    moved = table_below(rows, "Status moved since the last board pack (as at 30 June 2023)")
    assert [(r[0], r[7], r[8]) for r in moved] == [("EHP-04", "AMBER", "GREEN")]
    assert moved[0][1] == "Management oversight of long-term neglect"


def test_board_workbook_as_calamine_reads_it(two_packs: dict) -> None:
    board = two_packs["dir"] / "august.xlsx"
    wb = calamine(board)
    try:
        assert wb.sheet_names == [SHEET_SUMMARY, SHEET_PLAN]
    finally:
        wb.close()
    rows = grid(board, SHEET_SUMMARY)
    assert rows[0][0] == "OFSTED ACTION PLAN — board summary"
    assert rows[1][0] == "BIRMINGHAM CHILDREN'S TRUST · plan of March 2023"
    assert rows[2][:2] == ["As at", dt.date(2023, 8, 1)]  # a real date, which AsOfDate names
    assert rows[4][0] == (
        "27 items · 5 complete (19%) · 11 overdue · 1 moved since the last board pack"
    )
    counts = table_below(rows, "RAG status by section")
    header = rows[next(i for i, r in enumerate(rows) if r[0] == "Section")]
    assert header[2:9] == [
        "Green", "Amber", "Red", "Blue (complete)", "No status", "Total", "% complete"
    ]  # fmt: skip
    expected = {**SEED_COUNTS, "Early Help and Protection": (4, 2, 1, 2, 1)}  # EHP-04 moved
    for section, numbers in expected.items():
        row = next(r for r in counts if r[0] == section)
        assert tuple(int(v) for v in row[2:7]) == numbers, section
        assert row[7] == sum(numbers)
        assert row[8] == pytest.approx(numbers[3] / sum(numbers))
    total = next(r for r in counts if r[0] == "All items")
    assert [int(v) for v in total[2:8]] == [11, 5, 3, 5, 3, 27]
    overdue = table_below(rows, "Overdue at 1 August 2023")
    assert [r[0] for r in overdue] == SEED_OVERDUE


def test_action_plan_sheet_shows_the_latest_update_only(two_packs: dict, seed: Plan) -> None:
    rows = grid(two_packs["dir"] / "august.xlsx", SHEET_PLAN)
    h = next(i for i, r in enumerate(rows) if r[0] == "Ref" and r[2] == "Action")
    update_col = [c.key for c in PLAN_COLUMNS].index("updates")
    assert rows[h][update_col] == LATEST_UPDATE_TITLE
    by_ref = {r[0]: r for r in rows[h + 1 :] if r[0]}
    assert by_ref["WNI-01"][update_col] == NEWEST.display
    assert seed.items[0].updates[0].text not in str(by_ref["WNI-01"][update_col])
    status_col = [c.key for c in PLAN_COLUMNS].index("status")
    # typed "green " and "Complete" in the master; the board reads the key's own codes
    assert (by_ref["WNI-04"][status_col], by_ref["IL-02"][status_col]) == ("GREEN", "BLUE")
    # and every item of the plan is there, in order
    assert [ref for ref in by_ref if ref in STATUSES] == [it.ref for it in seed.items]


def test_board_workbook_as_excel_sees_it(two_packs: dict) -> None:
    wb = load_workbook(two_packs["dir"] / "august.xlsx")
    assert wb.sheetnames == [SHEET_SUMMARY, SHEET_PLAN]
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets)
    summary, plan_ws = wb[SHEET_SUMMARY], wb[SHEET_PLAN]

    (chart,) = summary._charts
    assert chart.tagname == "barChart"
    assert (chart.grouping, chart.overlap) == ("stacked", 100)
    fills = [s.graphicalProperties.solidFill.srgbClr for s in chart.series]
    assert fills == [*(RAG_BY_CODE[c].fill for c in ("GREEN", "AMBER", "RED", "BLUE")), "BFBFBF"]
    assert chart.legend is not None
    assert chart.x_axis.delete is False and chart.y_axis.delete is False

    # AsOfDate names the as-of date printed on the Summary; the Action Plan's rules read it
    ((title, coord),) = wb.defined_names[AS_OF_NAME].destinations
    assert title == SHEET_SUMMARY
    assert summary[coord.replace("$", "")].value == dt.datetime(2023, 8, 1)
    formulas = [r.formula[0] for cf in plan_ws.conditional_formatting for r in cf.rules]
    assert any(AS_OF_NAME in f for f in formulas)
    assert any('"GREEN"' in f for f in formulas)

    for ws in (summary, plan_ws):
        assert ws.page_setup.orientation == "landscape", ws.title
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows
        assert ws.oddFooter.left.text == "OFSTED ACTION PLAN"
        assert ws.oddFooter.center.text == "As at 1 August 2023"
        assert ws.oddFooter.right.text == "Page &P of &N"
    h = next(r[0].row for r in plan_ws.iter_rows() if r[0].value == "Ref")
    assert plan_ws.print_title_rows.replace("$", "") == f"{h}:{h}"


def test_statuses_in_the_summary_wear_the_key_colours(two_packs: dict) -> None:
    ws = load_workbook(two_packs["dir"] / "august.xlsx")[SHEET_SUMMARY]
    red = next(c for row in ws.iter_rows() for c in row if c.value == "RED")
    assert red.fill.fgColor.rgb.endswith(RAG_BY_CODE["RED"].fill)
    header = next(c for row in ws.iter_rows() for c in row if c.value == "Green")
    assert header.fill.fgColor.rgb.endswith(RAG_BY_CODE["GREEN"].fill)
    assert not header.font.color.rgb.endswith(sizes.HEADER_FILL_COLOUR)


def test_unrecognised_status_gets_its_own_column_and_a_note(tmp_path: Path) -> None:
    plan = small_plan()
    path = tmp_path / "board.xlsx"
    write_board(plan, board_summary(plan, as_of=AS_OF, previous=None), path, as_of=AS_OF)
    rows = grid(path, SHEET_SUMMARY)
    header = next(r for r in rows if r[0] == "Section")
    assert "Not recognised" in header
    text = " ".join(str(v) for r in rows for v in r if v)
    assert 'Status not recognised: B-1 "Purple"' in text
    assert '"Purple" (not recognised)' in text  # in the overdue table


def test_a_plan_with_nothing_in_it_still_makes_a_pack(tmp_path: Path) -> None:
    plan = Plan(title="")
    path = tmp_path / "board.xlsx"
    write_board(plan, board_summary(plan, as_of=AS_OF, previous=None), path, as_of=AS_OF)
    wb = load_workbook(path)
    assert wb.sheetnames == [SHEET_SUMMARY, SHEET_PLAN]
    assert wb[SHEET_SUMMARY]._charts == []
    rows = grid(path, SHEET_SUMMARY)
    assert rows[0][0] == "Action plan — board summary"
    assert "0 items" in rows[4][0] and "No item is overdue." in [r[0] for r in rows]


def test_no_record_leaves_the_master_untouched(seed: Plan, tmp_path: Path) -> None:
    master = make_master(seed, tmp_path / "master.xlsx")
    digest = sha(master)
    result = CliRunner().invoke(
        cli, ["board", str(master), "--out", str(tmp_path / "b.xlsx"), "--no-record"]
    )
    assert result.exit_code == 0, result.output
    assert "Not recorded in the master (--no-record)" in result.output
    assert sha(master) == digest
    assert (tmp_path / "b.xlsx").exists()


def test_as_of_defaults_to_the_masters_setting(seed: Plan, tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    write_master(seed, master, settings={"As-of date": dt.date(2023, 5, 31)})
    result = CliRunner().invoke(
        cli, ["board", str(master), "--out", str(tmp_path / "b.xlsx"), "--no-record"]
    )
    assert result.exit_code == 0, result.output
    assert "Board pack as at 31 May 2023" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2023-13-01"], "--as-of '2023-13-01' is not a date; give it as YYYY-MM-DD"),
        (["--as-of", "1 Aug"], "is not a date"),
        (["--out", "board.csv"], "must end in .xlsx"),
        (["--out", "master.xlsx", "--force"], "is the master itself"),
    ],
)
def test_bad_arguments_one_line_exit_2(
    seed: Plan, tmp_path: Path, args: list[str], message: str
) -> None:
    master = make_master(seed, tmp_path / "master.xlsx")
    digest = sha(master)
    out = ["--out", str(tmp_path / "board.xlsx")] if "--out" not in args else []
    args = [str(tmp_path / a) if a.endswith((".csv", ".xlsx")) else a for a in args]
    result = CliRunner().invoke(cli, ["board", str(master), *out, *args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ") and message in result.output
    assert result.output.count("\n") == 1
    assert sha(master) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx"]


def test_refuses_to_overwrite_without_force(seed: Plan, tmp_path: Path) -> None:
    master = make_master(seed, tmp_path / "master.xlsx")
    out = tmp_path / "board.xlsx"
    out.write_bytes(b"last month's pack")
    result = CliRunner().invoke(cli, ["board", str(master), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output == f"Error: {out} already exists; choose another --out or add --force\n"
    assert out.read_bytes() == b"last month's pack"
    result = CliRunner().invoke(cli, ["board", str(master), "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).sheetnames == [SHEET_SUMMARY, SHEET_PLAN]


def test_master_open_in_excel_is_not_written(seed: Plan, tmp_path: Path) -> None:
    master = make_master(seed, tmp_path / "master.xlsx")
    (tmp_path / "~$master.xlsx").write_bytes(b"lock")
    digest = sha(master)
    out = tmp_path / "board.xlsx"
    result = CliRunner().invoke(cli, ["board", str(master), "--out", str(out)])
    assert result.exit_code == 2
    assert "is open in Excel" in result.output and "--no-record" in result.output
    assert result.output.count("\n") == 1
    assert not out.exists() and sha(master) == digest


def test_pdf_without_libreoffice_says_what_to_install(
    seed: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    master = make_master(seed, tmp_path / "master.xlsx")
    digest = sha(master)
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    out = tmp_path / "board.xlsx"
    result = CliRunner().invoke(cli, ["board", str(master), "--out", str(out), "--pdf"])
    assert result.exit_code == 2
    assert result.output == (
        "Error: LibreOffice is needed for --pdf; install it "
        "(apt-get install libreoffice-calc-nogui) or leave out --pdf\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx"]
    assert sha(master) == digest


@needs_office
def test_pdf_shows_the_summary_and_every_item(seed: Plan, tmp_path: Path) -> None:
    master = make_master(seed, tmp_path / "master.xlsx")
    out = tmp_path / "board.xlsx"
    result = CliRunner().invoke(
        cli, ["board", str(master), "--out", str(out), "--pdf", "--as-of", "2023-08-01"]
    )
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "board.pdf"
    assert f"Board PDF: {pdf}" in result.output
    text = pdf_text(pdf)
    pages = pdf_pages(pdf)
    for expected in (
        "OFSTED ACTION PLAN — board summary",
        "27 items · 5 complete (19%) · 11 overdue",
        "RAG status by section",
        "Overdue at 1 August 2023",
        "Status moved since the last board pack",
        LATEST_UPDATE_TITLE,
        f"Page 1 of {pages}",
        "As at 1 August 2023",
    ):
        assert expected in text, expected
    for it in seed.items:
        assert it.ref in text, it.ref
    # the first page carries the RAG table and its chart (whose title repeats the table's)
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-raw", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert first.count("RAG status by section") == 2
    assert "All items" in first
    assert not list(tmp_path.glob(".board-pdf-*"))  # LibreOffice's working folder is gone


# --- Items not on track, and the folder of --out ----------------------------------------------


def test_summary_lists_the_items_not_on_track_worst_first() -> None:
    plan = small_plan()
    plan = replace(
        plan,
        items=(
            *plan.items,
            item("B-3", "Two", "amber", "Dec-23", updates=(UpdateEntry("", "Late; re-planned"),)),
        ),
    )
    s = board_summary(plan, as_of=AS_OF, previous=None)
    assert [(a.ref, a.status, a.timescale) for a in s.attention] == [
        ("C-1", "RED", "Ongoing"),
        ("B-3", "AMBER", "Dec-23"),
    ]
    assert s.attention[1].update.endswith("Late; re-planned")
    assert s.attention[0].headline == headline(plan.item("C-1"))


def test_not_on_track_follows_the_plans_own_key() -> None:
    """In a key where Green means achieved and Amber acceptable progress, only Red is off track."""
    key = parse_key(["Green: recommendation achieved", "Amber: acceptable progress", "Red: none"])
    assert key is not None
    assert (key.complete, key.on_track, key.not_on_track) == (("GREEN",), "AMBER", ("RED",))
    assert DEFAULT_KEY.not_on_track == ("RED", "AMBER")
    plan = replace(
        small_plan(),
        rag_key=key,
        items=(item("X-1", "One", "AMBER"), item("X-2", "One", "red"), item("X-3", "One", "G")),
    )
    s = board_summary(plan, as_of=AS_OF, previous=None)
    assert [a.ref for a in s.attention] == ["X-2"]


def test_board_out_in_a_missing_folder_makes_it(seed: Plan, tmp_path: Path) -> None:
    plan = with_statuses(seed, STATUSES)
    master = tmp_path / "master.xlsx"
    write_master(plan, master)
    out = tmp_path / "packs" / "june" / "board.xlsx"
    args = ["board", str(master), "--out", str(out), "--as-of", "2023-05-31"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    summary = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(SHEET_SUMMARY).to_python()
    texts = [str(v) for row in summary for v in row if v]
    assert any(t.startswith("RED and AMBER items at 31 May 2023") for t in texts)
    listed = board_summary(plan, as_of=dt.date(2023, 5, 31), previous=None).attention
    assert {a.status for a in listed} == {"RED", "AMBER"}
    for a in listed:
        assert a.ref in texts and a.headline in texts

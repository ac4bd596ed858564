"""RAG formatting: the rules read back from the file, and what LibreOffice draws from them."""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from office import needs_office, to_pdf
from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import CellIsRule, FormulaRule, Rule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from actionplan.cli import cli
from workbook.errors import MasterError
from workbook.formatting import sizes
from workbook.formatting.rag import (
    AS_OF_NAME,
    DROPDOWN_ERROR_TITLE,
    OVERDUE_FILL,
    OVERDUE_FONT,
    ensure_as_of_name,
    rag_master,
    status_aliases,
)
from workbook.master.read import read_master
from workbook.master.settings import SETTING_AS_OF
from workbook.master.sheets import DUE_COLUMN, SHEET_PLAN, SHEET_SETTINGS
from workbook.master.write import item_texts, write_master
from workbook.plan.model import Plan
from workbook.plan.status import DEFAULT_KEY, RAG_BY_CODE, RAG_KEY, normalise_status

#: Statuses as people type them; blanks stay uncoloured.
TYPED = ["GREEN", "green ", "Amber", " AMBER", "RED", "red", "BLUE", "Blue ", "", "g", "Complete"]


def with_statuses(plan: Plan, statuses: list[str]) -> Plan:
    items = tuple(
        replace(it, status=statuses[i % len(statuses)]) for i, it in enumerate(plan.items)
    )
    return replace(plan, items=items)


@pytest.fixture
def master(seed: Plan, tmp_path: Path) -> Path:
    path = tmp_path / "master.xlsx"
    write_master(with_statuses(seed, TYPED), path)
    return path


def plan_ws(path: Path) -> Worksheet:
    return load_workbook(path)[SHEET_PLAN]


def header_row(ws: Worksheet) -> int:
    return next(r[0].row for r in ws.iter_rows() if r[0].value == "Ref")


def rules_by_range(ws: Worksheet) -> dict[str, list[Rule]]:
    return {str(cf.sqref): list(cf.rules) for cf in ws.conditional_formatting}


def all_rules(ws: Worksheet) -> list[Rule]:
    return [rule for cf in ws.conditional_formatting for rule in cf.rules]


def rgb(colour: object) -> str:
    return str(getattr(colour, "rgb", ""))[-6:].upper()


# --- The Due column ---------------------------------------------------------------------------


def test_due_column_holds_real_dates_after_status(master: Path, seed: Plan) -> None:
    ws = plan_ws(master)
    h = header_row(ws)
    assert [c.value for c in ws[h]][-2:] == ["Status", DUE_COLUMN.title]
    assert ws.column_dimensions["H"].width == pytest.approx(DUE_COLUMN.width)
    assert ws.cell(h, 8).fill.fgColor.rgb.endswith(sizes.HEADER_FILL_COLOUR)
    by_ref = {ws.cell(r, 1).value: ws.cell(r, 8) for r in range(h + 1, ws.max_row + 1)}
    for it in seed.items:
        cell = by_ref[it.ref]
        assert (cell.value.date() if cell.value else None) == it.due, it.ref
        assert cell.number_format == sizes.DATE_FORMAT
        # a one-line date never makes a row taller than its text needs
        assert ws.row_dimensions[cell.row].height == sizes.row_height(item_texts(it))


def test_round_trip_unaffected_by_due_column_and_rules(master: Path, seed: Plan) -> None:
    plan = with_statuses(seed, TYPED)
    assert read_master(master) == plan
    rag_master(master)
    assert read_master(master) == plan
    fast = read_master(master, rich=False)
    assert [(it.ref, it.timescale, it.status) for it in fast.items] == [
        (it.ref, it.timescale, it.status) for it in plan.items
    ]


# --- The rules, read back ---------------------------------------------------------------------


def test_status_rules_colour_each_code_case_and_space_insensitively(master: Path) -> None:
    ws = plan_ws(master)
    h = header_row(ws)
    rules = rules_by_range(ws)[f"G{h + 1}:G{ws.max_row}"]
    assert len(rules) == len(RAG_KEY)
    for status, rule in zip(RAG_KEY, rules, strict=True):
        assert rule.type == "expression" and rule.stopIfTrue
        formula = rule.formula[0]
        assert f'UPPER(TRIM($G{h + 1}))="{status.code}"' in formula
        assert rgb(rule.dxf.fill.fgColor) == rgb(rule.dxf.fill.bgColor) == status.fill
        assert rule.dxf.fill.fill_type == "solid"
        assert rgb(rule.dxf.font.color) == status.font
    # not static fills: the items' status cells themselves carry no colour
    items = [r for r in range(h + 1, ws.max_row + 1) if ws.cell(r, 2).value is not None]
    assert len(items) == 27
    assert all(ws.cell(r, 7).fill.fill_type is None for r in items)


def test_rules_colour_what_validation_reads_as_that_status() -> None:
    for status in RAG_KEY:
        aliases = status_aliases(DEFAULT_KEY, status.code)
        assert aliases[0] == status.code
        assert all(normalise_status(a) == status.code for a in aliases)
        assert all(normalise_status(f"  {a.lower()} ") == status.code for a in aliases)


def test_overdue_rule_marks_time_scale_and_due_against_as_of_date(master: Path) -> None:
    ws = plan_ws(master)
    h, last = header_row(ws), ws.max_row
    (rule,) = rules_by_range(ws)[f"E{h + 1}:E{last} H{h + 1}:H{last}"]
    formula = rule.formula[0]
    assert formula.startswith(f"AND(ISNUMBER($H{h + 1}),$H{h + 1}<")
    assert f"IF(ISNUMBER({AS_OF_NAME}),{AS_OF_NAME},TODAY())" in formula
    assert f'NOT(OR(UPPER(TRIM($G{h + 1}))="BLUE"' in formula
    assert rgb(rule.dxf.fill.fgColor) == OVERDUE_FILL and rgb(rule.dxf.font.color) == OVERDUE_FONT


def test_rag_key_cells_have_the_same_rules_and_colours(master: Path) -> None:
    ws = plan_ws(master)
    key_rules = rules_by_range(ws)["A5:A8"]
    h = header_row(ws)
    status_rules = rules_by_range(ws)[f"G{h + 1}:G{ws.max_row}"]
    assert [r.formula[0].replace("$A5", "$G") for r in key_rules] == [
        r.formula[0].replace(f"$G{h + 1}", "$G") for r in status_rules
    ]
    assert [r.dxf for r in key_rules] == [r.dxf for r in status_rules]
    for row, status in enumerate(RAG_KEY, 5):
        cell = ws.cell(row, 1)
        assert cell.value == status.code and rgb(cell.fill.fgColor) == status.fill


def test_status_dropdown_lists_the_codes_and_explains_errors(master: Path) -> None:
    ws = plan_ws(master)
    h = header_row(ws)
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"GREEN,AMBER,RED,BLUE"'
    assert str(dv.sqref) == f"G{h + 1}:G{ws.max_row}"
    assert dv.allow_blank and dv.showErrorMessage and dv.errorStyle == "stop"
    assert dv.errorTitle == DROPDOWN_ERROR_TITLE
    assert all(s.code in dv.error and s.meaning in dv.error for s in RAG_KEY)
    assert len(dv.error) <= 255 and len(dv.errorTitle) <= 32  # Excel's limits
    assert not dv.showDropDown  # openpyxl's flag is inverted: True would hide the arrow


def test_as_of_name_points_at_the_settings_value_cell(master: Path) -> None:
    wb = load_workbook(master)
    row = next(r[0].row for r in wb[SHEET_SETTINGS].iter_rows() if r[0].value == SETTING_AS_OF)
    assert wb.defined_names[AS_OF_NAME].attr_text == f"'{SHEET_SETTINGS}'!$B${row}"
    assert wb[SHEET_SETTINGS].cell(row, 2).number_format == sizes.DATE_FORMAT


def test_ensure_as_of_name_repairs_and_adds() -> None:
    wb = Workbook()
    wb.active.title = SHEET_PLAN
    ensure_as_of_name(wb)  # no Settings sheet at all
    assert wb.defined_names[AS_OF_NAME].attr_text == f"'{SHEET_SETTINGS}'!$B$2"
    assert wb[SHEET_SETTINGS]["A2"].value == SETTING_AS_OF
    wb.defined_names[AS_OF_NAME].attr_text = f"'{SHEET_PLAN}'!$Z$1"  # broken by hand
    ensure_as_of_name(wb, as_of=dt.date(2023, 6, 30))
    assert wb.defined_names[AS_OF_NAME].attr_text == f"'{SHEET_SETTINGS}'!$B$2"
    assert wb[SHEET_SETTINGS]["B2"].value == dt.date(2023, 6, 30)
    wb[SHEET_SETTINGS].delete_rows(2)  # the row itself removed
    ensure_as_of_name(wb)
    assert wb[SHEET_SETTINGS]["A2"].value == SETTING_AS_OF
    assert list(wb.defined_names) == [AS_OF_NAME]


# --- rag_master: idempotent, repairs, leaves the owner's own rules -----------------------------


def test_rag_twice_leaves_one_set_of_rules_and_one_dropdown(master: Path) -> None:
    before = all_rules(plan_ws(master))
    first, second = rag_master(master), rag_master(master)
    ws = plan_ws(master)
    assert len(all_rules(ws)) == len(before) == first.rules == second.rules == 9
    assert second.replaced_rules == 9 and second.owner_rules == 0
    assert len(ws.data_validations.dataValidation) == 1
    assert [r.priority for r in all_rules(ws)] == list(range(1, 10))
    assert len(load_workbook(master)._differential_styles.dxf) == 5  # 4 statuses + overdue
    assert (second.first_row, second.items, second.due_dates) == (header_row(ws) + 1, 27, 25)


def test_owner_rules_and_validations_elsewhere_survive(master: Path) -> None:
    wb = load_workbook(master)
    ws = wb[SHEET_PLAN]
    h = header_row(ws)
    pink = PatternFill(fill_type="solid", start_color="FFCCFF", end_color="FFCCFF")
    ws.conditional_formatting.add(
        f"D{h + 1}:D40", FormulaRule(formula=[f'ISNUMBER(SEARCH("GT",D{h + 1}))'], fill=pink)
    )
    ws.conditional_formatting.add(
        f"G{h + 1}:G40", CellIsRule(operator="equal", formula=['"RED"'], fill=pink)
    )
    leads = DataValidation(type="list", formula1='"GT,LH,JoR"', errorTitle="Lead")
    leads.add(f"D{h + 1}:D40")
    ws.add_data_validation(leads)
    wb.save(master)

    report = rag_master(master)
    rag_master(master)
    ws = plan_ws(master)
    ranges = rules_by_range(ws)
    assert ranges[f"D{h + 1}:D40"][0].formula == [f'ISNUMBER(SEARCH("GT",D{h + 1}))']
    assert ranges[f"G{h + 1}:G40"][0].operator == "equal"
    assert (report.rules, report.owner_rules) == (9, 2)
    assert len(all_rules(ws)) == 11
    # ours first, so an owner's stop-if-true rule can never hide a RAG colour
    ours = [r for r in all_rules(ws) if r.dxf and rgb(r.dxf.fill.fgColor) != "FFCCFF"]
    assert sorted(r.priority for r in ours) == list(range(1, 10))
    titles = sorted(dv.errorTitle for dv in ws.data_validations.dataValidation)
    assert titles == ["Lead", DROPDOWN_ERROR_TITLE]


def test_rules_moved_by_rows_inserted_above_are_still_recognised(master: Path) -> None:
    """Excel shifts a rule's range and formula together; such a rule is still ours."""
    wb = load_workbook(master)
    ws = wb[SHEET_PLAN]
    h = header_row(ws)
    moved = [
        (f"G{h + 3}:G{ws.max_row + 2}", rule.formula[0].replace(f"$G{h + 1}", f"$G{h + 3}"))
        for rule in rules_by_range(ws)[f"G{h + 1}:G{ws.max_row}"]
    ]
    for sqref, formula in moved:
        ws.conditional_formatting.add(sqref, Rule(type="expression", formula=[formula]))
    wb.save(master)
    report = rag_master(master)
    assert report.replaced_rules == 13 and report.owner_rules == 0
    assert len(all_rules(plan_ws(master))) == 9


def test_due_dates_follow_edited_time_scales(master: Path) -> None:
    wb = load_workbook(master, rich_text=True)
    ws = wb[SHEET_PLAN]
    h = header_row(ws)
    rows = {ws.cell(r, 1).value: r for r in range(h + 1, ws.max_row + 1)}
    ws.cell(rows["WNI-01"], 5).value = "Jan-25"
    ws.cell(rows["WNI-02"], 5).value = "Ongoing"
    ws.cell(rows["EHP-01"], 5).value = dt.datetime(2024, 2, 14)  # Excel made a typed date a date
    wb.save(master)
    report = rag_master(master)
    assert report.due_refreshed == 3
    ws = plan_ws(master)
    assert ws.cell(rows["WNI-01"], 8).value == dt.datetime(2025, 1, 31)
    assert ws.cell(rows["WNI-02"], 8).value is None
    assert ws.cell(rows["EHP-01"], 8).value == dt.datetime(2024, 2, 14)
    assert rag_master(master).due_refreshed == 0


def test_master_from_before_the_due_column_gets_one(master: Path, seed: Plan) -> None:
    wb = load_workbook(master, rich_text=True)
    ws = wb[SHEET_PLAN]
    h = header_row(ws)
    sections = [m.min_row for m in ws.merged_cells.ranges]
    for row in sections:  # section rows spanned A:G then
        ws.unmerge_cells(f"A{row}:H{row}")
        ws.merge_cells(f"A{row}:G{row}")
    for r in range(h, ws.max_row + 1):
        ws.cell(r, 8).value = None
    wb.save(master)
    report = rag_master(master)
    assert report.due_column_added and report.due_refreshed == 25
    wb = load_workbook(master)
    ws = wb[SHEET_PLAN]
    assert ws.cell(h, 8).value == DUE_COLUMN.title
    assert {str(m) for m in ws.merged_cells.ranges} == {f"A{r}:H{r}" for r in sections}
    assert wb.defined_names["ActionPlanHeader"].attr_text.endswith(f"$H${h}")
    assert read_master(master) == with_statuses(seed, TYPED)


def test_column_right_of_status_in_use_is_not_overwritten(master: Path) -> None:
    wb = load_workbook(master, rich_text=True)
    ws = wb[SHEET_PLAN]
    h = header_row(ws)
    ws.cell(h, 8).value = "Owner's notes"
    ws.cell(h + 2, 8).value = "keep me"
    wb.save(master)
    with pytest.raises(MasterError, match="column H, right of Status, is in use") as err:
        rag_master(master)
    assert "\n" not in str(err.value)
    assert plan_ws(master).cell(h + 2, 8).value == "keep me"


# --- The command ------------------------------------------------------------------------------


def test_rag_command(master: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["rag", str(master)])
    assert result.exit_code == 0, result.output
    summary, backup = result.output.splitlines()
    assert summary.startswith("RAG formatting applied to master.xlsx: 27 items")
    assert backup.startswith(f"Backup of the master as it was: {master.parent / 'backups'}")
    again = runner.invoke(cli, ["rag", str(master)])
    assert again.exit_code == 0 and "9 rules (9 replaced" in again.output


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: None, "master workbook not found"),
        (lambda p: p.write_text("not a workbook"), "is not an .xlsx workbook"),
        (lambda p: p.with_name("~$" + p.name).write_text("lock"), "is open in Excel"),
    ],
)
def test_rag_command_errors_are_one_line(
    master: Path, tmp_path: Path, make: object, expected: str
) -> None:
    target = master if "open" in expected else tmp_path / "other.xlsx"
    make(target)  # type: ignore[operator]
    result = CliRunner().invoke(cli, ["rag", str(target)])
    assert result.exit_code == 2
    assert expected in result.output and result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_rag_on_a_workbook_without_a_plan_sheet(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    Workbook().save(path)
    with pytest.raises(MasterError, match="no 'Action Plan' sheet"):
        rag_master(path)


# --- In a real spreadsheet application --------------------------------------------------------

DPI = 100


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2


class Rendered:
    """A workbook printed by LibreOffice: the words on each page and the page images."""

    def __init__(self, workbook: Path, outdir: Path) -> None:
        outdir.mkdir(parents=True, exist_ok=True)
        pdf = to_pdf(workbook, outdir)
        layout_html = subprocess.run(
            ["pdftotext", "-bbox-layout", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        self.words: list[Word] = []
        for n, page in enumerate(layout_html.split("<page ")[1:], 1):
            for m in re.finditer(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                r"([^<]*)</word>",
                page,
            ):
                x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
                self.words.append(Word(n, html.unescape(m[5]), x0, y0, x1, y1))
        # -ppm, not -png: the same rasteriser, and its output is read here without an image library
        subprocess.run(
            ["pdftoppm", "-r", str(DPI), str(pdf), str(outdir / "page")],
            check=True,
            capture_output=True,
        )
        self.pages = {
            int(p.stem.rsplit("-", 1)[1]): p.read_bytes() for p in outdir.glob("page-*.ppm")
        }

    def column(self, title: str) -> list[Word]:
        """Words in the column headed `title` on the plan's pages, top to bottom, page by page."""
        out: list[Word] = []
        for page in sorted({w.page for w in self.words}):
            words = [w for w in self.words if w.page == page]
            heads = {w.text: w for w in words if w.text in ("Lead", "Time-scale", "Status", "Due")}
            if "Time-scale" not in heads or "Status" not in heads:
                continue  # not a page of the plan
            if abs(heads["Time-scale"].y0 - heads["Status"].y0) >= 1:
                continue  # the titles are not a header row (e.g. named on the Settings page)
            head = heads[title]
            row = [h for h in heads.values() if abs(h.y0 - head.y0) < 1]
            spacing = min(abs(h.centre - head.centre) for h in row if h is not head)
            out.extend(
                w
                for w in sorted(words, key=lambda w: (w.y0, w.x0))
                if w.y0 > head.y1 and abs(w.centre - head.centre) < spacing * 0.4
            )
        return out

    def colour_behind(self, word: Word, *, tall_row: bool = True) -> str:
        """The dominant colour of the cell around a word: its box, and for an item's top-aligned
        cell (rows taller than one line) the line below it, which is the cell's own background."""
        width, height, pixels = _ppm(self.pages[word.page])
        scale = DPI / 72
        below = word.y1 - word.y0 if tall_row else 0
        x0, x1 = int(word.x0 * scale), int(word.x1 * scale)
        y0, y1 = int(word.y0 * scale), int((word.y1 + below) * scale)
        counts: Counter[bytes] = Counter()
        for y in range(max(0, y0), min(height, y1)):
            start = (y * width + x0) * 3
            line = pixels[start : start + (x1 - x0) * 3]
            counts.update(line[i : i + 3] for i in range(0, len(line), 3))
        return counts.most_common(1)[0][0].hex().upper()


def _ppm(data: bytes) -> tuple[int, int, bytes]:
    magic, width, height, maxval, pixels = data.split(maxsplit=4)
    assert magic == b"P6" and maxval == b"255"
    return int(width), int(height), pixels


def close(actual: str, expected: str, tolerance: int = 12) -> bool:
    pairs = zip(bytes.fromhex(actual), bytes.fromhex(expected), strict=True)
    return all(abs(a - b) <= tolerance for a, b in pairs)


WHITE = "FFFFFF"
#: Items given time-scales found nowhere else in the seed, so their cells can be found on paper.
OVERDUE_AMBER = ("WNI-03", "Feb-23", "Amber")  # due 28 Feb 2023: overdue at 15 Jul 2023
DONE_LATE = ("EHP-05", "Jan-23", " blue")  # past due but complete: never marked
DUE_LATER = ("CEY-01", "Oct-23", "green")  # after the as-of date, before today
AS_OF = dt.date(2023, 7, 15)


def staged_plan(seed: Plan) -> Plan:
    plan = with_statuses(seed, TYPED)
    special = {ref: (ts, st) for ref, ts, st in (OVERDUE_AMBER, DONE_LATE, DUE_LATER)}
    items = tuple(
        replace(it, timescale=special[it.ref][0], status=special[it.ref][1])
        if it.ref in special
        else it
        for it in plan.items
    )
    return replace(plan, items=items)


def assert_status_colours(page: Rendered, statuses: list[str]) -> None:
    words = page.column("Status")
    assert [w.text for w in words] == [s.strip() for s in statuses if s.strip()]
    for w in words:
        code = normalise_status(w.text)
        assert code, w.text
        colour = page.colour_behind(w)
        assert close(colour, RAG_BY_CODE[code].fill), (w.text, w.page, colour)


def time_scale_colour(page: Rendered, text: str) -> str:
    (word,) = [w for w in page.column("Time-scale") if w.text == text]
    return page.colour_behind(word)


@needs_office
def test_libreoffice_draws_status_colours_and_overdue_marks(seed: Plan, tmp_path: Path) -> None:
    plan = staged_plan(seed)
    master = tmp_path / "master.xlsx"
    write_master(plan, master, settings={SETTING_AS_OF: AS_OF})
    page = Rendered(master, tmp_path / "first")

    assert_status_colours(page, [it.status for it in plan.items])
    key = [w for w in page.words if w.page == 1 and w.text in RAG_BY_CODE and w.x0 < 60]
    assert sorted(w.text for w in key) == sorted(RAG_BY_CODE)
    for w in key:
        colour = page.colour_behind(w, tall_row=False)
        assert close(colour, RAG_BY_CODE[w.text].fill), (w.text, colour)
    assert close(time_scale_colour(page, OVERDUE_AMBER[1]), OVERDUE_FILL)
    assert close(time_scale_colour(page, DONE_LATE[1]), WHITE)
    assert close(time_scale_colour(page, DUE_LATER[1]), WHITE)  # the as-of date, not today

    # Change the values in the file, not the formatting: the colours must follow.
    wb = load_workbook(master, rich_text=True)
    ws = wb[SHEET_PLAN]
    statuses = []
    for row in ws.iter_rows(min_row=header_row(ws) + 1):
        ref = row[0].value
        if row[1].value is None:
            continue  # a section row
        row[6].value = "red" if ref == DUE_LATER[0] else "blue"
        statuses.append(row[6].value)
    settings = wb[SHEET_SETTINGS]
    as_of_row = next(r for r in settings.iter_rows() if r[0].value == SETTING_AS_OF)
    as_of_row[1].value = None  # blank: the overdue rule falls back to today
    wb.save(master)
    page = Rendered(master, tmp_path / "second")

    assert_status_colours(page, statuses)
    assert close(time_scale_colour(page, OVERDUE_AMBER[1]), WHITE)  # now complete
    assert close(time_scale_colour(page, DUE_LATER[1]), OVERDUE_FILL)  # overdue by today
